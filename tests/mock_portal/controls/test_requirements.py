"""requirements.csv and codes.json point at each other, and every row says how it is tested."""

from __future__ import annotations

from tests._support.paths import SPEC


def test_every_code_names_known_requirements() -> None:
    for entry in SPEC.codes.values():
        if entry.code == SPEC.accepted_code:
            continue
        assert entry.requirements, f"code {entry.code} enforces no requirement"
        unknown = set(entry.requirements) - set(SPEC.requirements)
        assert not unknown, f"code {entry.code}: requirements {unknown} are not in requirements.csv"


def test_every_requirement_row_is_complete_and_its_codes_exist() -> None:
    for rid, row in SPEC.requirements.items():
        assert row["level"] in ("SHALL", "SHOULD"), f"{rid}: level {row['level']!r}"
        for column in ("sentence", "source", "test"):
            assert row[column].strip(), f"{rid}: empty {column}"
        for code in row["codes"].split():
            assert code in SPEC.codes, f"{rid}: code {code} is not in codes.json"
            if code != SPEC.accepted_code:
                assert rid in SPEC.codes[code].requirements, f"{rid} lists {code} but {code} does not list {rid}"
