"""What the browser tests share besides their fixtures: the live portal's handle, an actor (a
browser context and its page), Chromium's path and flags, screenshots."""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import BaseWSGIServer

from tests._support.paths import SPEC

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "e2e-screenshots"
ADMIN = "jeton-gestionnaire-e2e"
#: the portal's clock in these tests (the calendar's default deposit time of an avance)
FROZEN_AT = f"{SPEC.default_deposit_time(None, SPEC.deposit_types['avance']):%Y-%m-%dT%H:%M}"
TIMEOUT_MS = 10_000  # any one action or wait of the browser
NAVIGATION_MS = 20_000
HTTP_TIMEOUT_S = 20
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's Chromium (``SEGUR_CHROMIUM`` overrides): the tests download no browser."""
    configured = os.environ.get("SEGUR_CHROMIUM")
    candidates = [configured] if configured else [shutil.which("chromium"), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "The browser tests need Chromium: install Debian's `chromium` package "
        "(sudo apt-get install chromium; .ci/run does it), or point SEGUR_CHROMIUM at a Chromium binary. "
        f"Looked for: {', '.join(str(c) for c in candidates if c)}",
        pytrace=False,
    )


@dataclass
class Live:
    """The live mock portal of a module."""

    url: str
    server: BaseWSGIServer
    thread: threading.Thread
    database: Path

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(
            method,
            f"{self.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {ADMIN}"},
            timeout=HTTP_TIMEOUT_S,
        )
        assert response.status_code < 300, f"Expected: admin {method} {path} to succeed. Received: {response.text}"
        return response.json()


@dataclass
class Actor:
    """One browser context (its own cookies) and its page, with every URL it fetched."""

    page: Any
    base: str
    fetched: list[str] = field(default_factory=list)

    def go(self, path: str) -> None:
        response = self.page.goto(f"{self.base}{path}")
        assert response is not None and response.status < 500, f"Expected: {path} to load. Received: {response}"

    def foreign(self) -> list[str]:
        """The URLs fetched from anywhere but the portal (data: URLs included as foreign, none expected)."""
        return [u for u in self.fetched if not u.startswith(self.base + "/")]


def screenshot(actor: Actor, name: str) -> Path:
    """A full-page screenshot in build/e2e-screenshots/ (the tests' artifact folder)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    actor.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000, f"Expected: a screenshot in {path}. Received: {path.stat().st_size} bytes"
    return path


def follow(locator: Any) -> None:
    """Click a link or a submit button and wait until the page it leads to has loaded, so that
    what is read next is the new page, never the old one."""
    with locator.page.expect_navigation():
        locator.click()
