"""The editor's declaration of its tool: ``[tool.segur]`` in ``pyproject.toml``, or ``segur.toml``,
or command-line options (which win).

::

    [tool.segur]
    name = "Dossier Usager Horizon"
    version = "5.2.0"                     # or version-command = "horizon --version"
    produce = "horizon export --out {out}"
    ingest = ["horizon", "ingest", "{answer}", "--receipt", "{receipt}"]
    deposit = "horizon deposit --portal {portal_url} --login {login} --password {password} --bundles {bundles} --state {state}"

A command is a list of arguments, or a string split as a POSIX shell would split it; it runs
without a shell (use ``["sh", "-c", "..."]`` for pipes), from the folder of the file that
declares it. Placeholders are filled in per argument, so paths with spaces stay whole; the same
values are also in the environment as ``SEGUR_OUT``, ``SEGUR_ANSWER``...; ``{python}`` is the
Python interpreter running the kit. Any of the three
commands may be left out: the suite runs what it can and the verdict says what was not tested.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import string
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "COMMANDS",
    "PLACEHOLDERS",
    "PYTEST_OPTIONS",
    "ConfigError",
    "ToolConfig",
    "find_config",
    "known_keys",
    "load_config",
]

#: the placeholders each command may use, with what the suite puts there
PLACEHOLDERS: dict[str, str] = {
    "out": "an empty folder where `produce` writes its bundles (X.json with X.zip beside it)",
    "answer": "a portal answer file (import or simulation answer, or a status export) for `ingest` to read",
    "receipt": "the file `ingest` writes: what the tool now believes (the kit's conformance/receipt.schema.json)",
    "portal_url": "the live mock portal's base URL, e.g. http://127.0.0.1:41234",
    "login": "the editor's login on the mock portal",
    "password": "the editor's password on the mock portal",
    "bundles": "a folder of bundles for `deposit` to deposit (X.json, X.zip, X.deposit.json)",
    "state": (
        "a folder `deposit` may keep its own records in, kept from one call to the next of a scenario; "
        "`ingest` gets it too (with a status export, its receipt's `suivi` says what the tool records of each "
        "line it imported: SEG-C05), and an empty one for the other answers"
    ),
    "python": "the Python interpreter running the kit (handy for a tool written in Python)",
}

#: each command, the placeholders it needs (in its arguments or read from the environment)
COMMANDS: dict[str, tuple[str, ...]] = {
    "produce": ("out",),
    "ingest": ("answer", "receipt"),
    "deposit": ("portal_url", "login", "password", "bundles", "state"),
}

#: the declaration's schema (the kit's own contract): every key, its type and its bounds
SCHEMA_PATH = Path(__file__).resolve().parent / "declaration.schema.json"

#: how the command-line options are named in messages (pytest's; ``segur certify`` passes its own)
PYTEST_OPTIONS: Mapping[str, str] = {
    "produce": "--segur-produce",
    "ingest": "--segur-ingest",
    "deposit": "--segur-deposit",
    "config": "--segur-config",
}


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(_schema(), validate_formats=True)


def known_keys() -> list[str]:
    """The keys a declaration may hold (from its schema)."""
    return sorted(_schema()["properties"])


class ConfigError(Exception):
    """The declaration cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class ToolConfig:
    """The editor's tool, as declared."""

    source: str
    cwd: Path
    name: str = "outil non nommé"
    version: str | None = None
    version_command: tuple[str, ...] | None = None
    commands: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timeout: float = 120.0
    seed: int = 0
    #: the spec's programme the suite draws for (None: the spec's first, set when the suite starts)
    profile: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    report_dir: Path = Path("segur-report")

    def has(self, command: str) -> bool:
        return command in self.commands

    def check_executables(self) -> None:
        """Each declared command's program exists (else the kit cannot run: exit 2)."""
        declared = list(self.commands.items())
        if self.version_command:
            declared.append(("version-command", self.version_command))
        for kind, argv in declared:
            program = argv[0].replace("{python}", sys.executable)
            if "/" in program:
                path = Path(program) if Path(program).is_absolute() else self.cwd / program
                found = path.is_file() and os.access(path, os.X_OK)
            else:
                found = shutil.which(program) is not None
            if not found:
                raise ConfigError(
                    f"{self.source}: the {kind} command's program {program!r} was not found or is not executable "
                    f"(looked on PATH, and from {self.cwd} for a relative path); install it or give its path"
                )


