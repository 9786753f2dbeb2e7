"""The tool's declaration: where it is found, what wins, what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from segur.conformance.config import ConfigError, find_config, load_config
from segur.conformance.runner import KitError, ToolFailed, run_command


def test_segur_toml_wins_over_pyproject_and_is_found_from_below(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.segur]\nproduce = "a {out}"\n', encoding="utf-8")
    (tmp_path / "segur.toml").write_text('produce = "b {out}"\n', encoding="utf-8")
    below = tmp_path / "src" / "pkg"
    below.mkdir(parents=True)
    assert find_config(below) == tmp_path / "segur.toml"
    config = load_config(None, below)
    assert config.commands["produce"] == ("b", "{out}")
    assert config.cwd == tmp_path.resolve()


def test_pyproject_without_a_segur_table_is_not_a_declaration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert find_config(tmp_path) is None
    with pytest.raises(ConfigError, match="no declaration found"):
        load_config(None, tmp_path)


def test_command_line_options_override_the_file(tmp_path: Path) -> None:
    (tmp_path / "segur.toml").write_text('produce = "a {out}"\nseed = 3\n', encoding="utf-8")
    config = load_config(None, tmp_path, {"produce": "'my tool' --out {out}", "seed": None, "name": "Horizon"})
    assert config.commands["produce"] == ("my tool", "--out", "{out}")  # split as a shell would
    assert config.seed == 3 and config.name == "Horizon"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("produce = 12\n", "produce: 12 is not valid under any of the schemas"),
        ('produce = ""\n', 'produce: "" is not valid under any of the schemas'),
        ("produce = []\n", "produce: \\[\\] is not valid under any of the schemas"),
        ('produce = "x {out"\n', "bad placeholder"),
        ('produce = "x {out}"\ntimeout = 0\n', "timeout: 0 is less than the minimum of 1 .seconds a command may take"),
        ('produce = "x {out}"\nenv = {A = 1}\n', "env/A: 1 is not of type"),
        ('produce = "x {out}"\nnom = "Horizon"\n', "unknown key.s. nom; known keys: deposit, env, ingest, name"),
        ("produce = [\n", "cannot read it as TOML"),
    ],
)
def test_bad_declarations_name_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "segur.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(None, tmp_path)


def test_relative_program_is_looked_up_from_the_declaration(tmp_path: Path) -> None:
    (tmp_path / "segur.toml").write_text('produce = "./outil.sh {out}"\n', encoding="utf-8")
    config = load_config(None, tmp_path)
    with pytest.raises(ConfigError, match=r"'\./outil\.sh' was not found or is not executable"):
        config.check_executables()
    script = tmp_path / "outil.sh"
    script.write_text('#!/bin/sh\necho produit > "$1/x.txt"\n', encoding="utf-8")
    script.chmod(0o755)
    config.check_executables()
    out = tmp_path / "out"
    out.mkdir()
    run = run_command(config, "produce", {"out": out})
    assert run.returncode == 0 and (out / "x.txt").read_text(encoding="utf-8") == "produit\n"


def test_runner_fills_placeholders_and_environment_and_reports_failures(tmp_path: Path) -> None:
    code = "import os, sys; print(sys.argv[1], os.environ['SEGUR_ANSWER']); sys.exit(int(sys.argv[2]))"
    (tmp_path / "segur.toml").write_text(
        f'ingest = ["{{python}}", "-c", "{code}", "{{answer}}", "{{receipt}}"]\ntimeout = 5\n', encoding="utf-8"
    )
    config = load_config(None, tmp_path)
    run = run_command(config, "ingest", {"answer": "a b.json", "receipt": "0"})  # {python}: this interpreter
    assert run.stdout.split() == ["a", "b.json", "a", "b.json"]  # one argument, spaces kept
    with pytest.raises(ToolFailed, match="exited with 3"):
        run_command(config, "ingest", {"answer": "x", "receipt": "3"})


def test_runner_bounds_time_and_tells_a_vanished_program(tmp_path: Path) -> None:
    (tmp_path / "segur.toml").write_text(
        'produce = ["{python}", "-c", "import time; time.sleep(30)", "{out}"]\ntimeout = 1\n'
        'ingest = ["./parti", "{answer}", "{receipt}"]\n',
        encoding="utf-8",
    )
    config = load_config(None, tmp_path)
    with pytest.raises(ToolFailed, match="did not finish within 1 s"):
        run_command(config, "produce", {"out": tmp_path})
    with pytest.raises(KitError, match=r"'\./parti' was not found"):
        run_command(config, "ingest", {"answer": "a", "receipt": "r"})
