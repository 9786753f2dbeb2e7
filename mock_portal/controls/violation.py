"""What a control yields: a rule broken at a place, with the values that explain it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule broken on a line (``line`` is its 0-based index) or on the file (``line`` None).

    ``pointer`` is a JSON Pointer to the field, relative to the request for a line, to the
    document for the file. The code and label come from the catalogue, never from here.
    """

    rule: str
    pointer: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A violation resolved against the catalogue: what the portal prints."""

    code: str
    level: str
    label: str
    pointer: str
    params: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "libelle": self.label, "champ": self.pointer}
