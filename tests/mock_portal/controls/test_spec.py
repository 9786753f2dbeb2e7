"""The controls read the spec: a user's own folder changes codes, labels and field names."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from segur.mock_portal.controls import Deposit, SpecError, check_deposit, load_spec
from segur.mock_portal.controls.spec import SPEC_ENV, default_spec_dir, make_pointer
from segur.mock_portal.controls.writer import put, remove

from tests._support.logical import code, example_document, first_profile, raw_requests, set_raw
from tests._support.paths import SPEC, example

AVANCE = first_profile("avance")
CODES, CALENDAR = str(SPEC.files["codes"]), str(SPEC.files["calendar"])
BAD_SIRET = "41234567000018"


def copy_spec(tmp_path: Path) -> Path:
    target = tmp_path / "my-spec"
    shutil.copytree(SPEC.root, target, ignore=shutil.ignore_patterns("cases"))
    return target


def edit_json(path: Path, change: Any) -> None:
    data = orjson.loads(path.read_bytes())
    change(data)
    path.write_bytes(orjson.dumps(data))


def bad_siret_bundle() -> dict[str, Any]:
    """The first avance example with a SIRET of wrong key on its second line."""
    changed: dict[str, Any] = set_raw(example_document(), 1, "site_siret", BAD_SIRET)
    return changed


def free_code(near: str) -> str:
    """A code the catalogue does not use, of the same form as ``near``."""
    return next(f"{near[:-1]}{digit}" for digit in "987654321" if f"{near[:-1]}{digit}" not in SPEC.codes)


def rename_property(node: Any, old: str, new: str) -> None:
    """Rename the property ``old`` to ``new`` wherever a schema lists it (and requires it)."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict) and old in properties:
            node["properties"] = {new if key == old else key: value for key, value in properties.items()}
        if isinstance(node.get("required"), list):
            node["required"] = [new if key == old else key for key in node["required"]]
        for value in node.values():
            rename_property(value, old, new)
    elif isinstance(node, list):
        for value in node:
            rename_property(value, old, new)


def test_a_users_catalogue_changes_the_code_and_label_printed(tmp_path: Path) -> None:
    root = copy_spec(tmp_path)

    new = free_code(code("siret-key"))

    def renumber(doc: dict[str, Any]) -> None:
        for entry in doc["codes"]:
            if entry["rule"] == "siret-key":
                entry["code"], entry["label"] = new, "SIRET erroné : {valeur}"

    edit_json(root / CODES, renumber)
    answer = check_deposit(orjson.dumps(bad_siret_bundle()), Deposit("avance", 20), spec=load_spec(root))
    line = answer.to_json()["lignes"][1]
    assert (line["codetraitement"], line["libelletraitement"]) == (new, f"SIRET erroné : {BAD_SIRET}")


def test_a_rule_left_out_of_the_catalogue_is_not_enforced(tmp_path: Path) -> None:
    root = copy_spec(tmp_path)
    edit_json(root / CODES, lambda doc: doc.update(codes=[c for c in doc["codes"] if c["rule"] != "siret-key"]))
    answer = check_deposit(orjson.dumps(bad_siret_bundle()), Deposit("avance", 20), spec=load_spec(root))
    assert answer.all_accepted


def test_field_names_come_from_the_spec(tmp_path: Path) -> None:
    """Rename a field in the schema and in spec.json: the SIRET control follows it."""
    root = copy_spec(tmp_path)

    path = SPEC.fields["site_siret"].path
    renamed = (*path[:-1], "numeroSiretRenomme")
    schemas = [
        *SPEC.files.get("shared", []),
        *(str(p.schema_path.relative_to(SPEC.root)) for p in SPEC.profiles.values()),
    ]
    for relative in schemas:
        edit_json(root / relative, lambda doc: rename_property(doc, path[-1], renamed[-1]))
    edit_json(root / "spec.json", lambda doc: doc["fields"]["site_siret"].update(pointer=make_pointer(renamed)))
    bundle = bad_siret_bundle()
    request = raw_requests(bundle)[1]
    remove(request, path)
    put(request, renamed, BAD_SIRET)
    answer = check_deposit(orjson.dumps(bundle), Deposit("avance", 20), spec=load_spec(root))
    findings = answer.lines[1].findings
    assert [(f.code, f.pointer) for f in findings] == [(code("siret-key"), make_pointer(renamed))]


def test_the_calendar_of_the_spec_sets_the_window(tmp_path: Path) -> None:
    root = copy_spec(tmp_path)
    closes = SPEC.windows[AVANCE].default_deposit - timedelta(days=1)
    edit_json(root / CALENDAR, lambda doc: doc["windows"][AVANCE].update(fermeture=f"{closes:%Y-%m-%dT%H:%M}"))
    answer = check_deposit(example(AVANCE).read_bytes(), Deposit("avance", 20), spec=load_spec(root))
    assert answer.file_findings[0].code == code("file-window")


