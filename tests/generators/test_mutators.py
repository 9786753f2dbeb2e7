"""Mutators: for every catalogue code, a broken deposit gets exactly that code where broken, on
every profile the mutator takes, whatever the spec in force."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segur.generators.mutators import RULE_MUTATORS, NotApplicable, Scenario, materialise, mutate, mutator_for, mutators
from segur.generators.strategies import Broken, broken_bundle, make_bundle
from segur.mock_portal.controls import Answer, check_deposit, load_spec

from tests._support.logical import code, codes_of
from tests._support.paths import MODEL, ROOT, SPEC

CODES = sorted(c for c in SPEC.codes if c != SPEC.accepted_code)


def answer_of(broken: Broken, tmp: Path) -> Answer:
    data, deposit, history, zip_path, mode = materialise(broken.scenario, tmp)
    return check_deposit(data, deposit, spec=SPEC, history=history, attachments=zip_path, mode=mode)


def problems(answer: Answer, code_: str, lines: tuple[int, ...]) -> list[str]:
    """What differs from: file rejected with ``code_`` (file level), or ``code_`` alone on
    ``lines`` and the accepted code on every other line."""
    file_codes = [f.code for f in answer.file_findings]
    if SPEC.codes[code_].level == "file":
        return [] if file_codes[:1] == [code_] else [f"file: expected {code_}, got {answer.file_findings}"]
    if file_codes:
        return [f"file rejected: {answer.file_findings}"]
    out = []
    for index, line in enumerate(answer.lines):
        got = [f.code for f in line.findings]
        if index in lines:
            if not got or set(got) != {code_}:
                out.append(f"line {index + 1}: expected only {code_}, got {line.findings}")
        elif got:
            out.append(f"line {index + 1}: expected {SPEC.accepted_code}, got {line.findings}")
    return out


def test_every_catalogue_code_has_a_mutator() -> None:
    assert CODES, "the catalogue lists no code"
    missing = [code_ for code_ in CODES if code_ not in mutators(SPEC)]
    assert not missing, f"codes without a mutator: {missing}"


def test_mutators_are_keyed_by_rule_through_the_catalogue() -> None:
    by_code = mutators(SPEC)
    for code_, found in by_code.items():
        assert SPEC.codes[code_].rule == found.rule
    assert set(RULE_MUTATORS) >= {entry.rule for entry in SPEC.codes.values() if entry.rule}


@pytest.mark.parametrize("code_", CODES)
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_broken_bundle_gets_exactly_its_code(code_: str, data: st.DataObject) -> None:
    broken = data.draw(broken_bundle(code=code_, spec=SPEC))
    assert broken.lines and broken.code == code_
    with tempfile.TemporaryDirectory() as tmp:
        answer = answer_of(broken, Path(tmp))
    assert not problems(answer, code_, broken.lines), (broken.seed, broken.lines, problems(answer, code_, broken.lines))


OTHER_PROFILES = [(c, profile) for c in CODES for profile in mutators(SPEC)[c].profiles_in(SPEC)[1:]]


@pytest.mark.parametrize(("code_", "profile"), OTHER_PROFILES)
@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_broken_bundle_of_every_profile_the_mutator_takes(code_: str, profile: str, data: st.DataObject) -> None:
    broken = data.draw(broken_bundle(code=code_, profile=profile, spec=SPEC))
    assert broken.scenario.profile == profile
    with tempfile.TemporaryDirectory() as tmp:
        answer = answer_of(broken, Path(tmp))
    assert not problems(answer, code_, broken.lines), (broken.seed, broken.lines, problems(answer, code_, broken.lines))


def test_mutate_leaves_the_other_lines_valid_and_refuses_what_it_cannot_break(tmp_path: Path) -> None:
    drawn = make_bundle(7, size=3, spec=SPEC)
    scenario = Scenario.from_drawn(drawn, SPEC)
    assert mutate(scenario, "amount-ttc", [1], SPEC) == (1,)
    data, deposit, history, zip_path, mode = materialise(scenario, tmp_path)
    answer = check_deposit(data, deposit, spec=SPEC, history=history, attachments=zip_path, mode=mode)
    accepted = SPEC.accepted_code
    assert codes_of(answer) == [accepted, code("amount-ttc"), accepted]
    assert drawn.requests != scenario.requests  # the drawn bundle itself is left alone
    with pytest.raises(ValueError, match="first line"):
        mutate(Scenario.from_drawn(drawn, SPEC), "dup-ref-file", [0], SPEC)
    with pytest.raises(LookupError):
        mutate(Scenario.from_drawn(drawn, SPEC), "not-a-code", [0], SPEC)


def test_a_third_decimal_is_an_edit_of_the_written_file_where_amounts_are_euros() -> None:
    spec = load_spec(MODEL)
    assert spec.fields["amount_requested"].codec.with_third_decimal(100) is not None, "the model writes euros"
    scenario = Scenario.from_drawn(make_bundle(7, size=2, spec=spec), spec)
    mutator_for("amount-decimals", spec).apply(scenario, [0], spec)
    assert scenario.edits, "the third decimal is an edit of the written file"


def test_a_mutator_says_when_the_spec_cannot_carry_its_mistake(tmp_path: Path) -> None:
    """Integer cents cannot carry a third decimal: the mutator says so instead of lying (the flat
    example, in cents, with the rule bound to a code instead of left unenforced)."""
    root = tmp_path / "centimes"
    shutil.copytree(ROOT / "fixtures" / "exemple-format-plat", root, ignore=shutil.ignore_patterns("cases"))
    catalogue = orjson.loads((root / "codes.json").read_bytes())
    taken = {entry["code"] for entry in catalogue["codes"]}
    free = next(f"E{n:03d}" for n in range(200, 300) if f"E{n:03d}" not in taken)
    catalogue["codes"].append({"code": free, "level": "line", "rule": "amount-decimals", "label": "{champ}"})
    catalogue["unenforced"] = [rule for rule in catalogue.get("unenforced", []) if rule != "amount-decimals"]
    (root / "codes.json").write_bytes(orjson.dumps(catalogue))
    spec = load_spec(root)
    assert spec.fields["amount_requested"].codec.with_third_decimal(100) is None, "the flat example writes cents"
    scenario = Scenario.from_drawn(make_bundle(7, size=2, spec=spec), spec)
    with pytest.raises(NotApplicable, match="amounts of this spec are"):
        mutator_for("amount-decimals", spec).apply(scenario, [0], spec)


def test_a_renumbered_catalogue_keeps_its_mutators(tmp_path: Path) -> None:
    root = tmp_path / "spec"
    shutil.copytree(SPEC.root, root)
    codes = orjson.loads((root / "codes.json").read_bytes())
    old = code("amount-ttc")
    new = next(f"{old[:-1]}{d}" for d in "987654321" if f"{old[:-1]}{d}" not in SPEC.codes)
    for entry in codes["codes"]:
        if entry["code"] == old:
            entry["code"] = new
    (root / "codes.json").write_bytes(orjson.dumps(codes))
    spec = load_spec(root)
    assert new in mutators(spec) and old not in mutators(spec)
    scenario = Scenario.from_drawn(make_bundle(3, size=2, spec=spec), spec)
    assert mutate(scenario, new, [0], spec) == (0,)
    data, deposit, history, zip_path, mode = materialise(scenario, tmp_path)
    answer = check_deposit(data, deposit, spec=spec, history=history, attachments=zip_path, mode=mode)
    assert [[f.code for f in line.findings] for line in answer.lines] == [[new], []]
