"""« Effectuer ma demande d'enrôlement » through Flask's test client: each step shows the portal's
errors on its own fields (the checks of ``Portal.enrol``, not a copy), the draft and its pieces
wait between steps, « Terminer » deposits the whole form; complementary enrolment."""

from __future__ import annotations

import io
import re
from html import escape
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from segur.generators.pdf import pdf_document

from tests._support.logical import enrollable_ans, example_ans, other_profile, workflow_label
from tests._support.pages import csrf, field_error, flashes, html_text, sign_in
from tests._support.paths import SPEC
from tests._support.portal import admin_headers

PDF = pdf_document("Pièce", ["pièce d'enrôlement de test"])
#: ANS numbers of the référentiel's form no solution has: for the first avance profile's software,
#: for another software (twice)
NEW_ANS, OTHER_ANS, OTHER_ANS_2 = (
    enrollable_ans(),
    enrollable_ans(other_profile(), 2),
    enrollable_ans(other_profile(), 3),
)
OTHER_SOFTWARE = SPEC.profiles[other_profile()].type_logiciel


def dsr_of(number: str) -> str:
    """The DSR the référentiel gives a number of its patterns."""
    entry = next(e for e in SPEC.referencement()["patterns"] if re.fullmatch(e["pattern"], number))
    found: str = entry["dsr"]
    return found


def step(client: FlaskClient, name: str, action: str = "suivant", **fields: Any) -> tuple[int, str, str | None]:
    """POST one step; (status, page shown after, where it redirected)."""
    form: dict[str, Any] = {"_csrf": csrf(client), "action": action}
    for key, value in fields.items():
        form[key] = (io.BytesIO(value), f"{key}.pdf") if isinstance(value, bytes) else value
    response = client.post(f"/enrolement/{name}", data=form)
    if response.status_code == 302:
        return 302, client.get(response.headers["Location"]).get_data(as_text=True), response.headers["Location"]
    return response.status_code, response.get_data(as_text=True), None


def captcha(html: str) -> str:
    found = re.search(r'id="captcha-code">(\w+)<', html)
    assert found
    return found.group(1)


STRUCTURE = {
    "siret": "44306184100047",
    "raisonSociale": "Logiciels du Centre SAS",
    "nomCommercial": "LogiCentre",
    "adresse-typeVoie": "RUE",
    "adresse-libelleVoie": "de la Gare",
    "adresse-codePostal": "45000",
    "adresse-commune": "Orléans",
}
PERSON = {
    "representant-nom": "Durand",
    "representant-prenom": "Alex",
    "representant-email": "direction@logicentre.example",
    "representant-emailConfirmation": "direction@logicentre.example",
    "representant-telephone": "02 38 00 00 00",
}


def through_structure(client: FlaskClient) -> str:
    step(client, "referencement", numeroAns=OTHER_ANS, certificat=PDF)
    page = client.get("/enrolement/structure").get_data(as_text=True)
    _, page, where = step(client, "structure", captchaStructure=captcha(page), **STRUCTURE)
    assert where == "/enrolement/representant", page
    return page


def test_a_step_cannot_be_skipped_and_shows_its_own_errors(client: FlaskClient) -> None:
    assert client.get("/enrolement").headers["Location"] == "/enrolement/referencement"
    assert client.get("/enrolement/banque").headers["Location"] == "/enrolement/referencement"
    status, page, _ = step(client, "referencement", numeroAns="AN")
    assert status == 422
    assert field_error(page, "numeroAns") == "Au moins 4 caractères."
    assert field_error(page, "certificat") == "Pièce obligatoire : déposez ce fichier (PDF, 3 Mo au plus)."
    assert 'id="siret"' not in page  # nothing of the later steps
    status, page, _ = step(client, "referencement", action="rechercher", numeroAns=OTHER_ANS)
    assert status == 200 and f'value="{escape(dsr_of(OTHER_ANS))}"' in page
    status, page, where = step(client, "referencement", certificat=b"pas un pdf")
    assert status == 422 and field_error(page, "certificat").startswith("PDF illisible")
    assert "Fichier déposé" not in page  # a refused file is not kept: the field asks for one again
    assert "Fichier déposé" not in client.get("/enrolement/referencement").get_data(as_text=True)
    status, page, where = step(client, "referencement", certificat=PDF)
    assert where == "/enrolement/structure"
    assert "Fichier déposé : <strong>certificat.pdf</strong>" in client.get("/enrolement/referencement").get_data(
        as_text=True
    )


