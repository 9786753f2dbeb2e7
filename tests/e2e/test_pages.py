"""In the browser, every main page of the portal, filled as a session leaves it (requests deposited,
incomplete, paid, an enrolment to instruct, a case loaded and simulated): axe-core finds no
violation, no page is wider than the window (1 280 px, then a 375 px phone: tables scroll in their
own area), numbers, references and dates keep to one line, nothing is fetched from another origin,
no browser error; a screenshot of each goes to build/e2e-screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests._support.logical import first_profile
from tests._support.portal import enrolment_form
from tests.e2e._data import Api, generate
from tests.e2e._live import Actor, Live, audit, follow, screenshot, wide
from tests.e2e._pages import sign_in, sign_in_gestionnaire

#: every accordion open (a request's), or the first one only (the 57 cases of « Cas de rejet »)
OPEN_ACCORDIONS = """() => { const all = [...document.querySelectorAll('details')];
  (all.length > 10 ? all.slice(0, 1) : all).forEach(d => { d.open = true; }); }"""


def filled(live: Live, folder: Path) -> dict[str, Any]:
    """The portal as a session leaves it: the first avance example imported with its zip (one request
    paid, one « À modifier »), a generated bundle of 60 imported without (incomplete, two pages), an
    enrolment deposited for the gestionnaire."""
    api = Api(live)
    numbers = api.import_example(first_profile())
    api.move(numbers[0], "enCours", "validee", "decidee", "payee")
    api.move(numbers[1], "enCours", "aModifier")
    incomplete = api.import_bundle(generate(folder, seed=5, count=60), with_zip=False)
    api.enrol(enrolment_form(email="dsi@editeur-en-attente.example"))
    return {"paid": numbers[0], "modify": numbers[1], "incomplete": incomplete[0]}


def main_pages(state: dict[str, Any]) -> list[tuple[str, str]]:
    """(screenshot name, path) of every main page, signed in as the demo editor and as the gestionnaire."""
    return [
        ("20-accueil-public", "/"),
        ("21-connexion", "/connexion"),
        ("22-enrolement", "/enrolement/referencement"),
        ("23-cas-de-rejet", "/cas"),
        ("24-espace-editeur", "/espace"),
        ("25-demande-de-financement", "/espace/demande-de-financement"),
        ("26-import", "/espace/depots/1"),
        ("27-demandes-deposees", "/espace/demandes"),
        ("28-demandes-incompletes", "/espace/demandes-incompletes"),
        ("29-demande-payee", f"/espace/demandes/{state['paid']}"),
        ("30-demande-a-modifier", f"/espace/demandes/{state['modify']}"),
        ("31-enrolement-complementaire", "/espace/enrolement-complementaire"),
        ("32-gestion-tableau-de-bord", "/gestion"),
        ("33-gestion-enrolements", "/gestion/enrolements"),
        ("34-gestion-demandes", "/gestion/demandes"),
        ("35-gestion-demande", f"/gestion/demandes/{state['paid']}"),
        ("36-gestion-courriels", "/gestion/courriels"),
    ]


def test_every_main_page_passes_axe_fits_the_window_and_fetches_only_from_the_portal(
    live: Live, actors: Any, tmp_path: Path
) -> None:
    state = filled(live, tmp_path)
    visitor: Actor = actors()
    errors: list[str] = []
    visitor.page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    visitor.page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(visitor)
    sign_in_gestionnaire(visitor)
    for name, path in main_pages(state):
        visitor.go(path)
        assert visitor.page.locator("h1").count() == 1, path
        visitor.page.evaluate(OPEN_ACCORDIONS)
        audit(visitor, name)
    # a case loaded and simulated: the form with its notice, the answer and the comparison
    visitor.go("/cas")
    case = visitor.page.locator("details.cas").first
    case.locator("summary").click()
    follow(case.get_by_role("button", name=re.compile("^Charger")).first)
    follow(visitor.page.get_by_role("button", name="Simuler", exact=True))
    assert visitor.page.locator("#comparaison-cas").is_visible()
    audit(visitor, "37-cas-simule")
    stylesheet = f"{live.url}/static/portail.css"
    assert stylesheet in visitor.fetched, visitor.fetched
    assert not visitor.foreign(), visitor.foreign()
    assert errors == [], errors


def test_on_a_375_px_phone_no_page_is_wider_than_the_screen(live: Live, actors: Any, tmp_path: Path) -> None:
    """Every main page on a phone: its tables scroll inside their own area, the page never does."""
    state = filled(live, tmp_path)
    phone: Actor = actors(width=375, height=812)
    sign_in(phone)
    sign_in_gestionnaire(phone)
    too_wide = []
    for name, path in main_pages(state):
        phone.go(path)
        phone.page.evaluate(OPEN_ACCORDIONS)
        size = wide(phone)
        if size["page"] > size["window"]:
            too_wide.append(f"{path}: {size['page']} px")
        screenshot(phone, f"375-{name}")
    assert too_wide == [], f"Expected: no page wider than 375 px. Received: {too_wide}"
    # the table of deposited requests scrolls in its own area, which the keyboard reaches
    phone.go("/espace/demandes")
    area = phone.page.locator(".defilement").first
    scroll = area.evaluate("el => ({inner: el.scrollWidth, outer: el.clientWidth, tab: el.tabIndex})")
    assert scroll["inner"] > scroll["outer"] and scroll["tab"] == 0, scroll
