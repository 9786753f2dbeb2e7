"""Benchmark of the conformance suite: the whole suite against the reference editor tool.

Run from the repository root with the project's interpreter::

    python benchmarks/bench_certify.py [--runs N] [--out FILE] [--strict]

Runs ``segur certify`` (``pytest --segur``: producer, consumer and deposit parts, with the live
mock portal) in ``examples/reference_tool`` as a user would, ``--runs`` times, each in a fresh
process with a fresh report folder, and times each run's wall clock from the command's start to
its exit. Target (issue 12, was 120 s in issue 5): ≤ 60 s on 2 cores. It also records the time of each part alone, to
show where the time goes, and checks every run said « conforme » (a faster wrong run counts for
nothing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _report import ROOT, Row, environment, print_table, write_report  # benchmarks/ is sys.path[0]

TARGET_S = 60.0
REFERENCE = ROOT / "examples" / "reference_tool"
PARTS = ("producer", "consumer", "deposit")


def certify(*options: str, expect: str = "conforme") -> tuple[float, dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="bench-certify-") as tmp:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "segur", "certify", f"--report={tmp}", *options, "-q", "-p", "no:cacheprovider"],
            cwd=REFERENCE,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        seconds = time.perf_counter() - started
        verdict = json.loads((Path(tmp) / "verdict.json").read_text(encoding="utf-8"))
    if done.returncode != 0 or verdict["verdict"] != expect:
        raise SystemExit(
            f"the reference tool was not found {expect} (exit {done.returncode}, verdict {verdict['verdict']}):\n"
            f"{done.stdout[-3000:]}"
        )
    return seconds, verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="whole-suite runs (default 3)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "bench_certify.json")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    env = environment(("pytest", "pytest-html", "flask", "requests"), sorted((ROOT / "conformance").rglob("*.py")))
    print(f"bench_certify: {args.runs} run(s) of the whole suite on {REFERENCE}; code {env['code']['git']}", flush=True)
    whole = []
    for index in range(args.runs):
        seconds, verdict = certify()
        whole.append(seconds)
        tested = sum(1 for row in verdict["exigences"].values() if row["statut"] == "passed")
        print(f"  run {index + 1}: {seconds:.1f} s, {tested} requirements passed", flush=True)
    parts = {part: certify(f"--part={part}", expect="partiel")[0] for part in PARTS}
    rows = [
        Row("whole suite vs the reference tool", "s", statistics.median(whole), max(whole), TARGET_S),
        *(Row(f"  {part} part alone", "s", seconds) for part, seconds in parts.items()),
    ]
    print()
    print_table(rows)
    report = {"environment": env, "runs_s": whole, "parts_s": parts, "target_s": TARGET_S}
    return write_report(args.out, report, rows, time.perf_counter() - started, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
