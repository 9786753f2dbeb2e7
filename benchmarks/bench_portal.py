"""Throughput and latency of the mock portal's simulate over HTTP, next to a minimal app.

Run from the repository root with the project's interpreter::

    python benchmarks/bench_portal.py [--quick] [--out FILE] [--clients 4] [--workers 2] [--strict] [--profile]

Two servers run side by side on 127.0.0.1 (port 0), both under gunicorn with the same
options (threaded workers, 2 by default: ``segur/serve.py``):

- the mock portal, started as a user starts it: ``segur serve --workers 2 --port 0
  --database TMP``; each simulate goes through login check, enrolment lookup, the full
  controls with the SQLite history, the answer and the journal;
- the floor, ``benchmarks/minimal_portal.py``: a Flask app that only parses the multipart
  body and checks the JSON against the profile schema (``orjson.loads`` + jsonschema-rs).

Both receive the same POST /api/simulations (multipart: ``fichier`` = the 200-request
bundle of the spec's first avance profile, typeDemande, numeroAns, tauxTva; Authorization: Bearer) from 4
client threads (``http.client``, keep-alive asked for: gunicorn's threaded workers keep the connection;
its sync workers, used until issue 15, closed it after each answer; the report gives the
connections per request). Every
answer is checked. After a warm-up, the measures are taken in rounds of two time-bounded
windows, one per server, back to back (the order swapped every round); the ratio is that of
the throughputs over all the windows. The load generator runs on the same cores as the
servers: its CPU time is reported next to theirs. See README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from _report import Row, environment, print_table, write_report  # noqa: E402
from segur.generators.bundle import scaled  # noqa: E402
from segur.mock_portal.controls import load_spec  # noqa: E402
from segur.mock_portal.controls.line import read_values  # noqa: E402
from segur.mock_portal.controls.spec import resolve  # noqa: E402

#: the spec in force (SEGUR_SPEC, else the kit's model; the servers started inherit it), its first
#: avance profile (whose example is scaled), the ANS number of that example, its acceptance code
SPEC = load_spec()
PROFILE = next(p.name for p in SPEC.profiles.values() if p.deposit_type == "avance")
EXAMPLE = orjson.loads((SPEC.root / "examples" / f"{PROFILE}.json").read_bytes())
REQUESTS = 200
OUT_DIR = HERE / "out"
HOST = "127.0.0.1"
LOGIN, PASSWORD = "demo", "demo-segur-2024"  # the demo account seeded by the mock portal
NUMERO_ANS = read_values(resolve(EXAMPLE, SPEC.document["requests"].path)[0], SPEC)["ans_number"]
FORM = {"typeDemande": "avance", "numeroAns": NUMERO_ANS, "tauxTva": "20"}
BOUNDARY = "----bench-portal-7c1d0b5e2f"  # fixed: the request bytes are the same on every run
ACCEPTED_CODE = SPEC.accepted_code

# targets
THROUGHPUT_MIN = 150.0  # simulates/s, full portal
P99_MAX_MS = 60.0  # full portal
RATIO_MIN = 0.5  # full / minimal throughput
ERRORS_MAX = 0
DISTURBED_SHARE = 0.05  # other processes' share of the machine above which the run is flagged


@dataclass(frozen=True)
class Budget:
    """``warmup_s`` of load on each server first, then ``rounds`` rounds of one window of
    ``window_s`` per server, back to back, the order swapped every round (full then minimal,
    minimal then full...); a window stops sending at its end and waits for the requests in
    flight."""

    warmup_s: float
    rounds: int
    window_s: float


BUDGETS = {
    "full": Budget(warmup_s=3.0, rounds=10, window_s=2.5),  # 25 s measured per server
    "quick": Budget(warmup_s=1.0, rounds=1, window_s=2.0),
}


def paired_ratios(full: list[float], minimal: list[float]) -> list[float]:
    """Full / minimal throughput of each round: two windows side by side in time, so that a
    change of the machine's speed (other processes, the hypervisor) weighs on both."""
    return [f / m if m else math.nan for f, m in zip(full, minimal, strict=True)]


# --------------------------------------------------------------------------- servers


