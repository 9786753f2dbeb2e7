"""The golden cases: every catalogue code fails where it should and passes where it should not.

Cases are written against logical fields and rule names (``generators/cases.py``), so the
same test runs on any spec folder's own cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from segur.generators import cases
from segur.mock_portal.controls import known_rules

from tests._support.paths import SPEC

VARIANTS = cases.variants(SPEC)


@pytest.mark.parametrize(("case", "variant"), [(c, v) for _, c, v in VARIANTS], ids=[i for i, _, _ in VARIANTS])
def test_golden_case(case: dict[str, Any], variant: dict[str, Any], tmp_path: Path) -> None:
    """Each golden variant gets exactly the answer it states, and the warnings of the checks by
    hand it states (when it states them)."""
    answer, found = cases.run_with_warnings(case, variant, SPEC, tmp_path)
    problems = cases.mismatches(answer, variant["expect"], SPEC) + cases.warning_mismatches(found, variant)
    assert not problems, "\n".join(problems)


def _expected_rules(variant: dict[str, Any]) -> set[str]:
    expect = variant["expect"]
    if expect == "accepted":
        return set()
    rules = {expect["file"]} if "file" in expect else set(expect.get("lines", {}).values())
    for listed in expect.get("codes", {}).values():
        rules.update(listed)
    return rules


def test_every_code_has_a_failing_and_a_passing_case() -> None:
    """A catalogue code without a golden failing case and its passing control case fails."""
    failing: set[str] = set()
    passing: set[str] = set()
    for path in cases.case_files(SPEC):
        case = cases.load_case(path)
        for variant in case["variants"]:
            rule = case.get("rule")
            if variant["expect"] == "accepted":
                passing.add(rule)
            elif rule in _expected_rules(variant):
                failing.add(rule)
    rules = set(SPEC.rule_codes)
    assert rules - failing == set(), f"Expected: a failing case per code. Received none for {sorted(rules - failing)}"
    assert rules - passing == set(), f"Expected: a passing case per code. Received none for {sorted(rules - passing)}"


def test_cases_name_only_rules_the_catalogue_binds() -> None:
    """A case that expects a rule the catalogue does not bind to a code fails."""
    for path in cases.case_files(SPEC):
        case = cases.load_case(path)
        unknown = cases.case_rules(case) - set(SPEC.rule_codes)
        assert not unknown, f"{path.name}: rules {sorted(unknown)} are bound to no code of codes.json"


def test_every_check_by_hand_has_a_case_that_warns_and_one_that_does_not() -> None:
    """A check by hand of the spec without a case variant expecting its warning, and one expecting
    none on a line, fails."""
    warned: set[str] = set()
    quiet = False
    for path in cases.case_files(SPEC):
        case = cases.load_case(path)
        for variant in case["variants"]:
            stated = variant.get("warnings")
            if stated is not None:
                warned.update(check for checks in stated.values() for check in checks)
                quiet = quiet or not stated
        if case.get("check") is not None:
            assert case["check"] in SPEC.hand_checks, f"{path.name}: check {case['check']} is not the spec's"
    assert set(SPEC.hand_checks) - warned == set(), f"no case warns for {sorted(set(SPEC.hand_checks) - warned)}"
    assert quiet or not SPEC.hand_checks, "Expected: a case variant stating no warning at all. Received: none"


def test_controls_and_catalogue_know_the_same_rules() -> None:
    """Every code's rule is one a control raises; a rule no code binds is declared unenforced."""
    bound = set(SPEC.rule_codes)
    assert bound - known_rules() == set(), f"codes whose rule no control raises: {sorted(bound - known_rules())}"
    unbound = known_rules() - bound
    assert unbound == set(SPEC.unenforced), (
        f"Expected: the rules no code binds ({sorted(unbound)}) listed in codes.json 'unenforced'. "
        f"Received: {sorted(SPEC.unenforced)}"
    )
