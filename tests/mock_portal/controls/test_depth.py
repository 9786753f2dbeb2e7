"""The nesting check: jsonschema-rs with a schema of N levels, and the Python walk it falls back
to, give the same answers."""

from __future__ import annotations

from typing import Any

import pytest
from segur.mock_portal.controls.depth import _walk, too_deep


def nested(depth: int, kind: str) -> Any:
    value: Any = "feuille"
    for level in range(depth):
        value = {"n": value, "x": level} if kind == "object" else [1, value]
    return value


@pytest.mark.parametrize("kind", ["object", "list"])
@pytest.mark.parametrize("depth", [0, 1, 5, 31, 32, 33, 254, 255, 3000])
def test_the_schema_and_the_walk_agree(depth: int, kind: str) -> None:
    document = nested(depth, kind)
    expected = None if depth <= 32 else 33
    assert too_deep(document, 32) == _walk(document, 32) == expected


def test_a_value_the_validator_cannot_take_is_walked() -> None:
    assert too_deep({"a": [2**70]}, 2) is None and too_deep({"a": [[2**70]]}, 2) == 3
