"""In the browser, as the seed's slides 26 to 37 show it: « Effectuer ma demande d'enrôlement »
through its steps with the errors the portal shows on each, « Terminer », then the
gestionnaire's validation, the credentials read in the outbox, and a login made with the
keyboard only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from segur.generators.pdf import pdf_document

from tests._support.logical import enrollable_ans, first_profile, workflow_label
from tests._support.paths import SPEC
from tests.e2e._live import Actor, Live, audit, follow, screenshot
from tests.e2e._pages import sign_in_gestionnaire

NEW_ANS = enrollable_ans(first_profile(), serial=1)
VALIDATED = workflow_label("enrolment", "validee")


def dsr_of(number: str) -> str:
    """The DSR the référentiel gives a number of its patterns."""
    entry = next(e for e in SPEC.referencement()["patterns"] if re.fullmatch(e["pattern"], number))
    found: str = entry["dsr"]
    return found


DEPOSITAIRE = "depositaire@centre-gestion.example"


def pieces(folder: Path) -> dict[str, Path]:
    made = {}
    for name in ("certificat", "cni-representant", "cni-depositaire", "mandat", "rib", "attestation-tva"):
        path = folder / f"{name}.pdf"
        path.write_bytes(pdf_document(f"Pièce {name}", ["pièce d'enrôlement de test"]))
        made[name] = path
    return made


def errors_of(actor: Actor, field: str) -> str:
    """The error tied to a field: its text, found through the field's aria-describedby."""
    control = actor.page.locator(f"#{field}")
    described = control.get_attribute("aria-describedby") or ""
    assert f"{field}-erreur" in described.split(), f"Expected: #{field} described by its error. Received: {described!r}"
    assert control.get_attribute("aria-invalid") == "true"
    return actor.page.locator(f"#{field}-erreur").inner_text()


def next_step(actor: Actor, title: str) -> None:
    follow(actor.page.get_by_role("button", name="Étape suivante"))
    actor.page.get_by_role("heading", name=re.compile(f": {re.escape(title)}$")).wait_for()


