"""Benchmarks of the portal's automatic controls (``check_deposit``) against their floors.

Run from the repository root with the project's interpreter::

    python benchmarks/bench_check.py [--quick] [--out FILE] [--zip-compression stored|deflated] [--strict]

Three measures, each next to a floor (the least any implementation must spend):

1. the check of a valid 200-request bundle of the spec's first avance profile (simulation, no zip) next to
   ``orjson.loads`` + the profile's jsonschema-rs ``is_valid`` on the same bytes;
2. the check of a 200-request bundle in which every line carries exactly one error;
3. the attachment check of a ~200 MB zip of 200 PDFs of ~1 MB (import mode), run in a
   fresh subprocess to read its memory, next to a raw read of the zip + SHA-256.

Samples are taken after a warm-up, interleaved between a measure and its floor, bounded by
a count and a time budget; the table gives median and p95 (nearest rank). See README.md.
"""

from __future__ import annotations

import argparse
import copy
import gc
import hashlib
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import segur.generators.archive
import segur.generators.pdf
from _report import ROOT, Row, environment, print_table, write_report  # benchmarks/ is sys.path[0] when run as a script
from segur.generators.archive import write_zip
from segur.generators.bundle import scaled
from segur.generators.pdf import pdf_document
from segur.mock_portal.controls import (
    ACCEPTED,
    IMPORT,
    REJECTED,
    SIMULATION,
    Answer,
    Deposit,
    Spec,
    check_deposit,
    load_spec,
)
from segur.mock_portal.controls.line import Line
from segur.mock_portal.controls.line_rules import clear_identifier_caches
from stdnum import luhn
from stdnum.fr import siret

SEED = 20240115
REQUESTS = 200
PDF_TARGET_SIZE = 1_000_000  # ~1 MB per attachment, lowered if the zip would exceed the spec's maxZipOctets
HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "out"
MB = 1_000_000  # decimal megabytes, as the spec's limits

COMPRESSIONS = {"stored": zipfile.ZIP_STORED, "deflated": zipfile.ZIP_DEFLATED}

# targets
CHECK_VALID_MS = 10.0
CHECK_FLOOR_RATIO = 3.0
CHECK_ERRORS_MS = 20.0
ZIP_CHECK_S = 1.5
ZIP_PEAK_MB = 100.0


@dataclass(frozen=True)
class Budget:
    """How many samples to take: at least ``min_runs``, at most ``max_runs``, and no new
    round once ``max_seconds`` have passed (counted after the warm-up)."""

    warmup: int
    min_runs: int
    max_runs: int
    max_seconds: float


BUDGETS: dict[str, dict[str, Budget]] = {
    "full": {
        "json": Budget(warmup=20, min_runs=50, max_runs=500, max_seconds=12.0),
        "zip": Budget(warmup=1, min_runs=5, max_runs=15, max_seconds=45.0),
    },
    "quick": {
        "json": Budget(warmup=5, min_runs=10, max_runs=60, max_seconds=2.0),
        "zip": Budget(warmup=1, min_runs=2, max_runs=3, max_seconds=10.0),
    },
}


# --------------------------------------------------------------------------- measurement


def measure(functions: dict[str, Callable[[], object]], budget: Budget) -> dict[str, list[float]]:
    """Wall times in seconds of each function, sampled in interleaved rounds after a warm-up,
    so that a drift of the machine weighs on a measure and its floor alike."""
    for function in functions.values():
        for _ in range(budget.warmup):
            function()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    gc.collect()
    start = time.perf_counter()
    rounds = 0
    while rounds < budget.max_runs and (rounds < budget.min_runs or time.perf_counter() - start < budget.max_seconds):
        for name, function in functions.items():
            t0 = time.perf_counter()
            function()
            samples[name].append(time.perf_counter() - t0)
        rounds += 1
    return samples


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 10 samples is the largest one)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summary(samples: list[float], scale: float) -> dict[str, float | int]:
    """Median, p95, min, mean and count of ``samples`` multiplied by ``scale`` (unit change)."""
    values = [s * scale for s in samples]
    return {
        "median": statistics.median(values),
        "p95": percentile(values, 0.95),
        "min": min(values),
        "mean": statistics.fmean(values),
        "runs": len(values),
    }


