"""Spec-agnostic helpers for tests: the spec's examples as logical values, files written back in
the spec's format, codes looked up by rule name. Tests written with these run on any spec folder
(the kit's model or ``SEGUR_SPEC``)."""

from __future__ import annotations

import copy
import re
import string
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


def other_profile(deposit_type: str = "avance") -> str:
    """A profile of ``deposit_type`` for another software type than :func:`first_profile`'s."""
    first = SPEC.profiles[first_profile(deposit_type)]
    return next(
        p.name
        for p in SPEC.profiles.values()
        if p.deposit_type == deposit_type and p.type_logiciel != first.type_logiciel
    )


def example_ans(profile: str | None = None) -> str:
    """The ANS number the example of ``profile`` (default: the first avance one) carries."""
    found: str = example_requests(profile)[0]["ans_number"]
    return found


def enrollable_ans(profile: str | None = None, serial: int = 1) -> str:
    """An ANS number of the référentiel's form for the software type of ``profile``, unknown to
    its list of solutions (one an editor enrols for): the example's number with its last digits
    replaced by ``serial``."""
    known = example_ans(profile)
    software = SPEC.profiles[profile or first_profile()].type_logiciel
    head = known.rstrip("0123456789")
    width = len(known) - len(head)
    assert width, f"the example's ANS number {known} does not end with digits"
    number = f"{head}{serial:0{width}d}"
    referencement = SPEC.referencement()
    assert number not in referencement["solutions"], number
    assert any(
        re.fullmatch(entry["pattern"], number) and entry["typeLogiciel"] == software
        for entry in referencement["patterns"]
    ), f"{number} matches no pattern of the référentiel for {software}"
    return number


def number_pattern(profile: str | None = None, year: int | None = None) -> str:
    """A regular expression of the ASP numbers the spec's numbering gives ``profile``."""
    chosen = SPEC.profiles[profile or first_profile()]
    parts = []
    for literal, name, _format, _conversion in string.Formatter().parse(SPEC.numbering):
        parts.append(re.escape(literal))
        if name == "code":
            parts.append(re.escape(chosen.code_numerotation))
        elif name == "annee":
            parts.append(str(year) if year is not None else r"\d{4}")
        elif name is not None:
            parts.append(r"\d+")
    return "".join(parts)


def cents_as_euros(cents: int) -> float:
    """An amount as the portal's JSON answers give it (euros, a number)."""
    return cents / 100


def workflow_label(kind: str, key: str) -> str:
    """The spec's label of an avenant's or an enrolment's status key (``kind``: avenant, enrolment)."""
    label: str = SPEC.workflow[kind]["statuts"][key]
    return label
