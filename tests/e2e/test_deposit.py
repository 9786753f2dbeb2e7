"""In the browser, as the seed's slides 15 to 20 show it: sign in, « Demande de financement »,
« Simuler » (errors per line, then the recap), « Importer » (status « OK »), « Terminer »; the
table of deposited requests; a request's life-cycle to payment by the gestionnaire's view and
clock; the décision d'attribution and the avis de paiement downloaded from the accordions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson

from tests._support.paths import EXAMPLES
from tests.e2e._live import Actor, Live, follow, screenshot
from tests.e2e._pages import fill_deposit, line_codes, move, sign_in, sign_in_gestionnaire

MS1 = "ANS-MS1-DUI-0042"


def broken_bundle(folder: Path) -> Path:
    """The MS1 example with line 2's TTC a cent off (code 2031) and line 3's amount requested at 0 (2032)."""
    bundle = orjson.loads((EXAMPLES / "ms1-avance.json").read_bytes())
    bundle["demandes"][1]["montants"]["montantTtc"] = 12000.01
    bundle["demandes"][2]["montants"]["montantDemande"] = 0
    path = folder / "depot-errone.json"
    path.write_bytes(orjson.dumps(bundle))
    return path


def test_simulate_with_errors_import_then_terminer(live: Live, actors: Any, tmp_path: Path) -> None:
    """Simuler shows each line's code and label; Importer with the zip shows « OK » and Terminer
    leads to the table of deposited requests."""
    editor: Actor = actors()
    sign_in(editor)
    page = editor.page
    screenshot(editor, "03-espace-editeur")
    follow(page.get_by_role("link", name="Demande de financement").first)
    fill_deposit(editor, vat="20", kind="avance", ans=MS1, data=broken_bundle(tmp_path), pieces=None)
    follow(page.get_by_role("button", name="Simuler", exact=True))
    assert line_codes(editor) == ["0000", "2031", "2032"]
    assert page.locator("table.lignes tr[data-ligne='2']").inner_text().count("2031") == 1
    assert "La simulation n'a rien enregistré" in page.content()
    screenshot(editor, "04-simulation-erreurs")
    # the form keeps the choices; the file is picked again (seed, slide 17)
    assert page.get_by_label("Taux de TVA applicable").input_value() == "20"
    fill_deposit(editor, vat="20", kind="avance", ans=MS1, data=EXAMPLES / "ms1-avance.json", pieces=None)
    follow(page.get_by_role("button", name="Simuler", exact=True))
    assert line_codes(editor) == ["0000", "0000", "0000"]
    assert page.get_by_role("heading", name="Récapitulatif de la simulation").is_visible()
    assert "Acceptées (code 0000)" in page.locator("dl.recap").inner_text()
    screenshot(editor, "05-simulation-recapitulatif")
    fill_deposit(
        editor, vat="20", kind="avance", ans=MS1, data=EXAMPLES / "ms1-avance.json", pieces=EXAMPLES / "ms1-avance.zip"
    )
    follow(page.get_by_role("button", name="Importer", exact=True))
    page.wait_for_url(re.compile(r"/espace/depots/\d+$"))
    assert page.locator("#statut-import").inner_text() == "OK"
    numbers = [t.strip() for t in page.locator("table.lignes tbody tr td:nth-child(5)").all_inner_texts()]
    assert len(numbers) == 3 and all(re.fullmatch(r"MS1A2024\d{6}", n) for n in numbers), numbers
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
    assert page.locator("#nombre-demandes").inner_text().startswith("3 demandes")
    screenshot(editor, "07-demandes-deposees")


def test_life_cycle_to_payment_with_documents(live: Live, actors: Any, tmp_path: Path) -> None:
    """The gestionnaire instructs a request to « Décidée et payée » (a motif asked on « À modifier »,
    the clock moved on); the editor corrects it, then downloads the décision and the avis de paiement."""
    editor: Actor = actors()
    gestionnaire: Actor = actors()
    sign_in(editor)
    follow(editor.page.get_by_role("link", name="Demande de financement").first)
    data = EXAMPLES / "ms2-avance.json"
    fill_deposit(editor, vat="20", kind="avance", ans="ANS-MS2-DPE-0107", data=data, pieces=EXAMPLES / "ms2-avance.zip")
    follow(editor.page.get_by_role("button", name="Importer", exact=True))
    assert editor.page.locator("#statut-import").inner_text() == "OK"
    numero = editor.page.locator("table.lignes tbody tr td:nth-child(5)").first.inner_text().strip()
    follow(editor.page.get_by_role("button", name="Terminer"))

    sign_in_gestionnaire(gestionnaire)
    screenshot(gestionnaire, "10-gestionnaire-tableau-de-bord")
    assert move(gestionnaire, numero, "Démarrer l'instruction") == "En cours"
    # a motif is required: the portal refuses the move without one, and says so
    gestionnaire.go(f"/gestion/demandes/{numero}")
    form = gestionnaire.page.locator(
        "form", has=gestionnaire.page.get_by_role("button", name=re.compile("^Demander une modification"))
    )
    form.get_by_label(re.compile("^Motif")).evaluate("field => field.removeAttribute('required')")
    follow(form.get_by_role("button"))
    assert "demande un motif" in gestionnaire.page.locator(".annonces").inner_text()
    assert move(gestionnaire, numero, "Demander une modification", "le SIRET du BDC diffère du JSON") == "À modifier"

    editor.go(f"/espace/demandes/{numero}")
    assert editor.page.locator("#statut-demande").inner_text() == "À modifier"
    follow(editor.page.get_by_role("button", name="Enregistrer la modification"))
    assert editor.page.locator("#statut-demande").inner_text() == "En cours"

    gestionnaire.page.get_by_label("Avancer de").fill("3")
    gestionnaire.page.get_by_label("Unité").select_option("jours")
    follow(gestionnaire.page.get_by_role("button", name="Avancer l'horloge"))
    assert gestionnaire.page.locator("#horloge-maintenant").inner_text() == "04/02/2024 10:00"
    assert move(gestionnaire, numero, "Valider la demande") == "Validée"
    assert move(gestionnaire, numero, "Décider") == "Décidée"
    assert move(gestionnaire, numero, "Payer") == "Décidée et payée"
    screenshot(gestionnaire, "11-gestionnaire-demande-payee")

    editor.go(f"/espace/demandes/{numero}")
    page = editor.page
    assert page.locator("#statut-demande").inner_text() == "Décidée et payée"
    page.locator("#courriels summary").click()
    assert page.locator("#courriels").get_by_text(f"Demande {numero} : décision d'attribution").is_visible()
    suivi = page.locator("#suivi-financier")
    assert "Total versé" in suivi.inner_text() and "04/02/2024" in suivi.inner_text()
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
