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


# --------------------------------------------------------------------------- axe-core and page checks

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
#: where the page loads axe-core from: a path of the portal's own origin, answered by the test
#: itself (Playwright's routing), so that the page's Content-Security-Policy ('self') holds
AXE_PATH = "/__tests__/axe.min.js"
NPM_TIMEOUT_S = 300


def axe_script() -> Path:
    """axe-core as ``npm ci`` installs it from the npm registry into tests/e2e/axe (package-lock.json
    pins it); installed on first use when missing (.ci/run installs it beforehand)."""
    if AXE_SCRIPT.is_file():
        return AXE_SCRIPT
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(
            "The browser tests run axe-core, installed with npm: install Node.js and npm (sudo apt-get install npm), "
            f"then: npm ci --prefix {AXE_DIR}",
            pytrace=False,
        )
    import subprocess

    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR)],
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0 or not AXE_SCRIPT.is_file():
        pytest.fail(f"npm ci in {AXE_DIR} failed ({done.returncode}): {done.stderr[-2000:]}", pytrace=False)
    return AXE_SCRIPT


#: what each main page is checked for, in the browser: axe-core's rules (WCAG 2.x A and AA, and
#: its best practices), no page wider than the window, one line for every number, reference and
#: date of a table
_AXE_RUN = """async () => {
  const result = await window.axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")}`);
}"""
_WIDTH = """() => ({page: document.documentElement.scrollWidth, window: window.innerWidth})"""
_BROKEN = """() => [...document.querySelectorAll("td.numero, td.reference, td.date, span.reference, span.date")]
  .filter(el => el.offsetParent !== null && el.textContent.trim())
  .filter(el => { const range = document.createRange(); range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1; })
  .map(el => el.textContent.trim())"""


def wide(actor: Actor) -> dict[str, int]:
    """The page's width against the window's."""
    found: dict[str, int] = actor.page.evaluate(_WIDTH)
    return found


def audit(actor: Actor, name: str, *, shot: bool = True) -> None:
    """A main page as the tests check it: a screenshot in build/e2e-screenshots/, axe-core run on it
    (0 violations), no wider than the window, no number, reference or date broken over two lines."""
    if shot:
        screenshot(actor, name)
    page = actor.page
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(url=f"{actor.base}{AXE_PATH}")
    violations = page.evaluate(_AXE_RUN)
    assert violations == [], f"{name} ({page.url}): Expected: no axe-core violation. Received:\n" + "\n".join(
        violations
    )
    size = wide(actor)
    assert size["page"] <= size["window"], (
        f"{name}: Expected: no wider than {size['window']} px. Received: {size['page']} px"
    )
    broken = page.evaluate(_BROKEN)
    assert broken == [], f"{name}: Expected: numbers, references and dates on one line. Received over two: {broken[:5]}"
