"""A mock of the ASP's Ségur numérique funding portal (médico-social corridor, wave 1).

``mock_portal.controls`` holds the automatic controls (no Flask); the web application is
built by :func:`create_app` (``flask --app mock_portal run`` finds it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The mock portal's Flask application (imported lazily: the controls need no Flask)."""
    from mock_portal.app import create_app as factory

    return factory(config)
