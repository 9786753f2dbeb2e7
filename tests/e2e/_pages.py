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
