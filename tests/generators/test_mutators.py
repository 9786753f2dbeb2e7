"""Mutators: for every catalogue code, a broken deposit gets exactly that code where broken."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segur.generators.mutators import MUTATORS, RULE_MUTATORS, Scenario, materialise, mutate, mutators
from segur.generators.strategies import Broken, broken_bundle, make_bundle
from segur.mock_portal.controls import Answer, check_deposit, load_spec

from tests._support.paths import SPEC

CATALOGUE = orjson.loads((SPEC.root / "codes.json").read_bytes())
CODES = sorted(entry["code"] for entry in CATALOGUE["codes"] if entry["code"] != CATALOGUE["acceptedCode"])


def answer_of(broken: Broken, tmp: Path) -> Answer:
    data, deposit, history, zip_path, mode = materialise(broken.scenario, tmp)
    return check_deposit(data, deposit, spec=SPEC, history=history, attachments=zip_path, mode=mode)


def problems(answer: Answer, code: str, lines: tuple[int, ...]) -> list[str]:
    """What differs from: file rejected with ``code`` (file level), or ``code`` alone on
    ``lines`` and "0000" on every other line."""
    file_codes = [f.code for f in answer.file_findings]
    if SPEC.codes[code].level == "file":
        return [] if file_codes[:1] == [code] else [f"file: expected {code}, got {answer.file_findings}"]
    if file_codes:
        return [f"file rejected: {answer.file_findings}"]
    out = []
    for index, line in enumerate(answer.lines):
        got = [f.code for f in line.findings]
        if index in lines:
            if not got or set(got) != {code}:
                out.append(f"line {index + 1}: expected only {code}, got {line.findings}")
        elif got:
            out.append(f"line {index + 1}: expected 0000, got {line.findings}")
    return out


def test_every_catalogue_code_has_a_mutator() -> None:
    assert CODES, "the catalogue lists no code"
    missing = [code for code in CODES if code not in MUTATORS]
    assert not missing, f"codes without a mutator: {missing}"


def test_mutators_are_keyed_by_rule_through_the_catalogue() -> None:
    by_code = mutators(SPEC)
    for code, found in by_code.items():
        assert SPEC.codes[code].rule == found.rule
    assert set(RULE_MUTATORS) >= {entry.rule for entry in SPEC.codes.values() if entry.rule}


@pytest.mark.parametrize("code", CODES)
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_broken_bundle_gets_exactly_its_code(code: str, data: st.DataObject) -> None:
    broken = data.draw(broken_bundle(code=code, spec=SPEC))
    assert broken.lines and broken.code == code
    with tempfile.TemporaryDirectory() as tmp:
        answer = answer_of(broken, Path(tmp))
    assert not problems(answer, code, broken.lines), (broken.seed, broken.lines, problems(answer, code, broken.lines))


OTHER_PROFILES = [
    (code, profile) for code in CODES if code in MUTATORS for profile in mutators(SPEC)[code].profiles[1:]
]


@pytest.mark.parametrize(("code", "profile"), OTHER_PROFILES)
@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_broken_bundle_of_every_profile_the_mutator_takes(code: str, profile: str, data: st.DataObject) -> None:
    broken = data.draw(broken_bundle(code=code, profile=profile, spec=SPEC))
    assert broken.scenario.profile == profile
    with tempfile.TemporaryDirectory() as tmp:
        answer = answer_of(broken, Path(tmp))
    assert not problems(answer, code, broken.lines), (broken.seed, broken.lines, problems(answer, code, broken.lines))


def test_mutate_leaves_the_other_lines_valid_and_refuses_what_it_cannot_break(tmp_path: Path) -> None:
    drawn = make_bundle(7, size=3, spec=SPEC)
    scenario = Scenario.from_drawn(drawn, SPEC)
    assert mutate(scenario, "2031", [1], SPEC) == (1,)
    data, deposit, history, zip_path, mode = materialise(scenario, tmp_path)
    answer = check_deposit(data, deposit, spec=SPEC, history=history, attachments=zip_path, mode=mode)
    assert [line.findings[0].code if line.findings else "0000" for line in answer.lines] == ["0000", "2031", "0000"]
    assert drawn.bundle != scenario.bundle  # the drawn bundle itself is left alone
    with pytest.raises(ValueError, match="first line"):
        mutate(Scenario.from_drawn(drawn, SPEC), "2040", [0], SPEC)
    with pytest.raises(LookupError):
        mutate(Scenario.from_drawn(drawn, SPEC), "9999", [0], SPEC)


def test_a_renumbered_catalogue_keeps_its_mutators(tmp_path: Path) -> None:
    root = tmp_path / "spec"
    shutil.copytree(SPEC.root, root)
    codes = orjson.loads((root / "codes.json").read_bytes())
    for entry in codes["codes"]:
        if entry["code"] == "2031":
            entry["code"] = "2931"
    (root / "codes.json").write_bytes(orjson.dumps(codes))
    spec = load_spec(root)
    assert "2931" in mutators(spec) and "2031" not in mutators(spec)
    scenario = Scenario.from_drawn(make_bundle(3, size=2, spec=spec), spec)
    assert mutate(scenario, "2931", [0], spec) == (0,)
    data, deposit, history, zip_path, mode = materialise(scenario, tmp_path)
    answer = check_deposit(data, deposit, spec=spec, history=history, attachments=zip_path, mode=mode)
    assert [[f.code for f in line.findings] for line in answer.lines] == [["2931"], []]
