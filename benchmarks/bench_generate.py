"""Benchmarks of the deposit generators (``segur generate``).

Run from the repository root with the project's interpreter::

    python benchmarks/bench_generate.py [--quick] [--out FILE] [--strict]

Measures:

1. generating complete 200-request bundles without PDFs: ``make_bundle`` (Faker and the
   Ségur provider, the history soldes need) and the file's bytes (orjson), a new seed each
   time; in one process, for an avance and a solde profile, then the throughput of a pool of
   2 processes (the target machine has 2 cores): target ≥ 5 bundles/s;
2. writing a full 200-request avance deposit (the spec's first programme) with ``write_bundle``: 200 PDFs, the zip,
   the expected answer (the controls in import mode, zip included) and the manifest: target
   ≤ 5 s; with its two parts (PDFs + zip; the check) and, for information, the same for a
   solde deposit (400 PDFs: a VA and an invoice per request).

Samples are taken after a warm-up, bounded by a count and a time budget; the table gives
median and p95 (nearest rank), like ``bench_check.py``.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson
from _report import Row, environment, print_table, write_report
from bench_check import Budget, measure, summary  # benchmarks/ is sys.path[0] when run as a script
from segur.generators.archive import write_zip
from segur.generators.bundle_writer import piece_count, write_bundle
from segur.generators.documents import bundle_pieces
from segur.generators.strategies import make_bundle
from segur.mock_portal.controls import IMPORT, Deposit, check_deposit, history_from_json, load_spec

SEED = 20240115
REQUESTS = 200
HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "out"
POOL_PROCESSES = 2

# targets
BUNDLES_PER_S = 5.0
FULL_WRITE_S = 5.0

BUDGETS: dict[str, dict[str, Budget]] = {
    "full": {
        "generate": Budget(warmup=3, min_runs=20, max_runs=200, max_seconds=6.0),
        "pool": Budget(warmup=0, min_runs=3, max_runs=5, max_seconds=15.0),
        "write": Budget(warmup=1, min_runs=5, max_runs=15, max_seconds=30.0),
    },
    "quick": {
        "generate": Budget(warmup=1, min_runs=5, max_runs=20, max_seconds=1.5),
        "pool": Budget(warmup=0, min_runs=1, max_runs=1, max_seconds=5.0),
        "write": Budget(warmup=0, min_runs=1, max_runs=2, max_seconds=8.0),
    },
}
POOL_BUNDLES = {"full": 40, "quick": 10}


def require(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"bench_generate: input check failed: {message}")


# --------------------------------------------------------------------------- 1. bundles without PDFs


def complete_bundle(seed: int, profile: str) -> int:
    """One complete bundle of REQUESTS requests: drawn, with its history, as bytes."""
    drawn = make_bundle(seed, profile=profile, size=REQUESTS)
    data = drawn.data()
    history = orjson.dumps(drawn.history_document())
    return len(data) + len(history)


def _profiles(spec: Any) -> tuple[str, str]:
    """The first programme's avance and solde profiles of the spec in force."""
    program = spec.programs()[0]
    avance, solde = spec.profile_of(program, "avance"), spec.profile_of(program, "solde")
    assert avance is not None and solde is not None, f"the spec has no avance and solde profiles for {program}"
    return avance.name, solde.name


def _pool_worker(args: tuple[int, str]) -> int:
    return complete_bundle(*args)


def bench_generate(budgets: dict[str, Budget], pool_bundles: int) -> dict[str, Any]:
    spec = load_spec()
    results: dict[str, Any] = {}
    for profile in _profiles(spec):
        drawn = make_bundle(SEED, profile=profile, size=REQUESTS, spec=spec)
        answer = check_deposit(
            drawn.data(),
            Deposit(drawn.deposit_type, drawn.taux_tva),
            spec=spec,
            history=history_from_json(drawn.history_document(), spec),
        )
        require(answer.all_accepted and len(answer.lines) == REQUESTS, f"{profile}: the drawn bundle is not accepted")
        seeds = itertools.count(SEED)
        samples = measure({"bundle": lambda p=profile, s=seeds: complete_bundle(next(s), p)}, budgets["generate"])[
            "bundle"
        ]
        results[profile] = {
            "bundle_ms": summary(samples, 1000),
            "bundles_per_s": 1 / summary(samples, 1)["median"],
        }

    # throughput of a pool of processes, each bundle a new seed; the pool is started before timing
    walls = []
    context = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
    with context.Pool(POOL_PROCESSES) as pool:
        pool.map(
            _pool_worker, [(SEED + i, _profiles(load_spec())[0]) for i in range(2 * POOL_PROCESSES)], chunksize=1
        )  # warm-up
        budget = budgets["pool"]
        start = time.perf_counter()
        for round_ in range(budget.max_runs):
            if round_ >= budget.min_runs and time.perf_counter() - start > budget.max_seconds:
                break
            jobs = [(SEED + 1000 * (round_ + 1) + i, _profiles(load_spec())[0]) for i in range(pool_bundles)]
            t0 = time.perf_counter()
            pool.map(_pool_worker, jobs, chunksize=1)
            walls.append(time.perf_counter() - t0)
    per_bundle = [w / pool_bundles for w in walls]
    results["pool"] = {
        "processes": POOL_PROCESSES,
        "bundles_per_round": pool_bundles,
        "wall_s": summary(walls, 1),
        "bundles_per_s": 1 / summary(per_bundle, 1)["median"],
        "bundles_per_s_worst": 1 / max(per_bundle),
    }
    return results


