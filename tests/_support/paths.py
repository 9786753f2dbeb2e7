"""Where the spec in force and its examples are (the kit's model, or ``SEGUR_SPEC``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from segur.mock_portal.controls import load_spec

SPEC = load_spec()
EXAMPLES = SPEC.root / "examples"
#: the project checkout (examples/, benchmarks/)
ROOT = Path(__file__).resolve().parents[2]
#: the kit's own model spec folder
MODEL = ROOT / "fixtures" / "segur-ms-v1"
#: True when the tests run against the kit's model (not a SEGUR_SPEC of another format)
ON_MODEL = SPEC.root.resolve() == MODEL.resolve()


def example(name: str) -> Path:
    """The example bundle of profile ``name`` (``examples/<profile>.json`` of the spec folder)."""
    return EXAMPLES / f"{name}.json"


def examples_of(profile: str) -> list[Any]:
    """The example bundles of ``profile`` in the spec folder, parsed."""
    return [orjson.loads(path.read_bytes()) for path in sorted(EXAMPLES.glob(f"{profile}*.json")) if _bundle(path)]


def _bundle(path: Path) -> bool:
    return not path.name.endswith(".history.json")
