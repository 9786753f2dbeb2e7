"""``segur spec check``, ``new`` and ``diff``: a spec author's tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
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