def test_structure_lookup_captcha_and_kbis_when_the_denomination_changes(client: FlaskClient) -> None:
    step(client, "referencement", numeroAns=NEW_ANS, certificat=PDF)
    page = client.get("/enrolement/structure").get_data(as_text=True)
    status, page, _ = step(client, "structure", action="rechercher", captchaStructure="XXXXX", siret="73282932000074")
    assert (
        status == 422
        and field_error(page, "captchaStructure") == "Recopiez les caractères affichés au-dessus du champ."
    )
    status, page, _ = step(
        client, "structure", action="rechercher", captchaStructure=captcha(page), siret="73282932000074"
    )
    assert 'value="Éditeur de démonstration"' in page  # the structure already known to the portal (model)
    fields = {**STRUCTURE, "siret": "73282932000074", "raisonSociale": "Éditeur renommé SAS"}
    status, page, _ = step(client, "structure", captchaStructure=captcha(page), **fields)
    assert status == 422 and "Pièce obligatoire" in field_error(page, "kbis")
    status, page, where = step(client, "structure", captchaStructure=captcha(page), kbis=PDF, **fields)
    assert where == "/enrolement/representant"


def test_person_bank_and_vat_steps_check_what_the_portal_checks(client: FlaskClient) -> None:
    through_structure(client)
    status, page, _ = step(client, "representant", **PERSON)
    assert status == 422 and field_error(page, "estRepresentant").startswith("Indiquez si")
    person = {**PERSON, "representant-email": "pas-une-adresse", "representant-telephone": "12"}
    status, page, _ = step(client, "representant", estRepresentant="oui", **person)
    assert field_error(page, "representant-email") == "Format non reconnu (exemple : prenom.nom@domaine.fr)."
    assert field_error(page, "representant-telephone") == "Format invalide."
    # the confirmation that differs is said in the same round as the phone's format
    person = {**PERSON, "representant-emailConfirmation": "autre@editeur.example", "representant-telephone": "12"}
    status, page, _ = step(client, "representant", estRepresentant="oui", **person)
    assert field_error(page, "representant-telephone") == "Format invalide."
    assert field_error(page, "representant-emailConfirmation").startswith("Ne reprend pas l'adresse saisie")
    assert "Pièce obligatoire" in field_error(page, "representant-piece")
    third = {
        "tiersDeclarant-nom": "Petit",
        "tiersDeclarant-prenom": "Sam",
        "tiersDeclarant-email": "sam@centre.example",
        "tiersDeclarant-emailConfirmation": "sam@centre.example",
        "tiersDeclarant-telephone": "0238000000",
        "tiersDeclarant-qualite": "centreDeGestion",
    }
    status, page, _ = step(
        client, "representant", estRepresentant="non", **PERSON, **third, **{"representant-piece": PDF}
    )
    assert "Pièce obligatoire" in field_error(page, "tiersDeclarant-piece")
    assert "Pièce obligatoire" in field_error(page, "tiersDeclarant-justificatif")  # the contrat de prestation
    status, page, where = step(
        client, "representant", **{"tiersDeclarant-piece": PDF, "tiersDeclarant-justificatif": PDF}
    )
    assert where == "/enrolement/banque", page
    status, page, _ = step(client, "banque", **{"banque-iban": "FR7630006000011234567890189", "banque-bic": "BNPAFRPP"})
    assert status == 422 and "Pièce obligatoire" in field_error(page, "rib")
    assert 'value="Établissement BNPA, pays FR, agence principale"' in page  # BIC branch XXX: the main office
    status, page, where = step(client, "banque", rib=PDF)
    assert where == "/enrolement/tva"
    status, page, where = step(client, "tva", regimeTva="TTC")
    assert where == "/enrolement/recapitulatif"
    recap = html_text(page)
    assert "Non : tiers déclarant" in recap and "Centre de gestion" in recap and "sam@centre.example" in recap


