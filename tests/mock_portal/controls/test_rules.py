"""The rule catalogue (controls/rules.py) says what every rule gives its label, and says it right:
a spec author writes labels from it, and ``segur spec check`` refuses a placeholder it lacks."""

from __future__ import annotations

import tempfile
from pathlib import Path

from segur.generators import cases
from segur.mock_portal.controls import known_rules
from segur.mock_portal.controls.rules import RULES, placeholders

from tests._support.paths import SPEC


def test_every_rule_the_controls_raise_is_in_the_catalogue() -> None:
    assert set(RULES) == set(known_rules())


def test_every_rule_gives_its_labels_only_the_parameters_the_catalogue_lists() -> None:
    """Across every golden case, each finding's parameters are its rule's (plus {champ})."""
    seen: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for _, case, variant in cases.variants(SPEC):
            answer = cases.run(case, variant, SPEC, Path(tmp))
            findings = list(answer.file_findings) + [f for line in answer.lines for f in line.findings]
            for finding in findings:
                rule = SPEC.codes[finding.code].rule
                assert rule is not None
                extra = set(finding.params) - set(RULES[rule].params) - {"champ"}
                assert not extra, f"{rule} gives {sorted(extra)} that rules.py does not list"
                seen.add(rule)
    assert len(seen) >= len(SPEC.rule_codes) - 2, sorted(set(SPEC.rule_codes) - seen)


def test_the_specs_labels_use_only_their_rules_parameters() -> None:
    for code, entry in SPEC.codes.items():
        if entry.rule:
            assert placeholders(entry.label) <= {*RULES[entry.rule].params, "champ"}, code


def test_the_guide_for_spec_authors_lists_every_rule_and_logical_field() -> None:
    from segur.mock_portal.controls.fields import FIELDS

    guide = (Path(__file__).resolve().parents[3] / "fixtures" / "README.md").read_text(encoding="utf-8")
    assert [rule for rule in RULES if f"`{rule}`" not in guide] == []
    assert [name for name in FIELDS if f"`{name}`" not in guide] == []
