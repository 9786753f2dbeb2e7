"""A mock of the ASP's Ségur numérique funding portal (médico-social corridor, wave 1).

``segur.mock_portal.controls`` holds the automatic controls (no Flask); the web application is
built by :func:`create_app` (``flask --app segur.mock_portal run`` finds it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

from segur import __version__

__all__ = ["__version__", "create_app"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The mock portal's Flask application (imported lazily: the controls need no Flask)."""
    from segur.mock_portal.app import create_app as factory

    return factory(config)