# --------------------------------------------------------------------------- 2. full deposit with PDFs


def bench_write(budget: Budget) -> dict[str, Any]:
    spec = load_spec()
    results: dict[str, Any] = {}
    scratch = Path(tempfile.mkdtemp(prefix="bench-generate-"))
    try:
        for profile in _profiles(spec):
            drawn = make_bundle(SEED, profile=profile, size=REQUESTS, spec=spec)
            pieces = piece_count(drawn, spec)
            manifest = write_bundle(drawn, scratch / "check-inputs", spec=spec)
            require(
                manifest.all_accepted,
                f"{profile}: the written deposit is not accepted: {manifest.answer['recapitulatif']}",
            )
            zip_path = scratch / "check-inputs" / f"{profile}-{SEED}.zip"
            with zipfile.ZipFile(zip_path) as archive:
                require(
                    len(archive.namelist()) == pieces, f"{profile}: {len(archive.namelist())} PDFs, {pieces} expected"
                )
            data = drawn.data()
            history = history_from_json(drawn.history_document(), spec)
            deposit = Deposit(drawn.deposit_type, drawn.taux_tva)

            def full(d: Any = drawn) -> None:
                write_bundle(d, scratch / "full", spec=spec)

            def pdfs_and_zip(d: Any = drawn) -> None:
                write_zip(scratch / "only.zip", bundle_pieces(d.requests, spec, seed=d.seed))

            def check(z: Path = zip_path, b: bytes = data, h: Any = history, dep: Deposit = deposit) -> None:
                check_deposit(b, dep, spec=spec, history=h, attachments=z, mode=IMPORT)

            samples = measure({"full": full, "pdfs_zip": pdfs_and_zip, "check": check}, budget)
            results[profile] = {
                "pdfs": pieces,
                "zip_bytes": zip_path.stat().st_size,
                "full_s": summary(samples["full"], 1),
                "pdfs_zip_s": summary(samples["pdfs_zip"], 1),
                "check_import_s": summary(samples["check"], 1),
                "ms_per_pdf": summary(samples["pdfs_zip"], 1000)["median"] / pieces,
            }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


# --------------------------------------------------------------------------- report


def rows_of(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    avance, solde = _profiles(load_spec())
    g = results.get("generate")
    if g:
        for profile in (avance, solde):
            r = g[profile]
            rows.append(
                Row(
                    f"1. {profile}: 200-request bundle, no PDF",
                    "ms",
                    r["bundle_ms"]["median"],
                    r["bundle_ms"]["p95"],
                    None,
                )
            )
            rows.append(Row("   bundles/s, 1 process", "/s", r["bundles_per_s"], None, BUNDLES_PER_S, "≥"))
        p = g["pool"]
        rows.append(
            Row(
                f"   {avance} bundles/s, pool of {p['processes']}",
                "/s",
                p["bundles_per_s"],
                None,
                BUNDLES_PER_S,
                "≥",
            )
        )
    w = results.get("write")
    if w:
        for number, profile in (("2.", avance), ("  ", solde)):
            r = w[profile]
            rows.append(
                Row(
                    f"{number} {profile}: write_bundle, 200 req + {r['pdfs']} PDFs",
                    "s",
                    r["full_s"]["median"],
                    r["full_s"]["p95"],
                    FULL_WRITE_S if profile == avance else None,
                )
            )
            rows.append(Row("   of which PDFs + zip", "s", r["pdfs_zip_s"]["median"], r["pdfs_zip_s"]["p95"], None))
            rows.append(
                Row(
                    "   of which check (import, zip)",
                    "s",
                    r["check_import_s"]["median"],
                    r["check_import_s"]["p95"],
                    None,
                )
            )
            rows.append(Row("   per PDF (made + zipped)", "ms", r["ms_per_pdf"], None, None))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmarks of the deposit generators.")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (CI smoke run)")
    parser.add_argument(
        "--out", type=Path, default=OUT_DIR / "generate.json", help="JSON report (default: %(default)s)"
    )
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)

    budget_name = "quick" if args.quick else "full"
    budgets = BUDGETS[budget_name]
    started = time.perf_counter()
    env = environment(
        ("orjson", "faker", "fpdf2", "pypdf"), sorted((Path(__file__).resolve().parents[1] / "generators").glob("*.py"))
    )
    print(
        f"bench_generate ({budget_name}): {REQUESTS} requests, seed {SEED}, {os.cpu_count()} CPUs; "
        f"code {env['code']['git']} (sources {env['code']['sources_sha256']})",
        flush=True,
    )
    results = {"generate": bench_generate(budgets, POOL_BUNDLES[budget_name]), "write": bench_write(budgets["write"])}
    rows = rows_of(results)
    print()
    print_table(rows)
    elapsed = time.perf_counter() - started
    report = {
        "environment": env,
        "budget": {name: asdict(b) for name, b in budgets.items()},
        "targets": {"bundles_per_s": BUNDLES_PER_S, "full_write_s": FULL_WRITE_S},
        "results": results,
    }
    return write_report(args.out, report, rows, elapsed, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
