"""What the browser tests do often on the portal's pages: sign in, deposit, instruct."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e._live import ADMIN, Actor, follow

DEMO = ("demo", "demo-segur-2024")


def sign_in(actor: Actor, login: str = DEMO[0], password: str = DEMO[1]) -> None:
    actor.go("/")
    follow(actor.page.get_by_role("link", name="Se connecter").first)
    actor.page.get_by_label("Identifiant").fill(login)
    actor.page.get_by_label("Mot de passe").fill(password)
    follow(actor.page.get_by_role("button", name="Se connecter"))
    actor.page.wait_for_url(re.compile(r"/espace$"))


def sign_in_gestionnaire(actor: Actor) -> None:
    actor.go("/gestion")
    actor.page.get_by_label("Jeton gestionnaire").fill(ADMIN)
    follow(actor.page.get_by_role("button", name="Entrer"))
    actor.page.wait_for_url(re.compile(r"/gestion$"))


def fill_deposit(actor: Actor, *, vat: str, kind: str, ans: str | None, data: Path | None, pieces: Path | None) -> None:
    """The « Demande de financement » form, as the seed's slide 16 fills it."""
    page = actor.page
    page.get_by_label("Taux de TVA applicable").select_option(vat)
    page.get_by_role("radio", name=re.compile(rf"^Demande {'d.avance' if kind == 'avance' else 'de solde'}")).check()
    if ans is not None:
        page.get_by_label("Numéro ANS concerné par le dépôt").select_option(ans)
    if data is not None:
        page.get_by_label("Fichier JSON des demandes").set_input_files(str(data))
    if pieces is not None:
        page.get_by_label(re.compile("^Pièces justificatives : archive zip")).set_input_files(str(pieces))


def line_codes(actor: Actor) -> list[str]:
    """The codetraitement of each line of the answer shown."""
    cells = actor.page.locator("table.lignes tbody tr td.code")
    return [text.strip() for text in cells.all_inner_texts()]


def move(actor: Actor, numero: str, verb: str, motif: str | None = None) -> str:
    """The gestionnaire moves a request by one button of its page; the status shown after."""
    actor.go(f"/gestion/demandes/{numero}")
    form = actor.page.locator("form", has=actor.page.get_by_role("button", name=re.compile(f"^{re.escape(verb)}")))
    if form.count() != 1:
        shown = actor.page.locator("main").inner_text()
        raise AssertionError(f"Expected: one button « {verb} » on {actor.page.url}. Received: {shown[:1500]}")
    if motif is not None:
        form.get_by_label(re.compile("^Motif")).fill(motif)
    follow(form.get_by_role("button"))
    actor.page.wait_for_load_state()
    return actor.page.locator("#statut-demande").inner_text()


def enrol(actor: Actor, pieces: dict[str, Path], *, ans: str, siret: str, email: str, company: str) -> str:
    """« Effectuer ma demande d'enrôlement » through its steps without an error (the representative
    files it); the enrolment number the confirmation gives."""
    page = actor.page
    actor.go("/")
    follow(page.get_by_role("link", name="Effectuer ma demande d'enrôlement"))
    page.get_by_label("Numéro unique de référencement ANS").fill(ans)
    page.get_by_label(re.compile("^Certificat de référencement")).set_input_files(str(pieces["certificat"]))
    follow(page.get_by_role("button", name="Étape suivante"))
    page.get_by_label("Code de vérification").fill(page.locator("#captcha-code").inner_text())
    page.get_by_label("Numéro SIRET").fill(siret)
    page.get_by_label("Dénomination sociale").fill(company)
    page.get_by_label("Nom commercial").fill(company.split()[0])
    page.get_by_label("Type de voie").select_option("ALLEE")
    page.get_by_label("Libellé de la voie").fill("des Formateurs")
    page.get_by_label("Code postal").fill("69003")
    page.get_by_label("Commune").fill("Lyon")
    follow(page.get_by_role("button", name="Étape suivante"))
    page.get_by_label("Oui, je suis le représentant légal").check()
    page.get_by_label(re.compile("^Nom du représentant")).fill("Bernard")
    page.get_by_label(re.compile("^Prénom du représentant")).fill("Dominique")
    page.get_by_label(re.compile("^Adresse électronique du représentant")).fill(email)
    page.get_by_label(re.compile("^Confirmation de l’adresse électronique du représentant")).fill(email)
    page.get_by_label(re.compile("^Téléphone du représentant")).fill("04 72 00 00 00")
    page.get_by_label(re.compile("^Pièce d’identité du représentant")).set_input_files(str(pieces["cni-representant"]))
    follow(page.get_by_role("button", name="Étape suivante"))
    page.get_by_label(re.compile("^IBAN")).fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label(re.compile("^BIC")).fill("BNPAFRPPXXX")
    page.get_by_label(re.compile("^RIB")).set_input_files(str(pieces["rib"]))
    follow(page.get_by_role("button", name="Étape suivante"))
    page.get_by_label("Assujetti à la TVA : montants TTC").check()
    follow(page.get_by_role("button", name="Étape suivante"))
    page.get_by_label(re.compile("^J’atteste sur l’honneur")).check()
    page.get_by_label(re.compile("^J’ai pris connaissance")).check()
    page.get_by_label("Code de vérification").fill(page.locator("#captcha-code").inner_text())
    follow(page.get_by_role("button", name="Terminer"))
    page.get_by_role("heading", name="Demande d'enrôlement déposée").wait_for()
    number: str = page.locator("#numero-enrolement").inner_text()
    return number
