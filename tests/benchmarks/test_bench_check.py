"""The benchmark script runs and reports every figure (its targets are judged by people, not CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_without_zip_reports_the_json_figures(tmp_path: Path) -> None:
    out = tmp_path / "check.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_check.py"), "--quick", "--skip-zip", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = orjson.loads(out.read_bytes())
    text = orjson.dumps(report).decode()
    for key in ("check_valid_ms", "floor_valid_ms", "ratio_valid", "check_errors_ms"):
        assert key in text, f"Expected: {key} in the report. Received: {sorted(report)}"
    assert "1. check, valid 200-request bundle" in result.stdout
