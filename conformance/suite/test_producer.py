"""Producer conformance: every deposit ``produce`` writes passes the portal's controls, one test
per requirement of the deposit file and its zip (scope ``bundle`` in requirements.csv)."""

from __future__ import annotations

import pytest
from segur.conformance.producer import Produced, not_tested_reason


def test_bundle(bundle_requirement: str, segur_produced: list[Produced]) -> None:
    if not segur_produced:
        pytest.fail("produce wrote no deposit file (X.json) into {out}", pytrace=False)
    problems = []
    settled = 0
    for produced in segur_produced:
        if not_tested_reason(produced, bundle_requirement) is not None:
            continue
        settled += 1
        problems += [f"{produced.path.name}: {note}" for note in produced.problems]
        problems += [f"{produced.path.name}: {finding}" for finding in produced.findings(bundle_requirement)]
    if not settled:
        reasons = {not_tested_reason(p, bundle_requirement) for p in segur_produced}
        pytest.skip("; ".join(sorted(r for r in reasons if r)))
    if problems:
        pytest.fail(f"{bundle_requirement} broken:\n" + "\n".join(problems), pytrace=False)