def _proc_times(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a live process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """A server in its own process group: started, waited for, measured, always stopped."""

    def __init__(self, name: str, command: list[str], ready: str, log: Path) -> None:
        self.name = name
        self.command = command
        self.ready = re.compile(re.escape(ready) + r" http://127\.0\.0\.1:(\d+)/")
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self, timeout: float = 60.0) -> int:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log, "wb") as sink:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: gunicorn's master and workers
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.ready.search(self.log.read_text(errors="replace"))
            if found:
                self.port = int(found.group(1))
                return self.port
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit(f"bench_portal: the {self.name} server did not start:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def pids(self) -> list[int]:
        """The master and its children (gunicorn's workers)."""
        if self.process is None:
            return []
        master = self.process.pid
        found = [master]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                times = _proc_times(int(entry.name))
                if times and times[0] == master:
                    found.append(int(entry.name))
        return found

    def cpu_seconds(self) -> dict[int, float]:
        return {pid: t[1] for pid in self.pids() if (t := _proc_times(pid)) is not None}

    def stop(self) -> None:
        """SIGTERM to the whole process group, SIGKILL after 10 s."""
        if self.process is None:
            return
        try:
            pgid = os.getpgid(self.process.pid)
        except ProcessLookupError:
            pgid = None
        if pgid is not None and pgid != os.getpgid(0):
            try:
                os.killpg(pgid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                self.process.wait(timeout=10)
            # workers that outlive the master (should not happen) go with the group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        elif self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def machine_busy() -> tuple[float, float, float]:
    """CPU seconds the whole machine (all cores) has spent, from /proc/stat: in processes
    (user, nice, system), in interrupts (irq, softirq: the loopback's packets, when the kernel
    accounts them apart) and stolen by the hypervisor."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            values = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return math.nan, math.nan, math.nan
    user, nice, system, _idle, _iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system) / tick, (irq + softirq) / tick, steal / tick


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two readings by the processes alive at both."""
    return sum(after[pid] - before[pid] for pid in after if pid in before)


# --------------------------------------------------------------------------- requests


def multipart(fields: dict[str, str], file_field: str, filename: str, content: bytes) -> bytes:
    parts = []
    for name, value in fields.items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: application/json\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def login(port: int) -> str:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/login",
            orjson.dumps({"login": LOGIN, "password": PASSWORD}),
            {"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise SystemExit(f"bench_portal: login refused ({response.status}): {body[:300]!r}")
    token: str = orjson.loads(body)["token"]
    return token


def check_full(status: int, body: bytes) -> str | None:
    """None when the answer is a simulate accepting the file and its 200 lines, else why not."""
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return f"not JSON: {body[:200]!r}"
    if answer.get("statut") != "OK" or answer.get("codetraitement") != ACCEPTED_CODE:
        return f"file answer {answer.get('statut')} {answer.get('codetraitement')}: {answer.get('erreurs')}"
    lines = answer.get("lignes") or []
    if len(lines) != REQUESTS:
        return f"{len(lines)} lines answered, {REQUESTS} expected"
    codes = {line.get("codetraitement") for line in lines}
    if codes != {ACCEPTED_CODE}:
        return f"line codes {sorted(map(str, codes))}, all {ACCEPTED_CODE} expected"
    return None


def check_minimal(status: int, body: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    if body != b'{"statut":"OK"}':
        return f"answer {body[:200]!r}, schema-valid expected"
    return None


@dataclass
class Target:
    name: str
    port: int
    headers: dict[str, str]
    check: Callable[[int, bytes], str | None]
    server: Server


@dataclass
class Window:
    """What the clients saw during one window, and the CPU the processes spent."""

    latencies: list[float] = field(default_factory=list)  # seconds, answers that passed the check
    errors: list[str] = field(default_factory=list)
    connections: int = 0
    elapsed: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    machine_cpu: float = 0.0  # every process of the machine
    interrupts_cpu: float = 0.0  # irq + softirq (loopback packets), where accounted apart
    stolen_cpu: float = 0.0  # steal

    @property
    def other_cpu(self) -> float:
        """Busy time of the machine charged neither to the server nor to the load generator.
        Interrupts are counted in: where the kernel does not account them apart, the loopback's
        softirq time is already in the processes' system time (and /proc/stat's softirq)."""
        return self.machine_cpu + self.interrupts_cpu - self.server_cpu - self.client_cpu


def run_window(target: Target, body: bytes, clients: int, seconds: float, at_least: int = 0) -> Window:
    """``clients`` threads send simulates back to back for ``seconds`` (and at least ``at_least``
    each), then finish the one in flight."""
    window = Window()
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    stop_at = [math.inf]

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, target.port, timeout=60)
        latencies: list[float] = []
        errors: list[str] = []
        opened = 0
        barrier.wait()
        try:
            sent = 0
            while sent < at_least or time.perf_counter() < stop_at[0]:
                sent += 1
                if connection.sock is None:
                    opened += 1
                t0 = time.perf_counter()
                try:
                    connection.request("POST", "/api/simulations", body, target.headers)
                    response = connection.getresponse()
                    answer = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    connection.close()
                    continue
                elapsed = time.perf_counter() - t0
                problem = target.check(response.status, answer)
                if problem is None:
                    latencies.append(elapsed)
                else:
                    errors.append(problem)
        finally:
            connection.close()
            with lock:
                window.latencies += latencies
                window.errors += errors
                window.connections += opened

    threads = [threading.Thread(target=client, name=f"client-{i}", daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    server_before = target.server.cpu_seconds()
    client_before = time.process_time()
    machine_before = machine_busy()
    start = time.perf_counter()
    stop_at[0] = start + seconds
    barrier.wait()
    for thread in threads:
        thread.join(timeout=seconds + 120)
        if thread.is_alive():
            raise SystemExit(f"bench_portal: a client of {target.name} is stuck")
    window.elapsed = time.perf_counter() - start
    window.client_cpu = time.process_time() - client_before
    machine_after = machine_busy()
    window.machine_cpu, window.interrupts_cpu, window.stolen_cpu = (
        after - before for after, before in zip(machine_after, machine_before, strict=True)
    )
    window.server_cpu = cpu_delta(server_before, target.server.cpu_seconds())
    return window


# --------------------------------------------------------------------------- figures


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summarise(windows: list[Window], cpus: int) -> dict[str, Any]:
    latencies = [x for w in windows for x in w.latencies]
    errors = [e for w in windows for e in w.errors]
    elapsed = sum(w.elapsed for w in windows)
    answered = len(latencies) + len(errors)
    ms = [x * 1000 for x in latencies]
    return {
        "throughput_per_s": len(latencies) / elapsed if elapsed else 0.0,
        "per_window_per_s": [len(w.latencies) / w.elapsed for w in windows],
        "per_window_other_share": [w.other_cpu / (w.elapsed * cpus) for w in windows],
        "ok": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "latency_ms": {
            "p50": percentile(ms, 0.50) if ms else math.nan,
            "p95": percentile(ms, 0.95) if ms else math.nan,
            "p99": percentile(ms, 0.99) if ms else math.nan,
            "max": max(ms) if ms else math.nan,
            "mean": statistics.fmean(ms) if ms else math.nan,
        },
        "elapsed_s": elapsed,
        "connections_per_request": sum(w.connections for w in windows) / answered if answered else math.nan,
        "cpu": {
            "server_s": sum(w.server_cpu for w in windows),
            "client_s": sum(w.client_cpu for w in windows),
            "server_ms_per_request": 1000 * sum(w.server_cpu for w in windows) / answered if answered else math.nan,
            "client_ms_per_request": 1000 * sum(w.client_cpu for w in windows) / answered if answered else math.nan,
            # share of the machine (all cores) each side used during the windows
            "server_share": sum(w.server_cpu for w in windows) / (elapsed * cpus) if elapsed else math.nan,
            "client_share": sum(w.client_cpu for w in windows) / (elapsed * cpus) if elapsed else math.nan,
            "machine_share": sum(w.machine_cpu for w in windows) / (elapsed * cpus) if elapsed else math.nan,
            # busy time of the machine charged to neither side: other processes (± tick rounding)
            "other_share": sum(w.other_cpu for w in windows) / (elapsed * cpus) if elapsed else math.nan,
            "interrupts_share": sum(w.interrupts_cpu for w in windows) / (elapsed * cpus) if elapsed else math.nan,
            "stolen_share": sum(w.stolen_cpu for w in windows) / (elapsed * cpus) if elapsed else math.nan,
        },
    }


def rows_of(results: dict[str, Any], workers: int) -> list[Row]:
    full, minimal = results["full"], results["minimal"]
    rows: list[Row] = []
    for label, r, is_full in (("1. full portal (segur serve)", full, True), ("2. minimal app (floor)", minimal, False)):
        rows += [
            Row(f"{label}: throughput", "/s", r["throughput_per_s"], None, THROUGHPUT_MIN if is_full else None, "≥"),
            Row("   latency p50", "ms", r["latency_ms"]["p50"]),
            Row("   latency p95", "ms", r["latency_ms"]["p95"]),
            Row("   latency p99", "ms", r["latency_ms"]["p99"], None, P99_MAX_MS if is_full else None),
            Row("   errors", "", r["errors"], None, ERRORS_MAX),
            Row(f"   server CPU per simulate ({workers} workers)", "ms", r["cpu"]["server_ms_per_request"]),
            Row("   load generator CPU per simulate", "ms", r["cpu"]["client_ms_per_request"]),
            Row("   server CPU, share of the machine", "%", 100 * r["cpu"]["server_share"]),
            Row("   load generator CPU, share of the machine", "%", 100 * r["cpu"]["client_share"]),
            Row("   other processes, share of the machine", "%", 100 * r["cpu"]["other_share"]),
        ]
    rows.append(Row("3. ratio full / minimal throughput", "×", results["ratio"], None, RATIO_MIN, "≥"))
    return rows


# --------------------------------------------------------------------------- profile (in process)


def profile(data: bytes, count: int, top: int) -> dict[str, Any]:
    """The full app in this process (Flask test client, a fresh SQLite file), ``count``
    simulates under cProfile: the functions that take the most time, inclusive and own."""
    import cProfile
    import io
    import pstats

    from segur.mock_portal import create_app

    with tempfile.TemporaryDirectory(prefix="bench_portal-profile-") as tmp:
        app = create_app({"DATABASE": str(Path(tmp) / "portal.sqlite3")})
        client = app.test_client()
        token = client.post("/api/login", json={"login": LOGIN, "password": PASSWORD}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        body = multipart(FORM, "fichier", "demandes.json", data)

        def once() -> None:
            response = client.post("/api/simulations", data=body, headers=headers)
            problem = check_full(response.status_code, response.get_data())
            if problem:
                raise SystemExit(f"bench_portal: profile: {problem}")

        for _ in range(10):
            once()
        t0 = time.perf_counter()
        for _ in range(count):
            once()
        plain_ms = 1000 * (time.perf_counter() - t0) / count
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            once()
        profiler.disable()
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max(stats.total_tt, 1e-12)  # type: ignore[attr-defined]

    def name(key: tuple[str, int, str]) -> str:
        filename, line, function = key
        path = filename
        for prefix in (str(ROOT) + "/", sys.prefix + "/", sys.base_prefix + "/"):
            if path.startswith(prefix):
                path = path[len(prefix) :]
                break
        return f"{path}:{line}({function})" if line else function

    def rank(index: int) -> list[dict[str, Any]]:
        ordered = sorted(raw.items(), key=lambda item: item[1][index], reverse=True)
        return [
            {
                "function": name(key),
                "calls": value[1],
                "ms_per_simulate": 1000 * value[index] / count,
                "share": value[index] / total,
            }
            for key, value in ordered[:top]
        ]

    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(top)
    return {
        "simulates": count,
        "plain_ms_per_simulate": plain_ms,
        "profiled_ms_per_simulate": 1000 * total / count,
        "inclusive": rank(3),
        "own": rank(2),
    }


def print_profile(found: dict[str, Any]) -> None:
    print(
        f"\nin-process profile (Flask test client, cProfile): {found['simulates']} simulates, "
        f"{found['plain_ms_per_simulate']:.1f} ms each without the profiler, "
        f"{found['profiled_ms_per_simulate']:.1f} ms with it"
    )
    for title, key in (("inclusive time", "inclusive"), ("own time", "own")):
        print(f"\n  top by {title} (ms per simulate, share of the profiled time):")
        for entry in found[key]:
            print(
                f"  {entry['ms_per_simulate']:7.2f} ms {100 * entry['share']:5.1f} %  {entry['calls']:>7}  "
                f"{entry['function']}"
            )


# --------------------------------------------------------------------------- environment


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="simulate over HTTP (gunicorn) against a minimal app.")
    parser.add_argument("--quick", action="store_true", help="short warm-up and windows (smoke run)")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "portal.json", help="JSON report (default: %(default)s)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server (default: %(default)s)")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile the full app in process (cProfile, Flask test client) and list the hotspots",
    )
    parser.add_argument("--profile-count", type=int, default=200, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers < 2:
        parser.error("--workers must be at least 2: segur serve uses gunicorn from 2 workers on")

    budget_name = "quick" if args.quick else "full"
    budget = BUDGETS[budget_name]
    started = time.perf_counter()
    spec = SPEC
    sources = [
        *sorted((ROOT / "mock_portal").rglob("*.py")),
        *sorted((ROOT / "segur").glob("*.py")),
        HERE / "minimal_portal.py",
    ]
    env = environment(("flask", "werkzeug", "gunicorn", "orjson", "jsonschema_rs"), sources, wrk=shutil.which("wrk"))
    cpus = os.cpu_count() or 1
    data = orjson.dumps(scaled(EXAMPLE, REQUESTS, spec))
    if not spec.profile_validators[PROFILE].is_valid(orjson.loads(data)):
        raise SystemExit("bench_portal: the bundle fails the profile schema")
    body = multipart(FORM, "fichier", "demandes.json", data)
    print(
        f"bench_portal ({budget_name}): {REQUESTS} {PROFILE} requests ({len(data)} bytes of JSON, {len(body)} of "
        f"multipart), {args.clients} clients, {args.workers} gunicorn workers per server, {cpus} CPUs; "
        f"code {env['code']['git']} (sources {env['code']['sources_sha256']})",
        flush=True,
    )
    print(
        "note: the load generator (this process, http.client in threads) shares the CPUs with the servers; "
        f"wrk {'is at ' + env['wrk'] if env['wrk'] else 'is not installed'}",
        flush=True,
    )

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench_portal-") as tmp:
        database = Path(tmp) / "portal.sqlite3"
        full_server = Server(
            "full",
            [
                sys.executable,
                "-c",
                "import sys; from segur.cli import main; sys.argv[0] = 'segur'; main()",
                "serve",
                "--host",
                HOST,
                "--port",
                "0",
                "--workers",
                str(args.workers),
                "--database",
                str(database),
            ],
            "Portail simulé prêt sur",
            Path(tmp) / "full.log",
        )
        minimal_server = Server(
            "minimal",
            [
                sys.executable,
                str(HERE / "minimal_portal.py"),
                "--host",
                HOST,
                "--port",
                "0",
                "--workers",
                str(args.workers),
            ],
            "Application minimale prête sur",
            Path(tmp) / "minimal.log",
        )
        servers = [full_server, minimal_server]

        def on_signal(signum: int, _frame: Any) -> None:
            raise SystemExit(f"bench_portal: stopped by signal {signum}")

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
        try:
            for server in servers:
                server.start()
            token = login(full_server.port)
            auth = {"Authorization": f"Bearer {token}"}
            content = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Connection": "keep-alive"}
            targets = {
                "full": Target("full", full_server.port, {**content, **auth}, check_full, full_server),
                "minimal": Target("minimal", minimal_server.port, {**content, **auth}, check_minimal, minimal_server),
            }
            # the inputs, checked once on each server before any timing
            for target in targets.values():
                probe = run_window(target, body, 1, 0.0, at_least=1)
                if probe.errors or not probe.latencies:
                    raise SystemExit(f"bench_portal: {target.name}: {probe.errors[:1] or 'no answer'}")
            print(
                f"servers up: full on :{full_server.port}, minimal on :{minimal_server.port}; "
                f"warm-up {budget.warmup_s:g} s each, then {budget.rounds} × {budget.window_s:g} s per server...",
                flush=True,
            )
            warmup = {name: run_window(t, body, args.clients, budget.warmup_s) for name, t in targets.items()}
            windows: dict[str, list[Window]] = {name: [] for name in targets}
            for round_ in range(budget.rounds):
                order = list(targets.values()) if round_ % 2 == 0 else list(targets.values())[::-1]
                for target in order:
                    windows[target.name].append(run_window(target, body, args.clients, budget.window_s))
            for name in targets:
                results[name] = summarise(windows[name], cpus)
                results[name]["warmup"] = {
                    "ok": len(warmup[name].latencies),
                    "errors": len(warmup[name].errors),
                    "error_samples": sorted(set(warmup[name].errors))[:5],
                }
            results["full"]["database_bytes"] = sum(
                p.stat().st_size for p in database.parent.glob(database.name + "*") if p.is_file()
            )
        finally:
            for server in servers:
                try:
                    server.stop()
                except Exception as exc:  # stop the others whatever happens
                    print(f"bench_portal: stopping {server.name}: {exc}", file=sys.stderr)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            for server in servers:
                problems = [line for line in server.tail(200).splitlines() if "Traceback" in line or "ERROR" in line]
                if problems:
                    print(f"bench_portal: the {server.name} server logged errors:\n{server.tail()}", file=sys.stderr)

    minimal_rate = results["minimal"]["throughput_per_s"]
    rounds = paired_ratios(results["full"]["per_window_per_s"], results["minimal"]["per_window_per_s"])
    results["ratio_per_round"] = rounds
    results["ratio_median_of_rounds"] = statistics.median(rounds)
    # judged: the throughputs over all the windows, many short ones alternated, so that the
    # machine's changes of speed (quicker than a round, on a shared machine) average out
    results["ratio"] = results["full"]["throughput_per_s"] / minimal_rate if minimal_rate else math.nan
    rows = rows_of(results, args.workers)
    print()
    print_table(rows, p95=False)
    for name in ("full", "minimal"):
        r = results[name]
        spread = ", ".join(f"{x:.0f}" for x in r["per_window_per_s"])
        print(
            f"\n{name}: {r['ok']} simulates in {r['elapsed_s']:.1f} s (windows: {spread} /s); "
            f"max latency {r['latency_ms']['max']:.1f} ms; {r['connections_per_request']:.2f} connections per request"
        )
        disturbed = r["cpu"]["other_share"] + r["cpu"]["stolen_share"]
        if disturbed > DISTURBED_SHARE:
            print(
                f"  warning: {100 * disturbed:.0f} % of the machine went to other processes (or was stolen) "
                "during the windows: the figures are disturbed, run again on a quiet machine"
            )
        for sample in r["error_samples"]:
            print(f"  error: {sample}")
    per_round = ", ".join(f"{x:.2f}" for x in results["ratio_per_round"])
    print(
        f"\nratio full / minimal per round (two windows side by side): {per_round}; "
        f"median {results['ratio_median_of_rounds']:.3f}"
    )
    if "database_bytes" in results["full"]:
        print(f"full: SQLite file (and WAL) after the run: {results['full']['database_bytes'] / 1e6:.1f} MB")

    if args.profile:
        results["profile"] = profile(data, args.profile_count, 25)
        print_profile(results["profile"])

    elapsed = time.perf_counter() - started
    report = {
        "environment": env,
        "budget": asdict(budget),
        "load": {
            "clients": args.clients,
            "workers": args.workers,
            "generator": "http.client in threads, in the benchmark's process (same CPUs as the servers)",
            "request_bytes": len(body),
            "json_bytes": len(data),
            "requests_per_bundle": REQUESTS,
        },
        "targets": {
            "throughput_min_per_s": THROUGHPUT_MIN,
            "p99_max_ms": P99_MAX_MS,
            "ratio_min": RATIO_MIN,
            "errors_max": ERRORS_MAX,
        },
        "results": results,
    }
    return write_report(args.out, report, rows, elapsed, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
