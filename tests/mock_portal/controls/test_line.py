"""A request as the line controls read it: every logical field, read and converted once, whatever
the spec's pointers and representations."""

from __future__ import annotations

import typing
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from segur.mock_portal.controls.fields import FIELDS, FieldDef, make_codec
from segur.mock_portal.controls.line import FIELD_NAMES, Line
from segur.mock_portal.controls.spec import PIECES_SLOT, compile_reader, make_pointer, resolve

from tests._support.paths import SPEC, examples_of


def test_a_line_declares_every_logical_field() -> None:
    """The spec's reader sets the FIELD_NAMES attributes of a line: each is declared (typed, slot)."""
    hints = [name for name in typing.get_type_hints(Line) if name in FIELD_NAMES]
    assert hints == list(FIELD_NAMES), f"Expected: {list(FIELD_NAMES)}. Received: {hints}"
    assert set(FIELD_NAMES) <= set(Line.__slots__)


@pytest.mark.parametrize("name", sorted(p for p in SPEC.profiles if examples_of(p)))
def test_a_line_reads_each_field_where_the_spec_puts_it(name: str) -> None:
    """Each mapped field of each example request, read through the Line, is its codec's reading
    of the value at the field's pointer."""
    requests = [raw for bundle in examples_of(name) for raw in resolve(bundle, SPEC.document["requests"].path)]
    assert requests, f"the spec {SPEC.label} has no example of {name}"
    for index, raw in enumerate(requests):
        line = Line(index, raw, SPEC)
        assert line.invalid is None, line.invalid
        for field, definition in SPEC.fields.items():
            if definition.kind == "pieces":
                continue
            found = resolve(raw, definition.path)
            assert line.field(field) == (None if found is None else definition.codec.read(found)), field


def _defs(paths: dict[str, tuple[str, ...]], kinds: dict[str, str] | None = None) -> dict[str, FieldDef]:
    kinds = kinds or {}
    return {
        name: FieldDef(
            name, kinds.get(name, "text"), path, make_pointer(path), make_codec(kinds.get(name, "text"), {}, {})
        )
        for name, path in paths.items()
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, {"line_reference": None, "bdc_number": None, "site_siret": None, "corridor": None}),
        ({"x": 5, "top": "t"}, {"line_reference": 5, "bdc_number": None, "site_siret": None, "corridor": "t"}),
        (
            {"x": {"y": [1], "z": {"w": 2}}},
            {"line_reference": {"y": [1], "z": {"w": 2}}, "bdc_number": [1], "site_siret": 2, "corridor": None},
        ),
        (
            {"x": {"y": None, "z": "not an object"}},
            {
                "line_reference": {"y": None, "z": "not an object"},
                "bdc_number": None,
                "site_siret": None,
                "corridor": None,
            },
        ),
        ("not an object", {"line_reference": None, "bdc_number": None, "site_siret": None, "corridor": None}),
    ],
)
def test_the_compiled_reader_follows_any_pointers(raw: Any, expected: dict[str, Any]) -> None:
    """An absent or non-object step reads as None; a field may also be the object holding others;
    the fields a spec does not map are set to None."""
    fields = _defs(
        {"line_reference": ("x",), "bdc_number": ("x", "y"), "site_siret": ("x", "z", "w"), "corridor": ("top",)}
    )
    target = SimpleNamespace()
    compile_reader(fields)(target, raw)
    assert {name: getattr(target, name) for name in fields} == expected
    others = {name for name in FIELDS if name not in fields and FIELDS[name].kind != "pieces"}
    assert all(getattr(target, name) is None for name in others)
    assert getattr(target, PIECES_SLOT) is None and target.invalid is None


def test_the_compiled_reader_converts_and_records_what_it_cannot_read() -> None:
    fields = _defs(
        {"amount_ht": ("m", "ht"), "bdc_date": ("d",), "vat_rate": ("r",)},
        {"amount_ht": "amount", "bdc_date": "date", "vat_rate": "rate"},
    )
    target = SimpleNamespace()
    compile_reader(fields)(target, {"m": {"ht": 1234.5}, "d": "2024-02-29", "r": 5.5})
    assert (target.amount_ht, target.bdc_date.isoformat(), target.vat_rate) == (123450, "2024-02-29", 5.5)
    assert target.invalid is None
    compile_reader(fields)(target, {"m": {"ht": 1000.3000000000001}, "d": "2023-02-29", "r": "20"})
    assert (target.amount_ht, target.bdc_date, target.vat_rate) == (None, None, None)
    assert {name: error.rule for name, error in target.invalid.items()} == {
        "amount_ht": "amount-decimals",
        "bdc_date": "line-format",
        "vat_rate": "line-format",
    }


def test_a_request_that_is_not_an_object_has_no_field() -> None:
    line = Line(0, ["not", "an", "object"], SPEC)
    assert all(line.field(name) is None for name in FIELD_NAMES)
    assert (line.pieces, line.beneficiaries, line.pieces_given) == ([], (), False)


def test_fields_the_schema_found_wrong_read_as_none() -> None:
    """Every field under a path the schema found wrong reads None, yet is still present."""
    raw = resolve(examples_of(next(iter(SPEC.profiles)))[0], SPEC.document["requests"].path)[0]
    amounts = [name for name, d in SPEC.fields.items() if d.kind == "amount"]
    spoiled = SPEC.fields[amounts[0]].path
    line = Line(0, raw, SPEC, bad={spoiled})
    assert line.field(amounts[0]) is None
    assert line.present(amounts[0], SPEC)
    untouched = [name for name, d in SPEC.fields.items() if d.path[: len(spoiled)] != spoiled and d.kind == "text"]
    assert any(line.field(name) is not None for name in untouched)


def test_a_line_names_the_roles_its_pieces_list() -> None:
    """names_role answers, without making the pieces, what the pieces say."""
    pieces = SPEC.pieces
    raw = resolve(examples_of(next(iter(SPEC.profiles)))[0], SPEC.document["requests"].path)[0]
    raw = orjson.loads(orjson.dumps(raw))

    def item(role: str | None, name: str | None) -> dict[str, Any]:
        built: dict[str, Any] = {}
        for path, value in (
            (pieces.role_path, pieces.roles.get(role, role) if role else None),
            (pieces.file_path, name),
        ):
            if value is None:
                continue
            target = built
            for key in path[:-1]:
                target = target.setdefault(key, {})
            target[path[-1]] = value
        return built

    roles = list(pieces.roles)
    cases: list[tuple[Any, set[str]]] = [
        ([item(roles[0], "a.pdf")], {roles[0]}),
        ([item(roles[0], None), item(roles[1], "v.pdf")], {roles[1]}),  # no file name: no piece
        ([item(None, "a.pdf"), "not an item", None], set()),
        ("not a list", set()),
        ([], set()),
    ]
    holder = raw
    for key in pieces.path[:-1]:
        holder = holder[key]
    for items, named in cases:
        holder[pieces.path[-1]] = items
        for role in roles:
            assert Line(0, raw, SPEC).names_role(role) is (role in named)
            line = Line(0, raw, SPEC)
            assert {piece.role for piece in line.pieces} == named and line.names_role(role) is (role in named)
