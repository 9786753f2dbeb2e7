"""Browser tests of the mock portal's web pages: Debian's Chromium driven by Playwright.

One live server per module (the Flask app under Werkzeug's threaded server, in a thread, on
127.0.0.1 port 0, its SQLite file and staging folder in a temporary folder, the portal's clock
frozen through its own admin API), one browser for the whole session, a fresh browser
context per actor. Every wait is bounded. Each page the browser loads must fetch nothing
from another origin. Screenshots of the main pages go to ``build/e2e-screenshots/``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from segur.mock_portal import create_app
from werkzeug.serving import make_server

from tests.e2e._live import (
    ADMIN,
    AXE_PATH,
    CHROMIUM_ARGS,
    FROZEN_AT,
    NAVIGATION_MS,
    TIMEOUT_MS,
    Actor,
    Live,
    axe_script,
    chromium_path,
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("e2e-portal")
    app = create_app(
        {
            "DATABASE": str(folder / "portal.sqlite3"),
            "ADMIN_TOKEN": ADMIN,
            "PAGES_DIR": str(folder / "pages"),
            "SECRET_KEY": "e2e-secret",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-portal", daemon=True)
    thread.start()
    portal = Live(f"http://127.0.0.1:{server.server_port}", server, thread, folder / "portal.sqlite3")
    try:
        portal.admin("POST", "/admin/clock", {"at": FROZEN_AT})
        yield portal
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def fresh(live: Live) -> None:
    """Each test starts from a freshly seeded portal (demo account only), its clock frozen."""
    live.admin("POST", "/admin/reset")
    live.admin("POST", "/admin/clock", {"at": FROZEN_AT})


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def axe() -> Path:
    return axe_script()


@pytest.fixture
def actors(browser: Any, live: Live, fresh: None, axe: Path) -> Iterator[Callable[..., Actor]]:
    """Make browser contexts on demand (an editor, a gestionnaire...), 1 280 px wide unless told;
    each must fetch only from the portal (axe-core comes from the test, at a path of the portal's)."""
    made: list[tuple[Any, Actor]] = []

    def make(width: int = 1280, height: int = 900) -> Actor:
        context = browser.new_context(
            locale="fr-FR", viewport={"width": width, "height": height}, accept_downloads=True
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_MS)
        context.route(
            f"{live.url}{AXE_PATH}",
            lambda route: route.fulfill(path=str(axe), content_type="application/javascript"),
        )
        page = context.new_page()
        actor = Actor(page, live.url)
        page.on("request", lambda request: actor.fetched.append(request.url))
        made.append((context, actor))
        return actor

    yield make
    for context, _ in made:
        context.close()
    foreign = [url for _, actor in made for url in actor.foreign()]
    assert not foreign, f"Expected: every asset from {live.url}. Received requests to: {foreign}"
