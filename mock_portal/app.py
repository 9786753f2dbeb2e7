"""The Flask application factory of the mock portal."""

from __future__ import annotations

import contextlib
import re
import socket
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import orjson
from flask import Flask, Response, g, request
from segur.mock_portal import security
from segur.mock_portal.controls import SpecError, load_spec
from segur.mock_portal.errors import PortalError
from segur.mock_portal.limits import MAX_FORM_PARTS, apply_limits, close_budget, too_large_message
from segur.mock_portal.openapi import ApiDocument
from segur.mock_portal.services import Portal
from segur.mock_portal.services.testing import AFTER_SERVING
from segur.mock_portal.store import Database, DatabaseError, Store, open_database
from segur.mock_portal.workflow import workflows
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

DEFAULTS: dict[str, Any] = {
    # an SQLite file (the default: embedded, nothing to install) or a postgresql://user@host/name
    # URL, which several `segur serve` processes, on one host or several, may share
    "DATABASE": "segur-mock.sqlite3",
    "SPEC_DIR": None,
    "ADMIN_TOKEN": None,
    "DEMO_LOGIN": "demo",
    "DEMO_PASSWORD": "demo-segur-2024",
    # the public page shows the demo password (segur serve turns it off away from 127.0.0.1)
    "DEMO_ON_PAGE": True,
    # the zip may reach 200 MB (seed, slide 9); the JSON and form fields come on top
    "MAX_CONTENT_LENGTH": 210_000_000,
    "MAX_FAULT_LATENCY_MS": 10_000,
    # parts of one multipart body (Flask's default is 1000): see limits.py
    "MAX_FORM_PARTS": MAX_FORM_PARTS,
    # sessions end this many seconds after login (real clock); login attempts are limited
    "SESSION_TTL": security.SESSION_TTL,
    "LOGIN_WINDOW": security.LOGIN_WINDOW,
    "LOGIN_FAILURES_PER_LOGIN": security.LOGIN_FAILURES_PER_LOGIN,
    "LOGIN_FAILURES_PER_ADDRESS": security.LOGIN_FAILURES_PER_ADDRESS,
    # the key of the outbox's sealed secrets and of the pages' cookies (else <database>.key)
    "SECRET_KEY": None,
    # the web pages keep a session's files (enrolment draft, a case's deposit) here; default: a
    # folder in the system's temporary directory named after the database
    "PAGES_DIR": None,
    # the portal's address as its mails give it (default: the address each request came to)
    "PUBLIC_URL": None,
}


class RowId(IntegerConverter):
    """``<id:name>``: a row id in a path, digits up to the largest 64-bit integer; a larger number
    matches no route (404) instead of overflowing the query."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, max=2**63 - 1)


#: what an admin token may be made of (an RFC 6750 bearer token)
_TOKEN_SYNTAX = re.compile(r"[A-Za-z0-9._~+/-]+=*")


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Defaults, then ``SEGUR_*`` environment variables, then ``config``."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("SEGUR")
    if config:
        app.config.from_mapping(config)
    try:
        spec = load_spec(app.config["SPEC_DIR"])
    except SpecError as exc:
        raise SystemExit(f"mock portal: {exc}") from None
    app.extensions["segur_spec"] = spec
    try:
        # the OpenAPI document of this spec: served, and the server's source for what it checks
        app.extensions["segur_openapi"] = ApiDocument(spec)
    except (ValueError, KeyError, OSError) as exc:
        raise SystemExit(f"mock portal: the OpenAPI document cannot be built for the spec {spec.root}: {exc}") from None
    token = app.config["ADMIN_TOKEN"]
    if token is not None and not _TOKEN_SYNTAX.fullmatch(str(token)):
        raise SystemExit(
            "mock portal: ADMIN_TOKEN (SEGUR_ADMIN_TOKEN) must be ASCII letters, digits and -._~+/ (RFC 6750)"
        )
    flows = workflows(spec)
    try:
        database = open_database(app.config["DATABASE"])
    except DatabaseError as exc:
        raise SystemExit(f"mock portal: {exc}") from None
    try:
        key = security.portal_key(app.config, app.config["DATABASE"])
        settings = security.Settings.from_config(app.config, security.Sealer(key))
        store = Store(database)
        try:
            seeded = Portal(store, spec, flows, settings).seed(
                app.config["DEMO_LOGIN"], app.config["DEMO_PASSWORD"], app.config["ADMIN_TOKEN"]
            )
        finally:
            store.close()
            # no connection crosses a fork: each gunicorn worker opens its own
            database.dispose()
    except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
        database.dispose()
        raise SystemExit(
            f"mock portal: cannot use the database {database.url}: {exc} "
            "(an SQLite file must be one this user can read and write, in a folder it can write: "
            "give another one with --database or SEGUR_DATABASE)"
        ) from None
    app.config["ADMIN_TOKEN"] = seeded["admin_token"]
    app.extensions["segur_database"] = database
    app.extensions["segur_workflows"] = flows
    app.extensions["segur_key"] = key
    app.extensions["segur_settings"] = settings
    app.extensions["segur_seed"] = seeded

    from segur.mock_portal.views import admin, api, pages, ui

    app.url_map.converters["id"] = RowId
    app.url_map.converters["numero"] = app.extensions["segur_openapi"].converter("numero")
    app.register_blueprint(api.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(ui.blueprint)
    app.register_blueprint(pages.blueprint)
    app.before_request(apply_limits)  # first: before any hook or view reads the body
    app.before_request(_open)
    app.before_request(_faults)
    app.after_request(_journal)
    app.teardown_request(_close)
    app.teardown_request(close_budget)
    app.register_error_handler(PortalError, _portal_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app


def portal() -> Portal:
    found: Portal = g.portal
    return found


def database(app: Flask) -> Database:
    found: Database = app.extensions["segur_database"]
    return found


def _open() -> None:
    """The services of this request, over a store whose connection is taken from the pool on
    first use (each thread of a worker reuses its pooled connections from request to request)."""
    from flask import current_app

    extensions = current_app.extensions
    g.portal = Portal(
        Store(database(current_app)),
        extensions["segur_spec"],
        extensions["segur_workflows"],
        extensions["segur_settings"],
    )
    g.portal.ctx.portal_url = current_app.config.get("PUBLIC_URL") or request.url_root
    g.editor_id = None
    g.detail = {}


def _close(_exc: BaseException | None) -> None:
    found = g.pop("portal", None)
    if found is not None:  # the connection goes back to the pool, no transaction carried over
        found.store.close()


def _faults() -> Response | None:
    """Injected faults (admin API) on the editor's routes: latency, 503, dropped connection
    before the call is served; or the call served (an import stored), then its answer lost
    (``stored-then-drop``) or held back (``stored-then-late``), see :func:`_after_serving`."""
    if not request.path.startswith("/api/") or "portal" not in g:
        return None
    testing = portal().testing
    for fault in testing.faults_for(request.path, request.method):
        testing.use_fault(fault)
        if fault["kind"] in AFTER_SERVING:
            g.after_serving = (fault["kind"], fault["latency_ms"])
            return None
        if fault["kind"] == "latency":
            from flask import current_app

            time.sleep(min(fault["latency_ms"], current_app.config["MAX_FAULT_LATENCY_MS"]) / 1000)
            continue
        g.detail = {"fault": fault["kind"]}
        if fault["kind"] == "drop":
            _drop_connection()
        return json_response({"code": "SERVICE_INDISPONIBLE", "message": "service momentanément indisponible"}, 503)
    return None


def _drop_connection() -> None:
    """Close the client's socket without an answer (gunicorn and the Werkzeug server expose it)."""
    raw = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    if isinstance(raw, socket.socket):
        with contextlib.suppress(OSError):
            raw.shutdown(socket.SHUT_RDWR)


