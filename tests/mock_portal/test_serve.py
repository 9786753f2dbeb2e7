"""``segur serve`` as a real server: gunicorn with 1 worker and with 2 workers, in subprocesses.

Every server listens on 127.0.0.1 with a free port (``--port 0``), keeps its state in a
SQLite file under ``tmp_path`` (or, with SEGUR_TEST_POSTGRESQL, a fresh PostgreSQL schema) and
runs in its own process group, killed at teardown. The crash tests kill the server in the middle
of an import's transaction and restart it on the same database: the deposit is all there or not
at all, and what was acknowledged stays.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from segur.generators.archive import write_zip
from segur.generators.bundle import scaled
from segur.generators.pdf import pdf_document
from segur.mock_portal.store.database import engine_url
from segur.mock_portal.store.locking import WRITE_LOCK
from sqlalchemy import create_engine

from tests._support.database import fresh_database, on_postgresql
from tests._support.logical import example_ans, example_requests, first_profile, piece_names
from tests._support.paths import EXAMPLES, SPEC
from tests._support.portal import enrolment_form, said

ROOT = Path(__file__).resolve().parents[2]
#: the first avance profile, whose example the servers import, and the ANS number it carries
AVANCE = first_profile("avance")
ANS = example_ans(AVANCE)
LOGIN = {"login": "demo", "password": "demo-segur-2024"}
TIMEOUT = 20  # seconds, for any one HTTP call
START_TIMEOUT = 30  # seconds, for a server to print its banner
WAITING = SPEC.statuts["enAttente"]


class Server:
    """``segur serve`` in its own process group (stdout and stderr in files)."""

    def __init__(self, database: str, logs: Path, workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.database = database
        self.workers = workers
        logs.mkdir(parents=True, exist_ok=True)
        stamp = f"{time.monotonic_ns()}"
        self.stdout_path = logs / f"serve-{stamp}.out"
        self.stderr_path = logs / f"serve-{stamp}.err"
        extra = env
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEGUR_")}
        env.update(extra or {})
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        command = [sys.executable, "-c", "from segur.cli import main; main()", "serve"]
        command += ["--host", "127.0.0.1", "--port", "0", "--workers", str(workers), "--database", str(database)]
        command += ["--spec", str(SPEC.root)]  # the spec in force (the SEGUR_ variables are not passed on)
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=logs, env=env, start_new_session=True
            )
        self.pid = self.process.pid
        self.url = ""
        self.admin_token = ""
        self.banner = ""

    def wait_ready(self) -> Server:
        """Wait for the banner (port, demo account, admin token), then for /health to answer."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            text = self.stdout_path.read_text(encoding="utf-8", errors="replace")
            token = re.search(r"jeton gestionnaire \(API /admin\) : (\S+)\n", text)
            if token:
                break
            if self.process.poll() is not None:
                pytest.fail(f"segur serve exited with {self.process.returncode} before its banner:\n{self.logs()}")
            if time.monotonic() > deadline:
                pytest.fail(f"segur serve printed no banner in {START_TIMEOUT} s:\n{self.logs()}")
            time.sleep(0.02)
        self.banner = text
        first = text.splitlines()[0]
        found = re.fullmatch(r"Portail simulé prêt sur (http://127\.0\.0\.1:(\d+)/) \((\d+) worker\(s\)\)", first)
        assert found, f"Expected: the banner's first line. Received: {first!r}"
        assert int(found.group(2)) > 0 and int(found.group(3)) == self.workers
        self.url = found.group(1).rstrip("/")
        self.admin_token = token.group(1)
        assert f"compte éditeur de démonstration : {LOGIN['login']} / {LOGIN['password']}" in text
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{self.url}/health", timeout=TIMEOUT).status_code == 200:
                    return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"segur serve does not answer /health:\n{self.logs()}")
            time.sleep(0.05)

    def assert_no_traceback(self) -> None:
        assert "Traceback" not in self.stderr_path.read_text(encoding="utf-8", errors="replace"), self.logs()

    def logs(self) -> str:
        out = self.stdout_path.read_text(encoding="utf-8", errors="replace")
        err = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        return f"--- stdout\n{out}\n--- stderr (end)\n{err[-4000:]}"

    def stop(self, sig: int = signal.SIGKILL, timeout: float = 15) -> int:
        """SIGKILL the whole group, or send another signal to the server (gunicorn's arbiter stops
        its workers itself); once the server has exited, kill whatever is left of its group.

        The server stays a zombie (``WNOWAIT``) until then, so its pid, which is the group's id,
        cannot have been reused when the group is signalled."""
        if self.process.returncode is not None:
            return self.process.returncode
        with contextlib.suppress(ProcessLookupError):
            if sig == signal.SIGKILL:
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)
        deadline = time.monotonic() + timeout
        while os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                deadline = time.monotonic() + timeout
            time.sleep(0.02)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # gunicorn workers left behind, if any
        return self.process.wait(timeout=timeout)

    # ------------------------------------------------------------------ HTTP

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return requests.get(f"{self.url}{path}", headers=_auth(token), timeout=TIMEOUT, **kwargs)

    def post(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return requests.post(f"{self.url}{path}", headers=_auth(token), timeout=TIMEOUT, **kwargs)

    def admin_get(self, path: str) -> requests.Response:
        return self.get(path, self.admin_token)

    def admin_post(self, path: str, body: Any) -> requests.Response:
        return self.post(path, self.admin_token, json=body)

    def login(self) -> str:
        response = self.post("/api/login", json=LOGIN)
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    def deposit(self, token: str, bundle: bytes, pieces: bytes | None, timeout: float = TIMEOUT) -> requests.Response:
        files: dict[str, tuple[str, bytes]] = {"fichier": ("depot.json", bundle)}
        if pieces is not None:
            files["pieces"] = ("pieces.zip", pieces)
        form = {"typeDemande": "avance", "tauxTva": "20", "numeroAns": ANS}
        return requests.post(f"{self.url}/api/imports", headers=_auth(token), data=form, files=files, timeout=timeout)


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Every server a test starts: each one's group is killed at teardown, whatever happened."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop(signal.SIGKILL)


def start(
    servers: list[Server], database: str, logs: Path, workers: int = 1, env: dict[str, str] | None = None
) -> Server:
    server = Server(database, logs / "logs", workers, env)
    servers.append(server)
    return server.wait_ready()


def example_files() -> tuple[bytes, bytes]:
    return (EXAMPLES / f"{AVANCE}.json").read_bytes(), (EXAMPLES / f"{AVANCE}.zip").read_bytes()


def numbers(answer: dict[str, Any]) -> list[str]:
    return [line["numeroDemande"] for line in answer["lignes"] if "numeroDemande" in line]


def stored_state(database: str) -> dict[int, dict[str, Any]]:
    """Read the database directly: each deposit's stored answer beside the requests that point to it.

    Fails on anything half-stored: a deposit whose requests are not exactly the numbered lines
    of its answer, a request without deposit or without its import event, counts that disagree
    with the rows, a damaged file."""
    engine = create_engine(engine_url(database))
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"

        def db_execute(sql: str, *args: Any) -> Any:
            return connection.exec_driver_sql(sql.replace("?", "%s" if engine.dialect.name != "sqlite" else "?"), args)

        deposits: dict[int, dict[str, Any]] = {}
        for deposit_id, answer_text in db_execute("SELECT id, answer FROM deposits ORDER BY id"):
            answer = orjson.loads(answer_text)
            expected = set(numbers(answer)) if answer["statut"] == "OK" else set()
            kept_lines = [
                line
                for line in answer["lignes"]
                if line["codetraitement"] == SPEC.accepted_code or line.get("statut") == SPEC.statuts["incomplete"]
            ]
            assert len(kept_lines) == len(expected), f"deposit {deposit_id}: accepted or incomplete lines unnumbered"
            stored = {n for (n,) in db_execute("SELECT numero FROM requests WHERE deposit_id = ?", deposit_id)}
            assert stored == expected, (
                f"deposit {deposit_id}: Expected: the {len(expected)} numbered lines of its answer stored. "
                f"Received: {len(stored)} requests ({len(stored - expected)} unknown to the answer, "
                f"{len(expected - stored)} missing)"
            )
            deposits[deposit_id] = {"answer": answer, "requests": stored}
        orphans = db_execute(
            "SELECT COUNT(*) FROM requests WHERE deposit_id IS NULL OR deposit_id NOT IN (SELECT id FROM deposits)"
        ).scalar()
        assert orphans == 0, f"Expected: every request belongs to a stored deposit. Received: {orphans} orphans"
        eventless = db_execute(
            "SELECT COUNT(*) FROM requests WHERE numero NOT IN (SELECT numero FROM request_events)"
        ).scalar()
        assert eventless == 0, f"Expected: every request has its import event. Received: {eventless} without"
        counted = dict(db_execute("SELECT statut, SUM(n) FROM request_counts GROUP BY statut HAVING SUM(n) > 0").all())
        rows = dict(db_execute("SELECT statut, COUNT(*) FROM requests GROUP BY statut").all())
        assert counted == rows, f"Expected: the kept counts are the rows' ({rows}). Received: {counted}"
    engine.dispose()
    return deposits


# ---------------------------------------------------------------------- one worker


def test_one_worker_answers_and_its_state_survives_a_restart(tmp_path: Path, servers: list[Server]) -> None:
    """`/`, `/health`, `/openapi.json`; the printed admin token opens /admin; an import and a
    transition stay after SIGTERM and a new server on the same file (same admin token, same session)."""
    database = fresh_database(tmp_path)
    first = start(servers, database, tmp_path)
    home = first.get("/")
    assert home.status_code == 200 and "text/html" in home.headers["Content-Type"]
    assert "Ségur" in home.text
    assert first.get("/health").json() == {"statut": "OK"}
    openapi = first.get("/openapi.json")
    assert openapi.status_code == 200 and "openapi" in openapi.json()

    assert first.get("/admin/clock").status_code == 401
    assert first.get("/admin/clock", "not-the-token").status_code == 403
    assert "maintenant" in first.admin_get("/admin/clock").json()

    token = first.login()
    imported = first.deposit(token, *example_files())
    assert imported.status_code == 201, imported.text
    answer = imported.json()
    numeros = numbers(answer)
    assert len(numeros) == len(example_requests(AVANCE)) and answer["statut"] == "OK"
    moved = first.admin_post("/admin/clock", {"at": "2024-03-01T10:00"})
    assert moved.status_code == 200 and moved.json()["maintenant"].startswith("2024-03-01T10:00")
    moved = first.admin_post(f"/admin/requests/{numeros[0]}/transition", {"vers": "enCours"})
    assert moved.status_code == 200 and moved.json()["statut"] == SPEC.statuts["enCours"]

    assert first.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    first.assert_no_traceback()
    assert on_postgresql() or Path(database).exists()

    second = start(servers, database, tmp_path)
    # the admin token is kept (sealed, with the key beside the database: never in clear)
    assert second.admin_token == first.admin_token
    assert second.admin_get("/admin/clock").json()["maintenant"].startswith("2024-03-01T10:00")
    listed = {r["numeroDemande"]: r["statut"] for r in second.get("/api/requests", token).json()["demandes"]}
    assert listed == {numeros[0]: SPEC.statuts["enCours"], numeros[1]: WAITING, numeros[2]: WAITING}
    detail = second.get(f"/api/requests/{numeros[0]}", token).json()
    assert [(e["de"], e["vers"]) for e in detail["historique"]] == [(None, WAITING), (WAITING, SPEC.statuts["enCours"])]
    again = second.get(f"/api/imports/{answer['depot']}", token).json()
    assert again["lignes"] == answer["lignes"] and again["termine"] is False
    assert second.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    second.assert_no_traceback()
    assert stored_state(database)[answer["depot"]]["requests"] == set(numeros)


# ---------------------------------------------------------------------- gunicorn


def test_gunicorn_workers_share_the_state(tmp_path: Path, servers: list[Server]) -> None:
    """Two sync workers: while one is held by a 5 s latency fault on GET /api/requests, the other
    must serve the import (it ends while the held request is still waiting); the held one then lists the requests the other one stored, with the
    session token a third request obtained."""
    database = fresh_database(tmp_path)
    server = start(servers, database, tmp_path, workers=2)
    for path in ("/", "/health", "/openapi.json"):
        assert server.get(path).status_code == 200, path
    token = server.login()
    assert server.get("/api/me", token).json()["login"] == "demo"
    fault = {"route": "/api/requests", "methode": "GET", "type": "latency", "latenceMs": 5000, "fois": 1}
    assert server.admin_post("/admin/faults", fault).status_code == 201

    held: dict[str, Any] = {}

    def slow_list() -> None:
        try:
            held["response"] = server.get("/api/requests", token)
        except requests.RequestException as exc:  # reported by the assertion below
            held["response"] = exc

    reader = threading.Thread(target=slow_list, daemon=True)
    started = time.monotonic()
    reader.start()
    # the fault is used up once the reader's worker has entered it (and sleeps in it for 3 s)
    while server.admin_get("/admin/faults").json()["pannes"][0]["restant"] != 0:
        assert time.monotonic() - started < TIMEOUT and reader.is_alive(), "the held request never reached a worker"
        time.sleep(0.02)
    imported = server.deposit(token, *example_files())
    assert imported.status_code == 201, imported.text
    assert reader.is_alive(), (
        "Expected: the import served by the free worker while the other sleeps. Received: the held request ended first"
    )
    reader.join(TIMEOUT)
    assert not reader.is_alive()
    listed = held["response"]
    assert isinstance(listed, requests.Response) and listed.status_code == 200, listed
    assert [r["numeroDemande"] for r in listed.json()["demandes"]] == numbers(imported.json())

    # a few more calls, whichever worker takes them
    for _ in range(6):
        assert server.get("/api/requests", token).json()["demandes"] == listed.json()["demandes"]
    journal = server.admin_get("/admin/journal").json()["journal"]
    calls = [(e["methode"], e["chemin"], e["statut"]) for e in journal]
    assert calls.count(("GET", "/api/requests", 200)) == 7 and ("POST", "/api/imports", 201) in calls
    assert server.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    server.assert_no_traceback()
    stored_state(database)


# ---------------------------------------------------------------------- crash in the middle of an import

BIG = 200  # requests in the deposit killed in flight (the spec's maximum)


@pytest.fixture(scope="module")
def big_deposit(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """200 distinct valid requests and a zip of their 200 real (distinct) PDFs."""
    bundle = scaled(orjson.loads((EXAMPLES / f"{AVANCE}.json").read_bytes()), BIG, SPEC, prefix="CRASH")
    names = piece_names(bundle)
    assert len(names) == BIG
    pieces = io.BytesIO()
    write_zip(pieces, ((n, pdf_document(n, [f"pièce {i + 1} du dépôt"])) for i, n in enumerate(names)))
    with zipfile.ZipFile(io.BytesIO(pieces.getvalue())) as archive:
        assert len(archive.namelist()) == BIG
    return orjson.dumps(bundle), pieces.getvalue()


def small_page_cache(database: str) -> None:
    """Create the file with an 8-page default cache (kept in its header; the portal sets no cache
    size): an import's transaction then spills its pages to the WAL long before its COMMIT, so a
    kill leaves uncommitted frames on disk that the restart must ignore, the hard case of recovery."""
    with contextlib.closing(sqlite3.connect(str(database), isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA default_cache_size=8")
        assert db.execute("PRAGMA default_cache_size").fetchone()[0] == 8


def _wal_size(database: str) -> int:
    if on_postgresql():
        return 0
    wal = Path(f"{database}-wal")
    return wal.stat().st_size if wal.exists() else 0


class WriterProbe:
    """Whether another connection holds the portal's write lock (a write transaction is open):
    SQLite's, tried with BEGIN IMMEDIATE; PostgreSQL's advisory lock, tried without waiting."""

    def __init__(self, database: str) -> None:
        if on_postgresql():
            import psycopg

            url = engine_url(database).replace("postgresql+psycopg://", "postgresql://", 1)
            self.pg: Any = psycopg.connect(url, autocommit=True)
        else:
            self.sqlite = sqlite3.connect(database, timeout=0, isolation_level=None)

    def busy(self) -> bool:
        if on_postgresql():
            with self.pg.transaction():
                return not self.pg.execute("SELECT pg_try_advisory_xact_lock(%s)", (WRITE_LOCK,)).fetchone()[0]
        try:
            self.sqlite.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                return True
            raise
        self.sqlite.execute("ROLLBACK")
        return False

    def close(self) -> None:
        (self.pg if on_postgresql() else self.sqlite).close()


@pytest.mark.parametrize("workers", [1, 2], ids=["one-worker", "two-workers"])
def test_killed_in_the_middle_of_an_import_nothing_half_stored_nothing_acknowledged_lost(
    tmp_path: Path, servers: list[Server], big_deposit: tuple[bytes, bytes], workers: int
) -> None:
    """A first import is acknowledged (201). A scenario (decide and pay every imported request)
    makes the 200-request import write for a second or more inside its transaction, after its
    requests are inserted. The whole process group is SIGKILLed while that transaction holds the
    write lock and before any answer. Restarted on the same file: the acknowledged deposit is all
    there, nothing of the killed one is (deposit row, requests, scenario count, number sequence),
    and the same import, sent again, is accepted in full."""
    database = fresh_database(tmp_path)
    if not on_postgresql():
        small_page_cache(database)
    server = start(servers, database, tmp_path, workers)
    token = server.login()
    acknowledged = server.deposit(token, *example_files())
    assert acknowledged.status_code == 201, acknowledged.text
    kept = acknowledged.json()
    scenario = {"etapes": ["enCours", "validee", "decidee", "payee"], "fois": 1}
    assert server.admin_post("/admin/scenarios", scenario).status_code == 201

    outcome: dict[str, Any] = {}

    def send() -> None:
        try:
            outcome["response"] = server.deposit(token, *big_deposit, timeout=60)
        except requests.RequestException as exc:
            outcome["error"] = exc

    sender = threading.Thread(target=send, daemon=True)
    probe = WriterProbe(database)
    try:
        sent = time.monotonic()
        sender.start()
        locked_since: float | None = None
        wal_at_start = wal_at_kill = 0
        while True:
            busy = probe.busy()
            now = time.monotonic()
            assert now - sent < 30, "Expected: the import's transaction to start. Received: no write lock in 30 s"
            if not sender.is_alive():
                pytest.fail(f"the import ended before it could be killed ({outcome}): make it longer")
            if not busy:
                locked_since = None
            elif locked_since is None:
                locked_since, wal_at_start = now, _wal_size(database)
            elif now - locked_since >= 0.4:
                break
            time.sleep(0.005)
        # meanwhile a reader sees the last committed state (admin routes are not journaled)
        seen = {r["numeroDemande"] for r in server.admin_get("/admin/requests").json()["demandes"]}
        assert seen == set(numbers(kept)), f"a reader sees {len(seen) - 3} requests of the import in flight"
        wal_at_kill = _wal_size(database)
        assert probe.busy() and sender.is_alive(), "the import's transaction ended before the kill"
    finally:
        # closed while the server still has the file open: no checkpoint, the WAL stays as the server leaves it
        probe.close()
    os.killpg(server.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    server.stop(signal.SIGKILL)
    wal_left = _wal_size(database)
    sender.join(TIMEOUT)
    assert not sender.is_alive()
    assert "response" not in outcome, f"Expected: no answer to the killed import. Received: {outcome['response']}"
    assert on_postgresql() or wal_left >= wal_at_kill > wal_at_start, (
        "Expected: the killed transaction had written uncommitted pages to the WAL. "
        f"Received: WAL of {wal_at_start} bytes at its start, {wal_at_kill} just before the kill, {wal_left} after"
    )
    print(
        f"killed {killed_at - sent:.2f} s after sending, {killed_at - locked_since:.2f} s into the transaction, "
        f"WAL {wal_at_start} -> {wal_left} bytes; client: {type(outcome.get('error')).__name__}"
    )

    # the restart: same file, left with its WAL by a killed process
    again = start(servers, database, tmp_path, workers)
    state = stored_state(database)
    assert list(state) == [kept["depot"]], f"Expected: only the acknowledged deposit. Received: deposits {list(state)}"
    assert state[kept["depot"]]["requests"] == set(numbers(kept))
    listed = again.get("/api/requests", token).json()["demandes"]  # the session was acknowledged too
    assert sorted((r["numeroDemande"], r["statut"]) for r in listed) == [(n, WAITING) for n in sorted(numbers(kept))]
    assert again.get(f"/api/imports/{kept['depot']}", token).json()["lignes"] == kept["lignes"]
    assert [s["restant"] for s in again.admin_get("/admin/scenarios").json()["scenarios"]] == [1]

    # the import sent again: nothing left of the first attempt blocks a line, numbering goes on without a gap
    replayed = again.deposit(token, *big_deposit, timeout=60)
    assert replayed.status_code == 201, replayed.text
    answer = replayed.json()
    assert answer["recapitulatif"]["acceptees"] == BIG, answer["lignes"][0]
    sequence = [int(n[-6:]) for n in numbers(kept) + numbers(answer)]
    assert sequence == list(range(sequence[0], sequence[0] + 3 + BIG))
    paid = again.admin_get("/admin/requests?statut=payee").json()["demandes"]
    assert {r["numeroDemande"] for r in paid} == set(numbers(answer))
    assert again.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    again.assert_no_traceback()
    final = stored_state(database)
    assert [len(final[d]["requests"]) for d in sorted(final)] == [3, BIG]


@pytest.mark.parametrize("workers", [1, 2], ids=["one-worker", "two-workers"])
def test_a_drop_fault_closes_the_connection_without_an_answer_once(
    tmp_path: Path, servers: list[Server], workers: int
) -> None:
    server = start(servers, fresh_database(tmp_path), tmp_path, workers)
    token = server.login()
    created = server.admin_post("/admin/faults", {"route": "/api/me", "type": "drop", "fois": 1})
    assert created.status_code == 201, created.text
    with pytest.raises(requests.ConnectionError):
        server.get("/api/me", token)
    assert server.get("/api/me", token).status_code == 200
    server.assert_no_traceback()


@pytest.mark.parametrize("workers", [1, 2], ids=["werkzeug", "gunicorn"])
def test_a_stored_then_drop_fault_stores_the_import_then_loses_its_answer(
    tmp_path: Path, servers: list[Server], workers: int
) -> None:
    """The import is stored and numbered, the client gets no answer; the imports list (by the
    file's SHA-256) and the answer by id tell it the import landed."""
    database = fresh_database(tmp_path)
    server = start(servers, database, tmp_path, workers)
    token = server.login()
    created = server.admin_post(
        "/admin/faults", {"route": "/api/imports", "type": "stored-then-drop", "methode": "POST", "fois": 1}
    )
    assert created.status_code == 201, created.text
    bundle, pieces = example_files()
    with pytest.raises(requests.ConnectionError):
        server.deposit(token, bundle, pieces)
    digest = hashlib.sha256(bundle).hexdigest()
    listed = server.get(f"/api/imports?sha256={digest}", token).json()
    assert [d["sha256"] for d in listed["depots"]] == [digest] and listed["suivant"] is None
    landed = listed["depots"][0]
    answer = server.get(f"/api/imports/{landed['depot']}", token).json()
    assert landed["nombreLignes"] == len(answer["lignes"]) and landed["termine"] is False
    assert set(numbers(answer)) == stored_state(database)[landed["depot"]]["requests"]
    journal = server.admin_get("/admin/journal").json()["journal"]
    entry = next(e for e in journal if e["chemin"] == "/api/imports" and e["methode"] == "POST")
    assert entry["statut"] == 201 and entry["detail"]["faute"] == "stored-then-drop"
    assert entry["detail"]["depot"] == landed["depot"]
    assert server.get(f"/api/imports?sha256={'0' * 64}", token).json()["depots"] == []
    assert server.get("/api/imports?sha256=nothex", token).status_code == 400
    server.assert_no_traceback()


def test_a_stored_then_late_fault_holds_the_answer_past_the_client_time_out(
    tmp_path: Path, servers: list[Server]
) -> None:
    """The client gives up after 1 s; the import is already stored when it asks the list."""
    database = fresh_database(tmp_path)
    server = start(servers, database, tmp_path)
    token = server.login()
    fault = {"route": "/api/imports", "type": "stored-then-late", "methode": "POST", "fois": 1, "latenceMs": 5000}
    assert server.admin_post("/admin/faults", fault).status_code == 201
    bundle, pieces = example_files()
    with pytest.raises(requests.Timeout):
        server.deposit(token, bundle, pieces, timeout=1)
    listed = server.get("/api/imports", token).json()["depots"]
    assert [d["sha256"] for d in listed] == [hashlib.sha256(bundle).hexdigest()]
    assert listed[0]["statut"] == "OK" and stored_state(database)[listed[0]["depot"]]["requests"]
    too_long = {**fault, "latenceMs": 600_001}
    refused = server.admin_post("/admin/faults", too_long)
    # the document states the bound: refused before the service reads it, the field named
    assert refused.status_code == 400 and "'latenceMs'" in refused.json()["message"]
    server.assert_no_traceback()


def test_gunicorns_own_errors_come_back_as_the_portals_json_error(tmp_path: Path, servers: list[Server]) -> None:
    """What gunicorn answers before the application sees the request: a request line over 4094
    bytes (414), a header over 8190 bytes (431), a request line that is not HTTP (400)."""
    import socket
    from urllib.parse import urlsplit

    server = start(servers, fresh_database(tmp_path), tmp_path)
    long_uri = server.get("/api/" + "a" * 5000)
    big_header = requests.get(f"{server.url}/health", headers={"X-Long": "b" * 9000}, timeout=TIMEOUT)
    odd_expect = requests.get(f"{server.url}/health", headers={"Expect": "O;J@Q"}, timeout=TIMEOUT)
    assert (odd_expect.status_code, odd_expect.json()["code"]) == (400, "REQUETE_INVALIDE")  # gunicorn's 417
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=TIMEOUT) as raw:
        raw.sendall(b"GARBAGE\r\n\r\n")
        garbage = raw.recv(4096)
    head, _, body = garbage.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"Content-Type: application/json" in head
    answers = [
        (long_uri.status_code, long_uri.json()),
        (big_header.status_code, big_header.json()),
        (400, orjson.loads(body)),
    ]
    assert [(status, answer["code"]) for status, answer in answers] == [
        (414, "URI_TROP_LONGUE"),
        (431, "EN_TETES_TROP_VOLUMINEUX"),
        (400, "REQUETE_INVALIDE"),
    ]
    assert all(answer["message"] for _, answer in answers)
    server.assert_no_traceback()


def test_away_from_loopback_the_banner_warns_and_the_page_hides_the_demo_password(tmp_path: Path) -> None:
    """Nothing listens here: the banner and the page are those ``segur serve --host`` prepares."""
    from click.testing import CliRunner
    from segur.mock_portal import create_app

    from segur import serve

    assert [serve.is_loopback(h) for h in ("127.0.0.1", "127.8.9.1", "::1", "localhost")] == [True] * 4
    assert [serve.is_loopback(h) for h in ("0.0.0.0", "192.0.2.1", "::", "example.org")] == [False] * 4
    app = create_app({"DATABASE": str(tmp_path / "portal.sqlite3")})
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        serve._announce(app, "192.0.2.1", 8000, 1)
    warning = err.getvalue().decode()
    assert "ATTENTION" in warning and "démonstration" in warning and "SEGUR_ADMIN_TOKEN" in warning
    assert "jeton gestionnaire (API /admin)" in out.getvalue().decode()  # printed at start
    with runner.isolation() as (_, quiet, _):
        serve._announce(app, "127.0.0.1", 8000, 1)
    assert quiet.getvalue() == b""
    assert LOGIN["password"] in app.test_client().get("/").get_data(as_text=True)
    app.config["DEMO_ON_PAGE"] = serve.is_loopback("192.0.2.1")
    page = app.test_client().get("/").get_data(as_text=True)
    assert LOGIN["password"] not in page and app.config["ADMIN_TOKEN"] not in page


def test_the_database_is_created_for_its_owner_only_and_an_unusable_one_is_named(tmp_path: Path) -> None:
    from segur.mock_portal import create_app

    database = tmp_path / "new" / "portal.sqlite3"
    app = create_app({"DATABASE": str(database)})
    app.test_client().post("/api/login", json=LOGIN)  # opens a connection: the WAL files exist now
    modes = {path.name: path.stat().st_mode & 0o777 for path in database.parent.iterdir()}
    assert modes and set(modes.values()) == {0o600}, modes
    folder = tmp_path / "a-folder.sqlite3"
    folder.mkdir()
    with pytest.raises(SystemExit, match=r"cannot use the database .*a-folder\.sqlite3.*--database"):
        create_app({"DATABASE": str(folder)})
    with pytest.raises(SystemExit, match=r"ADMIN_TOKEN .*\(RFC 6750\)"):
        create_app({"DATABASE": str(database), "ADMIN_TOKEN": "jeton é"})


def test_a_token_given_by_the_environment_is_printed_kept_and_never_stored_in_clear(
    tmp_path: Path, servers: list[Server]
) -> None:
    """SEGUR_ADMIN_TOKEN: the same token after a restart; neither it, nor a session token, nor a new
    editor's password is anywhere in the database's files (the credentials mail is sealed with the
    key beside the database), yet the gestionnaire reads the password in the outbox."""
    database = fresh_database(tmp_path)
    token = "jeton-gestionnaire-de-test-0123456789"
    first = start(servers, database, tmp_path, env={"SEGUR_ADMIN_TOKEN": token})
    assert first.admin_token == token
    editor_token = first.login()
    enrolled = first.post("/api/enrolments", json=enrolment_form())
    assert enrolled.status_code == 201, enrolled.text
    decided = first.admin_post(f"/admin/enrolments/{enrolled.json()['id']}/decision", {"vers": "validee"})
    assert decided.status_code == 200, decided.text
    mails = first.admin_get("/admin/mails").json()["courriels"]
    password = said(next(m["corps"] for m in mails if m["objet"] == "Votre mot de passe"), "Mot de passe")
    login = said(next(m["corps"] for m in mails if m["objet"] == "Votre identifiant"), "Identifiant")
    assert first.post("/api/login", json={"login": login, "password": password}).status_code == 200
    assert first.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    if on_postgresql():
        stored = stored_text(database)
    else:
        stored = b"".join(path.read_bytes() for path in tmp_path.glob("portal.sqlite3*") if path.suffix != ".key")
        assert (tmp_path / "portal.sqlite3.key").stat().st_mode & 0o777 == 0o600
    for secret in (token, editor_token, password, LOGIN["password"]):
        assert secret.encode() not in stored, f"{secret[:6]}… found in the database"
    second = start(servers, database, tmp_path, env={"SEGUR_ADMIN_TOKEN": token})
    assert second.admin_token == token and second.get("/api/me", editor_token).status_code == 200
    reread = second.admin_get("/admin/mails").json()["courriels"]
    assert any(f"\nMot de passe : {password}\n" in m["corps"] for m in reread)


def stored_text(database: str) -> bytes:
    """Every value of every table of a database, as bytes (to look for a secret in it)."""
    from segur.mock_portal.store import schema

    engine = create_engine(engine_url(database))
    try:
        with engine.connect() as connection:
            return b"\n".join(
                repr(tuple(row)).encode() for table in schema.TABLES for row in connection.execute(table.select())
            )
    finally:
        engine.dispose()
