"""The golden cases: every catalogue code fails where it should and passes where it should not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from segur.generators import cases
from segur.mock_portal.controls import known_rules, load_spec

SPEC = load_spec()
VARIANTS = cases.variants(SPEC)


@pytest.mark.parametrize(("case", "variant"), [(c, v) for _, c, v in VARIANTS], ids=[i for i, _, _ in VARIANTS])
def test_golden_case(case: dict[str, Any], variant: dict[str, Any], tmp_path: Path) -> None:
    """Each golden variant gets exactly the answer it states."""
    answer = cases.run(case, variant, SPEC, tmp_path)
    problems = cases.mismatches(answer, variant["expect"])
    assert not problems, "\n".join(problems)


def _expected_codes(variant: dict[str, Any]) -> set[str]:
    expect = variant["expect"]
    if expect == "accepted":
        return set()
    codes = {expect["file"]} if "file" in expect else set(expect.get("lines", {}).values())
    for listed in expect.get("codes", {}).values():
        codes.update(listed)
    return codes


def test_every_code_has_a_failing_and_a_passing_case() -> None:
    """A catalogue code without a golden failing case and its passing control case fails."""
    failing: set[str] = set()
    passing: set[str] = set()
    for path in cases.case_files(SPEC):
        case = cases.load_case(path)
        for variant in case["variants"]:
            if variant["expect"] == "accepted":
                passing.add(case["code"])
            elif case["code"] in _expected_codes(variant):
                failing.add(case["code"])
    codes = set(SPEC.codes) - {SPEC.accepted_code}
    assert codes - failing == set(), f"Expected: a failing case per code. Received none for {sorted(codes - failing)}"
    assert codes - passing == set(), f"Expected: a passing case per code. Received none for {sorted(codes - passing)}"


def test_cases_name_only_catalogue_codes() -> None:
    """A case that expects a code missing from the catalogue fails."""
    for path in cases.case_files(SPEC):
        case = cases.load_case(path)
        assert case["code"] in SPEC.codes, f"{path.name}: code {case['code']} is not in codes.json"
        assert path.name.startswith(case["code"] + "-"), f"{path.name}: expected the file name to start with its code"
        for variant in case["variants"]:
            unknown = _expected_codes(variant) - set(SPEC.codes)
            assert not unknown, f"{path.name} / {variant['name']}: codes {unknown} are not in codes.json"


def test_controls_and_catalogue_know_the_same_rules() -> None:
    """Every rule the controls can raise has a code, and every code's rule exists."""
    bound = set(SPEC.rule_codes)
    assert known_rules() - bound == set(), f"rules without a code: {sorted(known_rules() - bound)}"
    assert bound - known_rules() == set(), f"codes whose rule no control raises: {sorted(bound - known_rules())}"
