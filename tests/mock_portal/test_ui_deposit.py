"""« Demande de financement » and the editor's requests, through Flask's test client: Simuler
(codes per line, recap, nothing stored), Importer (status, Terminer), bad input answered in
French on the page, the table with its filters and pages, a request's accordions, documents,
modification and pieces, editors kept apart."""

from __future__ import annotations

import io
import re
from html import escape
from pathlib import Path

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from segur.generators.pdf import pdf_document
from segur.mock_portal.controls.money import euros
from segur.mock_portal.controls.writer import put

from tests._support.logical import code, data, example_requests, number_pattern
from tests._support.pages import (
    ANS,
    ANS_OTHER,
    AVANCE,
    OTHER,
    big_deposit,
    csrf,
    deposit,
    field_error,
    flashes,
    html_text,
    import_ok,
    line_codes,
    sign_in,
    sign_in_gestionnaire,
)
from tests._support.paths import SPEC
from tests._support.portal import admin_headers, credentials, enrolment_form, make_app

ACCEPTED = SPEC.accepted_code
COUNT = len(example_requests(AVANCE))
PIECES = f"{AVANCE}.zip"


def label_head(rule: str) -> str:
    """The words a rule's label starts with, before its first parameter, as a page shows them."""
    return escape(SPEC.codes[code(rule)].label.split("{")[0].strip(), quote=True)


def money(cents: int) -> str:
    return f"{euros(cents)}\u00a0€"


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(client)
    return client


def stored(client: FlaskClient) -> list[dict[str, object]]:
    found: list[dict[str, object]] = client.get("/admin/requests", headers=admin_headers()).json["demandes"]  # type: ignore[index]
    return found


def test_the_form_offers_the_portals_choices(client: FlaskClient) -> None:
    html = client.get("/espace/demande-de-financement").get_data(as_text=True)
    rates = re.findall(r'<option value="([\d.]+)">', html)
    assert rates == [f"{rate:g}" for rate in SPEC.vat_rates]
    assert re.findall(r'name="typeDemande" value="(\w+)"', html) == list(SPEC.deposit_types)
    assert f'<option value="{ANS}">' in html and f'<option value="{ANS_OTHER}">' in html  # enrolled twice: choose
    assert html.index('value="simuler"') < html.index('value="importer"')


def test_simuler_shows_each_lines_code_and_stores_nothing(client: FlaskClient) -> None:
    requests = example_requests(AVANCE)
    requests[1]["amount_ttc"] += 1  # a cent over HT × (1 + VAT)
    response = deposit(client, "simuler", data=data(requests, AVANCE))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert line_codes(html) == [ACCEPTED, code("amount-ttc"), *[ACCEPTED] * (COUNT - 2)]
    assert label_head("amount-ttc") in html and "lignes en erreur" in html
    assert 'value="20" selected' in html and 'value="avance" checked' in html  # the choices are kept
    assert stored(client) == []
    ok = deposit(client, "simuler").get_data(as_text=True)
    assert "Récapitulatif de la simulation" in ok and line_codes(ok) == [ACCEPTED] * COUNT
    assert f"<dt>Acceptées (code {ACCEPTED})</dt><dd>{COUNT}</dd>" in ok  # the spec's acceptance code
    assert re.findall(r'<tr class="(ok|ko)" data-ligne', html) == ["ok", "ko", *["ok"] * (COUNT - 2)]
    assert '<tr class="ko"' not in ok
    assert re.search(r"Montant demandé accepté</dt><dd>\d{1,3}(\u202f\d{3})*,\d\d\u00a0€</dd>", ok)  # in French


def test_a_rejected_file_says_so_as_a_whole(client: FlaskClient) -> None:
    html = deposit(client, "simuler", data=b"{ pas du json").get_data(as_text=True)
    assert (
        "Fichier JSON rejeté pour non-conformité" in html and f'<span class="code">{code("file-json")}</span>' in html
    )


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"vat": "abc"}, "tauxTva", "Choisissez l'un des taux de TVA proposés."),
        ({"vat": "19.6"}, "tauxTva", "Choisissez l'un des taux de TVA proposés."),
        ({"kind": "acompte"}, "typeDemande", "Choisissez le type de demande : avance ou solde."),
        ({"ans": None}, "numeroAns", "Vous êtes enrôlé pour plusieurs numéros ANS : choisissez celui du dépôt."),
    ],
)
def test_bad_choices_get_a_french_error_on_their_field(
    client: FlaskClient, form: dict[str, str | None], field: str, message: str
) -> None:
    sign_in(client)
    response = deposit(client, "importer", zip_name=PIECES, **form)  # type: ignore[arg-type]
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    if field == "typeDemande":
        assert (
            message in html and 'aria-invalid="true"' in html.split('name="typeDemande"')[0].rsplit("<fieldset", 1)[1]
        )
    else:
        assert field_error(html, field) == message
    assert stored(client) == []