def test_terminer_deposits_the_enrolment_and_forgets_the_draft(app: Flask, client: FlaskClient) -> None:
    through_structure(client)
    step(client, "representant", estRepresentant="oui", **PERSON, **{"representant-piece": PDF})
    step(client, "banque", **{"banque-iban": "FR7630006000011234567890189", "banque-bic": "BNPAFRPPXXX"}, rib=PDF)
    status, page, _ = step(client, "tva", regimeTva="TTC")
    status, page, _ = step(client, "recapitulatif", action="terminer", captcha="faux")
    assert status == 422
    assert field_error(page, "engagements-exactitude") == "Cochez cette case pour continuer."
    assert field_error(page, "captcha") == "Recopiez les caractères affichés au-dessus du champ."
    assert client.get("/admin/enrolments?statut=deposee", headers=admin_headers()).json["enrolements"] == []  # type: ignore[index]
    done = client.post(
        "/enrolement/recapitulatif",
        data={
            "_csrf": csrf(client),
            "action": "terminer",
            "engagements-exactitude": "oui",
            "engagements-conditions": "oui",
            "captcha": captcha(page).lower(),
        },
    )
    html = done.get_data(as_text=True)
    assert done.status_code == 201 and "Demande d'enrôlement déposée" in html
    enrolments = client.get("/admin/enrolments?statut=deposee", headers=admin_headers()).json["enrolements"]  # type: ignore[index]
    assert [(e["numeroAns"], e["statut"], e["typeLogiciel"]) for e in enrolments] == [
        (OTHER_ANS, workflow_label("enrolment", "deposee"), OTHER_SOFTWARE)
    ]
    assert {p["nature"] for p in enrolments[0]["pieces"]} == {"CERTIFICAT_ANS", "PIECE_IDENTITE_REPRESENTANT", "RIB"}
    mails = client.get("/admin/mails", headers=admin_headers()).json["courriels"]  # type: ignore[index]
    assert [m["objet"] for m in mails] == ["Accusé de réception de votre demande d'enrôlement"]
    assert client.get("/enrolement/tva").headers["Location"] == "/enrolement/referencement"  # a new draft


def test_complementary_enrolment_from_the_editors_space(client: FlaskClient) -> None:
    sign_in(client)
    token = csrf(client)
    search = client.post(
        "/espace/enrolement-complementaire", data={"_csrf": token, "action": "rechercher", "numeroAns": "ANS-XX"}
    )
    assert field_error(search.get_data(as_text=True), "numeroAns").startswith(
        "« ANS-XX » est inconnu du référentiel de l'ANS"
    )
    taken = client.post(
        "/espace/enrolement-complementaire",
        data={"_csrf": token, "numeroAns": example_ans(), "certificat": (io.BytesIO(PDF), "c.pdf")},
    )
    assert "déjà enrôlé" in field_error(taken.get_data(as_text=True), "numeroAns")
    none = client.post("/espace/enrolement-complementaire", data={"_csrf": token, "numeroAns": OTHER_ANS_2})
    assert field_error(none.get_data(as_text=True), "certificat").startswith("Déposez le certificat")
    done = client.post(
        "/espace/enrolement-complementaire",
        data={"_csrf": token, "numeroAns": OTHER_ANS_2, "certificat": (io.BytesIO(PDF), "c.pdf")},
    )
    home = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Demande d'enrôlement complémentaire n°" in flashes(home)
    assert OTHER_ANS_2 in home and "(complémentaire)" in home
