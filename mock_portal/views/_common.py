"""What the views share: the JSON body, the bearer token, a document's download."""

from __future__ import annotations

import re
import unicodedata
from io import BytesIO
from typing import Any

import orjson
from flask import Response, current_app, request, send_file
from segur.mock_portal.controls.depth import DEFAULT_MAX_DEPTH, too_deep
from segur.mock_portal.errors import PortalError, bad_request


def json_body() -> Any:
    """The body, read by orjson, which the portal stores and answers with: what it could not write
    back (lone surrogates, NaN, numbers beyond 64 bits as integers) is refused here."""
    if not request.is_json:
        raise bad_request("a JSON body is expected (Content-Type: application/json)")
    maximum = current_app.extensions["segur_spec"].limits.get("maxProfondeur", DEFAULT_MAX_DEPTH)
    too_deep_message = f"JSON body nested too deep: {maximum} levels of lists and objects at most"
    try:
        body = orjson.loads(request.get_data())
    except orjson.JSONDecodeError as exc:
        if "depth" in exc.msg:
            raise bad_request(too_deep_message) from None
        raise bad_request(f"a JSON body is expected (Content-Type: application/json): {exc}") from None
    if too_deep(body, maximum) is not None:  # before anything walks it
        raise bad_request(too_deep_message)
    return body


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
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"'{name}' must be a number read from the previous page") from None
    if not 0 <= value < 2**63:
        raise bad_request(f"'{name}' must be a number read from the previous page")
    return value


#: a bearer token's syntax (RFC 6750, section 2.1: b64token)
_B64TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")


_RULE_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>:]+)>")


def documented_body() -> dict[str, Any]:
    """The JSON object of the body, checked against the schema the OpenAPI document gives this
    operation (the document is the server's own source: a field it forbids is refused, 400)."""
    body = json_object()
    rule = request.url_rule
    if rule is not None:
        document = current_app.extensions["segur_openapi"]
        document.check_body(body, _RULE_VARIABLE.sub(r"{\1}", rule.rule), request.method)
    return body


def documented_form() -> None:
    """The multipart form's text fields (and which files it has) checked against the schema the
    OpenAPI document gives this operation: a value it does not allow is refused (400)."""
    rule = request.url_rule
    if rule is None:
        return
    document = current_app.extensions["segur_openapi"]
    path = _RULE_VARIABLE.sub(r"{\1}", rule.rule)
    lists = document.file_lists(path, request.method.lower())
    # a part without a name (Werkzeug keys it None) is nothing the document can name: left out
    form: dict[str, Any] = {name: value for name, value in request.form.items() if isinstance(name, str)}
    for name in request.files:
        if not isinstance(name, str):
            continue
        count = len(request.files.getlist(name))
        form[name] = [""] * count if name in lists else ""
    document.check_body(form, path, request.method, "multipart/form-data")


def bearer() -> str:
    """The token of ``Authorization: Bearer <token>``; 401 when the header is absent or the token
    is not one (RFC 6750 tokens are ASCII: anything else is no token of this portal)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise PortalError(401, "NON_AUTHENTIFIE", "authentification requise : en-tête Authorization: Bearer <jeton>")
    if not _B64TOKEN.fullmatch(token):
        raise PortalError(401, "NON_AUTHENTIFIE", "jeton mal formé : lettres et chiffres ASCII attendus (RFC 6750)")
    return token


def pdf_download(filename: str, content: bytes) -> Response:
    """A PDF to save under its own name, whatever its characters: Werkzeug writes the ASCII
    ``filename`` and, for any other name, the RFC 6266 ``filename*`` (UTF-8, percent-encoded);
    control characters, which no header may carry, become « _ »."""
    name = "".join("_" if unicodedata.category(c) == "Cc" else c for c in filename) or "document.pdf"
    return send_file(BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=name)
