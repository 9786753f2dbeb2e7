"""The gestionnaire's pages through Flask's test client: the admin token at login, the moves of
the workflow and only those (with the portal's reason otherwise), the motif, the clock, avenants,
enrolment decisions, the outbox, the reset."""

from __future__ import annotations

import re
from html import escape, unescape

from flask.testing import FlaskClient
from segur.mock_portal.controls.answer import format_number

from tests._support.logical import example_requests, workflow_label
from tests._support.pages import AVANCE, csrf, field_error, flashes, import_ok, sign_in, sign_in_gestionnaire
from tests._support.paths import SPEC
from tests._support.portal import admin_headers, enrolment_form

PIECES = f"{AVANCE}.zip"
#: the mock's clock when it starts: the spec's default deposit time for an avance
STARTS = SPEC.default_deposit_time(None, SPEC.deposit_types["avance"])


def status(client: FlaskClient, numero: str) -> str:
    found = re.search(r'id="statut-demande">([^<]+)<', client.get(f"/gestion/demandes/{numero}").get_data(as_text=True))
    assert found
    return unescape(found.group(1))


def move(client: FlaskClient, numero: str, target: str, motif: str = "") -> str:
    """A move by its button; the announcement after it, or the error said next to its motif field."""
    response = client.post(
        f"/gestion/demandes/{numero}/transition", data={"_csrf": csrf(client), "vers": target, "motif": motif}
    )
    if response.status_code == 422:
        return field_error(response.get_data(as_text=True), f"motif-{target}")
    assert response.status_code == 302
    return flashes(client.get(response.headers["Location"]).get_data(as_text=True))


def test_the_gestionnaire_signs_in_with_the_admin_token(client: FlaskClient) -> None:
    assert client.get("/gestion").headers["Location"] == "/gestion/connexion?suite=/gestion"
    wrong = client.post("/gestion/connexion", data={"_csrf": csrf(client), "jeton": "pas-le-bon"})
    assert (
        wrong.status_code == 422
        and field_error(wrong.get_data(as_text=True), "jeton")
        == "Ce jeton n'ouvre pas l'espace gestionnaire : recopiez celui que segur serve affiche au démarrage."
    )
    sign_in_gestionnaire(client)
    home = client.get("/gestion").get_data(as_text=True)
    assert "Horloge du portail" in home and f'id="horloge-maintenant">{STARTS:%d/%m/%Y %H:%M}' in home
    client.post("/gestion/deconnexion", data={"_csrf": csrf(client)})
    assert client.get("/gestion/demandes").status_code == 302


def test_the_page_offers_the_workflows_moves_and_the_portal_refuses_others(client: FlaskClient) -> None:
    sign_in(client)
    numero, second, *_ = import_ok(client, zip_name=PIECES)
    sign_in_gestionnaire(client)
    page = client.get(f"/gestion/demandes/{numero}").get_data(as_text=True)
    assert re.findall(r'name="vers" value="(\w+)"', page) == ["enCours"]  # from « En attente d'instruction »
    refused = move(client, numero, "payee")
    assert "refusé pour le gestionnaire" in refused and status(client, numero) == SPEC.status("enAttente")
    assert f"statut « {SPEC.status('enCours')} »" in move(client, numero, "enCours")
    page = client.get(f"/gestion/demandes/{numero}").get_data(as_text=True)
    assert re.findall(r'name="vers" value="(\w+)"', page) == ["aModifier", "attentePieces", "validee", "rejetee"]
    assert 'id="motif-aModifier"' in page and 'id="motif-validee"' not in page  # a motif where the move needs one
    said = move(client, numero, "rejetee")  # an empty motif: refused by the portal, said next to its field
    assert said.startswith("Saisissez le motif : le passage « ") and "field" not in said, said
    assert 'id="motif-aModifier"' in page and "Motif de la demande de modification" in page
    assert "Motif du rejet" in page and "Motif de la demande de pièces complémentaires" in page
    assert status(client, numero) == SPEC.status("enCours")
    assert f"statut « {SPEC.status('rejetee')} »" in move(client, numero, "rejetee", "bon de commande non signé")
    none = "Aucune action du gestionnaire n'est possible à ce statut"
    rejected = client.get(f"/gestion/demandes/{numero}").get_data(as_text=True)
    assert f"{none}." in rejected  # a rejection ends the workflow: nobody's move
    move(client, second, "enCours")
    move(client, second, "aModifier", "SIRET du BDC différent")  # the workflow's next move is the editor's
    to_modify = client.get(f"/gestion/demandes/{second}").get_data(as_text=True)
    assert f"{none} : la main est à l'éditeur." in to_modify
    mails = client.get("/gestion/courriels").get_data(as_text=True)
    assert "Motif : bon de commande non signé" in mails
    nowhere = format_number(SPEC, SPEC.profiles[AVANCE], STARTS.replace(year=2099), 0)
    unknown = client.post(f"/gestion/demandes/{nowhere}/transition", data={"_csrf": csrf(client), "vers": "enCours"})
    assert unknown.status_code == 404 and f"demande {nowhere} introuvable" in unknown.get_data(as_text=True)


