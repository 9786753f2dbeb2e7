"""The spec folder is the single source of the format: the kit's code (outside ``fixtures/`` and
the spec reader) holds no field name, piece kind, status label or code of the model.

The model's names are read from its own spec folder: the keys on the pointers of its logical
fields and of its document, its piece words, its enumerations' words, its status labels and its
codes. A name that is also one of the kit's own documented contracts (the answer and API of the
mock, the history, receipt and enrolment files: their schemas list them) may appear, as that
contract's key."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests._support.paths import MODEL, ROOT

#: the spec reader: the only code that reads a spec folder's names
READER = {"mock_portal/controls/spec.py"}
#: the kit's packages
PACKAGES = ("segur", "mock_portal", "generators", "conformance")


def _parts(pointer: str) -> list[str]:
    return [part for part in pointer.strip("/").split("/") if part]


def model_names() -> dict[str, str]:
    """Each name of the model's format, with what it is."""
    manifest = orjson.loads((MODEL / "spec.json").read_bytes())
    found: dict[str, str] = {}
    for name, field in manifest["fields"].items():
        if name.startswith("$"):
            continue
        for part in _parts(field["pointer"]) + _parts(field.get("role", "")) + _parts(field.get("file", "")):
            found[part] = f"a key of the model's field {name}"
        for word in field.get("values", {}).values():
            found[word] = f"a word of the model's enumeration {name}"
    for name, field in manifest["document"]["fields"].items():
        for part in _parts(field["pointer"]):
            found[part] = f"a key of the model's envelope ({name})"
    for role, word in manifest["pieces"]["roles"].items():
        found[word] = f"the model's word for the piece role {role}"
    for key, label in manifest["statuts"].items():
        found[label] = f"the model's label of status {key}"
    codes = orjson.loads((MODEL / "codes.json").read_bytes())
    for entry in codes["codes"]:
        found[entry["code"]] = f"a code of the model's catalogue ({entry.get('rule')})"
    hand = manifest["files"].get("handChecks")
    if hand:  # the words a gestionnaire looks for in the pieces, and the warnings' labels
        for check, entry in orjson.loads((MODEL / hand).read_bytes())["checks"].items():
            for key, value in entry.items():
                if key == "source":
                    continue
                words = (
                    value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else [value]
                )
                for word in words:
                    found[word] = f"the model's words of the check by hand {check} ({key})"
    return found


def _contract_keys(document: Any, out: set[str], *, skip_prefix: str = "") -> None:
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "properties" and isinstance(value, dict):
                out.update(value)
            elif key == "required" and isinstance(value, list):
                out.update(v for v in value if isinstance(v, str))
            elif key == "name" and isinstance(value, str):
                out.add(value)
            if key in ("examples", "example") or (skip_prefix and key.startswith(skip_prefix)):
                continue  # examples of the model's files, copies of its schemas: not the kit's contract
            _contract_keys(value, out, skip_prefix=skip_prefix)
    elif isinstance(document, list):
        for item in document:
            _contract_keys(item, out, skip_prefix=skip_prefix)


def contract_names() -> set[str]:
    """The keys of the kit's own contracts (stable across specs)."""
    names: set[str] = set()
    for path in (
        MODEL / "schemas/history.schema.json",
        MODEL / "schemas/enrolment.schema.json",
        ROOT / "conformance/receipt.schema.json",
    ):
        _contract_keys(orjson.loads(path.read_bytes()), names)
    openapi = orjson.loads((ROOT / "mock_portal" / "openapi.json").read_bytes())
    _contract_keys(openapi, names, skip_prefix="fichier.")
    return names


def kit_sources() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", *PACKAGES], cwd=ROOT, check=True, capture_output=True, text=True)
    return [
        ROOT / name
        for name in listed.stdout.split()
        if name.endswith(".py") and name not in READER and (ROOT / name).is_file()
    ]


def string_literals(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_the_model_has_names_to_look_for() -> None:
    names = model_names()
    assert len(names) > 60 and any("code of the model" in what for what in names.values())


def test_no_literal_of_the_models_format_in_the_kits_code() -> None:
    looked_for = {name: what for name, what in model_names().items() if name not in contract_names()}
    found = []
    for path in kit_sources():
        for line, value in string_literals(path):
            if value in looked_for:
                found.append(f"{path.relative_to(ROOT)}:{line}: {value!r} ({looked_for[value]})")
    assert found == [], "read it through the spec instead:\n" + "\n".join(found)


@pytest.mark.parametrize("template", sorted((ROOT / "mock_portal" / "templates").rglob("*.html")), ids=lambda p: p.name)
def test_no_status_label_piece_word_or_code_of_the_model_in_the_pages(template: Path) -> None:
    """As a text of the page or a string of its code (either quotes); a code, as a word anywhere."""
    text = template.read_text(encoding="utf-8")
    names = {name: what for name, what in model_names().items() if "key of the model" not in what}

    def shown(name: str, what: str) -> bool:
        if any(form in text for form in (f">{name}<", f'"{name}"', f"'{name}'")):
            return True
        return "code of the model" in what and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None

    found = [f"{name!r} ({what})" for name, what in names.items() if shown(name, what)]
    assert found == [], f"{template.name}: " + ", ".join(found)
