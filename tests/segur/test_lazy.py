"""The modules a quick command's libraries import and never use (segur.lazy): bound at once, run
at their first use, whole and once; and ``segur check`` as a process never runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from segur.cli import main
from segur.lazy import UNUSED_BY_CHECKS, defer
from tests._support.logical import first_profile
from tests._support.paths import example

MODULE = """
import sys
sys.modules["{marker}"].runs.append(__name__)
ANSWER = 42
def twice(value):
    return 2 * value
"""


@pytest.fixture
def module_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[str]]]:
    """A module of the test's own, not imported yet, that records each run of its code."""
    name, marker = f"segur_lazy_probe_{os.getpid()}", f"segur_lazy_marker_{os.getpid()}"
    (tmp_path / f"{name}.py").write_text(MODULE.format(marker=marker), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    runs: list[str] = []
    holder = types.ModuleType(marker)
    holder.runs = runs  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, marker, holder)
    yield name, runs
    sys.modules.pop(name, None)


def test_a_deferred_module_runs_at_its_first_use_once_and_whole(module_on_path: tuple[str, list[str]]) -> None:
    name, runs = module_on_path
    assert defer(name) == (name,)
    module = __import__(name)  # what an ``import`` statement does: bound, not run
    assert runs == []
    assert sys.modules[name] is module
    assert module.twice(module.ANSWER) == 84
    assert runs == [name]
    assert module.ANSWER == 42 and type(module) is types.ModuleType
    assert __import__(name) is module and runs == [name]


def test_a_deferred_module_written_before_any_read_is_run_first(module_on_path: tuple[str, list[str]]) -> None:
    name, runs = module_on_path
    defer(name)
    module = sys.modules[name]
    module.EXTRA = 1
    assert runs == [name] and module.EXTRA == 1 and module.ANSWER == 42


def test_what_is_imported_unknown_or_not_python_is_left_to_the_import_system(
    module_on_path: tuple[str, list[str]],
) -> None:
    name, runs = module_on_path
    __import__(name)
    assert runs == [name]
    loaded = sys.modules[name]
    assert defer(name, "segur_no_such_module", "os.path", "_struct") == ()
    assert sys.modules[name] is loaded and runs == [name]


def test_segur_check_as_a_process_never_runs_what_python_stdnum_imports_for_its_online_checks(tmp_path: Path) -> None:
    """``python -X importtime`` lists every module whose code ran (ssl's code imports ``_ssl``);
    the answer is the one the command gives in this process, where nothing is deferred."""
    args = ["check", str(example(first_profile("avance"))), "--type", "avance", "--vat", "20"]
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "segur", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    in_process = CliRunner().invoke(main, args)
    assert (done.returncode, done.stdout) == (in_process.exit_code, in_process.stdout), done.stderr[-2000:]
    ran = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "stdnum.util" in ran  # the check read its numbers with python-stdnum
    assert not ran & {*UNUSED_BY_CHECKS, "_ssl"}, sorted(ran & {*UNUSED_BY_CHECKS, "_ssl"})
