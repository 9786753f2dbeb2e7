"""Running the editor's commands: placeholders filled in, bounded in time, output kept for the report."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from segur.conformance.config import COMMANDS, ToolConfig

__all__ = ["KitError", "Run", "ToolFailed", "run_command", "tool_version"]

#: how much of a command's output a failure message quotes
TAIL = 2000


class KitError(Exception):
    """The kit itself could not run (a command vanished, the mock could not start): exit 2."""


class ToolFailed(AssertionError):
    """The editor's command failed (non-zero exit or time-out): the test it served fails."""


@dataclass(frozen=True)
class Run:
    command: str
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        out = (self.stderr or self.stdout).strip()
        tail = out[-TAIL:] if out else "(no output)"
        return f"`{' '.join(self.argv)}` exited with {self.returncode} after {self.seconds:.1f} s:\n{tail}"


def _fill(argv: tuple[str, ...], values: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(part.format_map(values) for part in argv)


def run_command(config: ToolConfig, kind: str, values: Mapping[str, str | Path], *, check: bool = True) -> Run:
    """Run the declared ``kind`` command with ``values`` for its placeholders (also given in the
    environment as ``SEGUR_<NAME>``). ``check``: a non-zero exit raises :class:`ToolFailed`."""
    if kind not in config.commands:
        raise KeyError(kind)
    missing = [name for name in COMMANDS[kind] if name not in values]
    if missing:  # a bug of the suite, not of the tool
        raise KitError(f"the suite gave the {kind} command no value for {', '.join(missing)}")
    filled = {"python": sys.executable, **{name: str(value) for name, value in values.items()}}
    argv = _fill(config.commands[kind], filled)
    env = {**os.environ, **config.env, **{f"SEGUR_{name.upper()}": value for name, value in filled.items()}}
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv, cwd=config.cwd, env=env, capture_output=True, text=True, timeout=config.timeout, check=False
        )
    except FileNotFoundError:
        raise KitError(
            f"{config.source}: the {kind} command's program {argv[0]!r} was not found; install it or give its path"
        ) from None
    except PermissionError:
        raise KitError(f"{config.source}: the {kind} command's program {argv[0]!r} is not executable") from None
    except subprocess.TimeoutExpired:
        raise ToolFailed(
            f"the {kind} command did not finish within {config.timeout:g} s (timeout in {config.source}): "
            f"`{' '.join(argv)}`"
        ) from None
    result = Run(kind, argv, done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    if check and result.returncode != 0:
        raise ToolFailed(f"the {kind} command failed: {result.describe()}")
    return result


def tool_version(config: ToolConfig) -> str | None:
    """The declared version, else the first line the version command prints."""
    if config.version:
        return config.version
    if not config.version_command:
        return None
    try:
        done = subprocess.run(
            [part.replace("{python}", sys.executable) for part in config.version_command],
            cwd=config.cwd,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if lines else None