def test_the_clock_is_set_moved_and_released_from_the_page(client: FlaskClient) -> None:
    sign_in_gestionnaire(client)

    def clock(**form: str) -> str:
        """The announcement after the move, or the error said beside the clock's field."""
        response = client.post("/gestion/horloge", data={"_csrf": csrf(client), **form})
        if response.status_code == 422:
            field = "horloge-date" if form["action"] == "fixer" else "horloge-quantite"
            return field_error(response.get_data(as_text=True), field)
        return flashes(client.get(response.headers["Location"]).get_data(as_text=True))

    assert clock(action="fixer", date="2024-02-28T13:59") == "Horloge du portail : 28/02/2024 13:59."
    assert clock(action="avancer", quantite="1", unite="minutes") == "Horloge du portail : 28/02/2024 14:00."
    assert clock(action="avancer", quantite="1,5", unite="jours") == "Horloge du portail : 01/03/2024 02:00."
    assert "Date et heure non reconnues" in clock(action="fixer", date="demain")
    assert "Saisissez un nombre" in clock(action="avancer", quantite="deux", unite="jours")
    assert "dix ans" in clock(action="avancer", quantite="4000", unite="jours")
    assert "entre 2000 et 2099" in clock(action="fixer", date="2150-01-01T00:00")
    assert client.get("/admin/clock", headers=admin_headers()).json["maintenant"].startswith("2024-03-01T02:00")  # type: ignore[index]
    assert clock(action="reel").startswith("Horloge du portail : ")
    assert not client.get("/admin/clock", headers=admin_headers()).json["maintenant"].startswith("2024-03-01")  # type: ignore[index]


def test_avenants_are_added_and_moved(client: FlaskClient) -> None:
    sign_in(client)
    numero = import_ok(client, zip_name=PIECES)[0]
    sign_in_gestionnaire(client)
    bad = client.post(f"/gestion/demandes/{numero}/avenants", data={"_csrf": csrf(client), "montant": "beaucoup"})
    assert bad.status_code == 422 and "Saisissez le montant" in field_error(
        bad.get_data(as_text=True), "avenant-montant"
    )
    assert 'value="beaucoup"' in bad.get_data(as_text=True)  # what was typed is kept
    cents = client.post(f"/gestion/demandes/{numero}/avenants", data={"_csrf": csrf(client), "montant": "1,234"})
    assert "deux décimales" in field_error(cents.get_data(as_text=True), "avenant-montant")
    client.post(
        f"/gestion/demandes/{numero}/avenants",
        data={"_csrf": csrf(client), "montant": "12 500,00", "motif": "extension"},
    )
    page = client.get(f"/gestion/demandes/{numero}").get_data(as_text=True)
    assert "12\u202f500,00\u00a0€" in page and escape(workflow_label("avenant", "demande")) in page
    avenant = re.search(r"/gestion/avenants/(\d+)/transition", page)
    assert avenant
    url = f"/gestion/avenants/{avenant.group(1)}/transition"
    skipped = client.post(url, data={"_csrf": csrf(client), "vers": "paye", "numero": numero})
    assert "refusé" in flashes(client.get(skipped.headers["Location"]).get_data(as_text=True))
    for target in ("decide", "paye"):
        client.post(url, data={"_csrf": csrf(client), "vers": target, "numero": numero})
    paid = escape(workflow_label("avenant", "paye"))
    assert paid in client.get(f"/gestion/demandes/{numero}").get_data(as_text=True)


