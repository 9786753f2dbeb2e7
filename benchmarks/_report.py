"""What the benchmark scripts share: a row of the result table with its target, the table,
and the record of the machine and of the code measured."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    """A measure; ``compare`` says how it must stand to ``target`` ("≤", "<" or "≥")."""

    measure: str
    unit: str
    median: float
    p95: float | None = None
    target: float | None = None
    compare: str = "≤"

    def _meets(self, value: float) -> bool:
        if self.target is None:
            return True
        if self.compare == "<":
            return value < self.target
        if self.compare == "≥":
            return value >= self.target
        return value <= self.target

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "info"
        if math.isnan(self.median) or not self._meets(self.median):
            return "FAIL"
        if self.p95 is not None and self.compare != "≥" and not self._meets(self.p95):
            return "PASS (p95 over)"
        return "PASS"

    @property
    def target_text(self) -> str:
        return "-" if self.target is None else f"{self.compare} {self.target:g} {self.unit}".rstrip()


def fmt(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    if value == int(value) and abs(value) < 1e6:
        return f"{value:.0f}"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def print_table(rows: list[Row], *, p95: bool = True) -> None:
    header: tuple[str, ...] = (
        ("measure", "median", "p95", "target", "verdict") if p95 else ("measure", "value", "target", "verdict")
    )
    body: list[tuple[str, ...]] = []
    for r in rows:
        cells = [r.measure, f"{fmt(r.median)} {r.unit}".rstrip()]
        if p95:
            cells.append(f"{fmt(r.p95)} {r.unit}".rstrip() if r.p95 is not None else "-")
        body.append((*cells, r.target_text, r.verdict))
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
    aligns = ("<", ">", ">", "<", "<") if p95 else ("<", ">", "<", "<")
    for line in (header, tuple("-" * w for w in widths), *body):
        print("  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(line, aligns, widths, strict=True)))


def code_version(sources: Iterable[Path]) -> dict[str, Any]:
    """Which code was measured: the git state, and a digest of the sources and of the spec (the
    working tree may differ from the last commit)."""
    from segur.mock_portal.controls import load_spec

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        except OSError:
            return None
        return (done.stdout.strip() or None) if done.returncode == 0 else None

    spec_root = load_spec().root
    digest = hashlib.sha256()
    for path in [*sources, *sorted(spec_root.rglob("*.json"))]:
        digest.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name).encode())
        digest.update(b"\0" + path.read_bytes())
    return {
        "git": git("describe", "--always", "--dirty") or "(not a git checkout)",
        "commit": git("rev-parse", "HEAD"),
        "spec_dir": str(spec_root),
        "sources_sha256": digest.hexdigest()[:16],
    }


def environment(packages: Iterable[str], sources: Iterable[Path], **extra: Any) -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for package in packages:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "packages": versions,
        "code": code_version(sources),
        **extra,
    }


def write_report(path: Path, report: dict[str, Any], rows: list[Row], elapsed: float, *, strict: bool) -> int:
    """Write the JSON report (with the table and the missed targets), say so, and give the exit
    status: 1 only when ``strict`` and a target was missed."""
    failed = [r.measure.strip() for r in rows if r.verdict == "FAIL"]
    document = {
        **report,
        "table": [{**asdict(r), "verdict": r.verdict} for r in rows],
        "failed": failed,
        "elapsed_s": elapsed,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{len(failed)} target(s) missed; {elapsed:.1f} s; figures written to {path}")
    return 1 if failed and strict else 0
