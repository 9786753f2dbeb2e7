"""What one request may cost the mock portal: the size of its body, route by route.

Each route takes a body no larger than what it needs (a login is a few hundred bytes; an
enrolment carries its pieces in base64; an import carries the 200 MB zip). The limit is set on
the request before anything reads the body: Werkzeug then refuses a larger ``Content-Length``
at once, and stops a chunked body at the limit, with a 413 (answered as the portal's JSON error,
see :func:`too_large_message`). A multipart body is also bounded in parts.

The limits are configuration (``BODY_LIMITS``, merged over :data:`BODY_LIMITS`, keyed by the
Flask endpoint; ``DEFAULT_BODY_LIMIT`` for every other route).
"""

from __future__ import annotations

import contextlib
from typing import Any

from flask import current_app, g, request
from segur.mock_portal.controls.pdf_check import pdf_budget
from segur.mock_portal.errors import PortalError
from werkzeug.datastructures import FileStorage

_KB = 1_000
_MB = 1_000_000
#: a base64 piece of the enrolment schema (3 MB of PDF → 4.1 MB of text) and the form around it
_PIECE_B64 = 4_100_000
_FORM = 64 * _KB

#: bytes per route (Flask endpoint). The JSON deposit file (``fichier``) is bounded on its own
#: (``MAX_DEPOSIT_FILE_BYTES``) inside the multipart routes' limit.
BODY_LIMITS: dict[str, int] = {
    # public, anonymous: small
    "api.login": 4 * _KB,
    "pages.connexion": 8 * _KB,
    "pages.gestion_connexion": 8 * _KB,
    # an enrolment: at most 10 pieces (the enrolment schema's maxItems) of 3 MB, in base64
    "api.enrol": 10 * _PIECE_B64 + _FORM,
    "api.enrol_more": 2 * _PIECE_B64 + _FORM,
    # the web enrolment sends its pieces one step at a time (at most three per step)
    "pages.enrolement_etape": 3 * 3 * _MB + _FORM,
    "pages.enrolement_complementaire": 3 * _MB + _FORM,
    # a deposit: the JSON file; with the import, the zip of 200 MB (seed, slide 9)
    "api.simulate": 10 * _MB + _FORM,
    "api.import_deposit": 210 * _MB,
    "pages.depot": 210 * _MB,
    # a corrected request (one line of the file) and the pieces of one request
    "api.modify": 1 * _MB,
    "pages.demande_modifier": 1 * _MB,
    "api.pieces": 10 * 3 * _MB + _FORM,
    "pages.demande_pieces": 10 * 3 * _MB + _FORM,
    # one zip of the pieces of many incomplete requests: as large as an import's
    "pages.incompletes_archive": 210 * _MB,
    # an avenant asked with its pieces, the pieces of an avenant created incomplete
    "api.ask_avenant": 10 * 3 * _MB + _FORM,
    "pages.demande_avenant": 10 * 3 * _MB + _FORM,
    "api.avenant_pieces": 10 * 3 * _MB + _FORM,
    "pages.avenant_pieces": 10 * 3 * _MB + _FORM,
    # a cancellation: the attestation sur l'honneur and the client's renunciation
    "api.ask_cancellation": 2 * 3 * _MB + _FORM,
    "pages.demande_annulation": 2 * 3 * _MB + _FORM,
}
#: the JSON deposit file (``fichier``) of a simulate or an import: 200 requests take well under 1 MB
MAX_DEPOSIT_FILE_BYTES = 10 * _MB
#: every other route (the admin API, the pages' small forms)
DEFAULT_BODY_LIMIT = 64 * _KB
#: parts of one multipart body (a deposit has four; ten pieces and a few fields)
MAX_FORM_PARTS = 32


def apply_limits() -> None:
    """``before_request``: this route's limits, set before any view or hook reads the body, and
    the request's budget for reading PDF pieces (an import's zip, an enrolment's pieces, the
    pieces sent for a request: :mod:`segur.mock_portal.controls.pdf_check`)."""
    config = current_app.config
    limits: dict[str, int] = {**BODY_LIMITS, **(config.get("BODY_LIMITS") or {})}
    limit = limits.get(request.endpoint or "", config.get("DEFAULT_BODY_LIMIT", DEFAULT_BODY_LIMIT))
    ceiling = config.get("MAX_CONTENT_LENGTH")
    request.max_content_length = min(limit, ceiling) if ceiling else limit
    request.max_form_parts = config.get("MAX_FORM_PARTS", MAX_FORM_PARTS)
    budget = contextlib.ExitStack()
    budget.enter_context(pdf_budget(current_app.extensions["segur_spec"].limits))
    g.pdf_budget = budget


def close_budget(_exc: BaseException | None) -> None:
    """``teardown_request``: the request's PDF budget closed."""
    budget = g.pop("pdf_budget", None)
    if budget is not None:
        with contextlib.suppress(ValueError):  # a context other than the one it was opened in
            budget.close()


def _size(count: int) -> str:
    if count >= _MB:
        return f"{count / _MB:g} Mo"
    if count >= _KB:
        return f"{count / _KB:g} Ko"
    return f"{count} octets"


def too_large_message() -> str:
    """Why a 413: the body over this route's limit, or a multipart body with too many parts or a
    text field too long (Werkzeug raises the same error for all three)."""
    limit: Any = request.max_content_length
    length = request.content_length
    if limit is not None and (length is None or length > limit):
        return f"requête trop volumineuse : {_size(int(limit))} au plus pour {request.method} {request.path}"
    return (
        "formulaire refusé : trop de parties (au plus "
        f"{request.max_form_parts}) ou champ de texte trop long (au plus {_size(int(request.max_form_memory_size or 0))})"
    )


def read_deposit_file(upload: FileStorage) -> bytes:
    """The JSON deposit file's bytes (``fichier``), at most ``MAX_DEPOSIT_FILE_BYTES`` read: a larger
    one is refused (413) before it is parsed."""
    limit = int(current_app.config.get("MAX_DEPOSIT_FILE_BYTES", MAX_DEPOSIT_FILE_BYTES))
    content: bytes = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise PortalError(413, "TROP_VOLUMINEUX", f"'fichier' : fichier JSON de plus de {_size(limit)}, refusé")
    return content
