"""The one error type of the mock portal, rendered as JSON with a stable code."""

from __future__ import annotations

from typing import Any


class PortalError(Exception):
    """An answer other than success: HTTP status, stable code, readable message, details."""

    def __init__(
        self, status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        #: HTTP headers of the answer (Retry-After on a 429)
        self.headers = headers or {}

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


def bad_request(message: str, details: Any = None) -> PortalError:
    return PortalError(400, "REQUETE_INVALIDE", message, details)


def not_found(what: str) -> PortalError:
    return PortalError(404, "INTROUVABLE", f"{what} introuvable")


def conflict(code: str, message: str, details: Any = None) -> PortalError:
    return PortalError(409, code, message, details)
