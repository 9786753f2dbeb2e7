"""The portal benchmark starts both servers, checks every answer and reports its figures (its
targets are judged by people on a quiet machine, not by CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_reports_both_servers_and_the_ratio(tmp_path: Path) -> None:
    out = tmp_path / "portal.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_portal.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    results = orjson.loads(out.read_bytes())["results"]
    for name in ("full", "minimal"):
        assert results[name]["ok"] > 0 and results[name]["errors"] == 0, (
            f"Expected: checked answers and no error from the {name} server. Received: {results[name]}"
        )
    assert len(results["ratio_per_round"]) == 1 and results["ratio"] > 0
    assert "3. ratio full / minimal throughput" in result.stdout