def test_enrolments_are_validated_or_rejected_with_a_motif(client: FlaskClient) -> None:
    form = enrolment_form(email="un@editeur.example")
    first = client.post("/api/enrolments", json=form).json["id"]  # type: ignore[index]
    second = client.post("/api/enrolments", json=enrolment_form(email="deux@editeur.example")).json["id"]  # type: ignore[index]
    sign_in_gestionnaire(client)
    listing = client.get("/gestion/enrolements").get_data(as_text=True)
    number = f"ENR-{first:06d}"  # one number for an enrolment, everywhere
    assert f'Enrôlement n° <span class="numero">{number}</span>' in listing
    assert f'Enrôlement n° <span class="numero">ENR-{second:06d}</span>' in listing
    assert escape(form["raisonSociale"]) in listing and escape(form["representant"]["nom"]) in listing
    assert re.search(
        rf'href="/gestion/enrolements/{first}/pieces/\d+" download>Certificat de référencement ANS</a>', listing
    )
    piece = re.search(rf'href="(/gestion/enrolements/{first}/pieces/\d+)"', listing)
    assert piece and client.get(piece.group(1)).data.startswith(b"%PDF-")
    decide = f"/gestion/enrolements/{second}/decision"
    no_motif = client.post(decide, data={"_csrf": csrf(client), "vers": "rejetee"})
    assert no_motif.status_code == 422
    assert field_error(no_motif.get_data(as_text=True), f"motif-{second}-rejetee").startswith("Saisissez le motif")
    client.post(decide, data={"_csrf": csrf(client), "vers": "rejetee", "motif": "certificat illisible"})
    client.post(f"/gestion/enrolements/{first}/decision", data={"_csrf": csrf(client), "vers": "validee"})
    mails = client.get("/gestion/courriels").get_data(as_text=True)
    assert f"Votre demande d&#39;enrôlement n° ENR-{second:06d}" in mails and "Motif : certificat illisible" in mails
    login = re.search(r"Identifiant : (\S+)\s", mails)
    password = re.search(r"Mot de passe : (\S+)\s", mails)
    assert login and password
    editor = client.application.test_client()
    sign_in(editor, login.group(1), password.group(1))
    assert form["numeroAns"] in editor.get("/espace").get_data(as_text=True)


def test_reset_needs_its_confirmation_then_forgets_everything(client: FlaskClient) -> None:
    sign_in(client)
    import_ok(client, zip_name=PIECES)
    sign_in_gestionnaire(client)
    unconfirmed = client.post("/gestion/reinitialiser", data={"_csrf": csrf(client)})
    assert "Cochez la case" in flashes(client.get(unconfirmed.headers["Location"]).get_data(as_text=True))
    stored = client.get("/admin/requests", headers=admin_headers()).json["demandes"]  # type: ignore[index]
    assert len(stored) == len(example_requests(AVANCE))  # type: ignore[index]
    client.post("/gestion/reinitialiser", data={"_csrf": csrf(client), "confirmation": "oui"})
    assert client.get("/admin/requests", headers=admin_headers()).json["demandes"] == []  # type: ignore[index]
    assert client.get("/espace").status_code == 302  # the editor's session went with the reset
    sign_in(client)
