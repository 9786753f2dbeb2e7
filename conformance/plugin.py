"""pytest plugin entry point (``pytest11``): inert unless ``--segur`` is given."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("segur", "Ségur numérique conformance suite")
    group.addoption("--segur", action="store_true", default=False, help="run the Ségur conformance suite")
