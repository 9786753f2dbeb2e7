"""In the browser, as the seed's slides 15 to 20 show it: sign in, « Demande de financement »,
« Simuler » (errors per line, then the recap), « Importer » (status « OK »), « Terminer »; the
table of deposited requests; a request's life-cycle to payment by the gestionnaire's view and
clock; the décision d'attribution and the avis de paiement downloaded from the accordions."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests._support.logical import code, data, example_requests, number_pattern
from tests._support.pages import ANS, ANS_OTHER, AVANCE, OTHER
from tests._support.paths import EXAMPLES, SPEC
from tests.e2e._live import FROZEN_AT, Actor, Live, follow, screenshot
from tests.e2e._pages import fill_deposit, line_codes, move, sign_in, sign_in_gestionnaire

ACCEPTED = SPEC.accepted_code
COUNT = len(example_requests(AVANCE))


def broken_bundle(folder: Path) -> Path:
    """The first avance example with line 2's TTC a cent off (amount-ttc) and line 3's amount
    requested at 0 (amount-requested-positive)."""
    requests = example_requests(AVANCE)
    requests[1]["amount_ttc"] += 1
    requests[2]["amount_requested"] = 0
    path = folder / "depot-errone.json"
    path.write_bytes(data(requests, AVANCE))
    return path


def test_simulate_with_errors_import_then_terminer(live: Live, actors: Any, tmp_path: Path) -> None:
    """Simuler shows each line's code and label; Importer with the zip shows « OK » and Terminer
    leads to the table of deposited requests."""
    editor: Actor = actors()
    sign_in(editor)
    page = editor.page
    screenshot(editor, "03-espace-editeur")
    follow(page.get_by_role("link", name="Demande de financement").first)
    fill_deposit(editor, vat="20", kind="avance", ans=ANS, data=broken_bundle(tmp_path), pieces=None)
    follow(page.get_by_role("button", name="Simuler", exact=True))
    ttc = code("amount-ttc")
    assert line_codes(editor)[:3] == [ACCEPTED, ttc, code("amount-requested-positive")]
    assert page.locator("table.lignes tr[data-ligne='2']").inner_text().count(ttc) == 1
    assert "La simulation n'a rien enregistré" in page.content()
    screenshot(editor, "04-simulation-erreurs")
    # the form keeps the choices; the file is picked again (seed, slide 17)
    assert page.get_by_label("Taux de TVA applicable").input_value() == "20"
    fill_deposit(editor, vat="20", kind="avance", ans=ANS, data=EXAMPLES / f"{AVANCE}.json", pieces=None)
    follow(page.get_by_role("button", name="Simuler", exact=True))
    assert line_codes(editor) == [ACCEPTED] * COUNT
    assert page.get_by_role("heading", name="Récapitulatif de la simulation").is_visible()
    assert f"Acceptées (code {ACCEPTED})" in page.locator("dl.recap").inner_text()
    screenshot(editor, "05-simulation-recapitulatif")
    fill_deposit(
        editor, vat="20", kind="avance", ans=ANS, data=EXAMPLES / f"{AVANCE}.json", pieces=EXAMPLES / f"{AVANCE}.zip"
    )
    follow(page.get_by_role("button", name="Importer", exact=True))
    page.wait_for_url(re.compile(r"/espace/depots/\d+$"))
    assert page.locator("#statut-import").inner_text() == "OK"
    numbers = [t.strip() for t in page.locator("table.lignes tbody tr td:nth-child(5)").all_inner_texts()]
    assert len(numbers) == COUNT and all(re.fullmatch(number_pattern(AVANCE), n) for n in numbers), numbers
    screenshot(editor, "06-import-ok")
    follow(page.get_by_role("button", name="Terminer"))
    page.wait_for_url(re.compile(r"/espace/demandes$"))
    assert "Dépôt n°" in page.locator(".annonces").inner_text()
    listed = [t.strip() for t in page.locator("table.tableau tbody tr td:first-child").all_inner_texts()]
    assert sorted(listed) == sorted(numbers)
    page.get_by_label("Statut").select_option("enCours")
    follow(page.get_by_role("button", name="Filtrer"))
    assert "0 demande" in page.locator("#nombre-demandes").inner_text()
    page.get_by_label("Statut").select_option("enAttente")
    follow(page.get_by_role("button", name="Filtrer"))
    assert page.locator("#nombre-demandes").inner_text().startswith(f"{COUNT} demandes")
    screenshot(editor, "07-demandes-deposees")


def test_life_cycle_to_payment_with_documents(live: Live, actors: Any, tmp_path: Path) -> None:
    """The gestionnaire instructs a request to « Décidée et payée » (a motif asked on « À modifier »,
    the clock moved on); the editor corrects it, then downloads the décision and the avis de paiement."""
    editor: Actor = actors()
    gestionnaire: Actor = actors()
    sign_in(editor)
    follow(editor.page.get_by_role("link", name="Demande de financement").first)
    other = EXAMPLES / f"{OTHER}.json"
    fill_deposit(editor, vat="20", kind="avance", ans=ANS_OTHER, data=other, pieces=EXAMPLES / f"{OTHER}.zip")
    follow(editor.page.get_by_role("button", name="Importer", exact=True))
    assert editor.page.locator("#statut-import").inner_text() == "OK"
    numero = editor.page.locator("table.lignes tbody tr td:nth-child(5)").first.inner_text().strip()
    follow(editor.page.get_by_role("button", name="Terminer"))

    sign_in_gestionnaire(gestionnaire)
    screenshot(gestionnaire, "10-gestionnaire-tableau-de-bord")
    assert move(gestionnaire, numero, "Démarrer l'instruction") == SPEC.status("enCours")
    # a motif is required: the portal refuses the move without one, and says so
    gestionnaire.go(f"/gestion/demandes/{numero}")
    form = gestionnaire.page.locator(
        "form", has=gestionnaire.page.get_by_role("button", name=re.compile("^Demander une modification"))
    )
    form.get_by_label(re.compile("^Motif")).evaluate("field => field.removeAttribute('required')")
    follow(form.get_by_role("button"))
    assert "demande un motif" in gestionnaire.page.locator(".annonces").inner_text()
    to_modify = SPEC.status("aModifier")
    assert move(gestionnaire, numero, "Demander une modification", "le SIRET du BDC diffère du JSON") == to_modify

    editor.go(f"/espace/demandes/{numero}")
    assert editor.page.locator("#statut-demande").inner_text() == to_modify
    follow(editor.page.get_by_role("button", name="Enregistrer la modification"))
    assert editor.page.locator("#statut-demande").inner_text() == SPEC.status("enCours")

    gestionnaire.page.get_by_label("Avancer de").fill("3")
    gestionnaire.page.get_by_label("Unité").select_option("jours")
    follow(gestionnaire.page.get_by_role("button", name="Avancer l'horloge"))
    three_days_on = f"{datetime.fromisoformat(FROZEN_AT) + timedelta(days=3):%d/%m/%Y %H:%M}"
    assert gestionnaire.page.locator("#horloge-maintenant").inner_text() == three_days_on
    assert move(gestionnaire, numero, "Valider la demande") == SPEC.status("validee")
    assert move(gestionnaire, numero, "Décider") == SPEC.status("decidee")
    assert move(gestionnaire, numero, "Payer") == SPEC.status("payee")
    screenshot(gestionnaire, "11-gestionnaire-demande-payee")

    editor.go(f"/espace/demandes/{numero}")
    page = editor.page
    assert page.locator("#statut-demande").inner_text() == SPEC.status("payee")
    page.locator("#courriels summary").click()
    assert page.locator("#courriels").get_by_text(f"Demande {numero} : décision d'attribution").is_visible()
    suivi = page.locator("#suivi-financier")
    assert "Total versé" in suivi.inner_text() and three_days_on.split()[0] in suivi.inner_text()
    screenshot(editor, "08-demande-accordeons")
    with page.expect_download() as decision:
        page.locator("#pieces-justificatives").get_by_role(
            "link", name=re.compile("^Télécharger decision-attribution")
        ).click()
    assert_pdf(decision.value, tmp_path, f"decision-attribution-{numero}.pdf")
    with page.expect_download() as avis:
        suivi.get_by_role("link", name=re.compile("^Télécharger l'avis de paiement")).click()
    assert_pdf(avis.value, tmp_path, f"avis-paiement-{numero}.pdf")


def assert_pdf(download: Any, folder: Path, name: str) -> None:
    assert download.suggested_filename == name
    path = folder / name
    download.save_as(str(path))
    content = path.read_bytes()
    assert content.startswith(b"%PDF-") and b"%%EOF" in content[-1024:], content[:40]
