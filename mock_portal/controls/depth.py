"""How deep a parsed JSON document nests: checked before a schema validator or a control walks
it (jsonschema-rs and orjson's writer stop at 255 levels with an error, Python at its recursion
limit)."""

from __future__ import annotations

from functools import cache
from typing import Any

#: the nesting a file may have when the spec's limits do not say (a deposit file nests 5 levels)
DEFAULT_MAX_DEPTH = 32
#: what orjson says of a document nested beyond its 1024 levels
DEPTH_ERROR = "depth"


def too_deep(document: Any, maximum: int) -> int | None:
    """``maximum + 1`` when ``document`` nests lists and objects deeper than ``maximum`` levels
    (a scalar is 0, ``[]`` is 1), else None. Asked of jsonschema-rs with a schema of ``maximum``
    nested levels (:func:`_levels`: one pass in Rust, and it stops at the first level too deep),
    else walked in Python."""
    try:
        return None if _levels(maximum).is_valid(document) else maximum + 1
    except (ValueError, TypeError, OverflowError):  # a value jsonschema-rs cannot take
        return _walk(document, maximum)


@cache
def _levels(maximum: int) -> Any:
    """A validator of "at most ``maximum`` levels": level 0 is a scalar; level k holds members of
    level k - 1 (``additionalProperties`` applies to an object only, ``items`` to a list only: a
    scalar passes both, with no branch to try)."""
    import jsonschema_rs

    levels: dict[str, Any] = {"l0": {"not": {"type": ["object", "array"]}}}
    for level in range(1, maximum + 1):
        below = {"$ref": f"#/$defs/l{level - 1}"}
        levels[f"l{level}"] = {"additionalProperties": below, "items": below}
    return jsonschema_rs.validator_for({"$defs": levels, "$ref": f"#/$defs/l{maximum}"})


def _walk(document: Any, maximum: int) -> int | None:
    """The same answer, iteratively: its cost is bounded by the containers, whatever the depth."""
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            values: Any = node.values()
        elif isinstance(node, list):
            values = node
        else:
            continue
        depth += 1
        if depth > maximum:
            return depth
        stack.extend((value, depth) for value in values if isinstance(value, (dict, list)))
    return None
