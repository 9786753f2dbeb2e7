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

    root = {"$ref": schema["$ref"], "components": document()["components"]} if "$ref" in schema else schema
    return validator(root)


@cache
def body_validator(path: str, method: str) -> Any:
    """The validator of an operation's JSON request body (None when it takes none)."""
    operation = document()["paths"][path][method]
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return None if schema is None else _validator(schema)


def check_body(body: Any, path: str, method: str) -> None:
    """Raise the portal's 400 naming the first fields of ``body`` the document refuses."""
    validator = body_validator(path, method.lower())
    if validator is None or validator.is_valid(body):
        return
    problems = []
    for error in validator.iter_errors(body):
        where = "".join(f"/{p}" for p in error.instance_path) or "/"
        problems.append({"champ": where, "message": _message(error)})
        if len(problems) == 20:
            break
    names = ", ".join(sorted({p["champ"] for p in problems}))
    raise PortalError(400, "REQUETE_INVALIDE", f"corps de requête non conforme au document OpenAPI ({names})", problems)


_UNEXPECTED = re.compile(r"Additional properties are not allowed \((.*) (?:was|were) unexpected\)")


def _message(error: Any) -> str:
    found = _UNEXPECTED.match(error.message)
    if found:
        return f"champ(s) non prévu(s) : {found.group(1)}"
    return str(error.message)[:300]