# --------------------------------------------------------------------------- inputs


def _walk(value: Any, path: Iterable[str]) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _set(value: dict[str, Any], path: tuple[str, ...], new: Any) -> None:
    for key in path[:-1]:
        value = value.setdefault(key, {})
    value[path[-1]] = new


def profile_of(spec: Spec) -> str:
    """The profile measured: the spec's first avance profile (its example is scaled)."""
    return next(p.name for p in spec.profiles.values() if p.deposit_type == "avance")


def valid_bundle(spec: Spec) -> dict[str, Any]:
    """The example of the measured profile scaled to REQUESTS distinct valid requests."""
    example = orjson.loads((spec.root / "examples" / f"{profile_of(spec)}.json").read_bytes())
    return scaled(example, REQUESTS, spec)


def bad_siret(rng: random.Random) -> str:
    """14 digits whose Luhn key is wrong (and not a La Poste number): SIRET key error only."""
    while True:
        body = f"{rng.randrange(10**12, 10**13):013d}"
        right = int(luhn.calc_check_digit(body))
        value = body + str((right + 1 + rng.randrange(9)) % 10)
        if not siret.is_valid(value):
            return value


def error_bundle(spec: Spec, bundle: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``bundle`` where each line has exactly one error, drawn with ``rng``: an
    invalid SIRET key or a requested amount of 0. Returns the bundle and each line's rule."""
    broken = copy.deepcopy(bundle)
    requests = _walk(broken, spec.document["requests"].path)
    expected = []
    for request in requests:
        if rng.random() < 0.5:
            _set(request, spec.fields["site_siret"].path, bad_siret(rng))
            expected.append("siret-key")
        else:
            _set(request, spec.fields["amount_requested"].path, spec.fields["amount_requested"].codec.write(0))
            expected.append("amount-requested-positive")
    return broken, expected


def attachment_names(spec: Spec, bundle: dict[str, Any]) -> list[str]:
    """The file names the bundle's pieces refer to, in order, without repeats."""
    names: dict[str, None] = {}
    for index, request in enumerate(_walk(bundle, spec.document["requests"].path)):
        for piece in Line(index, request, spec).pieces:
            names[piece.name] = None
    return list(names)


def pdf_size_for(spec: Spec, names: list[str]) -> int:
    """~1 MB per PDF, lowered so that the zip (with its headers) stays within maxZipOctets."""
    headers = sum(30 + 46 + 2 * len(name.encode()) for name in names) + 22 + 1024
    return min(PDF_TARGET_SIZE, (spec.limits["maxZipOctets"] - headers) // len(names))


def ensure_zip(spec: Spec, bundle: dict[str, Any], compression: str) -> tuple[Path, dict[str, Any]]:
    """The zip of the bundle's attachments in benchmarks/out/, built once and reused while
    its recorded parameters and size still match."""
    names = attachment_names(spec, bundle)
    size = pdf_size_for(spec, names)
    path = OUT_DIR / f"attachments-{len(names)}-{compression}.zip"
    sidecar = path.with_suffix(".json")
    params = {
        "members": len(names),
        "pdf_size": size,
        "seed": SEED,
        "compression": compression,
        "names_sha256": hashlib.sha256("\n".join(names).encode()).hexdigest(),
        # the builders' code: a change to them rebuilds the zip
        "builders_sha256": hashlib.sha256(
            b"".join(
                Path(module.__file__ or "").read_bytes() for module in (segur.generators.pdf, segur.generators.archive)
            )
        ).hexdigest()[:16],
    }
    if path.is_file() and sidecar.is_file():
        recorded = json.loads(sidecar.read_text())
        if recorded.get("params") == params and recorded.get("zip_size") == path.stat().st_size:
            return path, {**recorded, "reused": True}

    def members() -> Iterator[tuple[str, bytes]]:
        for i, name in enumerate(names):
            lines = [f"Pièce justificative {i + 1}/{len(names)} du banc d'essai", "Bon de commande signé"]
            yield name, pdf_document(f"Bon de commande {name}", lines, size=size, seed=SEED + i)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".zip.part")
    t0 = time.perf_counter()
    write_zip(partial, members(), compression=COMPRESSIONS[compression])
    built_in = time.perf_counter() - t0
    partial.replace(path)
    zip_size = path.stat().st_size
    if zip_size > spec.limits["maxZipOctets"]:
        raise SystemExit(f"{path}: {zip_size} bytes, over the spec's maxZipOctets {spec.limits['maxZipOctets']}")
    record = {"params": params, "zip_size": zip_size, "built_in_s": built_in}
    sidecar.write_text(json.dumps(record, indent=2) + "\n")
    return path, {**record, "reused": False}


# --------------------------------------------------------------------------- verifications


def require(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"bench_check: input check failed: {message}")


def verify_valid(answer: Answer, mode: str) -> None:
    statuses = {line.status for line in answer.lines}
    require(not answer.file_findings, f"{mode}: file rejected: {[f.label for f in answer.file_findings]}")
    require(len(answer.lines) == REQUESTS, f"{mode}: {len(answer.lines)} lines answered, {REQUESTS} expected")
    require(
        statuses == {ACCEPTED},
        f"{mode}: statuses {statuses}, all {ACCEPTED!r} expected; first findings: "
        f"{next((line.findings for line in answer.lines if line.findings), [])}",
    )


def verify_errors(answer: Answer, spec: Spec, expected: list[str]) -> None:
    require(not answer.file_findings, f"error bundle: file rejected: {[f.label for f in answer.file_findings]}")
    require(len(answer.lines) == len(expected), f"error bundle: {len(answer.lines)} lines, {len(expected)} expected")
    for line, rule in zip(answer.lines, expected, strict=True):
        codes = [f.code for f in line.findings]
        want = spec.rule_codes[rule].code
        require(line.status == REJECTED, f"error bundle: line {line.number} is {line.status!r}, not rejected")
        require(codes == [want], f"error bundle: line {line.number} has codes {codes}, [{want}] ({rule}) expected")


# --------------------------------------------------------------------------- memory (Linux /proc, else getrusage)


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for row in handle:
                if row.startswith(field + ":"):
                    return int(row.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak RSS (VmHWM) of this process; False where not supported."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


def _maxrss_kib() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def _rss_kib() -> int:
    return _status_kib("VmRSS") or _maxrss_kib()


def _mb(kib: int) -> float:
    return kib * 1024 / MB


# --------------------------------------------------------------------------- the benchmarks


def bench_json(spec: Spec, budget: Budget) -> dict[str, Any]:
    """Measures 1 and 2, in this process."""
    deposit = Deposit(type_demande="avance", taux_tva=20)
    bundle = valid_bundle(spec)
    data = orjson.dumps(bundle)
    verify_valid(check_deposit(data, deposit, spec=spec, mode=SIMULATION), "valid bundle")
    validator = spec.profile_validators[profile_of(spec)]
    require(validator.is_valid(orjson.loads(data)), "the valid bundle fails the profile schema")

    broken, expected = error_bundle(spec, bundle, random.Random(SEED))
    broken_data = orjson.dumps(broken)
    verify_errors(check_deposit(broken_data, deposit, spec=spec, mode=SIMULATION), spec, expected)

    def cold_check(payload: bytes) -> Answer:
        # Every run validates every SIREN, SIRET and FINESS anew, as a first deposit does.
        clear_identifier_caches()
        return check_deposit(payload, deposit, spec=spec, mode=SIMULATION)

    samples = measure(
        {
            "check_valid": lambda: cold_check(data),
            "floor_valid": lambda: validator.is_valid(orjson.loads(data)),
            "check_errors": lambda: cold_check(broken_data),
        },
        budget,
    )
    ratios = [c / f for c, f in zip(samples["check_valid"], samples["floor_valid"], strict=True)]
    return {
        "input": {
            "valid_bytes": len(data),
            "errors_bytes": len(broken_data),
            "requests": REQUESTS,
            "error_mix": {rule: expected.count(rule) for rule in sorted(set(expected))},
        },
        "check_valid_ms": summary(samples["check_valid"], 1000),
        "floor_valid_ms": summary(samples["floor_valid"], 1000),
        "ratio_valid": {
            "of_medians": statistics.median(samples["check_valid"]) / statistics.median(samples["floor_valid"]),
            "of_p95": percentile(samples["check_valid"], 0.95) / percentile(samples["floor_valid"], 0.95),
            "per_round": summary(ratios, 1),
        },
        "check_errors_ms": summary(samples["check_errors"], 1000),
    }


def read_and_hash(path: Path) -> str:
    """The floor of the zip check: every byte read once, in 1 MB chunks, and hashed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def zip_worker(zip_path: Path, budget: Budget) -> dict[str, Any]:
    """Measure 3, meant to run alone in a fresh process: memory first, then times, then tracemalloc."""
    spec = load_spec()
    deposit = Deposit(type_demande="avance", taux_tva=20)
    data = orjson.dumps(valid_bundle(spec))

    def run() -> Answer:
        return check_deposit(data, deposit, spec=spec, attachments=zip_path, mode=IMPORT)

    gc.collect()
    resettable = _reset_peak_rss()
    maxrss_before = _maxrss_kib()
    memory_runs: list[dict[str, int]] = []
    for _ in range(max(1, min(3, budget.min_runs))):
        gc.collect()
        if resettable:
            _reset_peak_rss()
        before = _rss_kib()
        answer = run()
        peak = (_status_kib("VmHWM") if resettable else None) or _maxrss_kib()
        memory_runs.append({"rss_before_kib": before, "rss_peak_kib": peak, "delta_kib": peak - before})
        verify_valid(answer, "zip import")
        del answer
    maxrss_after = _maxrss_kib()

    samples = measure({"check": run, "floor": lambda: read_and_hash(zip_path)}, budget)

    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    run()
    traced_s = time.perf_counter() - t0
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    worst = max(memory_runs, key=lambda r: r["delta_kib"])
    return {
        "zip_check_s": summary(samples["check"], 1),
        "zip_floor_s": summary(samples["floor"], 1),
        "ratio_zip": statistics.median(samples["check"]) / statistics.median(samples["floor"]),
        "tracemalloc_peak_mb": traced_peak / MB,
        "tracemalloc_run_s": traced_s,
        "rss": {
            "method": "VmHWM reset through /proc/self/clear_refs" if resettable else "ru_maxrss",
            "before_mb": _mb(worst["rss_before_kib"]),
            "peak_mb": _mb(worst["rss_peak_kib"]),
            "delta_mb": _mb(worst["delta_kib"]),
            "runs": memory_runs,
            "process_maxrss_before_checks_mb": _mb(maxrss_before),
            "process_maxrss_after_checks_mb": _mb(maxrss_after),
        },
    }


def bench_zip(spec: Spec, budget_name: str, compression: str) -> dict[str, Any]:
    """Build (or reuse) the zip, then run measure 3 in a fresh subprocess."""
    bundle = valid_bundle(spec)
    path, zip_info = ensure_zip(spec, bundle, compression)
    command = [sys.executable, str(Path(__file__).resolve()), "--zip-worker", str(path), "--budget", budget_name]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench_check: the zip worker failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    result["input"] = {"zip": str(path), **zip_info}
    return result


# --------------------------------------------------------------------------- report


def rows_of(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    j = results.get("json")
    if j:
        rows += [
            Row(
                "1. check, valid 200-request bundle",
                "ms",
                j["check_valid_ms"]["median"],
                j["check_valid_ms"]["p95"],
                CHECK_VALID_MS,
            ),
            Row(
                "   floor: orjson.loads + is_valid",
                "ms",
                j["floor_valid_ms"]["median"],
                j["floor_valid_ms"]["p95"],
                None,
            ),
            Row(
                "   ratio check / floor",
                "×",
                j["ratio_valid"]["of_medians"],
                j["ratio_valid"]["of_p95"],
                CHECK_FLOOR_RATIO,
            ),
            Row(
                "2. check, 200 lines with one error each",
                "ms",
                j["check_errors_ms"]["median"],
                j["check_errors_ms"]["p95"],
                CHECK_ERRORS_MS,
            ),
        ]
    z = results.get("zip")
    if z:
        rows += [
            Row(
                "3. check, ~200 MB zip of 200 PDFs (import)",
                "s",
                z["zip_check_s"]["median"],
                z["zip_check_s"]["p95"],
                ZIP_CHECK_S,
            ),
            Row("   floor: read 1 MB chunks + sha256", "s", z["zip_floor_s"]["median"], z["zip_floor_s"]["p95"], None),
            Row("   ratio check / floor", "×", z["ratio_zip"], None, None),
            Row("   tracemalloc peak during the check", "MB", z["tracemalloc_peak_mb"], None, ZIP_PEAK_MB, compare="<"),
            Row("   RSS peak - RSS before the check", "MB", z["rss"]["delta_mb"], None, ZIP_PEAK_MB, compare="<"),
            Row("   (RSS before the check)", "MB", z["rss"]["before_mb"], None, None),
            Row("   (RSS peak during the check)", "MB", z["rss"]["peak_mb"], None, None),
        ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmarks of check_deposit against their floors.")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (CI smoke run)")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "check.json", help="JSON report (default: %(default)s)")
    parser.add_argument(
        "--zip-compression",
        choices=sorted(COMPRESSIONS),
        default="stored",
        help="compression of the zip members (PDFs here do not compress; default: %(default)s)",
    )
    parser.add_argument("--skip-zip", action="store_true", help="measures 1 and 2 only")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--zip-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--budget", choices=sorted(BUDGETS), default="full", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.zip_worker is not None:
        print(json.dumps(zip_worker(args.zip_worker, BUDGETS[args.budget]["zip"])))
        return 0

    budget_name = "quick" if args.quick else "full"
    budgets = BUDGETS[budget_name]
    started = time.perf_counter()
    spec = load_spec()
    sources = sorted((ROOT / "mock_portal" / "controls").glob("*.py")) + sorted((ROOT / "generators").glob("*.py"))
    env = environment(("orjson", "jsonschema_rs", "pypdf", "python-stdnum", "fpdf2"), sources, seed=SEED)
    results: dict[str, Any] = {}
    print(
        f"bench_check ({budget_name}): {REQUESTS} {profile_of(spec)} requests, seed {SEED}, {os.cpu_count()} CPUs; "
        f"code {env['code']['git']} (sources {env['code']['sources_sha256']})",
        flush=True,
    )
    results["json"] = bench_json(spec, budgets["json"])
    if not args.skip_zip:
        print("zip: building or reusing the attachments, then checking them in a fresh process...", flush=True)
        results["zip"] = bench_zip(spec, budget_name, args.zip_compression)
    rows = rows_of(results)
    print()
    print_table(rows)
    elapsed = time.perf_counter() - started
    report = {
        "environment": env,
        "budget": {name: asdict(b) for name, b in budgets.items()},
        "targets": {
            "check_valid_ms": CHECK_VALID_MS,
            "ratio_check_floor": CHECK_FLOOR_RATIO,
            "check_errors_ms": CHECK_ERRORS_MS,
            "zip_check_s": ZIP_CHECK_S,
            "zip_peak_mb": ZIP_PEAK_MB,
        },
        "results": results,
    }
    return write_report(args.out, report, rows, elapsed, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
