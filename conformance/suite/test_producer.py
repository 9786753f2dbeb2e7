"""Producer conformance: every deposit ``produce`` writes passes the portal's controls, one test
per requirement of the deposit file and its zip (scope ``bundle`` in requirements.csv)."""

from __future__ import annotations

import pytest
from segur.conformance.producer import Produced, Run, not_tested_reason
from segur.conformance.report import UNEVALUABLE_PREFIX


def test_bundle(bundle_requirement: str, segur_produced: list[Produced], segur_run: Run) -> None:
    """Every deposit of the run, alone (its file and zip) and together (a reference, an order form
    or a beneficiary repeated across the run's deposits), against one requirement."""
    if not segur_produced:
        pytest.fail("produce wrote no deposit file (X.json) into {out}", pytrace=False)
    problems = []
    unevaluable = []
    settled = 0
    for produced in segur_produced:
        if not_tested_reason(produced, bundle_requirement) is not None:
            continue
        settled += 1
        findings = produced.findings(bundle_requirement)  # reads the choices: their problems are known after
        problems += [f"{produced.path.name}: {note}" for note in produced.notes(bundle_requirement)]
        problems += [f"{produced.path.name}: {finding}" for finding in findings]
        unevaluable += [f"{produced.path.name} {where}" for where in produced.unevaluable(bundle_requirement)]
    problems += [f"across the run: {problem}" for problem in segur_run.findings(bundle_requirement)]
    if not settled:
        reasons = {not_tested_reason(p, bundle_requirement) for p in segur_produced}
        pytest.skip("; ".join(sorted(r for r in reasons if r)))
    if problems:
        pytest.fail(f"{bundle_requirement} broken:\n" + "\n".join(problems), pytrace=False)
    if unevaluable:
        pytest.skip(
            f"{UNEVALUABLE_PREFIX}: its rules could not be checked where their fields are unreadable: "
            + "; ".join(unevaluable[:10])
        )