def test_a_missing_file_is_asked_for(client: FlaskClient) -> None:
    response = client.post(
        "/espace/demande-de-financement",
        data={"_csrf": csrf(client), "action": "simuler", "tauxTva": "20", "typeDemande": "avance", "numeroAns": ANS},
    )
    assert response.status_code == 422
    assert (
        field_error(response.get_data(as_text=True), "fichier")
        == "Sélectionnez le fichier des demandes à simuler ou à importer."
    )


def test_a_too_large_upload_gets_the_form_again_and_loses_nothing(tmp_path: Path) -> None:
    app = make_app(tmp_path, PAGES_DIR=str(tmp_path / "pages"), MAX_CONTENT_LENGTH=50_000)
    client = app.test_client()
    sign_in(client)
    numbers = import_ok(client, zip_name=PIECES)
    response = deposit(client, "importer", pieces=b"\0" * 60_000)
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and "Traceback" not in html
    assert "Envoi trop volumineux" in field_error(html, "pieces")
    assert sorted(r["numeroDemande"] for r in stored(client)) == sorted(numbers)  # type: ignore[type-var]


def test_importer_shows_ok_then_terminer_lists_the_requests(client: FlaskClient) -> None:
    response = deposit(client, "importer", zip_name=PIECES)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="statut-import">OK</strong>', page) and ">Terminer</button>" in page
    numbers = re.findall(rf'<td class="numero">({number_pattern(AVANCE)})</td>', page)
    assert len(numbers) == COUNT
    done = client.post(response.headers["Location"] + "/terminer", data={"_csrf": csrf(client)})
    assert done.headers["Location"] == "/espace/demandes"
    listing = client.get("/espace/demandes").get_data(as_text=True)
    assert f"Dépôt n° 1 terminé : {COUNT} demandes transmises à l'ASP pour instruction." in flashes(listing)
    assert sorted(re.findall(rf">({number_pattern(AVANCE)})</a>", listing)) == sorted(numbers)
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ">Terminer</button>" not in again and "dépôt terminé" in again


def test_a_rejected_import_cannot_be_terminated(client: FlaskClient) -> None:
    response = deposit(client, "importer", data=b"[]")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="statut-import">KO' in page and ">Terminer</button>" not in page
    refused = client.post(response.headers["Location"] + "/terminer", data={"_csrf": csrf(client)})
    assert "un dépôt rejeté ne peut pas être terminé" in flashes(
        client.get(refused.headers["Location"]).get_data(as_text=True)
    )


def test_the_table_filters_and_pages_and_leaves_out_incomplete_requests(client: FlaskClient) -> None:
    data_, pieces = big_deposit(60)
    deposit(client, "importer", data=data_, pieces=pieces)
    deposit(client, "importer", name=OTHER, ans=ANS_OTHER)  # no zip: every request incomplete
    incomplete_count = len(example_requests(OTHER))
    link = rf'<a href="/espace/demandes/{number_pattern(AVANCE)}"'
    first = client.get("/espace/demandes").get_data(as_text=True)
    assert "60 demandes" in first and "Page 1 sur 2" in first
    assert len(re.findall(link, first)) == 50
    second = client.get("/espace/demandes?page=2").get_data(as_text=True)
    assert len(re.findall(link, second)) == 10
    assert not re.search(number_pattern(OTHER), first + second)
    whole = client.get("/espace/demandes?taille=200").get_data(as_text=True)
    assert len(re.findall(link, whole)) == 60 and "Page 1 sur" not in whole
    odd = client.get("/espace/demandes?taille=7&page=x").get_data(as_text=True)
    assert len(re.findall(link, odd)) == 50  # an unknown size or page: the defaults
    filtered = client.get("/espace/demandes?statut=enCours").get_data(as_text=True)
    assert "0 demande correspondant aux filtres" in filtered
    solde = client.get("/espace/demandes?typeDemande=solde").get_data(as_text=True)
    assert "0 demande" in solde
    incomplete = client.get("/espace/demandes-incompletes").get_data(as_text=True)
    first_piece = example_requests(OTHER)[0]["pieces"][0][1]
    assert f"{incomplete_count} demandes incomplètes" in incomplete and first_piece in incomplete
    home = client.get("/espace").get_data(as_text=True)
    assert 'id="notice-incompletes"' in home and f"<strong>{incomplete_count}</strong> demandes incomplètes" in home
    # the portal's own words (ASP FAQ), the link to the list, the spec's label of the stage
    notice = home[home.index('id="notice-incompletes"') :]
    assert "Attention : des demandes d'avance et/ou de solde n'ont pas été complétées." in notice
    assert 'href="/espace/demandes-incompletes">Suivi demandes incomplètes</a>' in notice
    assert f"« {SPEC.statuts['incomplete']} »" in notice and f"« {SPEC.statuts['incomplete']} »" in incomplete


