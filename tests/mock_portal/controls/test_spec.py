"""The controls read the spec: a user's own folder changes codes, labels and field names."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from segur.mock_portal.controls import Deposit, SpecError, check_deposit, load_spec
from segur.mock_portal.controls.spec import SPEC_ENV, default_spec_dir

from tests._support.paths import SPEC, example


def copy_spec(tmp_path: Path) -> Path:
    target = tmp_path / "my-spec"
    shutil.copytree(SPEC.root, target, ignore=shutil.ignore_patterns("cases"))
    return target


def edit_json(path: Path, change: Any) -> None:
    data = orjson.loads(path.read_bytes())
    change(data)
    path.write_bytes(orjson.dumps(data))


def bad_siret_bundle() -> dict[str, Any]:
    bundle = orjson.loads(example("ms1-avance").read_bytes())
    bundle["demandes"][1]["etablissement"]["siret"] = "41234567000018"
    return bundle


def test_a_users_catalogue_changes_the_code_and_label_printed(tmp_path: Path) -> None:
    root = copy_spec(tmp_path)

    def renumber(doc: dict[str, Any]) -> None:
        for entry in doc["codes"]:
            if entry["rule"] == "siret-key":
                entry["code"], entry["label"] = "7045", "SIRET erroné : {valeur}"

    edit_json(root / "codes.json", renumber)
    answer = check_deposit(orjson.dumps(bad_siret_bundle()), Deposit("avance", 20), spec=load_spec(root))
    line = answer.to_json()["lignes"][1]
    assert (line["codetraitement"], line["libelletraitement"]) == ("7045", "SIRET erroné : 41234567000018")


def test_a_rule_left_out_of_the_catalogue_is_not_enforced(tmp_path: Path) -> None:
    root = copy_spec(tmp_path)
    edit_json(root / "codes.json", lambda doc: doc.update(codes=[c for c in doc["codes"] if c["rule"] != "siret-key"]))
    answer = check_deposit(orjson.dumps(bad_siret_bundle()), Deposit("avance", 20), spec=load_spec(root))
    assert answer.all_accepted


def test_field_names_come_from_the_spec(tmp_path: Path) -> None:
    """Rename a field in the schema and in spec.json: the SIRET control follows it."""
    root = copy_spec(tmp_path)

    def rename_in_common(doc: dict[str, Any]) -> None:
        props = doc["$defs"]["etablissement"]["properties"]
        props["numeroSiret"] = props.pop("siret")

    edit_json(root / "schemas" / "common.schema.json", rename_in_common)
    edit_json(root / "spec.json", lambda doc: doc["fields"]["site_siret"].update(pointer="/etablissement/numeroSiret"))
    bundle = bad_siret_bundle()
    site = bundle["demandes"][1]["etablissement"]
    site["numeroSiret"] = site.pop("siret")
    answer = check_deposit(orjson.dumps(bundle), Deposit("avance", 20), spec=load_spec(root))
    findings = answer.lines[1].findings
    assert [(f.code, f.pointer) for f in findings] == [("2011", "/etablissement/numeroSiret")]


def test_the_calendar_of_the_spec_sets_the_window(tmp_path: Path) -> None:
    root = copy_spec(tmp_path)
    edit_json(root / "calendar.json", lambda doc: doc["windows"]["ms1-avance"].update(fermeture="2024-01-31T14:00"))
    answer = check_deposit(example("ms1-avance").read_bytes(), Deposit("avance", 20), spec=load_spec(root))
    assert answer.file_findings[0].code == "1011"


def test_spec_env_variable_selects_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_spec(tmp_path)
    monkeypatch.setenv(SPEC_ENV, str(root))
    assert default_spec_dir() == root
    assert load_spec().root == root.resolve()


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("codes.json", lambda d: d["codes"].append(dict(d["codes"][1])), "used twice"),
        ("codes.json", lambda d: d["codes"][1].update(code="12"), "does not match the catalogue's codePattern"),
        ("codes.json", lambda d: d.update(retired=[d["codes"][1]["code"]]), "never reused"),
        ("codes.json", lambda d: d["codes"][1].update(level="global"), "expected one of"),
        ("calendar.json", lambda d: d["windows"]["ms1-avance"].update(fermeture="28/02/2024"), "not an ISO 8601 time"),
        ("calendar.json", lambda d: d.update(timezone="Mars/Olympus"), "unknown time zone"),
        ("spec.json", lambda d: d["fields"]["site_siret"].update(pointer="etablissement.siret"), "site_siret: Location must start with /"),
        ("spec.json", lambda d: d["fields"].update(siret="/etablissement/siret"), "not a logical field of the kit"),
        ("spec.json", lambda d: d["fields"]["amount_ht"].update(unit="francs"), "'euros' or 'cents'"),
        ("spec.json", lambda d: d["fields"]["bdc_date"].update(type="text"), "reads this field as 'date'"),
        ("spec.json", lambda d: d["statuts"].pop("payee"), "statuts lacks the key.s. payee"),
        ("spec.json", lambda d: d["pieces"]["required"].update(avance=["bon"]), "roles .'bon'. have no word"),
        ("spec.json", lambda d: d.update(specFormat=1), "specFormat 1"),
        ("spec.json", lambda d: d.pop("profiles"), "missing key 'profiles'"),
    ],
)
def test_a_broken_spec_folder_is_refused_with_the_file_and_the_reason(
    tmp_path: Path, file: str, change: Any, message: str
) -> None:
    root = copy_spec(tmp_path)
    edit_json(root / file, change)
    with pytest.raises(SpecError, match=message) as caught:
        load_spec(root)
    assert file in str(caught.value) or str(root) in str(caught.value)


def test_a_catalogue_naming_an_unknown_rule_is_refused(tmp_path: Path) -> None:
    root = copy_spec(tmp_path)
    edit_json(root / "codes.json", lambda d: d["codes"][1].update(rule="not-a-rule"))
    with pytest.raises(SpecError, match="not-a-rule"):
        load_spec(root)


def test_a_schema_that_is_not_json_is_refused(tmp_path: Path) -> None:
    root = copy_spec(tmp_path)
    (root / "schemas" / "ms1-avance.schema.json").write_text("{not json")
    with pytest.raises(SpecError, match=r"ms1-avance\.schema\.json: not valid JSON"):
        load_spec(root)
