"""In the browser: the « Cas de rejet » page loads a case into the deposit form in one click; the
incomplete requests are announced on the home page and completed from « Suivi demandes
incomplètes »; every page fetches only from the portal and raises no browser error."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from segur.generators.cases import case_files, load_case

from tests._support.logical import code, example_requests
from tests._support.pages import ANS, AVANCE
from tests._support.paths import EXAMPLES, SPEC
from tests.e2e._live import Actor, Live, follow, screenshot
from tests.e2e._pages import fill_deposit, line_codes, sign_in, sign_in_gestionnaire

ACCEPTED = SPEC.accepted_code
#: the case of rule amount-ttc: its file name and content (its first variant fails line 1)
TTC_PATH = next(path for path in case_files(SPEC) if load_case(path)["rule"] == "amount-ttc")
TTC_CASE, TTC = TTC_PATH.stem, load_case(TTC_PATH)


def test_a_case_is_one_click_from_simuler(live: Live, actors: Any) -> None:
    editor: Actor = actors()
    sign_in(editor)
    page = editor.page
    follow(page.get_by_role("link", name="Cas de rejet"))
    assert TTC["variants"][0]["expect"]["lines"] == {"1": "amount-ttc"} and "lines" not in TTC["variants"][0]
    case = page.locator(f"#cas-{TTC_CASE}")
    assert TTC["title"] in case.inner_text()
    load = case.get_by_role("button", name=re.compile("variante 1,"))
    assert load.is_hidden()  # each case opens like an accordion
    case.locator("summary").click()
    screenshot(editor, "09-cas-de-rejet")
    follow(load)
    page.wait_for_url(re.compile(r"/espace/demande-de-financement$"))
    notice = page.locator("[aria-labelledby='titre-prepare']").inner_text()
    ttc = code("amount-ttc")
    assert ttc in notice and "pieces.zip" in notice
    assert page.get_by_label("Taux de TVA applicable").input_value() == "20"
    assert page.get_by_role("radio", name=re.compile("^Demande d.avance")).is_checked()
    assert page.get_by_label("Numéro ANS concerné par le dépôt").input_value() == ANS
    screenshot(editor, "09b-cas-charge")
    follow(page.get_by_role("button", name="Simuler", exact=True))
    count = len(example_requests(AVANCE))
    assert line_codes(editor) == [ttc, *[ACCEPTED] * (count - 1)]
    assert f"Fichier simulé : depot.json (cas {TTC_CASE})" in page.locator("main").inner_text()


def test_incomplete_requests_are_announced_then_completed(live: Live, actors: Any, tmp_path: Path) -> None:
    """Imported without its zip, every line is stored « En attente PJ », incomplete (code 3008); the home page says
    so; the missing order forms sent from « Suivi demandes incomplètes » send it to instruction."""
    editor: Actor = actors()
    sign_in(editor)
    page = editor.page
    assert page.locator("#notice-incompletes").count() == 0
    follow(page.get_by_role("link", name="Demande de financement").first)
    fill_deposit(editor, vat="20", kind="avance", ans=ANS, data=EXAMPLES / f"{AVANCE}.json", pieces=None)
    follow(page.get_by_role("button", name="Importer", exact=True))
    assert page.locator("#statut-import").inner_text() == "OK"
    count = len(example_requests(AVANCE))
    assert line_codes(editor) == [code("zip-absent")] * count
    follow(page.get_by_role("button", name="Terminer"))
    follow(page.get_by_role("link", name="Accueil"))
    assert f"{count} demandes incomplètes" in page.locator("[aria-labelledby='notice-incompletes']").inner_text()
    follow(page.get_by_role("link", name="Suivi demandes incomplètes").first)
    with zipfile.ZipFile(EXAMPLES / f"{AVANCE}.zip") as archive:
        archive.extractall(tmp_path)
    first = page.locator("section.carte").first
    missing = first.locator("code").first.inner_text()
    first.get_by_label(re.compile("^Pièces à envoyer")).set_input_files(str(tmp_path / missing))
    follow(first.get_by_role("button", name="Envoyer les pièces"))
    assert f"statut « {SPEC.status('enAttente')} »" in page.locator(".annonces").inner_text()
    assert page.locator("section.carte").count() == count - 1


def test_every_page_fetches_only_from_the_portal_without_browser_errors(live: Live, actors: Any) -> None:
    editor: Actor = actors()
    errors: list[str] = []
    editor.page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    editor.page.on("pageerror", lambda error: errors.append(str(error)))
    for path in ("/", "/connexion", "/enrolement/referencement", "/cas", "/gestion/connexion"):
        editor.go(path)
    sign_in(editor)
    sign_in_gestionnaire(editor)
    for path in (
        "/espace",
        "/espace/demande-de-financement",
        "/espace/demandes",
        "/espace/demandes-incompletes",
        "/espace/enrolement-complementaire",
        "/gestion",
        "/gestion/enrolements",
        "/gestion/demandes",
        "/gestion/courriels",
    ):
        editor.go(path)
        assert editor.page.locator("h1").count() == 1, path
    stylesheet = f"{live.url}/static/portail.css"
    assert stylesheet in editor.fetched, editor.fetched
    assert not editor.foreign(), editor.foreign()
    assert errors == [], errors
