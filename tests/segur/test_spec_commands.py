"""``segur spec check``, ``new`` and ``diff``: a spec author's tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from segur.cli import main
from tests._support.paths import SPEC


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def edit(path: Path, change: Any) -> None:
    data = orjson.loads(path.read_bytes())
    change(data)
    path.write_bytes(orjson.dumps(data))


def test_the_spec_in_force_passes_its_check() -> None:
    result = run("spec", "check", str(SPEC.root))
    assert result.exit_code == 0, result.output
    assert "utilisable par toutes les commandes" in result.output


def test_spec_new_copies_the_spec_in_force_with_what_to_change(tmp_path: Path) -> None:
    target = tmp_path / "mon-format"
    result = run("spec", "new", str(target), "--id", "mon-format")
    assert result.exit_code == 0, result.output
    assert (target / "A-ADAPTER.md").is_file() and (target / "GUIDE.md").is_file()
    assert orjson.loads((target / "spec.json").read_bytes())["id"] == "mon-format"
    assert run("spec", "check", str(target)).exit_code == 0
    again = run("spec", "new", str(target))
    assert again.exit_code == 2 and "exists already" in again.output


def test_spec_check_names_the_file_and_key_of_each_problem(tmp_path: Path) -> None:
    target = tmp_path / "casse"
    assert run("spec", "new", str(target)).exit_code == 0
    name = next(iter(SPEC.fields))
    some_rule = next(iter(SPEC.rule_codes))

    def move_field(doc: dict[str, Any]) -> None:
        doc["fields"][name]["pointer"] = "/nulle/part"

    def bad_label(doc: dict[str, Any]) -> None:
        for entry in doc["codes"]:
            if entry.get("rule") == some_rule:
                entry["label"] = "Erreur {parametreInconnu}"

    edit(target / "spec.json", move_field)
    edit(target / str(SPEC.files["codes"]), bad_label)
    result = run("spec", "check", str(target))
    assert result.exit_code == 1
    assert f"spec.json fields.{name}: /nulle/part is in no profile's request schema" in result.output
    assert f"({some_rule}): label placeholders {{parametreInconnu}} are not given by the rule" in result.output


def test_spec_check_names_a_bound_code_without_a_failing_or_a_passing_case(tmp_path: Path) -> None:
    """The guide: every bound code needs a case with a variant that fails with it and one that passes."""
    target = tmp_path / "sans-cas"
    assert run("spec", "new", str(target)).exit_code == 0
    cases = {path: orjson.loads(path.read_bytes()) for path in sorted((target / "cases").glob("*.json"))}
    (dropped, dropped_case), (trimmed, trimmed_case) = list(cases.items())[:2]
    dropped.unlink()
    trimmed_case["variants"] = [v for v in trimmed_case["variants"] if v["expect"] != "accepted"]
    trimmed.write_bytes(orjson.dumps(trimmed_case))
    no_case, no_pass = SPEC.rule_codes[dropped_case["rule"]], SPEC.rule_codes[trimmed_case["rule"]]

    result = run("spec", "check", str(target))

    assert result.exit_code == 1
    assert f"code {no_case.code} ({no_case.rule}): no golden case: add cases/*.json" in result.output
    assert f'code {no_pass.code} ({no_pass.rule}): no case of rule "{no_pass.rule}" has a variant' in result.output
    assert result.output.count(": no golden case") == 1, "only the rule whose case was removed lacks one"


def test_spec_check_stops_at_a_folder_that_does_not_load(tmp_path: Path) -> None:
    target = tmp_path / "illisible"
    assert run("spec", "new", str(target)).exit_code == 0
    edit(target / "spec.json", lambda doc: doc["statuts"].pop("payee"))
    result = run("spec", "check", str(target))
    assert result.exit_code == 1 and "statuts lacks the key(s) payee" in result.output


def test_spec_diff_says_what_changed(tmp_path: Path) -> None:
    target = tmp_path / "v2"
    assert run("spec", "new", str(target)).exit_code == 0
    name = next(n for n, d in SPEC.fields.items() if d.kind == "text")
    rule, entry = next(iter(SPEC.rule_codes.items()))

    def change(doc: dict[str, Any]) -> None:
        doc["fields"][name]["pointer"] = "/ailleurs"
        doc["limits"]["maxDemandes"] = 150

    def renumber(doc: dict[str, Any]) -> None:
        for item in doc["codes"]:
            if item.get("rule") == rule:
                item["label"] = "Nouveau libellé"

    edit(target / "spec.json", change)
    edit(target / str(SPEC.files["codes"]), renumber)
    result = run("spec", "diff", str(SPEC.root), str(target))
    assert result.exit_code == 0, result.output
    assert f"~ {name} : déplacé de {SPEC.fields[name].pointer} vers /ailleurs" in result.output
    assert f"~ maxDemandes : {SPEC.limits['maxDemandes']} → 150" in result.output
    assert f"~ {entry.code} ({rule}) : « {entry.label} » → « Nouveau libellé »" in result.output
    same = run("spec", "diff", str(SPEC.root), str(SPEC.root))
    assert same.output.strip() == "aucune différence"


def test_spec_diff_lists_each_section_once_with_what_was_added(tmp_path: Path) -> None:
    """A new window, a new mandatory field the kit does not know, the numbering, the deposit type
    values and the code pattern; each section's heading once."""
    old, new = tmp_path / "v1", tmp_path / "v2"
    assert run("spec", "new", str(old)).exit_code == 0 and run("spec", "new", str(new)).exit_code == 0
    dropped = list(SPEC.profiles)[-1]
    first = next(iter(SPEC.profiles.values()))
    solde_value = SPEC.deposit_types["solde"] + "X"

    def drop_profile(doc: dict[str, Any]) -> None:
        del doc["profiles"][dropped]

    def drop_window(doc: dict[str, Any]) -> None:
        del doc["windows"][dropped]
        mss = doc.get("deploiementMss", {})
        mss["profiles"] = [p for p in mss.get("profiles", []) if p != dropped]

    def renumber_and_retype(doc: dict[str, Any]) -> None:
        doc["numerotation"] = "{code}/{annee}/{sequence:05d}"
        doc["depositTypes"]["solde"] = solde_value
        for profile in doc["profiles"].values():
            if profile["typeDemande"] == SPEC.deposit_types["solde"]:
                profile["typeDemande"] = solde_value

    def new_mandatory_field(doc: dict[str, Any]) -> None:
        doc["properties"]["horodatage"] = {"type": "string", "examples": ["2024-01-01T00:00"]}
        doc["required"].append("horodatage")

    edit(old / "spec.json", drop_profile)
    edit(old / str(SPEC.files["calendar"]), drop_window)
    edit(new / "spec.json", renumber_and_retype)
    first_rule, second_rule, third_rule = sorted(SPEC.rule_codes)[:3]

    def recode(doc: dict[str, Any]) -> None:
        """Codes and labels changed in turn (the changes of a rule come together, by rule)."""
        doc["codePattern"] = "^[A-Z0-9]{2,8}$"
        for entry in doc["codes"]:
            if entry.get("rule") in (first_rule, third_rule):
                entry["code"] = "Z1" if entry["rule"] == first_rule else "Z3"
            elif entry.get("rule") == second_rule:
                entry["label"] = "Nouveau libellé"

    edit(new / str(SPEC.files["codes"]), recode)
    edit(new / first.schema_path.relative_to(SPEC.root), new_mandatory_field)

    result = run("spec", "diff", str(old), str(new))

    assert result.exit_code == 0, result.output
    window = SPEC.windows[dropped]
    when = "%d/%m/%Y %H:%M"
    expected = [
        f"+ guichet {dropped} : ouvert du {window.opens:{when}} au {window.closes:{when}}",
        f'+ /horodatage (dans le fichier ; {first.name}) : valeur écrite "2024-01-01T00:00"',
        f"~ numérotation : {SPEC.numbering} → {{code}}/{{annee}}/{{sequence:05d}}",
        f"~ type de dépôt solde : valeur {SPEC.deposit_types['solde']} → {solde_value}",
        f"~ motif des codes : {SPEC.code_pattern} → ^[A-Z0-9]{{2,8}}$",
        f"~ {first_rule} : code {SPEC.rule_codes[first_rule].code} → Z1",
        f"~ {third_rule} : code {SPEC.rule_codes[third_rule].code} → Z3",
    ]
    for line in expected:
        assert f"  {line}\n" in result.output, result.output
    headings = [line for line in result.output.splitlines() if not line.startswith(" ")]
    assert len(headings) == len(set(headings)), headings