def _argv(value: Any, key: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            argv = shlex.split(value)
        except ValueError as exc:
            raise ConfigError(f"{source}: {key}: cannot split {value!r} into arguments ({exc})") from None
    elif isinstance(value, list) and all(isinstance(part, str) for part in value):
        argv = list(value)
    else:
        raise ConfigError(f"{source}: {key} must be a command: a string or a list of strings")
    if not argv:
        raise ConfigError(f"{source}: {key} is empty; give the command, or leave the key out")
    allowed = set(PLACEHOLDERS)
    for part in argv:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(part) if name is not None}
        except ValueError as exc:
            raise ConfigError(
                f"{source}: {key}: bad placeholder in {part!r} ({exc}); write {{{{ for a brace}}"
            ) from None
        unknown = names - allowed
        if unknown:
            raise ConfigError(
                f"{source}: {key}: unknown placeholder(s) {', '.join('{' + n + '}' for n in sorted(unknown))}; "
                f"known: {', '.join('{' + n + '}' for n in PLACEHOLDERS)}"
            )
    return tuple(argv)


def _schema_problems(raw: Mapping[str, Any], source: str) -> list[str]:
    """What the declaration's schema refuses, each naming the key and what is expected."""
    unknown = sorted(set(raw) - set(known_keys()))
    if unknown:
        return [f"{source}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(known_keys())}"]
    problems = []
    for error in _validator().iter_errors(dict(raw)):
        where = "/".join(str(part) for part in error.instance_path) or "(the table)"
        expected = _schema()["properties"].get(str(error.instance_path[0]), {}) if error.instance_path else {}
        hint = f" ({expected['description']})" if "description" in expected else ""
        problems.append(f"{source}: {where}: {error.message}{hint}")
    return problems


def _build(raw: Mapping[str, Any], source: str, cwd: Path) -> ToolConfig:
    problems = _schema_problems(raw, source)
    if problems:
        raise ConfigError("; ".join(problems))
    commands = {kind: _argv(raw[kind], kind, source) for kind in COMMANDS if raw.get(kind) is not None}
    version_command = _argv(raw["version-command"], "version-command", source) if raw.get("version-command") else None
    timeout = raw.get("timeout", 120)
    seed = raw.get("seed", 0)
    profile = raw.get("profile")
    env = raw.get("env", {})
    report_dir = Path(raw.get("report-dir", "segur-report"))
    return ToolConfig(
        source=source,
        cwd=cwd,
        name=raw.get("name", "outil non nommé"),
        version=raw.get("version"),
        version_command=version_command,
        commands=commands,
        timeout=float(timeout),
        seed=seed,
        profile=profile,
        env=dict(env),
        report_dir=report_dir if report_dir.is_absolute() else cwd / report_dir,
    )


def find_config(start: Path) -> Path | None:
    """``segur.toml``, else a ``pyproject.toml`` with a ``[tool.segur]`` table, in ``start`` or above."""
    for folder in (start, *start.parents):
        if (folder / "segur.toml").is_file():
            return folder / "segur.toml"
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "segur" in _read(pyproject).get("tool", {}):
            return pyproject
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it as TOML ({exc})") from None


def load_config(
    path: Path | None,
    start: Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    options: Mapping[str, str] = PYTEST_OPTIONS,
) -> ToolConfig:
    """The declaration in ``path`` (or found from ``start``), then ``overrides`` (command-line
    options, already in the file's key names). ``options`` names the command-line options in
    the messages (pytest's ``--segur-produce``…, or ``segur certify``'s ``--produce``…)."""
    raw: dict[str, Any] = {}
    source = "command-line options"
    cwd = start
    if path is None:
        path = find_config(start)
    elif not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    if path is not None:
        document = _read(path)
        if path.name == "pyproject.toml":
            table = document.get("tool", {}).get("segur")
            if table is None:
                raise ConfigError(f"{path}: no [tool.segur] table")
            source = f"[tool.segur] in {path}"
        else:
            table = document.get("tool", {}).get("segur", document)
            source = str(path)
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: expected a table")
        raw.update(table)
        cwd = path.parent.resolve()
    for key, value in (overrides or {}).items():
        if value is not None:
            raw[key] = value
    if not any(raw.get(kind) is not None for kind in COMMANDS):
        where = f"no declaration found in {start} or above" if path is None else f"{source}: no command declared"
        raise ConfigError(
            f"{where}. Declare at least one of produce, ingest, deposit under [tool.segur] in pyproject.toml "
            f"or in a segur.toml (found from the current folder up), or give them on the command line: "
            f"{options['produce']} COMMAND, {options['ingest']} COMMAND, {options['deposit']} COMMAND "
            f"({options['config']} FILE names the declaration); see the kit's README, section 'Certify your tool'"
        )
    return _build(raw, source, cwd)
