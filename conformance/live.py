"""A live mock portal on a free port of 127.0.0.1, with its admin handle and journal.

It serves the editor's ``deposit`` command over real HTTP (the tool runs in its own process)
and the editor's own tests (fixture ``segur_portal``). Besides the mock's journal, the handle
keeps a wire log of each request's arrival on the wall clock, since the mock's clock is frozen
in tests and a back-off is measured in real seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from segur.conformance.runner import KitError
from segur.mock_portal import create_app
from segur.mock_portal.controls import Spec
from werkzeug.serving import BaseWSGIServer, make_server

__all__ = ["LivePortal", "WireEntry"]

#: an admin call never waits longer than this (the mock is local)
ADMIN_TIMEOUT = 30


@dataclass(frozen=True)
class WireEntry:
    """A request as it reached the server: wall-clock arrival (monotonic seconds), method,
    path and the status answered (None: the connection was dropped before an answer)."""

    at: float
    method: str
    path: str
    status: int | None


class _Recorder:
    """WSGI middleware keeping the wire log."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.entries: list[WireEntry] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        arrived = time.monotonic()
        seen: list[int] = []

        def recording_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, recording_start)
        finally:
            with self.lock:
                self.entries.append(
                    WireEntry(
                        arrived, environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), seen[0] if seen else None
                    )
                )


class LivePortal:
    """The mock portal served by Werkzeug's threaded server in a background thread."""

    def __init__(self, folder: Path, *, spec: Spec | None = None, admin_token: str = "segur-conformance-admin") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.admin_token = admin_token
        config: dict[str, Any] = {"DATABASE": str(folder / "mock-portal.sqlite3"), "ADMIN_TOKEN": admin_token}
        if spec is not None:
            config["SPEC_DIR"] = str(spec.root)
        try:
            self.app = create_app(config)
        except SystemExit as exc:
            raise KitError(f"the mock portal could not start: {exc}") from None
        self.spec: Spec = self.app.extensions["segur_spec"]
        self.login = str(self.app.config["DEMO_LOGIN"])
        self.password = str(self.app.config["DEMO_PASSWORD"])
        self.recorder = _Recorder(self.app.wsgi_app)
        self.app.wsgi_app = self.recorder  # type: ignore[method-assign]
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="segur-mock-portal", daemon=True)
        self._thread.start()
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {admin_token}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self.http.close()

    def __enter__(self) -> LivePortal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ admin API

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call the admin API; anything but a 2xx means the kit is broken (exit 2)."""
        response = self.http.request(method, self.url + path, json=body, timeout=ADMIN_TIMEOUT)
        if response.status_code >= 300:
            raise KitError(f"mock portal admin {method} {path} answered {response.status_code}: {response.text[:500]}")
        return response.json()

    def reset(self, *, at: str | None = None) -> None:
        """Empty state (the demo editor enrolled again), no fault or scenario, the clock frozen at ``at``."""
        self.admin("POST", "/admin/reset")
        self.admin("DELETE", "/admin/faults")
        self.admin("DELETE", "/admin/scenarios")
        if at is not None:
            self.set_clock(at)

    def set_clock(self, at: str) -> str:
        return str(self.admin("POST", "/admin/clock", {"at": at})["maintenant"])

    def fault(
        self,
        route: str,
        kind: str,
        *,
        method: str | None = None,
        times: int | None = None,
        latency_ms: int | None = None,
    ) -> None:
        body: dict[str, Any] = {"route": route, "type": kind, "methode": method}
        if times is not None:
            body["fois"] = times
        if latency_ms is not None:
            body["latenceMs"] = latency_ms
        self.admin("POST", "/admin/faults", body)

    def transition(self, numero: str, *steps: str, motif: str | None = None) -> Any:
        found = None
        for step in steps:
            found = self.admin("POST", f"/admin/requests/{numero}/transition", {"vers": step, "motif": motif})
        return found

    def stored_requests(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.admin("GET", "/admin/requests?limit=10000")["demandes"]
        return found

    def journal(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.admin("GET", "/admin/journal?limit=10000")["journal"]
        return found

    def mark(self) -> tuple[int, int]:
        """Where the journal and the wire log stand now (to read what comes after)."""
        journal = self.journal()
        return (journal[-1]["id"] if journal else 0, len(self.recorder.entries))

    def since(self, mark: tuple[int, int]) -> tuple[list[dict[str, Any]], list[WireEntry]]:
        """The journal entries and wire entries after ``mark``, without the admin calls."""
        journal = [entry for entry in self.journal() if entry["id"] > mark[0]]
        with self.recorder.lock:
            wire = [e for e in self.recorder.entries[mark[1] :] if e.path.startswith("/api/")]
        return journal, wire

    # ------------------------------------------------------------------ editor API (for set-ups)

    def editor(self) -> requests.Session:
        """A session logged in as the demo editor."""
        session = requests.Session()
        response = session.post(
            self.url + "/api/login", json={"login": self.login, "password": self.password}, timeout=ADMIN_TIMEOUT
        )
        if response.status_code != 200:
            raise KitError(f"the demo editor cannot log in to the mock portal: {response.text[:300]}")
        session.headers["Authorization"] = f"Bearer {response.json()['token']}"
        return session

    def status_export(self) -> dict[str, Any]:
        """The demo editor's status export: ``GET /api/requests``, every page of it."""
        found: list[dict[str, Any]] = []
        after: str | None = None
        with self.editor() as session:
            for _page in range(10_000):  # bounded: a page holds up to a thousand requests
                params = {"apres": after} if after else {}
                response = session.get(self.url + "/api/requests", params=params, timeout=ADMIN_TIMEOUT)
                if response.status_code != 200:
                    raise KitError(f"the mock's status export answered {response.status_code}: {response.text[:300]}")
                page = response.json()
                found += page["demandes"]
                after = page.get("suivant")
                if not after:
                    break
        return {"demandes": found}

    def enrolled_ans(self) -> dict[str, str]:
        """The demo editor's ANS numbers, by software type (e.g. {"DUI": "ANS-MS1-DUI-0042"})."""
        with self.editor() as session:
            me = session.get(self.url + "/api/me", timeout=ADMIN_TIMEOUT).json()
        validated = self.spec.workflow.get("enrolment", {}).get("statuts", {}).get("validee")
        return {e["typeLogiciel"]: e["numeroAns"] for e in me.get("enrolements", []) if e.get("statut") == validated}


def imports(journal: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The import calls of a journal."""
    return (e for e in journal if e["methode"] == "POST" and e["chemin"] == "/api/imports")
