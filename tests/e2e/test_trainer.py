"""A trainer's session in front of a room, played twice in a row without a reset: an enrolment
validated by the gestionnaire, a deposit with errors, a 200-line deposit made by ``segur
generate``, the instruction life-cycle with the clock, and rejection cases in any order (each in
its sandbox, at its own date). The second round meets no surprise: every step answers as in the
first, whatever the first left in the portal."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from segur.generators.cases import case_code, case_files, load_case
from segur.generators.pdf import pdf_document
from stdnum import luhn

from tests._support.logical import enrollable_ans, first_profile, workflow_label
from tests._support.paths import SPEC
from tests.e2e._data import Bundle, generate
from tests.e2e._live import Actor, Live, follow, screenshot
from tests.e2e._pages import enrol, fill_deposit, line_codes, move, sign_in, sign_in_gestionnaire

ROUNDS = 2
#: the cases a trainer shows, by rule: a closed window (another date), an amount, a reference already
#: deposited (stored requests of its own), a solde before its avance is paid, a piece too heavy
#: (answered at the import), no zip at all
CASE_RULES = (
    "file-window",
    "amount-ttc",
    "dup-ref-deposited",
    "solde-avance-not-paid",
    "attachment-too-large",
    "zip-absent",
)


def valid_siret(serial: int) -> str:
    """A SIRET whose keys hold (SIREN 443061841, then an establishment number from ``serial``)."""
    head = f"443061841{serial:04d}"
    return head + luhn.calc_check_digit(head)


def cases_to_show() -> list[tuple[str, int, str, bool]]:
    """(case name, variant, code, answered at the import) of the first rejected variant of each
    case the trainer shows (those the spec has)."""
    chosen = []
    for path in case_files(SPEC):
        case = load_case(path)
        if case.get("rule") not in CASE_RULES or SPEC.code_of(case["rule"]) is None:  # a hand check has no rule
            continue
        number = next(n for n, v in enumerate(case["variants"], start=1) if v["expect"] != "accepted")
        plan = {**case.get("deposit", {}), **case["variants"][number - 1].get("deposit", {})}
        chosen.append((path.stem, number, case_code(case, SPEC), plan.get("mode") == "import"))
    return chosen


def deposit_in_browser(editor: Actor, bundle: Bundle) -> dict[str, Any]:
    """Simuler then Importer a generated bundle, then Terminer; what the pages said."""
    page = editor.page
    editor.go("/espace/demande-de-financement")
    fill_deposit(editor, vat=bundle.vat, kind=bundle.type_demande, ans=bundle.ans, data=bundle.data, pieces=None)
    follow(page.get_by_role("button", name="Simuler", exact=True))
    simulated = line_codes(editor)
    fill_deposit(editor, vat=bundle.vat, kind=bundle.type_demande, ans=bundle.ans, data=bundle.data, pieces=bundle.zip)
    follow(page.get_by_role("button", name="Importer", exact=True))
    page.wait_for_url(re.compile(r"/espace/depots/\d+$"))
    counts = page.locator("#comptes-import").inner_text()
    tone = page.locator("#bilan-import").get_attribute("class") or ""
    imported = line_codes(editor)
    numbers = [n.strip() for n in page.locator("table.lignes tbody tr td.numero").all_inner_texts()]
    follow(page.get_by_role("button", name="Terminer"))
    return {
        "simulated": simulated,
        "imported": imported,
        "counts": counts,
        "tone": tone,
        "numbers": [n for n in numbers if n != "—"],
        "terminated": page.locator(".annonces").inner_text(),
    }


def expected_codes(bundle: Bundle) -> list[str]:
    return [line["codetraitement"] for line in bundle.manifest["reponseAttendue"]["lignes"]]


def play_case(editor: Actor, name: str, variant: int, at_import: bool) -> str:
    """Load a case from « Cas de rejet » in one click, deposit it at its own date, and read what the
    page says of the answer obtained against the expected one."""
    page = editor.page
    editor.go("/cas")
    case = page.locator(f"#cas-{name}")
    case.locator("summary").click()
    follow(case.get_by_role("button", name=re.compile(f"variante {variant},")))
    use_date = page.get_by_role("button", name=re.compile("^Déposer à la date du cas"))
    if use_date.count():
        follow(use_date)
        assert "Le dépôt utilise cette date" in page.locator("#date-du-cas").inner_text()
    if at_import:
        follow(page.get_by_role("button", name="Importer", exact=True))
        page.wait_for_url(re.compile(r"/espace/depots/\d+$"))
        return page.locator(".annonces").inner_text()
    follow(page.get_by_role("button", name="Simuler", exact=True))
    return page.locator("#comparaison-cas").inner_text()


def play_round(number: int, live: Live, editor: Actor, trainer: Actor, folder: Path) -> dict[str, Any]:
    """One session; what each step showed, to compare the rounds."""
    seen: dict[str, Any] = {}
    # 1. an enrolment, validated; its credentials read in the outbox; the new editor signs in
    pieces = {}
    for piece in ("certificat", "cni-representant", "rib"):
        pieces[piece] = folder / f"{piece}.pdf"
        pieces[piece].write_bytes(pdf_document(f"Pièce {piece}", ["pièce d'enrôlement de la formation"]))
    visitor_email = f"formation-{number}@editeur-stagiaire.example"
    enrolment = enrol(
        editor,
        pieces,
        ans=enrollable_ans(first_profile(), serial=60 + number),
        siret=valid_siret(number),
        email=visitor_email,
        company=f"Stagiaire{number} Logiciels SAS",
    )
    trainer.go("/gestion/enrolements")
    card = trainer.page.locator(
        "section", has=trainer.page.get_by_role("heading", name=re.compile(f"^Enrôlement n° {enrolment} "))
    )
    assert f"Stagiaire{number} Logiciels SAS" in card.inner_text()
    follow(card.get_by_role("button", name=re.compile("^Valider l'enrôlement")))
    trainer.go("/gestion/courriels")
    outbox = trainer.page.locator("main").inner_text()
    login = re.search(r"Identifiant : (\S+)", outbox)
    password = re.search(r"Mot de passe : (\S+)", outbox)
    assert login and password
    seen["enrolment"] = f"Votre enrôlement est validé sous le numéro {enrolment}" in outbox
    sign_in(editor, login.group(1), password.group(1))
    seen["new editor"] = workflow_label("enrolment", "validee") in editor.page.locator("main").inner_text()
    editor.page.context.clear_cookies()
    sign_in(editor)

    # 2. a deposit with errors, made by segur generate --break
    broken = generate(folder / "erreurs", seed=100 + number, count=20, breaks=("amount-ttc", "siret-key"), lines="3,7")
    result = deposit_in_browser(editor, broken)
    assert result["simulated"] == expected_codes(broken) == result["imported"], result
    seen["errors"] = (result["counts"], "bilan-attention" in result["tone"])

    # 3. the 200-line deposit from segur generate, accepted as it is
    full = generate(folder / "complet", seed=200 + number, count=200)
    result = deposit_in_browser(editor, full)
    assert result["simulated"] == [SPEC.accepted_code] * 200 == result["imported"], result["imported"][:5]
    seen["200 lines"] = (result["counts"], "bilan-succes" in result["tone"], result["terminated"].split(" : ", 1)[1])
    numero = result["numbers"][0]

    # 4. the instruction life-cycle with the clock
    assert move(trainer, numero, "Démarrer l'instruction") == SPEC.statuts["enCours"]
    said = move(trainer, numero, "Demander une modification", "le montant du BDC diffère du JSON")
    assert said == SPEC.statuts["aModifier"]
    editor.go(f"/espace/demandes/{numero}")
    follow(editor.page.get_by_role("button", name="Enregistrer la modification"))
    trainer.page.get_by_label("Avancer de").fill("2")
    trainer.page.get_by_label("Unité").select_option("jours")
    follow(trainer.page.get_by_role("button", name="Avancer l'horloge"))
    assert move(trainer, numero, "Valider la demande") == SPEC.statuts["validee"]
    assert move(trainer, numero, "Décider") == SPEC.statuts["decidee"]
    assert move(trainer, numero, "Payer") == SPEC.statuts["payee"]
    editor.go(f"/espace/demandes/{numero}")
    seen["paid"] = editor.page.locator("#statut-demande").inner_text()
    seen["documents"] = editor.page.locator("#pieces-justificatives").inner_text().count(numero)

    # 5. rejection cases, in an order of the round's own
    shown = cases_to_show()
    random.Random(number).shuffle(shown)
    seen["cases"] = {}
    for name, variant, code, at_import in shown:
        said = play_case(editor, name, variant, at_import)
        assert "identique à la réponse attendue" in said, f"round {number}, case {name}: {said}"
        seen["cases"][name] = f"{code} identique"
    screenshot(editor, f"19-formation-tour-{number}")
    return seen


def test_a_trainers_session_played_twice_without_reset(live: Live, actors: Any, tmp_path: Path) -> None:
    editor: Actor = actors()
    trainer: Actor = actors()
    sign_in_gestionnaire(trainer)
    rounds = []
    for number in range(1, ROUNDS + 1):
        folder = tmp_path / f"tour-{number}"
        folder.mkdir()
        rounds.append(play_round(number, live, editor, trainer, folder))
    first, second = rounds
    assert first["enrolment"] and first["new editor"], first
    assert first["errors"] == ("20 lignes : 18 acceptées, 2 rejetées, 0 incomplète.", True), first["errors"]
    assert first["200 lines"] == (
        "200 lignes : 200 acceptées, 0 rejetée, 0 incomplète.",
        True,
        "200 demandes transmises à l'ASP pour instruction.",
    ), first["200 lines"]
    assert first["paid"] == SPEC.statuts["payee"] and first["documents"] >= 2
    assert len(first["cases"]) == len(cases_to_show())
    assert second == first, f"Expected: the second round as the first. Received: {second} after {first}"