def test_spec_check_says_when_a_ttc_ceiling_is_not_its_ht_at_the_reference_rate(tmp_path: Path) -> None:
    target = tmp_path / "plafonds"
    assert run("spec", "new", str(target)).exit_code == 0
    software = next(iter(SPEC.ceilings))
    category = next(iter(SPEC.ceilings[software]))
    ceiling = SPEC.ceilings[software][category]

    def off_by_a_cent(doc: dict[str, Any]) -> None:
        doc["plafonds"][software][category]["ttc"] = (ceiling.ttc + 1) / 100

    edit(target / str(SPEC.files["ceilings"]), off_by_a_cent)
    result = run("spec", "check", str(target))
    assert result.exit_code == 1
    assert (
        f"plafonds.{software}.{category}: ttc" in result.output
        and "the controls compare on the HT basis" in result.output
    )


def test_the_checks_by_hand_are_checked_and_diffed(tmp_path: Path) -> None:
    """A check by hand the kit does not know, or without its words, stops the folder with its file
    and key; words that no longer match the pieces are found by the check; a change is diffed."""
    if not SPEC.hand_checks:
        pytest.skip("the spec in force names no checks by hand (spec.json files.handChecks)")
    target = tmp_path / "mots"
    assert run("spec", "new", str(target)).exit_code == 0
    relative = orjson.loads((target / "spec.json").read_bytes())["files"]["handChecks"]
    hand = target / relative
    first = next(iter(SPEC.hand_checks))
    edit(hand, lambda doc: doc["checks"].update({"inconnu": {"label": "x", "source": "y"}}))
    unknown = run("spec", "check", str(target))
    assert unknown.exit_code == 1 and f"{relative}: checks.inconnu: not a check the kit knows" in unknown.output
    edit(hand, lambda doc: doc["checks"].pop("inconnu"))
    edit(hand, lambda doc: doc["checks"][first].pop("label"))
    missing = run("spec", "check", str(target))
    assert missing.exit_code == 1 and f"checks.{first}.label: missing or empty" in missing.output
    edit(hand, lambda doc: doc["checks"][first].update(label=SPEC.hand_checks[first]["label"]))
    assert run("spec", "check", str(target)).exit_code == 0
    if "bdc-state-mention" in SPEC.hand_checks:
        other = tmp_path / "autre"  # a folder not read yet (a loaded spec is kept per folder)
        assert run("spec", "new", str(other)).exit_code == 0
        edit(other / relative, lambda doc: doc["checks"]["bdc-state-mention"].update(mention="Autre mention de l'État"))
        diff = run("spec", "diff", str(SPEC.root), str(other))
        assert diff.exit_code == 0 and "contrôles à la main" in diff.output
        assert "~ bdc-state-mention : mention" in diff.output and "Autre mention de l'État" in diff.output
