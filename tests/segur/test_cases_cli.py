"""`segur cases`: every rejection case builds, and replaying its command gives its expected answer."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from segur.generators import cases

from segur import SPEC_ENV
from segur.cli import main
from tests._support.paths import SPEC

NAMES = [path.stem for path in cases.case_files(SPEC)]


def test_list_names_every_case_with_its_code_and_french_title() -> None:
    result = CliRunner().invoke(main, ["cases", "list", "--format", "json"])
    assert result.exit_code == 0
    rows = orjson.loads(result.stdout)
    assert [row["cas"] for row in rows] == NAMES
    assert {row["code"] for row in rows if row["regle"]} == set(SPEC.codes) - {SPEC.accepted_code}
    # a case of a check by hand (no code: a warning) names the check of the spec it illustrates
    checks = {row["controleManuel"] for row in rows if not row["regle"]}
    assert checks <= set(SPEC.hand_checks) and all(
        row["code"] == cases.WARNING_CASE for row in rows if not row["regle"]
    )
    assert all(row["titre"] and (row["variantesEnErreur"] or row["variantesAvecAvertissement"]) for row in rows)


@pytest.mark.parametrize("name", NAMES)
def test_built_case_replays_to_its_expected_answer(name: str, tmp_path: Path) -> None:
    out = tmp_path / name
    built = CliRunner().invoke(main, ["cases", "build", name, "--out", str(out)])
    assert built.exit_code == 0, built.output
    manifest = orjson.loads((out / "attendu.json").read_bytes())
    command = shlex.split(manifest["commande"])
    assert command[:2] == ["segur", "check"]
    cwd = Path.cwd()
    os.chdir(out)
    try:
        # without SEGUR_SPEC: the command names the spec folder when it is not the kit's own
        replay = CliRunner().invoke(main, [*command[1:], "--format", "json"], env={SPEC_ENV: None})
    finally:
        os.chdir(cwd)
    expected = dict(manifest["reponseAttendue"])
    if "--attachments" in command and SPEC.hand_checks:  # the pieces read: the checks by hand's warnings
        expected["avertissements"] = manifest["avertissementsAttendus"]
    # a rejection case is rejected; a case of a check by hand is accepted, with its warning
    accepted = expected["statut"] == "OK" and expected["recapitulatif"]["acceptees"] == len(expected["lignes"])
    assert replay.exit_code == (0 if accepted else 1), replay.output
    assert orjson.loads(replay.stdout) == expected
    if not manifest["regle"]:
        assert expected["avertissements"], "a case of a check by hand builds a variant that warns by default"


def test_unknown_case_is_a_usage_error_listing_the_known_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["cases", "build", "9999", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "known cases" in result.stderr


def test_a_code_with_several_cases_builds_the_first_in_name_order(tmp_path: Path) -> None:
    """A code's own case and its trainer cases share the code: `build CODE` takes the first name."""
    by_code: dict[str, list[str]] = {}
    for name in NAMES:
        by_code.setdefault(cases.case_code(cases.load_case(SPEC.root / "cases" / f"{name}.json"), SPEC), []).append(
            name
        )
    shared = {code: names for code, names in by_code.items() if len(names) > 1}
    assert shared, "some codes have trainer cases besides their own"
    code, names = sorted(shared.items())[0]
    built = CliRunner().invoke(main, ["cases", "build", code, "--out", str(tmp_path)])
    assert built.exit_code == 0, built.output
    assert orjson.loads((tmp_path / "attendu.json").read_bytes())["cas"] == sorted(names)[0]
