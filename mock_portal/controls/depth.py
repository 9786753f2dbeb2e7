"""How deep a parsed JSON document nests: checked before a schema validator or a control walks
it (jsonschema-rs and orjson's writer stop at 255 levels with an error, Python at its recursion
limit)."""

from __future__ import annotations

from typing import Any

#: the nesting a file may have when the spec's limits do not say (a deposit file nests 5 levels)
DEFAULT_MAX_DEPTH = 32
#: what orjson says of a document nested beyond its 1024 levels
DEPTH_ERROR = "depth"


def too_deep(document: Any, maximum: int) -> int | None:
    """``maximum + 1`` when ``document`` nests lists and objects deeper than ``maximum`` levels
    (a scalar is 0, ``[]`` is 1), else None. Iterative, and it stops at the first level too deep:
    its cost is bounded by the containers, whatever the depth."""
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
