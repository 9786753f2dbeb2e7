"""The OpenAPI document (``openapi.json``) as the server's own source for what it states.

The document is the contract an OpenAPI client or fuzzer reads; the server takes from it what
it checks, so that the two cannot drift: the shape of a path parameter (the routing converter of
``<numero:…>``) and the JSON bodies of the operations (one validator per schema, built once, with
the formats the document names, see :mod:`segur.mock_portal.formats`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from segur.mock_portal.errors import PortalError
from werkzeug.routing import BaseConverter, Map

DOCUMENT = Path(__file__).resolve().parent / "openapi.json"


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(DOCUMENT.read_bytes())
    return loaded


@cache
def document_bytes() -> bytes:
    return DOCUMENT.read_bytes()


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = document()["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


@cache
def path_pattern(name: str) -> str:
    """The regular expression the document gives a path parameter (the same wherever it appears),
    without its anchors: what the router matches."""
    for item in document()["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == name:
                    pattern = _resolve(parameter["schema"]).get("pattern")
                    if pattern:
                        return str(pattern).removeprefix("^").removesuffix("$")
    raise LookupError(f"{DOCUMENT}: no path parameter {name!r} with a pattern")


class NumeroConverter(BaseConverter):
    """``<numero:numero>``: an ASP request number as the document states it; any other text is no
    request number (404, or the route it names: ``/api/requests/incompletes``)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map)
        self.regex = path_pattern("numero")


def _validator(schema: Any) -> Any:
    from segur.mock_portal.formats import validator

    # the schema with the document's components beside it, for its references to resolve
    root = {**schema, "components": document()["components"]}
    return validator(root)


@cache
def body_validator(path: str, method: str, media_type: str = "application/json") -> Any:
    """The validator of an operation's request body of this media type (None when it takes none)."""
    operation = document()["paths"][path][method]
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get(media_type, {}).get("schema")
    return None if schema is None else _validator(schema)


@cache
def file_lists(path: str, method: str) -> frozenset[str]:
    """The multipart fields of an operation that take several files (an array)."""
    content = document()["paths"][path][method].get("requestBody", {}).get("content", {})
    schema = _resolve(content.get("multipart/form-data", {}).get("schema", {}))
    return frozenset(name for name, item in schema.get("properties", {}).items() if _resolve(item).get("type") == "array")


def check_body(body: Any, path: str, method: str, media_type: str = "application/json") -> None:
    """Raise the portal's 400 naming the first fields of ``body`` the document refuses (a form's
    text fields as strings, its files as empty strings: their content is the controls' matter)."""
    validator = body_validator(path, method.lower(), media_type)
    problems = []
    try:
        if validator is None or validator.is_valid(body):
            return
        for error in validator.iter_errors(body):
            where = "".join(f"/{p}" for p in error.instance_path)
            if error.kind.name == "required":  # the field missing, not the object that lacks it
                where += f"/{error.kind.property}"
            where = where or "/"
            problems.append({"champ": where, "message": _message(error)})
            if len(problems) == 20:
                break
    except (TypeError, ValueError, OverflowError) as exc:  # e.g. an integer beyond 64 bits
        beyond = _beyond_64_bits(body)
        named = f" : '{beyond.lstrip('/')}'" if beyond else ""
        raise PortalError(400, "REQUETE_INVALIDE", f"corps de requête illisible ({exc}){named}") from None
    names = ", ".join(sorted({f"'{p['champ'].lstrip('/') or '/'}'" for p in problems}))
    raise PortalError(400, "REQUETE_INVALIDE", f"corps de requête non conforme au document OpenAPI : {names}", problems)


def _beyond_64_bits(node: Any, where: str = "") -> str | None:
    """Where the first integer a validator cannot hold (beyond 64 bits) sits, as a JSON Pointer."""
    if isinstance(node, bool):
        return None
    if isinstance(node, int):
        return where or "/" if not -(2**63) <= node < 2**64 else None
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in children:
        found = _beyond_64_bits(value, f"{where}/{key}")
        if found:
            return found
    return None


_UNEXPECTED = re.compile(r"Additional properties are not allowed \((.*) (?:was|were) unexpected\)")


def _message(error: Any) -> str:
    from segur.mock_portal.formats import message

    found = _UNEXPECTED.match(error.message)
    if found:
        return f"champ(s) non prévu(s) : {found.group(1)}"
    return message(error)[:300]


def scenario_walks(machine: Any) -> list[tuple[str, ...]]:
    """Every sequence of statuses the gestionnaire can walk a freshly imported request through
    (``POST /admin/scenarios``'s ``etapes``), by key: the document lists them with each step as a
    key or a label. The request workflow has no gestionnaire-only cycle, so they are few."""
    walks: list[tuple[str, ...]] = []

    def extend(walk: tuple[str, ...], at: str) -> None:
        for transition in machine.allowed_from(at, "gestionnaire"):
            longer = (*walk, transition.target)
            if transition.target in walk or len(longer) > 20:
                raise ValueError("the gestionnaire's moves loop: the walks cannot be listed")
            walks.append(longer)
            extend(longer, transition.target)

    extend((), machine.initial)
    return walks


def reason_statuses(machine: Any) -> list[str]:
    """The statuses a gestionnaire's move into needs a reason (``motif``), keys then labels."""
    keys = sorted({t.target for t in machine.transitions if t.by == "gestionnaire" and t.needs_reason})
    return keys + [machine.label(key) for key in keys]
