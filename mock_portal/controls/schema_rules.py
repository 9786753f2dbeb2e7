"""Turn JSON Schema errors into violations: a missing field, a bad format, an unknown field."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from .registry import engine_rules
from .spec import make_pointer
from .violation import Violation

engine_rules("line-required", "line-format", "line-unknown-field")

_TYPES_FR = {
    "string": "texte",
    "number": "nombre",
    "integer": "entier",
    "object": "objet",
    "array": "liste",
    "boolean": "booléen",
    "null": "null",
}


def pointer(path: Iterable[Any]) -> str:
    """A JSON Pointer (RFC 6901) from path parts."""
    return make_pointer(list(path))


def _shown(value: Any) -> str:
    text = orjson.dumps(value).decode() if not isinstance(value, str) else f"« {value} »"
    return text if len(text) <= 60 else text[:57] + "…"


def detail_fr(error: Any) -> str:
    """A French explanation of a schema error, for the label's ``{detail}`` placeholder."""
    kind = error.kind
    name = kind.name
    data = kind.as_dict()
    value = _shown(error.instance)
    if name == "type":
        expected = " ou ".join(_TYPES_FR.get(t, t) for t in data.get("types", []))
        return f"{value} reçu, {expected} attendu"
    if name == "pattern":
        return f"{value} ne respecte pas le format attendu ({data.get('pattern')})"
    if name == "format":
        return f"{value} n'est pas au format {data.get('format')}"
    if name == "enum":
        options = ", ".join(_shown(o) for o in data.get("options", []))
        return f"{value} reçu, valeurs admises : {options}"
    if name == "const":
        return f"{value} reçu, {_shown(data.get('expected_value'))} attendu"
    if name in ("minLength", "maxLength"):
        word = "au moins" if name == "minLength" else "au plus"
        return f"{value} : {word} {data.get('limit')} caractères"
    if name in ("minItems", "maxItems"):
        word = "au moins" if name == "minItems" else "au plus"
        return f"{word} {data.get('limit')} élément(s) attendu(s)"
    if name in ("minimum", "exclusiveMinimum"):
        return f"{value} inférieur au minimum {data.get('limit')}"
    if name in ("maximum", "exclusiveMaximum"):
        return f"{value} supérieur au maximum {data.get('limit')}"
    return str(error.message)


def violations(errors: Iterable[Any], prefix_len: int) -> Iterable[tuple[tuple[str, ...], Violation, bool]]:
    """Map schema errors to (line-relative path, violation, spoils_field).

    ``prefix_len`` parts of each instance path are dropped (``/demandes/3`` for a line).
    ``spoils_field`` says the field's value must not be read by the other controls.
    """
    for error in errors:
        path = tuple(str(p) for p in error.instance_path[prefix_len:])
        name = error.kind.name
        if name == "required":
            full = (*path, str(error.kind.property))
            yield full, Violation("line-required", pointer(full)), True
        elif name in ("additionalProperties", "unevaluatedProperties"):
            for extra in getattr(error.kind, "unexpected", []) or []:
                full = (*path, str(extra))
                yield full, Violation("line-unknown-field", pointer(full)), False
        else:
            yield path, Violation("line-format", pointer(path), {"detail": detail_fr(error)}), True
