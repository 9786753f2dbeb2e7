"""What the views share: the JSON body, the bearer token."""

from __future__ import annotations

from typing import Any

import orjson
from flask import request
from segur.mock_portal.errors import PortalError, bad_request


def json_body() -> Any:
    """The body, read by orjson, which the portal stores and answers with: what it could not write
    back (lone surrogates, NaN, numbers beyond 64 bits as integers) is refused here."""
    if not request.is_json:
        raise bad_request("a JSON body is expected (Content-Type: application/json)")
    try:
        return orjson.loads(request.get_data())
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"a JSON body is expected (Content-Type: application/json): {exc}") from None


def json_object() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise bad_request("a JSON object is expected")
    return body


#: the largest page a list gives at once
MAX_LIMIT = 10_000


def limit(default: int) -> int:
    """The page size asked for (``limit``), from 1 to MAX_LIMIT."""
    text = request.args.get("limit")
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"'limit' must be a whole number from 1 to {MAX_LIMIT}") from None
    if not 1 <= value <= MAX_LIMIT:
        raise bad_request(f"'limit' must be a whole number from 1 to {MAX_LIMIT}")
    return value


def after_id(name: str) -> int | None:
    """A row number given as a page's bound (``apres``, ``avant``), or None."""
    text = request.args.get(name)
    if text in (None, ""):
        return None
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"'{name}' must be a number read from the previous page") from None
    if not 0 <= value < 2**63:
        raise bad_request(f"'{name}' must be a number read from the previous page")
    return value


def bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PortalError(401, "NON_AUTHENTIFIE", "authentification requise : en-tête Authorization: Bearer <jeton>")
    return token.strip()