def test_spec_env_variable_selects_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_spec(tmp_path)
    monkeypatch.setenv(SPEC_ENV, str(root))
    assert default_spec_dir() == root
    assert load_spec().root == root.resolve()


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        (CODES, lambda d: d["codes"].append(dict(d["codes"][1])), "used twice"),
        (CODES, lambda d: d["codes"][1].update(code="1 2"), "does not match the catalogue's codePattern"),
        (CODES, lambda d: d.update(retired=[d["codes"][1]["code"]]), "never reused"),
        (CODES, lambda d: d["codes"][1].update(level="global"), "expected one of"),
        (CALENDAR, lambda d: d["windows"][AVANCE].update(fermeture="28/02/2024"), "not an ISO 8601 time"),
        (CALENDAR, lambda d: d.update(timezone="Mars/Olympus"), "unknown time zone"),
        (
            "spec.json",
            lambda d: d["fields"]["site_siret"].update(pointer="site.siret"),
            "site_siret: Location must start with /",
        ),
        ("spec.json", lambda d: d["fields"].update(siret=SPEC.pointer("site_siret")), "not a logical field of the kit"),
        ("spec.json", lambda d: d["fields"]["amount_ht"].update(unit="francs"), "'euros' or 'cents'"),
        ("spec.json", lambda d: d["fields"]["bdc_date"].update(type="text"), "reads this field as 'date'"),
        ("spec.json", lambda d: d["statuts"].pop("payee"), "statuts lacks the key.s. payee"),
        ("spec.json", lambda d: d["pieces"]["required"].update(avance=["bon"]), "roles .'bon'. have no word"),
        ("spec.json", lambda d: d.update(specFormat=1), "specFormat 1"),
        ("spec.json", lambda d: d.pop("profiles"), "missing key 'profiles'"),
        ("spec.json", lambda d: d.update(statutsPrecedents={"nonStatut": ["x"]}), "statutsPrecedents maps status keys"),
        (
            "spec.json",
            lambda d: d.update(statutsPrecedents={"incomplete": [d["statuts"]["enAttente"]]}),
            "statutsPrecedents names current labels",
        ),
        (
            str(SPEC.files["ceilings"]),
            lambda d: d["plafonds"][next(iter(d["plafonds"]))].update({"999": 20000.0}),
            r"plafonds\..*\.999: expected \{\"ht\": euros, \"ttc\": euros\}",
        ),
        (
            str(SPEC.files["ceilings"]),
            lambda d: d["plafonds"][next(iter(d["plafonds"]))].update({"999": {"ht": 100.001, "ttc": 120.0}}),
            "ht and ttc must be positive amounts in euros with two decimals",
        ),
        (
            CALENDAR,
            lambda d: next(iter(d["appelsAFinancement"].values())).update(publication="12/02/2022"),
            "not an ISO date",
        ),
        (
            CALENDAR,
            lambda d: next(iter(d["appelsAFinancement"].values())).update(delaiBdcAvantDossierJours="120"),
            "delaiBdcAvantDossierJours",
        ),
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
    edit_json(root / CODES, lambda d: d["codes"][1].update(rule="not-a-rule"))
    with pytest.raises(SpecError, match="not-a-rule"):
        load_spec(root)


def test_a_schema_that_is_not_json_is_refused(tmp_path: Path) -> None:
    root = copy_spec(tmp_path)
    schema = SPEC.profiles[AVANCE].schema_path
    (root / schema.relative_to(SPEC.root)).write_text("{not json")
    with pytest.raises(SpecError, match=re.escape(f"{schema.name}: not valid JSON")):
        load_spec(root)


def test_each_programme_has_its_own_af_and_its_own_ceilings_ht_and_ttc() -> None:
    """Every window names an appel à financement of the calendar; ceilings are read HT and TTC in
    cents, the TTC being the HT at the reference rate, and are compared at the deposit's rate."""
    for name, window in SPEC.windows.items():
        assert window.af in SPEC.afs, name
        assert SPEC.af_of(name) is SPEC.afs[window.af]
    for table in SPEC.ceilings.values():
        for ceiling in table.values():
            assert ceiling.ttc == ceiling.at_rate(ceiling.reference_rate)
            assert ceiling.at_rate(0) == ceiling.ht
            assert ceiling.at_rate(5.5) <= ceiling.ttc or ceiling.reference_rate < 5.5


def test_the_referentiel_dates_of_an_ans_number() -> None:
    listed = SPEC.referencement()["solutions"]
    dated = [numero for numero, entry in listed.items() if "dateDossierComplet" in entry]
    assert dated, "the référentiel gives dossier dates to some of its solutions"
    dossier, referenced = SPEC.solution_dates(dated[0])
    assert dossier is not None and dossier.isoformat() == listed[dated[0]]["dateDossierComplet"]
    assert referenced is None or referenced >= dossier
    assert SPEC.solution_dates("not-a-number") == (None, None)
