"""Where the shipped spec and its examples are."""

from __future__ import annotations

from pathlib import Path

from segur.mock_portal.controls import load_spec

SPEC = load_spec()
EXAMPLES = SPEC.root / "examples"
#: the project checkout (examples/, benchmarks/)
ROOT = Path(__file__).resolve().parents[2]


def example(name: str) -> Path:
    return EXAMPLES / f"{name}.json"
