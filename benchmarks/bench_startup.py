"""Benchmark of the kit's start-up, as processes: what every editor's CI loop pays per call.

Run from the repository root with the project's interpreter (or any environment where the kit
is installed, e.g. the wheel's: ``--python /tmp/venv/bin/python``)::

    python benchmarks/bench_startup.py [--runs N] [--python PY] [--out FILE] [--strict]

Each round runs, side by side and in a shuffled order, as fresh processes:

- ``python -c pass``: the bare interpreter;
- ``segur --help``;
- the floor of a check: a process that imports orjson and jsonschema-rs, reads the profile's
  schemas, parses a 200-request bundle and validates it (what no check can do without);
- ``segur check`` of the same bundle (no zip);
- ``pytest`` of one unrelated test with the kit's plugin, and with ``-p no:segur``.

Targets (issue 10), on the medians of ``--runs`` rounds (≥ 10): ``segur check`` ≤ 1.5 × the
floor; ``segur --help`` ≤ 1.2 × the bare interpreter + 100 ms; the plugin adds ≤ 50 ms to an
unrelated pytest run. The machine is shared: the ratios measured in one run hold, the absolute
times do not.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _report import ROOT, Row, environment, print_table, write_report  # benchmarks/ is sys.path[0]

CHECK_RATIO = 1.5
HELP_FACTOR, HELP_EXTRA_MS = 1.2, 100.0
PLUGIN_MS = 50.0

FLOOR = """
import sys
import orjson, jsonschema_rs
from pathlib import Path
root, profile_schema, bundle = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
resources = []
for path in sorted((root / "schemas").glob("*.json")):
    schema = orjson.loads(path.read_bytes())
    resources.append((str(schema.get("$id") or path.resolve().as_uri()), schema))
main = orjson.loads((root / profile_schema).read_bytes())
validator = jsonschema_rs.validator_for(
    main, registry=jsonschema_rs.Registry(resources), validate_formats=True,
    base_uri=None if "$id" in main else (root / profile_schema).resolve().as_uri(),
)
if not validator.is_valid(orjson.loads(Path(bundle).read_bytes())):
    sys.exit(1)
"""


#: as a user's machine runs it: the bytecode cache written once, then read (the warm-up round)
ENV = {key: value for key, value in os.environ.items() if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}


def _time(argv: list[str], cwd: Path, expect: int = 0) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, timeout=120, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != expect:
        raise SystemExit(
            f"{' '.join(argv)} exited {done.returncode}, expected {expect}:\n{done.stderr.decode()[-2000:]}"
        )
    return seconds * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds (default 15; at least 10 for the note)")
    parser.add_argument("--python", type=Path, default=Path(sys.executable), help="the interpreter the kit runs on")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "bench_startup.json")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    python = str(args.python)
    segur = str(args.python.parent / "segur")
    from segur.generators.strategies import make_bundle
    from segur.mock_portal.controls import load_spec

    spec = load_spec()
    profile = next(p for p in spec.profiles.values() if p.deposit_type == "avance")  # the spec's first avance
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)
        bundle = folder / "bundle.json"
        drawn = make_bundle(1, profile=profile.name, size=200, spec=spec)
        bundle.write_bytes(drawn.data())
        floor = folder / "floor.py"
        floor.write_text(FLOOR, encoding="utf-8")
        (folder / "test_unrelated.py").write_text("def test_one():\n    assert 1 + 1 == 2\n", encoding="utf-8")
        schema = str(Path(profile.schema_path).resolve().relative_to(spec.root))
        pytest_base = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_unrelated.py"]
        commands = {
            "bare": [python, "-c", "pass"],
            "help": [segur, "--help"],
            "floor": [python, str(floor), str(spec.root), schema, str(bundle)],
            "check": [segur, "check", str(bundle), "--type", drawn.deposit_type, "--vat", f"{drawn.taux_tva:g}"],
            "pytest_with_plugin": pytest_base,
            "pytest_without_plugin": [*pytest_base, "-p", "no:segur"],
        }
        for argv_ in commands.values():  # warm the file cache once
            _time(argv_, folder)
        times: dict[str, list[float]] = {name: [] for name in commands}
        order = list(commands)
        rng = random.Random(0)
        for index in range(args.runs):
            rng.shuffle(order)
            for name in order:
                times[name].append(_time(commands[name], folder))
            print(f"  round {index + 1}: " + ", ".join(f"{n} {times[n][-1]:.0f}" for n in commands), flush=True)
    med = {name: statistics.median(values) for name, values in times.items()}
    p95 = {name: sorted(values)[max(0, round(0.95 * len(values)) - 1)] for name, values in times.items()}
    ratio_check = med["check"] / med["floor"]
    help_budget = HELP_FACTOR * med["bare"] + HELP_EXTRA_MS
    plugin_cost = med["pytest_with_plugin"] - med["pytest_without_plugin"]
    rows = [
        Row("python -c pass", "ms", med["bare"], p95["bare"]),
        Row("segur --help", "ms", med["help"], p95["help"], help_budget),
        Row("floor: orjson + jsonschema-rs, parse + validate", "ms", med["floor"], p95["floor"]),
        Row("segur check, 200 requests, no zip", "ms", med["check"], p95["check"]),
        Row("  check / floor", "×", ratio_check, None, CHECK_RATIO),
        Row("pytest, one unrelated test, with the plugin", "ms", med["pytest_with_plugin"], p95["pytest_with_plugin"]),
        Row("pytest, the same, -p no:segur", "ms", med["pytest_without_plugin"], p95["pytest_without_plugin"]),
        Row("  what the plugin adds", "ms", plugin_cost, None, PLUGIN_MS),
    ]
    print()
    print_table(rows)
    env = environment(("click", "orjson", "jsonschema-rs", "pytest"), sorted((ROOT / "segur").rglob("*.py")))
    report = {"environment": env, "runs": args.runs, "python": python, "times_ms": times, "medians_ms": med}
    return write_report(args.out, report, rows, time.perf_counter() - started, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
