"""In the browser, as the seed's slides 15 to 20 show it: sign in, « Demande de financement »,
« Simuler » (errors per line, then the recap), « Importer » (status « OK » with its counts),
« Terminer »; the table of deposited requests and its search; an import without its zip,
announced before anything is stored, then its incomplete requests completed by one zip; a
request's life-cycle to payment by the gestionnaire's view and clock, each move's motif in its
own field; after each submit the focus is on what the submit produced."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests._support.logical import code, data, example_ans, example_requests, first_profile, number_pattern
from tests._support.paths import EXAMPLES, SPEC
from tests.e2e._data import Api, example_vat, generate
from tests.e2e._live import Actor, Live, audit, follow, screenshot
from tests.e2e._pages import fill_deposit, line_codes, move, sign_in, sign_in_gestionnaire

PROFILE = first_profile()
ANS = example_ans(PROFILE)
VAT = example_vat(PROFILE)
ACCEPTED = SPEC.accepted_code


def focused(actor: Actor) -> str:
    """What has the focus: the id of the element, else its class."""
    found: str = actor.page.evaluate("() => document.activeElement.id || document.activeElement.className")
    return found


def broken_bundle(folder: Path) -> Path:
    """The first avance example with line 2's TTC a cent off (amount-ttc) and line 3's amount
    requested at 0 (amount-requested), written through the spec."""
    requests = example_requests(PROFILE)
    requests[1]["amount_ttc"] += 1
    requests[2]["amount_requested"] = 0
    path = folder / "depot-errone.json"
    path.write_bytes(data(requests, PROFILE))
    return path


def test_simulate_with_errors_import_then_terminer(live: Live, actors: Any, tmp_path: Path) -> None:
    """Simuler shows each line's code and label; Importer with the zip shows « OK », the counts in
    green, and Terminer leads to the table of deposited requests, searchable by order form."""
    editor: Actor = actors()
    sign_in(editor)
    page = editor.page
    screenshot(editor, "03-espace-editeur")
    follow(page.get_by_role("link", name="Demande de financement").first)
    fill_deposit(editor, vat=VAT, kind="avance", ans=ANS, data=broken_bundle(tmp_path), pieces=None)
    follow(page.get_by_role("button", name="Simuler", exact=True))
    assert line_codes(editor) == [ACCEPTED, code("amount-ttc"), code("amount-requested-positive")]
    assert page.locator("table.lignes tr[data-ligne='2']").inner_text().count(code("amount-ttc")) == 1
    assert "La simulation n'a rien enregistré" in page.content()
    assert focused(editor) == "resultat"  # the answer has the focus after « Simuler »
    screenshot(editor, "04-simulation-erreurs")
    # the form keeps the choices; the file is picked again (seed, slide 17)
    assert page.get_by_label("Taux de TVA applicable").input_value() == VAT
    fill_deposit(editor, vat=VAT, kind="avance", ans=ANS, data=EXAMPLES / f"{PROFILE}.json", pieces=None)
    follow(page.get_by_role("button", name="Simuler", exact=True))
    assert line_codes(editor) == [ACCEPTED] * len(example_requests(PROFILE))
    assert page.get_by_role("heading", name="Récapitulatif de la simulation").is_visible()
    recap = page.locator("dl.recap").inner_text()
    assert f"Acceptées (code {ACCEPTED})" in recap
    # the spec's labels, never its raw values (« AVANCE », « ms1-avance »)
    shown = dict(
        zip(page.locator("dl.recap dt").all_inner_texts(), page.locator("dl.recap dd").all_inner_texts(), strict=True)
    )
    assert shown["Profil"] == SPEC.profiles[PROFILE].libelle and shown["Type de demande"] == "Avance", shown
    screenshot(editor, "05-simulation-recapitulatif")
    fill_deposit(
        editor, vat=VAT, kind="avance", ans=ANS, data=EXAMPLES / f"{PROFILE}.json", pieces=EXAMPLES / f"{PROFILE}.zip"
    )
    follow(page.get_by_role("button", name="Importer", exact=True))
    page.wait_for_url(re.compile(r"/espace/depots/\d+$"))
    count = len(example_requests(PROFILE))
    assert page.locator("#statut-import").inner_text() == "OK"
    assert (
        page.locator("#comptes-import").inner_text() == f"{count} lignes : {count} acceptées, 0 rejetée, 0 incomplète."
    )
    assert "bilan-succes" in (page.locator("#bilan-import").get_attribute("class") or "")
    assert focused(editor) == "bilan-import"
    numbers = [t.strip() for t in page.locator("table.lignes tbody tr td.numero").all_inner_texts()]
    assert len(numbers) == count and all(re.fullmatch(number_pattern(PROFILE), n) for n in numbers), numbers
    screenshot(editor, "06-import-ok")
    follow(page.get_by_role("button", name="Terminer"))
    page.wait_for_url(re.compile(r"/espace/demandes$"))
    said = page.locator(".annonces").inner_text()
    assert f"{count} demandes transmises à l'ASP pour instruction" in said, said
    listed = [t.strip() for t in page.locator("table.tableau tbody tr td.numero").all_inner_texts()]
    assert sorted(listed) == sorted(numbers)
    page.get_by_label("Statut").select_option("enCours")
    follow(page.get_by_role("button", name="Filtrer"))
    assert "0 demande" in page.locator("#nombre-demandes").inner_text()
    page.get_by_label("Statut").select_option("enAttente")
    follow(page.get_by_role("button", name="Filtrer"))
    assert page.locator("#nombre-demandes").inner_text().startswith(f"{count} demandes")
    # searched by order form (BDC), then by FINESS
    second = example_requests(PROFILE)[1]
    page.get_by_role("searchbox", name="Rechercher").fill(second["bdc_number"])
    follow(page.get_by_role("button", name="Filtrer"))
    assert [t.strip() for t in page.locator("table.tableau tbody tr td.numero").all_inner_texts()] == [numbers[1]]
    page.get_by_role("searchbox", name="Rechercher").fill(
        second["site_finess"] if "site_finess" in second else second["bdc_number"]
    )
    follow(page.get_by_role("button", name="Filtrer"))
    assert numbers[1] in page.locator("table.tableau").inner_text()
    audit(editor, "07-demandes-deposees")


def test_an_import_without_its_zip_is_announced_then_its_requests_completed_by_one_zip(
    live: Live, actors: Any, tmp_path: Path
) -> None:
    """« Importer » without the zip: announced before anything is stored; confirmed, every line is
    stored incomplete and the result says so, not in green; « Suivi demandes incomplètes » pages
    them, gives each one's reason, and one zip completes them all but the one whose piece is
    unreadable, said with its reason."""
    bundle = generate(tmp_path / "sans-zip", seed=11, count=60)
    editor: Actor = actors()
    sign_in(editor)
    page = editor.page
    follow(page.get_by_role("link", name="Demande de financement").first)
    fill_deposit(editor, vat=bundle.vat, kind=bundle.type_demande, ans=bundle.ans, data=bundle.data, pieces=None)
    follow(page.get_by_role("button", name="Importer", exact=True))
    error = page.locator("#pieces-erreur").inner_text()
    assert "Aucune archive de pièces choisie" in error and SPEC.statuts["incomplete"] in error
    assert page.locator(".resume-erreurs").evaluate("el => el === document.activeElement")  # the summary has the focus
    screenshot(editor, "14-import-sans-zip-annonce")
    fill_deposit(editor, vat=bundle.vat, kind=bundle.type_demande, ans=bundle.ans, data=bundle.data, pieces=None)
    page.get_by_label(re.compile("^Importer sans archive de pièces")).check()
    follow(page.get_by_role("button", name="Importer", exact=True))
    page.wait_for_url(re.compile(r"/espace/depots/\d+$"))
    assert page.locator("#comptes-import").inner_text() == "60 lignes : 0 acceptée, 0 rejetée, 60 incomplètes."
    verdict = page.locator("#bilan-import")
    assert "bilan-attention" in (verdict.get_attribute("class") or "") and "bilan-succes" not in (
        verdict.get_attribute("class") or ""
    )
    green = "rgb(227, 251, 234)"
    assert verdict.evaluate("el => getComputedStyle(el).backgroundColor") != green
    assert "Aucune ligne n'est transmise à l'instruction" in page.locator("main").inner_text()
    audit(editor, "15-import-incomplet")
    follow(page.get_by_role("button", name="Terminer"))
    page.wait_for_url(re.compile(r"/espace/demandes-incompletes$"))
    said = page.locator(".annonces").inner_text()
    assert "aucune demande transmise à l'instruction" in said and "60 demandes incomplètes attendent" in said
    assert page.locator("#nombre-incompletes").inner_text() == "60 demandes incomplètes ; page 1 sur 2."
    assert page.locator("table.incompletes tbody tr").count() == 50
    assert code("zip-absent") in page.locator("table.incompletes tbody tr").first.inner_text()  # why
    audit(editor, "16-demandes-incompletes")
    # one zip for all of them, one of its pieces unreadable
    import zipfile

    broken_zip = tmp_path / "pieces-manquantes.zip"
    with zipfile.ZipFile(bundle.zip) as source, zipfile.ZipFile(broken_zip, "w") as target:
        names = source.namelist()
        for name in names:
            content = source.read(name)
            target.writestr(name, content[: len(content) // 3] if name == names[-1] else content)
    page.get_by_label("Archive zip des pièces manquantes").set_input_files(str(broken_zip))
    follow(page.get_by_role("button", name="Envoyer l'archive"))
    said = page.locator(".annonces").inner_text()
    assert "Archive pieces-manquantes.zip : 59 demandes complétées" in said, said
    assert f"pièce {names[-1]} refusée : {code('attachment-unreadable')}" in said, said
    assert "unexpected" not in said and "Error" not in said  # the reason in French
    assert page.locator("#nombre-incompletes").inner_text() == "1 demande incomplète."
    screenshot(editor, "17-incompletes-archive")


def test_life_cycle_to_payment_with_documents(live: Live, actors: Any, tmp_path: Path) -> None:
    """The gestionnaire instructs a request to paid (a motif asked on « À modifier », in its own
    field, refused empty by the portal beside it; the clock moved on); the editor corrects it, then
    reads the pieces received, the mails and the financial follow-up."""
    api = Api(live)
    numero = api.import_example(PROFILE)[0]
    editor: Actor = actors()
    gestionnaire: Actor = actors()
    sign_in(editor)
    sign_in_gestionnaire(gestionnaire)
    screenshot(gestionnaire, "10-gestionnaire-tableau-de-bord")
    assert move(gestionnaire, numero, "Démarrer l'instruction") == SPEC.statuts["enCours"]
    # each move needing a motif has its own field; an empty one is refused by the portal, beside it
    gestionnaire.go(f"/gestion/demandes/{numero}")
    page = gestionnaire.page
    for label in ("Motif de la demande de modification", "Motif de la demande de pièces", "Motif du rejet"):
        assert page.get_by_label(re.compile(f"^{label}")).count() == 1, label
    form = page.locator("form", has=page.get_by_role("button", name=re.compile("^Demander une modification")))
    follow(form.get_by_role("button"))
    assert page.locator("#motif-aModifier-erreur").inner_text().startswith("Saisissez le motif")
    assert page.locator(".resume-erreurs").evaluate("el => el === document.activeElement")
    assert page.locator("#statut-demande").inner_text() == SPEC.statuts["enCours"]
    screenshot(gestionnaire, "18-gestionnaire-motif-vide")
    said = move(gestionnaire, numero, "Demander une modification", "le SIRET du BDC diffère du JSON")
    assert said == SPEC.statuts["aModifier"]

    editor.go(f"/espace/demandes/{numero}")
    assert editor.page.locator("#statut-demande").inner_text() == SPEC.statuts["aModifier"]
    follow(editor.page.get_by_role("button", name="Enregistrer la modification"))
    assert editor.page.locator("#statut-demande").inner_text() == SPEC.statuts["enCours"]

    gestionnaire.page.get_by_label("Avancer de").fill("3")
    gestionnaire.page.get_by_label("Unité").select_option("jours")
    follow(gestionnaire.page.get_by_role("button", name="Avancer l'horloge"))
    moved = SPEC.default_deposit_time(PROFILE, SPEC.deposit_types["avance"]) + timedelta(days=3)
    assert gestionnaire.page.locator("#horloge-maintenant").inner_text() == f"{moved:%d/%m/%Y %H:%M}"
    assert move(gestionnaire, numero, "Valider la demande") == SPEC.statuts["validee"]
    assert move(gestionnaire, numero, "Décider") == SPEC.statuts["decidee"]
    assert move(gestionnaire, numero, "Payer") == SPEC.statuts["payee"]
    gestionnaire.go(f"/gestion/demandes/{numero}")
    pieces = gestionnaire.page.locator("#pieces-demande").inner_text()
    for _role, name in example_requests(PROFILE)[0]["pieces"]:  # the pieces that came with the import
        assert name in pieces, (name, pieces)
    audit(gestionnaire, "11-gestionnaire-demande-payee")

    editor.go(f"/espace/demandes/{numero}")
    page = editor.page
    assert page.locator("#statut-demande").inner_text() == SPEC.statuts["payee"]
    page.locator("#courriels summary").click()
    mail = page.locator("#courriels article").filter(has_text="décision d'attribution").first.inner_text()
    assert mail.count("Bonjour,") == 1 and "Cordialement," in mail and live.url in mail
    suivi = page.locator("#suivi-financier")
    assert "Total versé" in suivi.inner_text() and f"{moved:%d/%m/%Y}" in suivi.inner_text()
    assert "Reste à verser" in suivi.inner_text()
    page.locator("#historique summary").click()
    history = page.locator("#historique").inner_text()
    assert "(éditeur)" in history and "(gestionnaire ASP)" in history and "editeur" not in history
    received = page.locator("#pieces-justificatives").inner_text()
    assert all(name in received for _role, name in example_requests(PROFILE)[0]["pieces"])
    audit(editor, "08-demande-accordeons")


def test_a_closed_window_is_said_on_the_form_and_in_the_answer(live: Live, actors: Any) -> None:
    """At the closing time, the deposit form says the window is closed since then, and the file is
    rejected as a whole with the window's code (the model's label: « fermé depuis le … »)."""
    window = SPEC.windows[PROFILE]
    live.admin("POST", "/admin/clock", {"at": window.closes.isoformat()})
    editor: Actor = actors()
    sign_in(editor)
    editor.go("/espace/demande-de-financement")
    page = editor.page
    closed = f"fermé depuis le {window.closes:%d/%m/%Y à %H:%M}"
    line = page.locator(".guichets li", has_text=SPEC.profiles[PROFILE].libelle).inner_text()
    assert closed in line and code("file-window") in line, line
    fill_deposit(editor, vat=VAT, kind="avance", ans=ANS, data=EXAMPLES / f"{PROFILE}.json", pieces=None)
    follow(page.get_by_role("button", name="Simuler", exact=True))
    answer = page.locator(".reponse").inner_text()
    assert code("file-window") in answer
    if "{etatGuichet}" in SPEC.rule_codes["file-window"].label:
        assert closed in answer, answer
    audit(editor, "09-guichet-ferme")
