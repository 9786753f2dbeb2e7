"""`segur check`: the portal's answer in a terminal, with exit codes 0, 1 and 2."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from segur.mock_portal.controls import Deposit, check_deposit, load_spec
from segur.mock_portal.controls.writer import required_unknown

from segur.cli import main
from tests._support.logical import code, data, example_document, example_requests, first_profile, set_raw
from tests._support.paths import EXAMPLES, ROOT, SPEC, example

AVANCE = ["--type", "avance", "--vat", "20"]
#: the spec's first avance and solde profiles, whose examples the tests check
AVANCE_PROFILE, SOLDE_PROFILE = first_profile("avance"), first_profile("solde")
#: a SIRET whose Luhn key is wrong
BAD_SIRET = "41234567000018"
#: the spec folders shipped in fixtures/, each with its generated FIELDS.md
SHIPPED = sorted(path.parent for path in (ROOT / "fixtures").glob("*/spec.json"))
ACCEPTED_ROW = f"{SPEC.accepted_code:<5} {SPEC.codes[SPEC.accepted_code].label}"


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def broken_bundle(tmp_path: Path) -> Path:
    """The first avance example with a SIRET of wrong key on its second line."""
    path = tmp_path / "bundle.json"
    path.write_bytes(orjson.dumps(set_raw(example_document(), 1, "site_siret", BAD_SIRET)))
    return path


def folded(text: str) -> str:
    """``text`` with its runs of spaces and line breaks as one space (the table wraps labels)."""
    return " ".join(text.split())


def test_valid_bundle_with_its_zip_exits_0_and_states_the_time_checked() -> None:
    requests = example_requests(AVANCE_PROFILE)
    at = SPEC.windows[AVANCE_PROFILE].default_deposit + timedelta(minutes=1)
    exit_code, out, _ = run(
        "check",
        example(AVANCE_PROFILE),
        "--attachments",
        EXAMPLES / f"{AVANCE_PROFILE}.zip",
        *AVANCE,
        "--ans",
        requests[0]["ans_number"],
        "--at",
        f"{at:%Y-%m-%dT%H:%M}",
    )
    assert exit_code == 0, out
    assert f"{at:%d/%m/%Y %H:%M} ({SPEC.timezone.key})" in out
    assert out.count(ACCEPTED_ROW) == len(requests)


def test_default_deposit_time_is_the_calendars_and_is_printed() -> None:
    exit_code, out, _ = run("check", example(AVANCE_PROFILE), *AVANCE)
    assert exit_code == 0
    assert f"{SPEC.windows[AVANCE_PROFILE].default_deposit:%d/%m/%Y %H:%M}" in out


def test_rejected_line_exits_1_and_shows_code_and_label(tmp_path: Path) -> None:
    exit_code, out, _ = run("check", broken_bundle(tmp_path), *AVANCE)
    label = SPEC.label_for(code("siret-key"), {"valeur": BAD_SIRET, "champ": SPEC.pointer("site_siret")})
    assert exit_code == 1
    assert code("siret-key") in out and BAD_SIRET in label and folded(label) in folded(out)


def test_json_format_is_exactly_the_answer_of_the_controls(tmp_path: Path) -> None:
    bundle = broken_bundle(tmp_path)
    pieces = EXAMPLES / f"{AVANCE_PROFILE}.zip"
    exit_code, out, _ = run("check", bundle, *AVANCE, "--format", "json", "--mode", "import", "--attachments", pieces)
    expected = check_deposit(
        bundle.read_bytes(), Deposit("avance", 20), spec=SPEC, mode="import", attachments=pieces
    ).to_json()
    if SPEC.hand_checks:  # the pieces read: the warnings of the checks by hand beside (none here)
        expected["avertissements"] = []
    assert exit_code == 1
    assert orjson.loads(out) == expected
    lines = orjson.loads(out)["lignes"]
    accepted = SPEC.accepted_code
    assert [line["codetraitement"] for line in lines] == [accepted, code("siret-key"), accepted]
    assert "numeroDemande" in lines[0] and "numeroDemande" not in lines[1]


def test_whole_file_rejected_prints_the_file_code(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(example(AVANCE_PROFILE).read_bytes()[:40])  # cut short: not JSON
    exit_code, out, _ = run("check", path, *AVANCE)
    assert exit_code == 1
    assert f"Fichier rejeté pour non-conformité : {code('file-json')}" in out


def test_solde_with_history_is_accepted_and_without_it_a_note_explains() -> None:
    solde = ["check", example(SOLDE_PROFILE), "--type", "solde", "--vat", "20"]
    exit_code, out, _ = run(*solde, "--history", EXAMPLES / f"{SOLDE_PROFILE}.history.json")
    assert exit_code == 0, out
    exit_code, out, err = run(*solde)
    assert exit_code == 1 and code("solde-avance-unknown") in out
    assert "--history" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "missing.json", *AVANCE], "does not exist"),
        (["check", "{bundle}", "--type", "acompte", "--vat", "20"], "expected one of avance, solde"),
        (["check", "{bundle}", "--type", "avance", "--vat", "19.6"], "expected one of {rates}"),
        (["check", "{bundle}", *AVANCE, "--at", "demain"], "expected an ISO 8601 time"),
        (["check", "{bundle}", *AVANCE, "--corrected-at", "demain"], "expected an ISO 8601 time"),
        (["check", "{bundle}", *AVANCE, "--history", "{odd_amount}"], "montantDemande 12.345"),
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
    odd_amount = tmp_path / "odd.json"
    entry = {"numeroDemande": "X", "typeDemande": "T", "couloir": "C", "typeLogiciel": "L", "statut": "S"}
    odd_amount.write_bytes(orjson.dumps({"demandes": [{**entry, "montantDemande": 12.345}]}))
    values = {
        "bundle": str(example(AVANCE_PROFILE)),
        "bad_history": str(bad_history),
        "empty_dir": str(empty_dir),
        "odd_amount": str(odd_amount),
    }
    exit_code, out, err = run(*[a.format(**values) for a in args])
    assert exit_code == 2, out
    assert message.format(rates=", ".join(f"{rate:g}" for rate in SPEC.vat_rates)) in err
    assert "Traceback" not in err + out


def test_spec_codes_and_show_list_the_catalogue_and_windows() -> None:
    exit_code, out, _ = run("spec", "codes", "--format", "json")
    assert exit_code == 0
    assert {row["code"] for row in orjson.loads(out)} == set(load_spec().codes)
    exit_code, out, _ = run("spec", "show")
    assert exit_code == 0
    assert SPEC.windows and all(f"{window.closes:%d/%m/%Y %H:%M}" in out for window in SPEC.windows.values())


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_field_reference_in_each_shipped_spec_folder_is_up_to_date(folder: Path) -> None:
    """FIELDS.md is generated from the schemas; regenerate it when they change."""
    exit_code, out, _ = run("spec", "fields", "--spec", folder)
    assert exit_code == 0
    assert (folder / "FIELDS.md").read_text(encoding="utf-8") == out, (
        f"FIELDS.md is stale: run segur spec fields --spec {folder} --out {folder / 'FIELDS.md'}"
    )


def test_field_reference_says_what_the_spec_says_of_itself_and_documents_the_envelope(tmp_path: Path) -> None:
    folder = tmp_path / "autre"
    shutil.copytree(SPEC.root, folder, ignore=shutil.ignore_patterns("cases", "examples"))
    manifest = orjson.loads((folder / "spec.json").read_bytes())
    manifest.update(model=True, modelNote="Note de test : format imaginaire.", title="Titre de test")
    (folder / "spec.json").write_bytes(orjson.dumps(manifest))

    _, out, _ = run("spec", "fields", "--spec", folder)

    assert out.startswith("# Référence des champs — Titre de test\n")
    assert "Note de test : format imaginaire." in out and "naming habits" not in out
    for name, definition in SPEC.document.items():
        assert f"| `{name}` | `{definition.pointer}` |" in out
    for profile in SPEC.profiles:
        for field in required_unknown(profile, SPEC):
            assert f"| `{field.pointer}` |" in out.split("## Champs logiques")[0]
    official = tmp_path / "officiel"  # another folder: a loaded spec is kept per folder
    shutil.copytree(folder, official)
    manifest["model"] = False
    (official / "spec.json").write_bytes(orjson.dumps(manifest))
    _, out, _ = run("spec", "fields", "--spec", official)
    assert "Note de test" not in out and "**Model**" not in out


def test_demo_checks_every_shipped_example_and_exits_0() -> None:
    exit_code, out, _ = run("demo")
    bundles = [path for path in EXAMPLES.glob("*.json") if not path.name.endswith(".history.json")]
    assert exit_code == 0, out
    assert bundles and out.count(f"Fichier : {SPEC.accepted_code} ") == len(bundles)


@pytest.mark.skipif(
    SPEC.mss_from is None or SOLDE_PROFILE not in SPEC.mss_profiles or not SPEC.has("mss_indicator"),
    reason=f"the spec in force ({SPEC.label}) has no MSS indicator date for {SOLDE_PROFILE} in calendar.json",
)
def test_a_correction_is_checked_at_its_own_time_for_the_mss_indicator(tmp_path: Path) -> None:
    """--corrected-at: a solde deposited before the MSS date without the indicator and corrected
    after it is refused for the missing indicator; corrected before it, accepted."""
    solde = [
        {k: v for k, v in values.items() if k not in ("mss_indicator", "mss_address")}
        for values in example_requests(SOLDE_PROFILE)
    ]
    path = tmp_path / "solde.json"
    path.write_bytes(data(solde, SOLDE_PROFILE))
    deposited = (SPEC.mss_from - timedelta(days=30)).isoformat()
    checked = ["check", path, "--type", "solde", "--vat", "20", "--at", deposited]
    checked += ["--history", EXAMPLES / f"{SOLDE_PROFILE}.history.json"]
    exit_code, out, _ = run(*checked)
    assert exit_code == 0, out
    exit_code, out, _ = run(*checked, "--corrected-at", (SPEC.mss_from + timedelta(days=1)).isoformat())
    assert exit_code == 1 and code("mss-missing") in out and "Correction d'une demande" in out
    exit_code, out, _ = run(*checked, "--corrected-at", (SPEC.mss_from - timedelta(minutes=1)).isoformat())
    assert exit_code == 0, out


@pytest.mark.parametrize("depth", [33, 255, 5000])
def test_a_file_nested_at_any_depth_gets_the_file_depth_code_never_a_traceback(depth: int, tmp_path: Path) -> None:
    """``Recursion limit reached`` was what segur check said of a line nested 255 levels."""
    document = example_document()
    raw_requests = SPEC.document["requests"].path
    requests = document
    for key in raw_requests:
        requests = requests[key]
    requests[0]["annexe"] = "@@imbrication@@"
    path = tmp_path / "bundle.json"
    path.write_bytes(orjson.dumps(document).replace(b'"@@imbrication@@"', b"[" * depth + b"]" * depth))
    exit_code, out, err = run("check", path, *AVANCE)
    assert exit_code == 1, out + err
    assert code("file-depth") in out and "Traceback" not in out + err


def test_a_history_file_nested_too_deep_is_a_usage_error(tmp_path: Path) -> None:
    history = tmp_path / "history.json"
    history.write_bytes(b"[" * 2000 + b"]" * 2000)
    exit_code, _, err = run("check", example(AVANCE_PROFILE), *AVANCE, "--history", history)
    assert exit_code == 2 and "history.json" in err and "Traceback" not in err
