"""The pieces the generators write carry what a gestionnaire checks by hand, in the spec's words;
``flaw`` (and ``segur generate --warn``) leaves out what one check reads, so that exactly its
warning comes out, on the lines chosen; the text is read as the checks read it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from segur.generators.documents import bundle_pieces, signataire_for
from segur.generators.mutators import Scenario, flaw, materialise
from segur.generators.strategies import make_bundle
from segur.mock_portal.controls import check_deposit
from segur.mock_portal.controls.attachments import attachment_report
from segur.mock_portal.controls.hand_checks import (
    HAND_CHECKS,
    deposit_warnings,
    fold,
    hand_roles,
    line_warnings,
    piece_text,
    read_facts,
)
from segur.mock_portal.controls.money import euros

from segur.cli import main
from tests._support.paths import SPEC

pytestmark = pytest.mark.skipif(
    not SPEC.hand_checks, reason="the spec in force names no checks by hand (spec.json files.handChecks)"
)

#: each check with a profile whose requests carry the pieces it reads
CHECKS = [
    (
        check,
        next(
            p.name
            for p in SPEC.profiles.values()
            if set(HAND_CHECKS[check].roles) <= {role for role in SPEC.pieces.required.get(p.deposit_type, ())}
        ),
    )
    for check in SPEC.hand_checks
]


def warnings_after(scenario: Scenario, tmp_path: Path) -> tuple[list[tuple[int, str]], bool]:
    """The warnings (line, check) of the scenario as written, and whether every line is accepted."""
    data, deposit, history, zip_path, mode = materialise(scenario, tmp_path)
    report = attachment_report(data, zip_path, SPEC, read_roles=hand_roles(SPEC))
    answer = check_deposit(data, deposit, spec=SPEC, history=history, attachments=report, mode=mode)
    found = [(w.line, w.check) for w in deposit_warnings(data, report.texts, SPEC)]
    return found, answer.all_accepted


@pytest.mark.parametrize("profile", list(SPEC.profiles))
def test_generated_pieces_carry_the_specs_words(profile: str) -> None:
    drawn = make_bundle(5, profile=profile, size=2, spec=SPEC)
    texts = {name: fold(piece_text(content) or "") for name, content in bundle_pieces(drawn.requests, SPEC)}
    checks = SPEC.hand_checks
    for line in drawn.requests:
        for role, name in line["pieces"]:
            text = texts[name]
            if role == "order_form":
                assert fold(checks["bdc-state-mention"]["mention"]) in text
                assert any(fold(word) in text for word in checks["bdc-signature"]["words"])
            if role in ("va", "invoice"):
                assert fold(signataire_for(line)) in text
            if role == "va" and line.get("mss_indicator"):
                assert fold(checks["va-mss-indicator"]["values"][line["mss_indicator"]]) in text


@pytest.mark.parametrize(("check", "profile"), CHECKS, ids=[c for c, _ in CHECKS])
def test_a_flaw_gives_exactly_its_warning_on_its_lines_and_the_controls_still_accept(
    check: str, profile: str, tmp_path: Path
) -> None:
    scenario = Scenario.from_drawn(make_bundle(2, profile=profile, size=4, spec=SPEC), SPEC)
    scenario.deposit["mode"] = "import"
    scenario.with_zip(SPEC)
    assert warnings_after(scenario, tmp_path / "clean") == ([], True)
    assert flaw(scenario, check, [1, 3], SPEC) == (1, 3)
    assert warnings_after(scenario, tmp_path / "flawed") == ([(1, check), (3, check)], True)


def test_flaws_add_up_and_a_line_without_the_pieces_is_refused(tmp_path: Path) -> None:
    avance = next(p.name for p in SPEC.profiles.values() if p.deposit_type == "avance")
    scenario = Scenario.from_drawn(make_bundle(4, profile=avance, size=3, spec=SPEC), SPEC)
    flaw(scenario, "bdc-state-mention", [0], SPEC)
    flaw(scenario, "bdc-signature", [0, 2], SPEC)
    found, accepted = warnings_after(scenario, tmp_path)
    assert accepted and sorted(found) == [(0, "bdc-signature"), (0, "bdc-state-mention"), (2, "bdc-signature")]
    with pytest.raises(ValueError, match="no piece of role"):
        flaw(scenario, "invoice-va-signer", [0], SPEC)
    with pytest.raises(LookupError, match="not a check by hand"):
        flaw(scenario, "no-such-check", [0], SPEC)
    with pytest.raises(ValueError, match="0-based"):
        flaw(scenario, "bdc-signature", [7], SPEC)


def test_segur_generate_warn_writes_an_accepted_bundle_and_its_warnings(tmp_path: Path) -> None:
    solde = next(p for p in SPEC.profiles.values() if p.deposit_type == "solde")
    result = CliRunner().invoke(
        main,
        [
            "generate",
            "--profile",
            solde.program,
            "--type",
            "solde",
            "--count",
            "3",
            "--seed",
            "4",
            "--out",
            str(tmp_path),
            "--warn",
            "invoice-va-signer",
            "--lines",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = orjson.loads((tmp_path / "manifest.json").read_bytes())
    assert manifest["toutesAcceptees"] is True and manifest["controlesFautifs"] == {"invoice-va-signer": [2]}
    assert [(w["numLigne"], w["controle"]) for w in manifest["avertissementsAttendus"]] == [(2, "invoice-va-signer")]
    assert "avertissement invoice-va-signer, ligne 2" in result.output
    both = CliRunner().invoke(
        main,
        [
            "generate",
            "--profile",
            solde.program,
            "--type",
            "solde",
            "--count",
            "2",
            "--out",
            str(tmp_path / "x"),
            "--warn",
            "invoice-va-signer",
            "--break",
            "invoice-zero",
        ],
    )
    assert both.exit_code == 2 and "not both" in both.output


def test_the_text_is_read_as_a_gestionnaire_reads_it() -> None:
    """Accents, case, apostrophes and spaces do not matter; amounts are read in French; a name
    ends at its comma; a line the piece does not have is « not read »."""
    mention = SPEC.hand_checks["bdc-state-mention"]["mention"]
    shouted = mention.upper().replace("'", "’").replace("E", "É", 1)
    label = SPEC.hand_checks["bdc-amount-shown"]["amountLabels"][0]
    text = f"{shouted} :  12\u202f345,60 EUR\nSans rapport\n{label.lower()} : 12 345,60 €"
    facts = read_facts(text, "order_form", SPEC)
    assert facts["mention"] is True and facts["montantSegur"] == 1234560 and facts["signature"] is False
    va_label = SPEC.hand_checks["invoice-va-signer"]["vaLabels"][0]
    invoice_label = SPEC.hand_checks["invoice-va-signer"]["invoiceLabels"][0]
    va = {"fichier": "va.pdf", **read_facts(f"{va_label} : Hélène Fontaine, directrice", "va", SPEC)}
    invoice = {"fichier": "f.pdf", **read_facts(f"{invoice_label.upper()} : HELENE  FONTAINE", "invoice", SPEC)}
    assert va["signataire"] == "Hélène Fontaine" and invoice["totalSegur"] is None
    found = line_warnings({}, {"va": va, "invoice": invoice}, SPEC)
    assert [w.check for w in found] == ["invoice-segur-zero"]  # same person; the total is not read
    other = {**invoice, "nom": "Claire Martin"}
    message = next(
        w.message for w in line_warnings({}, {"va": va, "invoice": other}, SPEC) if w.check == "invoice-va-signer"
    )
    assert "Claire Martin" in message and "Hélène Fontaine" in message
    shown = {"fichier": "bdc.pdf", "mention": True, "montantSegur": 1000000, "signature": True}
    message = line_warnings({"bdc_segur_amount": 1200000}, {"order_form": shown}, SPEC)[0].message
    assert f"{euros(1000000)} €" in message and f"{euros(1200000)} €" in message


def test_an_unreadable_piece_has_no_text() -> None:
    assert piece_text(b"%PDF-1.4 not really") is None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.txt", "x")
    assert piece_text(buffer.getvalue()) is None
