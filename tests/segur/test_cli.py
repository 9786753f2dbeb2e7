"""`segur check`: the portal's answer in a terminal, with exit codes 0, 1 and 2."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from segur.mock_portal.controls import Deposit, check_deposit, load_spec

from segur.cli import main
from tests._support.paths import EXAMPLES, SPEC, example

AVANCE = ["--type", "avance", "--vat", "20"]


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def broken_bundle(tmp_path: Path) -> Path:
    bundle = orjson.loads(example("ms1-avance").read_bytes())
    bundle["demandes"][1]["etablissement"]["siret"] = "41234567000018"
    path = tmp_path / "bundle.json"
    path.write_bytes(orjson.dumps(bundle))
    return path


def test_valid_bundle_with_its_zip_exits_0_and_states_the_time_checked() -> None:
    code, out, _ = run(
        "check",
        example("ms1-avance"),
        "--attachments",
        EXAMPLES / "ms1-avance.zip",
        *AVANCE,
        "--ans",
        "ANS-MS1-DUI-0042",
        "--at",
        "2024-02-01T10:00",
    )
    assert code == 0, out
    assert "01/02/2024 10:00 (Europe/Paris)" in out
    assert out.count("0000  Demande acceptée") == 3


def test_default_deposit_time_is_the_calendars_and_is_printed() -> None:
    code, out, _ = run("check", example("ms1-avance"), *AVANCE)
    assert code == 0
    assert "01/02/2024 10:00" in out


def test_rejected_line_exits_1_and_shows_code_and_label(tmp_path: Path) -> None:
    code, out, _ = run("check", broken_bundle(tmp_path), *AVANCE)
    assert code == 1
    assert "2011" in out and "SIRET 41234567000018 invalide" in out


def test_json_format_is_exactly_the_answer_of_the_controls(tmp_path: Path) -> None:
    bundle = broken_bundle(tmp_path)
    code, out, _ = run(
        "check", bundle, *AVANCE, "--format", "json", "--mode", "import", "--attachments", EXAMPLES / "ms1-avance.zip"
    )
    expected = check_deposit(
        bundle.read_bytes(), Deposit("avance", 20), spec=SPEC, mode="import", attachments=EXAMPLES / "ms1-avance.zip"
    ).to_json()
    assert code == 1
    assert orjson.loads(out) == expected
    lines = orjson.loads(out)["lignes"]
    assert [line["codetraitement"] for line in lines] == ["0000", "2011", "0000"]
    assert "numeroDemande" in lines[0] and "numeroDemande" not in lines[1]


def test_whole_file_rejected_prints_the_file_code(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"versionFormat": "1.0", "demandes": [')
    code, out, _ = run("check", path, *AVANCE)
    assert code == 1
    assert "Fichier rejeté pour non-conformité : 1003" in out


def test_solde_with_history_is_accepted_and_without_it_a_note_explains() -> None:
    solde = ["check", example("ms1-solde"), "--type", "solde", "--vat", "20"]
    code, out, _ = run(*solde, "--history", EXAMPLES / "ms1-solde.history.json")
    assert code == 0, out
    code, out, err = run(*solde)
    assert code == 1 and "2060" in out
    assert "--history" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "missing.json", *AVANCE], "does not exist"),
        (["check", "{bundle}", "--type", "acompte", "--vat", "20"], "expected one of avance, solde"),
        (["check", "{bundle}", "--type", "avance", "--vat", "19.6"], "expected one of 0, 2.1, 5.5, 10, 20"),
        (["check", "{bundle}", *AVANCE, "--at", "demain"], "expected an ISO 8601 time"),
        (["check", "{bundle}", *AVANCE, "--enrolment", "ANS-1"], "expected ANS=COULOIR/TYPE_LOGICIEL"),
        (["check", "{bundle}", *AVANCE, "--history", "{bad_history}"], "/demandes/0"),
        (["check", "{bundle}", *AVANCE, "--spec", "{empty_dir}"], "not a spec folder"),
        (["check", "{bundle}", "--vat", "20"], "Missing option '--type'"),
    ],
)
def test_usage_errors_exit_2_with_a_message_naming_the_problem(args: list[str], message: str, tmp_path: Path) -> None:
    bad_history = tmp_path / "history.json"
    bad_history.write_text('{"demandes": [{"numeroDemande": "X"}]}')
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    values = {"bundle": str(example("ms1-avance")), "bad_history": str(bad_history), "empty_dir": str(empty_dir)}
    code, out, err = run(*[a.format(**values) for a in args])
    assert code == 2, out
    assert message in err
    assert "Traceback" not in err + out


def test_spec_codes_and_show_list_the_catalogue_and_windows() -> None:
    code, out, _ = run("spec", "codes", "--format", "json")
    assert code == 0
    assert {row["code"] for row in orjson.loads(out)} == set(load_spec().codes)
    code, out, _ = run("spec", "show")
    assert code == 0 and "28/02/2024 14:00" in out and "19/12/2024 14:00" in out


def test_field_reference_in_the_spec_folder_is_up_to_date() -> None:
    """FIELDS.md is generated from the schemas; regenerate it when they change."""
    code, out, _ = run("spec", "fields")
    assert code == 0
    assert (SPEC.root / "FIELDS.md").read_text(encoding="utf-8") == out, (
        "FIELDS.md is stale: run segur spec fields --out fixtures/segur-ms-v1/FIELDS.md"
    )


def test_demo_checks_every_shipped_example_and_exits_0() -> None:
    code, out, _ = run("demo")
    assert code == 0, out
    assert out.count("Fichier : 0000") == 3
