"""The suite's own settings, shared by every test folder."""

from __future__ import annotations

import os
from pathlib import Path

from segur import SPEC_ENV


def pytest_configure() -> None:
    """A relative ``SEGUR_SPEC`` names a folder from where the run started: made absolute once,
    so that tests running commands from a temporary folder (and their subprocesses) find it."""
    folder = os.environ.get(SPEC_ENV)
    if folder:
        os.environ[SPEC_ENV] = str(Path(folder).resolve())
