"""`segur check` reads the pieces for what a gestionnaire checks by hand: warnings, in a section
of their own of the table and under ``avertissements`` in the JSON, never a code (the exit code
is the controls')."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from segur.generators.archive import write_zip
from segur.generators.documents import bundle_pieces
from segur.mock_portal.controls.attachments import attachment_report
from segur.mock_portal.controls.hand_checks import deposit_warnings, hand_roles

from segur.cli import main
from tests._support.logical import data, example_requests, first_profile
from tests._support.paths import EXAMPLES, SPEC, example

AVANCE, SOLDE = first_profile("avance"), first_profile("solde")

pytestmark = pytest.mark.skipif(
    not SPEC.hand_checks, reason="the spec in force names no checks by hand (spec.json files.handChecks)"
)


def flawed(tmp_path: Path, profile: str, flaws: dict[int, set[str]]) -> tuple[Path, Path]:
    """The example of ``profile`` and a zip of its pieces, those of the lines of ``flaws`` (0-based)
    written without what each check reads."""
    requests = example_requests(profile)
    bundle, pieces = tmp_path / "depot.json", tmp_path / "pieces.zip"
    bundle.write_bytes(data(requests, profile))
    write_zip(pieces, bundle_pieces(requests, SPEC, flaws={i: frozenset(c) for i, c in flaws.items()}))
    return bundle, pieces


def check(bundle: Path, pieces: Path | None, kind: str, *more: str) -> tuple[int, str]:
    args = ["check", str(bundle), "--type", kind, "--vat", "20", *more]
    if pieces is not None:
        args += ["--attachments", str(pieces)]
    history = EXAMPLES / f"{SOLDE}.history.json"
    if kind == "solde":
        args += ["--history", str(history)]
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.stdout


def test_json_lists_the_warnings_of_the_flawed_pieces_and_the_exit_code_stays_the_controls(tmp_path: Path) -> None:
    bundle, pieces = flawed(tmp_path, AVANCE, {1: {"bdc-state-mention", "bdc-signature"}})
    exit_code, out = check(bundle, pieces, "avance", "--format", "json")
    answer = orjson.loads(out)
    assert exit_code == 0 and answer["recapitulatif"]["rejetees"] == 0  # accepted: a warning is no code
    found = [(w["numLigne"], w["controle"]) for w in answer["avertissements"]]
    assert found == [(2, "bdc-state-mention"), (2, "bdc-signature")]
    name = example_requests(AVANCE)[1]["pieces"][0][1]
    assert all(w["fichier"] == name and name in w["message"] for w in answer["avertissements"])
    mention = SPEC.hand_checks["bdc-state-mention"]["mention"]
    assert mention in answer["avertissements"][0]["message"]
    # the same as the library says, read from the same pieces
    report = attachment_report(bundle.read_bytes(), pieces, SPEC, read_roles=hand_roles(SPEC))
    assert [w.to_json() for w in deposit_warnings(bundle.read_bytes(), report.texts, SPEC)] == answer["avertissements"]


def test_the_table_has_a_section_of_warnings(tmp_path: Path) -> None:
    bundle, pieces = flawed(tmp_path, SOLDE, {0: {"invoice-va-signer"}, 2: {"invoice-segur-zero"}})
    exit_code, out = check(bundle, pieces, "solde")
    assert exit_code == 0, out
    section = out.split("Avertissements", 1)[1]
    assert "invoice-va-signer" in section and "invoice-segur-zero" in section
    assert "2 avertissement(s)" in section
    rows = [line.split() for line in section.splitlines() if "avert." in line]
    assert [(row[0], row[1]) for row in rows] == [("1", "invoice-va-signer"), ("3", "invoice-segur-zero")]


def test_pieces_that_carry_what_the_gestionnaire_looks_for_give_no_warning(tmp_path: Path) -> None:
    for profile, kind in ((AVANCE, "avance"), (SOLDE, "solde")):
        exit_code, out = check(example(profile), EXAMPLES / f"{profile}.zip", kind, "--format", "json")
        assert exit_code == 0 and orjson.loads(out)["avertissements"] == [], profile
        exit_code, out = check(example(profile), EXAMPLES / f"{profile}.zip", kind)
        assert "Avertissements" in out and "aucun" in out.split("Avertissements", 1)[1]


def test_without_the_zip_there_is_no_warning_section(tmp_path: Path) -> None:
    exit_code, out = check(example(AVANCE), None, "avance", "--format", "json")
    assert exit_code == 0 and "avertissements" not in orjson.loads(out)
    assert "Avertissements" not in check(example(AVANCE), None, "avance")[1]


def test_a_piece_that_is_not_a_pdf_is_the_controls_not_a_warning(tmp_path: Path) -> None:
    requests = example_requests(AVANCE)
    bundle, pieces = tmp_path / "depot.json", tmp_path / "pieces.zip"
    bundle.write_bytes(data(requests, AVANCE))
    members = dict(bundle_pieces(requests, SPEC))
    first = requests[0]["pieces"][0][1]
    members[first] = b"not a pdf"
    buffer = io.BytesIO()
    write_zip(buffer, members.items())
    pieces.write_bytes(buffer.getvalue())
    exit_code, out = check(bundle, pieces, "avance", "--format", "json", "--mode", "import")
    answer = orjson.loads(out)
    assert exit_code == 1 and answer["lignes"][0]["statut"] == SPEC.status("incomplete")
    assert answer["avertissements"] == []
