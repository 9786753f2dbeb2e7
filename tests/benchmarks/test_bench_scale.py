"""The scale benchmark fills a store through the storage layer, measures every page and list and
times simulate and import beside an empty store (its targets are judged on the full run, by
people, not by CI); with SEGUR_TEST_POSTGRESQL it does the same on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from tests._support.database import POSTGRESQL

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_fills_measures_and_compares_with_an_empty_store(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "bench_scale.py"), "--sizes", "400,800"]
    command += ["--rounds", "1", "--quick", "--out", str(out), "--postgresql", POSTGRESQL]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    report = orjson.loads(out.read_bytes())
    assert [r["database"] for r in report["results"]] == ["sqlite"] + (["postgresql"] if POSTGRESQL else [])
    for found in report["results"]:
        sizes = found["sizes"]
        assert list(sizes) == ["400", "800"], sizes.keys()
        for measured in sizes.values():
            assert measured["stored"] >= int(next(iter(sizes))) and measured["bytes_per_request"] > 0
            assert measured["simulate_ratio"] > 0 and measured["import_ratio"] > 0
            assert all(g["median_ms"] > 0 for g in measured["gets"].values()), measured["gets"]
            assert "/espace/demandes?page=<next>&apres=<numero>" in measured["gets"]
    assert any(line.startswith("sqlite: slowest page or list") for line in report["table"])
