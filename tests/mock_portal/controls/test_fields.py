"""Value types: each representation a spec may declare reads and writes its values exactly."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from segur.mock_portal.controls.fields import Unreadable, make_codec
from segur.mock_portal.controls.money import cents, euros


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1000, 100000),
        (1000.3, 100030),
        (1000.30, 100030),
        (12.05, 1205),
        (-0.5, -50),
        (0.0, 0),
        (1000.3000000000001, None),  # float noise is a third decimal: refused, not rounded
        (0.1 + 0.2, None),
        (10.001, None),
        (1e20, 10**22),
        (float("inf"), None),
        (float("nan"), None),
        (True, None),
        ("12.5", None),
    ],
)
def test_euros_are_read_exactly_or_refused(value: Any, expected: int | None) -> None:
    assert cents(value) == expected


def test_euros_are_written_the_french_way() -> None:
    assert euros(123456) == "1\u202f234,56"
    assert euros(-5) == "-0,05"
    assert euros(100000000, group=" ") == "1 000 000,00"


@pytest.mark.parametrize(
    ("declared", "raw", "logical"),
    [
        ({"unit": "euros"}, 1234.5, 123450),
        ({"unit": "euros"}, 12, 1200),
        ({"unit": "cents"}, 123450, 123450),
        ({"unit": "cents"}, 123450.0, 123450),
    ],
)
def test_amounts_in_euros_or_cents(declared: dict[str, Any], raw: Any, logical: int) -> None:
    codec = make_codec("amount", declared, {})
    assert codec.read(raw) == logical
    assert codec.read(codec.write(logical)) == logical


def test_an_amount_of_the_wrong_form_says_which_rule_it_breaks() -> None:
    euros_codec, cents_codec = make_codec("amount", {"unit": "euros"}, {}), make_codec("amount", {"unit": "cents"}, {})
    with pytest.raises(Unreadable) as third:
        euros_codec.read(10.001)
    assert third.value.rule == "amount-decimals"
    for codec, raw in ((euros_codec, "10"), (cents_codec, 10.5), (cents_codec, "10")):
        with pytest.raises(Unreadable) as wrong:
            codec.read(raw)
        assert wrong.value.rule == "line-format"
    assert euros_codec.with_third_decimal(1000) == 9.999 and cents_codec.with_third_decimal(1000) is None


@pytest.mark.parametrize(
    ("pattern", "raw", "day"),
    [
        ("iso", "2024-02-29", date(2024, 2, 29)),
        ("dd/mm/yyyy", "29/02/2024", date(2024, 2, 29)),
        ("%Y%m%d", "20240229", date(2024, 2, 29)),
    ],
)
def test_dates_in_any_declared_pattern(pattern: str, raw: str, day: date) -> None:
    codec = make_codec("date", {"format": pattern}, {})
    assert codec.read(raw) == day and codec.write(day) == raw
    assert codec.impossible(2024) != raw  # type: ignore[attr-defined]
    with pytest.raises(Unreadable):
        codec.read(codec.impossible(2024))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("pattern", "raw"), [("dd/mm/yyyy", "1/2/2024"), ("dd/mm/yyyy", "2024-02-01"), ("iso", "01/02/2024")]
)
def test_a_date_not_written_exactly_as_declared_is_unreadable(pattern: str, raw: str) -> None:
    with pytest.raises(Unreadable, match="attendu"):
        make_codec("date", {"format": pattern}, {}).read(raw)


def test_rates_in_percent_or_basis_points_and_enumerations() -> None:
    percent, points = make_codec("rate", {"unit": "percent"}, {}), make_codec("rate", {"unit": "basis-points"}, {})
    assert percent.read(5.5) == 5.5 and percent.write(20.0) == 20
    assert points.read(550) == 5.5 and points.write(20.0) == 2000
    mss = make_codec("enum", {"values": {"case_1": "Un", "case_2": "Deux"}}, {})
    assert mss.read("Deux") == "case_2" and mss.write("case_1") == "Un"
    with pytest.raises(Unreadable):
        mss.read("Trois")


@pytest.mark.parametrize(
    ("kind", "declared", "message"),
    [
        ("amount", {"unit": "francs"}, "'euros' or 'cents'"),
        ("rate", {"unit": "pour mille"}, "'percent' or 'basis-points'"),
        ("date", {"format": "%Y-%m"}, "needs %d, %m and %Y"),
        ("date", {"format": "jour/mois"}, "strftime pattern"),
        ("enum", {}, "needs 'values'"),
    ],
)
def test_an_unknown_representation_is_refused_with_the_choices(
    kind: str, declared: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_codec(kind, declared, {})
