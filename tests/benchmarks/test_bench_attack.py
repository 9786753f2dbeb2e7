"""The attack benchmark starts gunicorn on 127.0.0.1, sends every bad input of the corpus and
reports its figures; its answers are checked here (its timing targets are judged by people)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_gets_every_answer_right_and_reports_the_issues_figures(tmp_path: Path) -> None:
    out = tmp_path / "attack.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_attack.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = orjson.loads(out.read_bytes())
    problems = [(a["name"], a["problems"]) for a in report["alone"] if a["problems"]]
    assert problems == [], problems
    assert report["crashed"] == 0
    assert all(a["server_errors"] == 0 and a["failed"] == 0 for a in report["attack"]["attacks"])
    assert report["attack"]["probes"] > 0  # how many answered within 2 s is a figure, not a test
    assert "bad inputs tried" in result.stdout and "health probes answered" in result.stdout
