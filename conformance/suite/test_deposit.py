"""Deposit behaviour: ``deposit`` against the live mock portal in scripted scenarios, checked from
the mock's journal (conformance/deposit.py says what each scenario does)."""

from __future__ import annotations

import pytest
from segur.conformance.deposit import Scenarios
from segur.conformance.report import UNEVALUABLE_PREFIX


def _holds(scenarios: Scenarios, scenario: str, requirement: str) -> None:
    outcome = scenarios.outcome(scenario)
    problems = outcome.report(requirement)
    if problems and outcome.wrong_choices:
        pytest.skip(
            f"{UNEVALUABLE_PREFIX}: the tool deposited with other choices than its bundle's X.deposit.json "
            f"(SEG-D09), so what the portal answered does not show whether {requirement} holds; what was seen:\n"
            + "\n".join(problems[:-1] or problems)
        )
    if problems:
        pytest.fail(f"{requirement} broken:\n" + "\n".join(problems), pytrace=False)


def _across(scenarios: Scenarios, requirement: str) -> None:
    """``requirement`` in every scenario."""
    problems = []
    for name in Scenarios.NAMES:
        found = scenarios.outcome(name).report(requirement)
        if found:
            problems.append(f"scenario {name}:\n" + "\n".join(found))
    if problems:
        pytest.fail(f"{requirement} broken:\n" + "\n".join(problems), pytrace=False)


@pytest.mark.requirement("SEG-D09")
def test_deposits_with_the_bundles_choices(segur_scenarios: Scenarios) -> None:
    _across(segur_scenarios, "SEG-D09")


@pytest.mark.requirement("SEG-C05")
def test_records_agree_with_the_portal(segur_scenarios: Scenarios) -> None:
    if not segur_scenarios.config.has("ingest"):
        pytest.skip(
            f"no ingest command declared in {segur_scenarios.config.source}: the tool's records after each "
            "deposit scenario are not compared with the portal's"
        )
    _across(segur_scenarios, "SEG-C05")


@pytest.mark.requirement("SEG-D01")
def test_simulates_before_import(segur_scenarios: Scenarios) -> None:
    _holds(segur_scenarios, "simulate", "SEG-D01")


@pytest.mark.requirement("SEG-D08")
def test_terminates_imports(segur_scenarios: Scenarios) -> None:
    _holds(segur_scenarios, "simulate", "SEG-D08")


@pytest.mark.requirement("SEG-D02")
def test_never_resends_accepted_lines(segur_scenarios: Scenarios) -> None:
    _holds(segur_scenarios, "accepted", "SEG-D02")


@pytest.mark.requirement("SEG-D03")
def test_resends_rejected_line_only_once_corrected(segur_scenarios: Scenarios) -> None:
    _holds(segur_scenarios, "rejected", "SEG-D03")


@pytest.mark.requirement("SEG-D04")
def test_sends_missing_pieces(segur_scenarios: Scenarios) -> None:
    _holds(segur_scenarios, "pieces", "SEG-D04")


@pytest.mark.requirement("SEG-D05")
def test_solde_only_after_avance_paid(segur_scenarios: Scenarios) -> None:
    _holds(segur_scenarios, "solde", "SEG-D05")


@pytest.mark.requirement("SEG-D06")
def test_retries_unavailable_portal(segur_scenarios: Scenarios) -> None:
    _holds(segur_scenarios, "retry", "SEG-D06")


@pytest.mark.requirement("SEG-D07")
def test_respects_windows(segur_scenarios: Scenarios) -> None:
    _holds(segur_scenarios, "window", "SEG-D07")
