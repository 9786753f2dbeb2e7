"""`segur fuzz` against a live mock portal on 127.0.0.1: agreement, and mismatches caught."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from segur.mock_portal.controls import load_spec
from werkzeug.serving import make_server

from segur.cli import main
from tests._support.paths import SPEC
from tests._support.portal import make_app


def serve(tmp_path: Path, **config: str) -> Iterator[str]:
    """The mock portal served from a thread on a free loopback port."""
    app = make_app(tmp_path, **config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[str]:
    yield from serve(tmp_path)


@pytest.fixture
def live_renumbered(tmp_path: Path) -> Iterator[str]:
    yield from serve(tmp_path, SPEC_DIR=str(renumbered_spec(tmp_path)))


def renumbered(code: str) -> str:
    """Another code of the same form: its first digit moved by 5 (1xxx → 6xxx, E2xx → E7xx…)."""
    position = next(i for i, char in enumerate(code) if char.isdigit())
    return f"{code[:position]}{(int(code[position]) + 5) % 10}{code[position + 1 :]}"


def renumbered_spec(root: Path) -> Path:
    """A portal whose catalogue gives every error another number."""
    target = root / "other-spec"
    shutil.copytree(SPEC.root, target, ignore=shutil.ignore_patterns("cases"))
    path = target / str(SPEC.files["codes"])
    codes = orjson.loads(path.read_bytes())
    for entry in codes["codes"]:
        if entry["code"] != SPEC.accepted_code:
            entry["code"] = renumbered(entry["code"])
    path.write_bytes(orjson.dumps(codes))
    assert set(load_spec(target).codes).isdisjoint(set(SPEC.codes) - {SPEC.accepted_code})
    return target


def test_the_mock_portal_answers_every_case_as_the_kit_expects(live: str) -> None:
    result = CliRunner().invoke(
        main, ["fuzz", "--portal", live, "--count", "25", "--seed", "5", "--max-seconds", "120"]
    )
    assert result.exit_code == 0, result.output
    assert "25 cas, 25 simulations, 25 imports, 0 écart(s)" in result.stdout


def test_a_portal_answering_other_codes_is_caught_with_the_seed_that_replays_it(live_renumbered: str) -> None:
    live = live_renumbered
    result = CliRunner().invoke(
        main, ["fuzz", "--portal", live, "--count", "6", "--seed", "1", "--broken-share", "1", "--no-import"]
    )
    assert result.exit_code == 1, result.output
    assert "ÉCART simulate" in result.stdout and "--case-seed" in result.stdout
    seed = result.stdout.split("--case-seed ")[1].split()[0]
    replay = CliRunner().invoke(main, ["fuzz", "--portal", live, "--case-seed", seed, "--no-import"])
    assert replay.exit_code == 1 and "1 cas, 1 simulations, 0 imports, 1 écart(s)" in replay.stdout


def test_an_unreachable_portal_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["fuzz", "--portal", "http://127.0.0.1:9", "--count", "1"])
    assert result.exit_code == 2 and "cannot reach the portal" in result.stderr