def _journal(response: Response) -> Response:
    """Every call of the editor's API, without bodies: no password or token is ever written."""
    if request.path.startswith("/api/") and "portal" in g:
        detail = g.get("detail", {})
        fault = g.get("after_serving")
        if fault is not None:  # served, but the answer will not reach the client (in time)
            detail = {**detail, "faute": fault[0]}
        # the journal never turns an answer into an error
        with contextlib.suppress(SQLAlchemyError):
            portal().testing.log(g.get("editor_id"), request.method, request.path, response.status_code, detail)
        if fault is not None:
            kind, delay_ms = fault
            response.response = _after_serving(response.response, kind, delay_ms, request.environ)
    return response


def _after_serving(body: Any, kind: str, delay_ms: int, environ: dict[str, Any]) -> Iterator[bytes]:
    """The answer's body, sent once the request is over (its database connection returned):
    never (the connection is closed first: ``stored-then-drop``), or after ``delay_ms``
    (``stored-then-late``)."""
    if kind == "stored-then-drop":
        raw = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
        if isinstance(raw, socket.socket):
            with contextlib.suppress(OSError):
                raw.shutdown(socket.SHUT_RDWR)
        return
    time.sleep(delay_ms / 1000)
    yield from body


def _portal_error(error: PortalError) -> Response:
    g.detail = {**g.get("detail", {}), "code": error.code}
    response = json_response(error.as_json(), error.status)
    response.headers.update(error.headers)
    return response


_HTTP_CODES = {
    400: "REQUETE_INVALIDE",
    404: "INTROUVABLE",
    405: "METHODE_NON_AUTORISEE",
    413: "TROP_VOLUMINEUX",
    414: "URI_TROP_LONGUE",
    431: "EN_TETES_TROP_VOLUMINEUX",
}
_HTTP_MESSAGES = {
    404: "ressource introuvable : vérifiez le chemin (voir /openapi.json)",
    405: "méthode non autorisée sur ce chemin (méthodes admises : en-tête Allow)",
}


def http_error_body(status: int, message: str) -> bytes:
    """The portal's JSON error for an HTTP status (also written by the WSGI server's own errors)."""
    return orjson.dumps({"code": _HTTP_CODES.get(status, "ERREUR_HTTP"), "message": message})


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    message = _HTTP_MESSAGES.get(status) or error.description or error.name
    if status == 413:
        message = too_large_message()
    response = Response(http_error_body(status, message), status=status, mimetype="application/json")
    # the error's own headers (Allow on a 405, Retry-After…), but not its HTML content type
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _unexpected(error: Exception) -> Response:
    from flask import current_app

    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    return json_response({"code": "ERREUR_INTERNE", "message": "erreur interne du portail simulé"}, 500)
