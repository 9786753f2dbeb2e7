"""Several ``segur serve`` processes sharing one database (two hosts behind a load balancer):
8 clients import at once, half through each server. No error, no line stored twice, every
acknowledged line listed exactly once, the ASP numbers unique and without a gap; a file sent by
every client at once is accepted once (its lines are then duplicates for the others). Runs on
SQLite, or on PostgreSQL with SEGUR_TEST_POSTGRESQL."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from segur.generators.bundle import scaled

from tests._support.database import fresh_database
from tests._support.paths import EXAMPLES, SPEC

from .test_serve import ANS, AVANCE, LOGIN, TIMEOUT, Server, numbers, start, stored_state


@pytest.fixture
def running() -> Iterator[list[Server]]:
    """The servers a test starts, their process groups killed at teardown."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop(signal.SIGKILL)


CLIENTS = 8
IMPORTS = 3  # each client's own files, 10 requests each
LINES = 10


def _bundle(prefix: str) -> bytes:
    return orjson.dumps(scaled(orjson.loads((EXAMPLES / f"{AVANCE}.json").read_bytes()), LINES, SPEC, prefix=prefix))


def _import(server: Server, token: str, data: bytes) -> requests.Response:
    form = {"typeDemande": "avance", "tauxTva": "20", "numeroAns": ANS}
    files = {"fichier": ("depot.json", data)}  # no zip: the lines are stored incomplete, numbered all the same
    return requests.post(
        f"{server.url}/api/imports", headers={"Authorization": f"Bearer {token}"}, data=form, files=files, timeout=60
    )


def test_eight_clients_importing_through_two_servers(tmp_path: Path, running: list[Server]) -> None:
    database = fresh_database(tmp_path)
    first = start(running, database, tmp_path / "a")
    second = start(running, database, tmp_path / "b")
    token = first.login()
    assert second.get("/api/me", token).status_code == 200, "a session opened on one server works on the other"
    shared = _bundle("SHARED")
    answers: list[tuple[int, dict[str, Any]]] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)

    def client(index: int) -> None:
        server = (first, second)[index % 2]
        try:
            barrier.wait(timeout=TIMEOUT)
            for data in [shared] + [_bundle(f"C{index}I{n}") for n in range(IMPORTS)]:
                response = _import(server, token, data)
                with lock:
                    if response.status_code != 201:
                        errors.append(f"client {index}: HTTP {response.status_code} {response.text[:200]}")
                    else:
                        answers.append((index, response.json()))
        except Exception as exc:  # reported below
            with lock:
                errors.append(f"client {index}: {exc!r}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "a client did not finish in 120 s"
    assert errors == [], errors
    assert len(answers) == CLIENTS * (IMPORTS + 1)

    acknowledged = [n for _, answer in answers for n in numbers(answer)]
    assert len(acknowledged) == len(set(acknowledged)), "an ASP number was given twice"
    own = CLIENTS * IMPORTS * LINES
    assert len(acknowledged) == own + LINES, (
        f"Expected: every client's own lines and the shared file's once ({own + LINES}). Received: {len(acknowledged)}"
    )
    shared_taken = [a for _, a in answers if a["lignes"][0]["referenceLigne"].startswith("SHARED") and numbers(a)]
    assert len(shared_taken) == 1, f"the shared file was accepted {len(shared_taken)} times"
    sequence = sorted(int(n[-6:]) for n in acknowledged)
    assert sequence == list(range(1, len(acknowledged) + 1)), "the numbering has a gap or a repeat"

    listed: list[str] = []
    after = ""
    for _ in range(100):  # bounded: 250 requests, 37 a page
        page = (first, second)[len(listed) % 2].get(f"/api/requests?limit=37&apres={after}", token).json()
        listed += [r["numeroDemande"] for r in page["demandes"]]
        if page["suivant"] is None:
            break
        after = page["suivant"]
    assert sorted(listed) == sorted(acknowledged), "Expected: every acknowledged line listed exactly once"
    assert all(
        r["statut"] == SPEC.statuts["incomplete"] for r in first.get("/api/requests?limit=5", token).json()["demandes"]
    )
    journal = first.admin_get("/admin/journal?limit=1000").json()["journal"]
    assert sum(1 for e in journal if e["chemin"] == "/api/imports" and e["statut"] == 201) == len(answers)
    for server in (first, second):
        server.assert_no_traceback()
    state = stored_state(database)
    assert sum(len(d["requests"]) for d in state.values()) == len(acknowledged)
    assert LOGIN["login"] == "demo"
