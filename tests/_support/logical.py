"""Spec-agnostic helpers for tests: the spec's examples as logical values, files written back in
the spec's format, codes looked up by rule name. Tests written with these run on any spec folder
(the kit's model or ``SEGUR_SPEC``)."""

from __future__ import annotations

import copy
from typing import Any

import orjson
from segur.mock_portal.controls.line import Line, read_values
from segur.mock_portal.controls.spec import resolve
from segur.mock_portal.controls.writer import complete, put, write_document, write_request

from tests._support.paths import SPEC, example


def code(rule: str) -> str:
    """The spec's code of ``rule`` (a test skips or fails clearly when the spec lacks it)."""
    found = SPEC.code_of(rule)
    assert found is not None, f"the spec {SPEC.label} binds no code to rule {rule}"
    return found


def first_profile(deposit_type: str = "avance") -> str:
    return next(p.name for p in SPEC.profiles.values() if p.deposit_type == deposit_type)


def example_document(profile: str | None = None) -> Any:
    return orjson.loads(example(profile or first_profile()).read_bytes())


def raw_requests(document: Any) -> list[Any]:
    found: list[Any] = resolve(document, SPEC.document["requests"].path)
    return found


def example_requests(profile: str | None = None) -> list[dict[str, Any]]:
    """The logical values of the example's requests (pieces as (role, name) pairs)."""
    out = []
    for raw in raw_requests(example_document(profile)):
        values = read_values(raw, SPEC)
        values["pieces"] = [(piece.role, piece.name) for piece in values.get("pieces") or []]
        out.append({key: value for key, value in values.items() if value is not None})
    return out


def document(requests: list[dict[str, Any]], profile: str | None = None) -> dict[str, Any]:
    """Logical requests written as a whole file of the spec."""
    written = write_document([write_request(values, SPEC) for values in requests], SPEC)
    complete(written, profile or first_profile(), SPEC)
    return written


def data(requests: list[dict[str, Any]], profile: str | None = None) -> bytes:
    return orjson.dumps(document(requests, profile))


def piece_names(doc: Any) -> list[str]:
    """The file names the requests of a written file reference, in order."""
    return [piece.name for index, raw in enumerate(raw_requests(doc)) for piece in Line(index, raw, SPEC).pieces]


def set_raw(doc: Any, line: int, field: str, value: Any) -> Any:
    """A copy of ``doc`` with ``value`` written as is where ``field`` sits in request ``line`` (0-based)."""
    changed = copy.deepcopy(doc)
    put(raw_requests(changed)[line], SPEC.fields[field].path, value)
    return changed


def codes_of(answer: Any) -> list[str]:
    """The codetraitement of each line of an answer (the accepted code when none)."""
    return [line.findings[0].code if line.findings else SPEC.accepted_code for line in answer.lines]