def test_a_request_page_its_accordions_and_its_documents(client: FlaskClient) -> None:
    numero = import_ok(client, zip_name=PIECES)[0]
    before = client.get(f"/espace/demandes/{numero}").get_data(as_text=True)
    assert "Pièces justificatives" in before and "Courriels automatiquement envoyés" in before
    assert 'id="suivi-financier"' not in before  # it appears with the first payment (seed, slide 20)
    received = {name for _role, name in example_requests(AVANCE)[0]["pieces"]}
    for name in received:  # the pieces that came with the import are kept with their request
        assert f"<td>{escape(name)}</td>" in before, name
    sign_in_gestionnaire(client)
    instruction = client.get(f"/gestion/demandes/{numero}").get_data(as_text=True)
    for name in received:
        assert re.search(
            rf'href="/gestion/demandes/{numero}/documents/\d+" download>{re.escape(escape(name))}</a>', instruction
        )
    for target in ("enCours", "validee", "decidee", "payee"):
        client.post(f"/gestion/demandes/{numero}/transition", data={"_csrf": csrf(client), "vers": target})
    page = client.get(f"/espace/demandes/{numero}").get_data(as_text=True)
    assert f'id="statut-demande">{escape(SPEC.status("payee"))}' in page and 'id="suivi-financier"' in page
    granted = example_requests(AVANCE)[0]["amount_requested"]
    avance_share = SPEC.workflow["payments"]["avancePercent"]
    assert money(granted * avance_share // 100) in page and money(granted) in page
    assert f"Demande {numero} : décision d&#39;attribution" in page
    links = re.findall(rf'href="(/espace/demandes/{numero}/documents/\d+)"', page)
    assert len(set(links)) == len(received) + 2  # the pieces, the décision and the avis de paiement
    for link in set(links):
        document = client.get(link)
        assert document.status_code == 200 and document.mimetype == "application/pdf"
        assert document.data.startswith(b"%PDF-") and "attachment" in document.headers["Content-Disposition"]


def test_a_request_to_modify_is_corrected_on_its_page(client: FlaskClient) -> None:
    numero = import_ok(client, zip_name=PIECES)[1]
    sign_in_gestionnaire(client)
    client.post(f"/gestion/demandes/{numero}/transition", data={"_csrf": csrf(client), "vers": "enCours"})
    client.post(
        f"/gestion/demandes/{numero}/transition",
        data={"_csrf": csrf(client), "vers": "aModifier", "motif": "SIRET du BDC différent"},
    )
    page = client.get(f"/espace/demandes/{numero}").get_data(as_text=True)
    assert "SIRET du BDC différent" in page and "Modifier la demande" in page
    bad = client.post(f"/espace/demandes/{numero}/modifier", data={"_csrf": csrf(client), "demande": "{ oups"})
    said = field_error(bad.get_data(as_text=True), "demande")
    assert bad.status_code == 422 and said.startswith("Le texte n'est pas un JSON valide : nom de champ entre"), said
    assert "expected" not in said  # the parser's reason in French
    request = client.get(f"/api/requests/{numero}", headers=_editor_headers(client)).json["demande"]  # type: ignore[index]
    ttc = SPEC.fields["amount_ttc"]
    original = example_requests(AVANCE)[1]["amount_ttc"]
    put(request, ttc.path, ttc.codec.write(100))  # 1 € TTC for its HT
    refused = client.post(
        f"/espace/demandes/{numero}/modifier", data={"_csrf": csrf(client), "demande": orjson.dumps(request).decode()}
    )
    assert refused.status_code == 422 and code("amount-ttc") in field_error(refused.get_data(as_text=True), "demande")
    put(request, ttc.path, ttc.codec.write(original))
    ok = client.post(
        f"/espace/demandes/{numero}/modifier", data={"_csrf": csrf(client), "demande": orjson.dumps(request).decode()}
    )
    assert ok.status_code == 302
    page = client.get(f"/espace/demandes/{numero}").get_data(as_text=True)
    assert f'id="statut-demande">{escape(SPEC.status("enCours"))}' in page


def _editor_headers(client: FlaskClient) -> dict[str, str]:
    token = client.post("/api/login", json={"login": "demo", "password": "demo-segur-2024"}).json["token"]  # type: ignore[index]
    return {"Authorization": f"Bearer {token}"}


def test_an_import_without_its_zip_is_announced_before_anything_is_stored(client: FlaskClient) -> None:
    """« Importer » without the zip: the form says the lines would be stored incomplete, and asks
    for the zip or a confirmation; nothing is stored until then."""
    asked = deposit(client, "importer", confirm_without_zip=False)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422 and stored(client) == []
    assert "Aucune archive de pièces choisie" in field_error(html, "pieces")
    assert SPEC.status("incomplete") in field_error(html, "pieces") and 'id="sansPieces"' in html
    confirmed = deposit(client, "importer")
    page = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    count = len(example_requests(AVANCE))
    assert f"{count} lignes : 0 acceptée, 0 rejetée, {count} incomplètes." in html_text(page)
    assert 'class="bilan bilan-attention"' in page and "bilan-succes" not in page  # not a green success
    assert "Aucune ligne n'est transmise à l'instruction" in html_text(page)
    done = client.post(confirmed.headers["Location"] + "/terminer", data={"_csrf": csrf(client)})
    assert done.headers["Location"] == "/espace/demandes-incompletes"
    said = flashes(client.get(done.headers["Location"]).get_data(as_text=True))
    assert said.startswith("Dépôt n° 1 terminé : aucune demande transmise à l'instruction ;"), said
    assert f"{count} demandes incomplètes attendent leurs pièces" in said


def test_missing_pieces_are_sent_from_the_incomplete_list(client: FlaskClient) -> None:
    """A refused piece is said next to the request's field, in French, and nothing is kept; the
    right one sends the request to instruction."""
    deposit(client, "importer")  # no zip
    numero = stored(client)[0]["numeroDemande"]
    piece = example_requests(AVANCE)[0]["pieces"][0][1]
    back = "/espace/demandes-incompletes"
    page = client.get(back).get_data(as_text=True)
    assert code("zip-absent") in html_text(page)  # why the import left it incomplete
    bad = client.post(
        f"/espace/demandes/{numero}/pieces",
        data={"_csrf": csrf(client), "retour": back, "pieces": (io.BytesIO(b"pas un pdf"), piece)},
    )
    said = field_error(bad.get_data(as_text=True), f"pieces-{numero}")
    assert bad.status_code == 422 and f"{piece} refusée : PDF illisible" in said and "Rien n'a été enregistré" in said
    none = client.post(f"/espace/demandes/{numero}/pieces", data={"_csrf": csrf(client), "retour": back})
    assert field_error(none.get_data(as_text=True), f"pieces-{numero}") == "Joignez au moins une pièce (PDF)."
    good = client.post(
        f"/espace/demandes/{numero}/pieces",
        data={"_csrf": csrf(client), "retour": back, "pieces": (io.BytesIO(pdf_document("BDC")), piece)},
    )
    waiting = SPEC.status("enAttente")
    assert f"statut « {waiting} »" in flashes(client.get(good.headers["Location"]).get_data(as_text=True))


def test_one_zip_completes_many_incomplete_requests_and_says_why_a_piece_is_refused(client: FlaskClient) -> None:
    deposit(client, "importer")  # no zip: every line incomplete
    requests = example_requests(AVANCE)
    numeros = [r["numeroDemande"] for r in stored(client)]
    names = sorted({name for request in requests for _role, name in request["pieces"]})
    broken = requests[-1]["pieces"][0][1]
    archive = io.BytesIO()
    from segur.generators.archive import write_zip

    members = [(name, b"%PDF-1.4 tronque" if name == broken else pdf_document(name)) for name in names]
    write_zip(archive, [*members, ("sans-rapport.pdf", pdf_document("autre"))])
    sent = client.post(
        "/espace/demandes-incompletes/archive",
        data={"_csrf": csrf(client), "archive": (io.BytesIO(archive.getvalue()), "pieces.zip")},
    )
    said = flashes(client.get(sent.headers["Location"]).get_data(as_text=True))
    assert "demandes complétées" in said or "demande complétée" in said, said
    assert f"pièce {broken} refusée : {code('attachment-unreadable')}" in said, said
    assert "1 fichier de l'archive ne correspond à aucune pièce manquante : sans-rapport.pdf." in said
    left = client.get("/espace/demandes-incompletes").get_data(as_text=True)
    waiting = [r for r in stored(client) if r["statut"] == SPEC.status("enAttente")]
    assert len(waiting) == sum(1 for r in requests if broken not in {n for _, n in r["pieces"]})
    assert {r["numeroDemande"] for r in waiting} <= set(numeros)
    assert f"{len(requests) - len(waiting)} demande" in html_text(left)
    empty = client.post("/espace/demandes-incompletes/archive", data={"_csrf": csrf(client)})
    assert field_error(empty.get_data(as_text=True), "archive") == "Choisissez l'archive zip des pièces manquantes."
    junk = client.post(
        "/espace/demandes-incompletes/archive",
        data={"_csrf": csrf(client), "archive": (io.BytesIO(b"pas un zip"), "pieces.zip")},
    )
    assert junk.status_code == 422 and "Archive refusée, rien n'a été enregistré" in field_error(
        junk.get_data(as_text=True), "archive"
    )


def test_another_editors_request_answers_404(app: Flask, client: FlaskClient) -> None:
    numero = import_ok(client, zip_name=PIECES)[0]
    api = app.test_client()
    enrolment = api.post("/api/enrolments", json=enrolment_form(email="autre@editeur.example")).json
    api.post(f"/admin/enrolments/{enrolment['id']}/decision", json={"vers": "validee"}, headers=admin_headers())  # type: ignore[index]
    mails = {m["objet"]: m["corps"] for m in api.get("/admin/mails", headers=admin_headers()).json["courriels"]}  # type: ignore[index]
    other = app.test_client()
    sign_in(other, *credentials(mails))
    assert other.get(f"/espace/demandes/{numero}").status_code == 404
    assert other.get(f"/espace/demandes/{numero}/documents/1").status_code == 404
    assert other.get("/espace/depots/1").status_code == 404
    modify = other.post(f"/espace/demandes/{numero}/modifier", data={"_csrf": csrf(other), "demande": "{}"})
    assert modify.status_code == 404
    assert "0 demande" in other.get("/espace/demandes").get_data(as_text=True)


def test_deposited_requests_are_searched_by_order_form_finess_or_establishment(client: FlaskClient) -> None:
    numbers = import_ok(client, zip_name=PIECES)  # in the file's order
    requests = example_requests(AVANCE)
    link = rf'<a href="/espace/demandes/({number_pattern(AVANCE)})"'

    def matching(field: str, value: str) -> set[str]:
        return {n for n, r in zip(numbers, requests, strict=True) if value.lower() in str(r.get(field, "")).lower()}

    searches = [("bdc_number", requests[1]["bdc_number"]), ("site_finess", requests[2]["site_finess"])]
    searches.append(("bdc_number", requests[1]["bdc_number"].lower()))  # case left aside
    if "site_name" in requests[0]:
        searches.append(("site_name", requests[0]["site_name"]))
    for field, words in searches:
        page = client.get("/espace/demandes", query_string={"q": words}).get_data(as_text=True)
        assert set(re.findall(link, page)) == matching(field, words), (field, words)
        assert f"pour « {escape(words)} »" in page
    nothing = client.get("/espace/demandes", query_string={"q": "100%_introuvable"}).get_data(as_text=True)
    assert re.findall(link, nothing) == [] and "0 demande pour" in nothing
    gestion = client.application.test_client()
    sign_in_gestionnaire(gestion)
    page = gestion.get("/gestion/demandes", query_string={"q": requests[1]["bdc_number"]}).get_data(as_text=True)
    found = re.findall(rf'<a href="/gestion/demandes/({number_pattern(AVANCE)})"', page)
    assert set(found) == matching("bdc_number", requests[1]["bdc_number"])