def test_enrolment_in_its_steps_then_validation_and_keyboard_login(live: Live, actors: Any, tmp_path: Path) -> None:
    files = pieces(tmp_path)
    visitor: Actor = actors()
    visitor.go("/")
    page = visitor.page
    screenshot(visitor, "01-accueil-public")
    follow(page.get_by_role("link", name="Effectuer ma demande d'enrôlement"))

    # 1. Référencement: « Rechercher » on an unknown number, then a known one fills the DSR
    page.get_by_label("Numéro unique de référencement ANS").fill("ANS-INCONNU-1")
    follow(page.get_by_role("button", name="Rechercher"))
    assert "inconnu du référentiel" in errors_of(visitor, "numeroAns")
    page.get_by_label("Numéro unique de référencement ANS").fill(NEW_ANS)
    follow(page.get_by_role("button", name="Rechercher"))
    assert page.get_by_label("DSR").input_value() == dsr_of(NEW_ANS)
    # a file that is not a PDF is refused and not kept: the field asks for one again
    not_pdf = tmp_path / "certificat.txt"
    not_pdf.write_text("pas un PDF")
    page.get_by_label(re.compile("^Certificat de référencement")).set_input_files(str(not_pdf))
    follow(page.get_by_role("button", name="Étape suivante"))
    assert errors_of(visitor, "certificat").startswith("PDF illisible")
    assert page.locator("#certificat-actuel").count() == 0 and "Fichier déposé" not in page.locator("main").inner_text()
    page.get_by_label(re.compile("^Certificat de référencement")).set_input_files(str(files["certificat"]))
    audit(visitor, "02a-enrolement-referencement")
    next_step(visitor, "Demandeur : personne morale")

    # 2. Structure: the captcha, a SIRET whose key is wrong, then the form
    page.get_by_label("Code de vérification").fill(page.locator("#captcha-code").inner_text())
    page.get_by_label("Numéro SIRET").fill("44306184100048")
    follow(page.get_by_role("button", name="Rechercher"))
    assert errors_of(visitor, "siret") == "Clé de contrôle incorrecte : vérifiez les 14 chiffres."
    page.get_by_label("Numéro SIRET").fill("44306184100047")
    follow(page.get_by_role("button", name="Rechercher"))
    assert "structure inconnue du portail simulé" in page.locator("main").inner_text()
    page.get_by_label("Dénomination sociale").fill("Logiciels du Centre SAS")
    page.get_by_label("Nom commercial").fill("LogiCentre")
    page.get_by_label("Numéro de voie").fill("4")
    page.get_by_label("Type de voie").select_option("AVENUE")
    page.get_by_label("Libellé de la voie").fill("de la Gare")
    page.get_by_label("Code postal").fill("4500")
    page.get_by_label("Commune").fill("Orléans")
    follow(page.get_by_role("button", name="Étape suivante"))
    assert errors_of(visitor, "adresse-codePostal") == "Format invalide."
    page.get_by_label("Code postal").fill("45000")
    next_step(visitor, "Demandeur : personne physique")

    # 3. Representative and dépositaire (third-party filing): the dépositaire's fields appear
    depositaire = page.locator("fieldset.tiers")
    assert depositaire.is_hidden()
    page.get_by_label("Non, je dépose pour lui (tiers déclarant)").check()
    assert depositaire.is_visible()
    for who, name, mail in (
        ("représentant", "Durand", "direction@logicentre.example"),
        ("dépositaire", "Petit", DEPOSITAIRE),
    ):
        page.get_by_label(re.compile(f"^Nom du {who}")).fill(name)
        page.get_by_label(re.compile(f"^Prénom du {who}")).fill("Alex")
        page.get_by_label(re.compile(f"^Adresse électronique du {who}")).fill(mail)
        page.get_by_label(re.compile(f"^Confirmation de l’adresse électronique du {who}")).fill(mail)
        page.get_by_label(re.compile(f"^Téléphone du {who}")).fill("02 38 00 00 00")
    page.get_by_label("Confirmation de l’adresse électronique du représentant").fill("autre@logicentre.example")
    page.get_by_label(re.compile("^Pièce d’identité du représentant")).set_input_files(str(files["cni-representant"]))
    page.get_by_label(re.compile("^Pièce d’identité du dépositaire")).set_input_files(str(files["cni-depositaire"]))
    page.get_by_label(re.compile("^Employé du fournisseur")).check()
    page.get_by_label(re.compile("^Contrat de prestation")).set_input_files(str(files["mandat"]))
    follow(page.get_by_role("button", name="Étape suivante"))
    assert errors_of(visitor, "representant-emailConfirmation").startswith("Ne reprend pas l'adresse saisie")
    page.get_by_label("Confirmation de l’adresse électronique du représentant").fill("direction@logicentre.example")
    next_step(visitor, "Coordonnées bancaires")

    # 4. Bank details: an IBAN whose key is wrong, then the RIB; the domiciliation is derived
    page.get_by_label(re.compile("^IBAN")).fill("FR76 3000 6000 0112 3456 7890 188")
    page.get_by_label(re.compile("^BIC")).fill("BNPAFRPPXXX")
    page.get_by_label(re.compile("^RIB")).set_input_files(str(files["rib"]))
    follow(page.get_by_role("button", name="Étape suivante"))
    said = errors_of(visitor, "banque-iban")
    assert said.startswith("Clé de contrôle ou longueur incorrecte") and "IBAN" not in said  # not its own label
    page.get_by_label(re.compile("^IBAN")).fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label(re.compile("^IBAN")).press("Enter")  # Enter in a field goes forward, not back
    page.get_by_role("heading", name=re.compile(": Taux de TVA$")).wait_for()

    # 5. VAT: the HT regime needs the attestation de non-assujettissement
    page.get_by_label("Non assujetti à la TVA : régime HT").check()
    follow(page.get_by_role("button", name="Étape suivante"))
    assert "Pièce obligatoire" in errors_of(visitor, "attestationTva")
    page.get_by_label(re.compile("^Attestation de non-assujettissement")).set_input_files(str(files["attestation-tva"]))
    next_step(visitor, "Récapitulatif et finalisation")

    # 6. Recap: the checkboxes and the captcha, then « Terminer »
    recap = page.locator("main").inner_text()
    assert "Logiciels du Centre SAS" in recap and "Établissement BNPA" in recap and "mandat.pdf" in recap
    assert "agence principale" in recap and "agence XXX" not in recap  # the domiciliation of a main office
    assert "4 avenue de la Gare" in recap  # the type of street as written in an address, not « AVENUE »
    follow(page.get_by_role("button", name="Terminer"))
    assert "Cochez cette case" in errors_of(visitor, "engagements-exactitude")
    assert errors_of(visitor, "captcha") == "Recopiez les caractères affichés au-dessus du champ."
    # the error summary, far down the recap, has the focus (and so is in view)
    summary = page.locator(".resume-erreurs").first
    assert summary.evaluate("el => el === document.activeElement")
    assert summary.evaluate("el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }")
    page.get_by_label(re.compile("^J’atteste sur l’honneur")).check()
    page.get_by_label(re.compile("^J’ai pris connaissance")).check()
    page.get_by_label("Code de vérification").fill(page.locator("#captcha-code").inner_text())
    audit(visitor, "02b-enrolement-recapitulatif")
    follow(page.get_by_role("button", name="Terminer"))
    page.get_by_role("heading", name="Demande d'enrôlement déposée").wait_for()
    enrolment = page.locator("#numero-enrolement").inner_text()
    assert re.fullmatch(r"ENR-\d{6}", enrolment), enrolment
    assert DEPOSITAIRE in page.locator("main").inner_text()
    audit(visitor, "02c-enrolement-confirmation")

    # the gestionnaire validates it; the credentials go to the dépositaire by two mails
    gestionnaire: Actor = actors()
    sign_in_gestionnaire(gestionnaire)
    follow(gestionnaire.page.get_by_role("link", name="Enrôlements", exact=True))
    card = gestionnaire.page.locator(
        "section", has=gestionnaire.page.get_by_role("heading", name=re.compile(f"^Enrôlement n° {enrolment} "))
    )
    shown = card.inner_text()
    for expected in (
        workflow_label("enrolment", "deposee"),
        "Logiciels du Centre SAS (LogiCentre)",  # the company
        "4 avenue de la Gare, 45000 Orléans",
        "Alex Durand — direction@logicentre.example",  # the people
        f"Alex Petit — {DEPOSITAIRE}",
        "Mandat du représentant légal",  # the pieces, by their names, with links
        "Attestation de non-assujettissement à la TVA",
    ):
        assert expected in shown, (expected, shown)
    assert "MANDAT" not in shown and "ATTESTATION_NON" not in shown  # no raw code
    with gestionnaire.page.expect_download() as certificate:
        card.get_by_role("link", name="Certificat de référencement ANS").click()
    assert certificate.value.suggested_filename == "certificat.pdf"
    audit(gestionnaire, "12-gestionnaire-enrolements")
    follow(card.get_by_role("button", name=re.compile("^Valider l'enrôlement")))
    said = gestionnaire.page.locator(".annonces").inner_text()
    assert f"Enrôlement n° {enrolment} : statut « {VALIDATED} »" in said, said
    follow(gestionnaire.page.get_by_role("link", name="Courriels envoyés"))
    outbox = gestionnaire.page.locator("main").inner_text()
    assert f"Votre enrôlement est validé sous le numéro {enrolment}" in outbox  # one number, everywhere
    assert outbox.count("Bonjour,") >= 4 and live.url in outbox
    audit(gestionnaire, "13-gestionnaire-courriels")
    login = re.search(r"Identifiant : (\S+)", outbox)
    password = re.search(r"Mot de passe : (\S+)", outbox)
    assert login and password, outbox

    # the new editor signs in with the keyboard only
    editor: Actor = actors()
    editor.go("/connexion")
    keyboard_to(editor, "identifiant")
    editor.page.keyboard.type(login.group(1))
    editor.page.keyboard.press("Tab")
    assert editor.page.evaluate("document.activeElement.id") == "motDePasse"
    editor.page.keyboard.type(password.group(1))
    editor.page.keyboard.press("Enter")
    editor.page.wait_for_url(re.compile(r"/espace$"))
    row = editor.page.locator("table.tableau tbody tr", has_text=NEW_ANS)
    software = SPEC.profiles[first_profile()].type_logiciel
    assert VALIDATED in row.inner_text() and software in row.inner_text()


def keyboard_to(actor: Actor, field: str, presses: int = 40) -> None:
    """Tab from the top of the page until ``field`` has the focus (a bounded number of presses)."""
    for _ in range(presses):
        actor.page.keyboard.press("Tab")
        if actor.page.evaluate("document.activeElement && document.activeElement.id") == field:
            return
    raise AssertionError(f"Expected: #{field} reachable with Tab. Received: not focused after {presses} presses")
