"""The web pages' test app: the portal with its pages folder under the test's own tmp path
(test files that need another app define their own ``app``/``client``, which win)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests._support.portal import make_app


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(tmp_path, PAGES_DIR=str(tmp_path / "pages"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
