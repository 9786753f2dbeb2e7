"""A request as the line controls read it: every logical field, read once, whatever the spec's pointers."""

from __future__ import annotations

import typing
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from segur.mock_portal.controls.line import Line
from segur.mock_portal.controls.spec import FIELD_NAMES, compile_extractor, compile_reader

from tests._support.paths import SPEC, example


def test_a_line_declares_every_logical_field() -> None:
    """The spec's reader sets the FIELD_NAMES attributes of a line: each is declared (typed, slot)."""
    hints = [name for name in typing.get_type_hints(Line) if name in FIELD_NAMES]
    assert hints == list(FIELD_NAMES), f"Expected: {list(FIELD_NAMES)}. Received: {hints}"
    assert set(FIELD_NAMES) <= set(Line.__slots__)


@pytest.mark.parametrize("name", ["ms1-avance", "ms2-avance", "ms1-solde"])
def test_a_line_reads_what_the_extractor_reads(name: str) -> None:
    """Each field of each example request, read through the Line, equals the extractor's."""
    for index, raw in enumerate(orjson.loads(example(name).read_bytes())["demandes"]):
        line = Line(index, raw, SPEC)
        expected = SPEC.extract(raw)
        received = {field: line.field(field) for field in FIELD_NAMES}
        assert received == {field: expected[field] for field in FIELD_NAMES}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, {"a": None, "b": None, "c": None, "d": None}),
        ({"x": 5, "top": "t"}, {"a": 5, "b": None, "c": None, "d": "t"}),
        ({"x": {"y": [1], "z": {"w": 2}}}, {"a": {"y": [1], "z": {"w": 2}}, "b": [1], "c": 2, "d": None}),
        (
            {"x": {"y": None, "z": "not an object"}},
            {"a": {"y": None, "z": "not an object"}, "b": None, "c": None, "d": None},
        ),
        ({"x": {"z": {}}}, {"a": {"z": {}}, "b": None, "c": None, "d": None}),
    ],
)
def test_the_compiled_readers_follow_any_pointers(raw: dict[str, Any], expected: dict[str, Any]) -> None:
    """An absent or non-object step reads as None; a field may also be the object holding others."""
    fields = {"a": ("x",), "b": ("x", "y"), "c": ("x", "z", "w"), "d": ("top",)}
    extracted = compile_extractor(fields)(raw)
    assert {name: extracted[name] for name in fields} == expected
    assert all(extracted[name] is None for name in FIELD_NAMES)  # the spec maps none of them
    target = SimpleNamespace()
    compile_reader(fields)(target, raw)
    assert vars(target) == dict.fromkeys(FIELD_NAMES)  # only FIELD_NAMES are set, here to None


def test_the_line_reader_follows_the_specs_pointers() -> None:
    fields = {"siren": ("a", "b", "siren"), "siret": ("a", "siret"), "referenceLigne": ("ref",), "other": ("a",)}
    target = SimpleNamespace()
    compile_reader(fields)(target, {"a": {"b": {"siren": "1"}, "siret": "2"}, "ref": "R"})
    assert (target.siren, target.siret, target.referenceLigne) == ("1", "2", "R")
    assert not hasattr(target, "other") and target.montantHt is None
    compile_reader(fields)(target, {"a": {"b": 3}})
    assert (target.siren, target.siret, target.referenceLigne) == (None, None, None)


def test_a_request_that_is_not_an_object_has_no_field() -> None:
    line = Line(0, ["not", "an", "object"], SPEC)
    assert all(line.field(name) is None for name in FIELD_NAMES)
    assert (line.pieces, line.beneficiaries) == ([], ())


def test_fields_the_schema_found_wrong_read_as_none() -> None:
    raw = orjson.loads(example("ms1-avance").read_bytes())["demandes"][0]
    line = Line(0, raw, SPEC, bad={("montants",), ("etablissement", "siret")})
    assert (line.montantHt, line.montantTtc, line.tauxTva, line.montantDemande) == (None, None, None, None)
    assert line.siret is None and line.finessGeographique == raw["etablissement"]["finessGeographique"]
    assert line.present("montantHt", SPEC)


@pytest.mark.parametrize(
    ("items", "named"),
    [
        ([{"nature": "BDC", "nomFichier": "a.pdf"}], {"BDC"}),
        ([{"nature": "BDC"}, {"nature": "VA", "nomFichier": "v.pdf"}], {"VA"}),  # no file name: no piece
        ([{"nature": 3, "nomFichier": "a.pdf"}, "BDC", None], set()),
        ("not a list", set()),
        ([], set()),
    ],
)
def test_a_line_names_the_kinds_its_pieces_list(items: Any, named: set[str]) -> None:
    """names_piece answers, without making the pieces, what the pieces say."""
    raw = orjson.loads(example("ms1-avance").read_bytes())["demandes"][0]
    raw["piecesJointes"] = items
    for nature in ("BDC", "VA", "FACTURE"):
        assert Line(0, raw, SPEC).names_piece(nature) is (nature in named)
        line = Line(0, raw, SPEC)
        assert {piece.nature for piece in line.pieces} == named and line.names_piece(nature) is (nature in named)
