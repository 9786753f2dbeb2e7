"""The registry of controls, keyed by the rule names the catalogue binds to codes.

A control is a plain function over all the lines of a file that yields
:class:`~segur.mock_portal.controls.violation.Violation`; it declares the rules it may raise.
Only rules bound to a code in the spec's catalogue are run and reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .line import CheckContext, Line
    from .violation import Violation

LineControl = Callable[["Sequence[Line]", "CheckContext"], "Iterator[Violation]"]


@dataclass(frozen=True)
class Registered:
    function: LineControl
    rules: tuple[str, ...]


LINE_CONTROLS: list[Registered] = []
#: rules raised by the engine itself (file stage, schema mapping, attachments)
ENGINE_RULES: set[str] = set()


def line_control(*rules: str) -> Callable[[LineControl], LineControl]:
    """Register a line control that may raise ``rules``; the order of registration is kept."""

    def register(function: LineControl) -> LineControl:
        LINE_CONTROLS.append(Registered(function, rules))
        return function

    return register


#: the rules of the zip and its pieces (controls/attachments.py): named here, so that knowing them
#: (a spec's check at load) does not import the zip's controls, which a JSON-only check never uses
ATTACHMENT_RULES = (
    "attachment-budget",
    "attachment-missing",
    "attachment-too-large",
    "attachment-unreadable",
    "zip-too-large",
    "zip-unreadable",
    "zip-unsafe-name",
    "zip-bomb",
    "zip-absent",
    "zip-duplicate-name",
)


def engine_rules(*rules: str) -> None:
    ENGINE_RULES.update(rules)


def known_rules() -> frozenset[str]:
    """Every rule the controls can raise."""
    from . import file_rules, history_rules, line_rules, schema_rules  # noqa: F401

    return frozenset(ENGINE_RULES).union(ATTACHMENT_RULES, *(r.rules for r in LINE_CONTROLS))
