"""What the views share: the JSON body, the bearer token."""

from __future__ import annotations

from typing import Any

from flask import request

from mock_portal.errors import PortalError, bad_request


def json_body() -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise bad_request("a JSON body is expected (Content-Type: application/json)")
    return body


def json_object() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise bad_request("a JSON object is expected")
    return body


def bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PortalError(401, "NON_AUTHENTIFIE", "authentification requise : en-tête Authorization: Bearer <jeton>")
    return token.strip()
