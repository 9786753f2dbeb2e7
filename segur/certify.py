"""``segur certify``: the conformance suite (``pytest --segur``) with the kit's exit codes.

Registered on the ``segur`` group by name, imported when named (``_Group`` in ``segur/cli.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["certify"]

PARTS = ("producer", "consumer", "deposit")
#: the pytest settings of a certification run (the editor's own pytest configuration is not read)
_INI = Path(__file__).resolve().parent / "certify.ini"
#: the contract's files (conformance/): the document and the schemas it names
CONTRACT_FILES = ("CONTRACT.md", "declaration.schema.json", "deposit.schema.json", "receipt.schema.json")
#: how this command's options are named in the messages of the declaration's checks
_OPTIONS = {"produce": "--produce", "ingest": "--ingest", "deposit": "--deposit", "config": "--config"}


@click.command("certify", context_settings={"ignore_unknown_options": True})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The tool's declaration (default: segur.toml, else [tool.segur] in pyproject.toml, from here up).",
)
@click.option("--produce", metavar="COMMAND", help="The produce command (overrides the declaration's).")
@click.option("--ingest", metavar="COMMAND", help="The ingest command (overrides the declaration's).")
@click.option("--deposit", metavar="COMMAND", help="The deposit command (overrides the declaration's).")
@click.option("--part", "parts", type=click.Choice(PARTS), multiple=True, help="Run only this part (repeatable).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), help="Seed of the generated answers and bundles.")
@click.option(
    "--report",
    type=click.Path(file_okay=False, path_type=Path),
    help="Reports folder: report.html, junit.xml, verdict.json, coverage.md (default: segur-report/).",
)
@click.option(
    "--contract",
    "contract_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the certification contract (CONTRACT.md and its JSON Schemas) into this folder, and stop.",
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def certify(
    contract_dir: Path | None,
    config_path: Path | None,
    produce: str | None,
    ingest: str | None,
    deposit: str | None,
    parts: tuple[str, ...],
    seed: int | None,
    report: Path | None,
    pytest_args: tuple[str, ...],
) -> None:
    """Certify an editor's tool: run the conformance suite against its declared commands.

    Exit codes: 0 conformant (« partiel » when some part was not run), 1 not conformant, 2 the
    kit could not run (bad configuration, a command not found, no test run). Arguments after the
    options go to pytest (e.g. -x, -k deposit). What the commands must do, and the formats they
    exchange: --contract DIR writes them out.
    """
    if contract_dir is not None:
        _write_contract(contract_dir)
        return
    from segur.conformance.config import ConfigError, load_config

    overrides = {"produce": produce, "ingest": ingest, "deposit": deposit, "seed": seed}
    try:  # a declaration that cannot work fails here, before pytest starts
        load_config(config_path, Path.cwd(), overrides, options=_OPTIONS)
    except ConfigError as exc:
        click.echo(f"segur certify: {exc}", err=True)
        sys.exit(2)
    # -P: the current folder is not put on sys.path (the editor's own packages stay out of the
    # kit's way); -c: the suite runs under the kit's pytest settings, not the repository's addopts
    args = [sys.executable, "-P", "-m", "pytest", "-c", str(_INI), f"--rootdir={Path.cwd()}", "--segur"]
    for option, value in (
        ("--segur-config", config_path),
        ("--segur-produce", produce),
        ("--segur-ingest", ingest),
        ("--segur-deposit", deposit),
        ("--segur-seed", seed),
        ("--segur-report", report),
    ):
        if value is not None:  # one "--opt=value" token: pytest must not take a value for a test path
            args.append(f"{option}={value}")
    args += [f"--segur-part={part}" for part in parts]
    import subprocess

    # pytest in a process of its own: nothing imported here can shadow the editor's test modules
    code = subprocess.run([*args, *pytest_args], check=False).returncode
    sys.exit(0 if code == 0 else 1 if code == 1 else 2)


def _write_contract(folder: Path) -> None:
    """Copy the contract's document and schemas into ``folder``."""
    from importlib.resources import files

    source = files("segur.conformance")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in CONTRACT_FILES:
            (folder / name).write_bytes(source.joinpath(name).read_bytes())
    except OSError as exc:
        click.echo(f"segur certify: cannot write the contract into {folder}: {exc}", err=True)
        sys.exit(2)
    click.echo(f"{folder}: {', '.join(CONTRACT_FILES)}")
