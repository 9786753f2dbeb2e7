"""A request of the file as the line controls read it, and the context they run in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from .context import History, beneficiary_keys
from .spec import FIELD_NAMES, Profile, Spec, resolve


class Line:
    """One request: its raw object, its 0-based index, and its fields by logical name.

    ``f[name]`` is None when the field is absent or failed the schema, so that a control
    never reports again what the schema already did.
    """

    __slots__ = ("beneficiaries", "f", "index", "pieces", "raw")

    def __init__(
        self,
        index: int,
        raw: dict[str, Any],
        spec: Spec,
        bad: set[tuple[str, ...]] | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        self.index = index
        self.raw = raw
        if fields is None:
            fields = spec.extract(raw) if isinstance(raw, dict) else dict.fromkeys(FIELD_NAMES)
        elif bad:
            fields = dict(fields)
        if bad:
            for name, path in spec.fields.items():
                if any(path[: len(b)] == b or b[: len(path)] == path for b in bad):
                    fields[name] = None
        self.f = fields
        self.pieces = _pieces(fields["piecesJointes"], spec)
        self.beneficiaries = beneficiary_keys(fields["finessGeographique"], fields["siret"])

    def present(self, name: str, spec: Spec) -> bool:
        """True when the field is in the request, even if it failed the schema."""
        value: Any = self.raw
        for key in spec.fields.get(name, ()):
            if not isinstance(value, dict) or key not in value:
                return False
            value = value[key]
        return True

    @property
    def number(self) -> int:
        """The line number the portal prints (1-based)."""
        return self.index + 1


class Piece(NamedTuple):
    """An attachment a request refers to: its place in the list, its kind, its file name."""

    position: int
    nature: str
    name: str


def _pieces(value: Any, spec: Spec) -> list[Piece]:
    if not isinstance(value, list):
        return []
    pieces = []
    keys = spec.piece_keys
    if keys is not None:  # the usual flat item: two lookups
        nature_key, file_key = keys
        for index, item in enumerate(value):
            if type(item) is dict:
                nature, name = item.get(nature_key), item.get(file_key)
                if type(nature) is str and type(name) is str:
                    pieces.append(Piece(index, nature, name))
        return pieces
    nature_path = spec.piece_fields.get("nature", ("nature",))
    file_path = spec.piece_fields.get("nomFichier", ("nomFichier",))
    for index, item in enumerate(value):
        nature, name = resolve(item, nature_path), resolve(item, file_path)
        if isinstance(nature, str) and isinstance(name, str):
            pieces.append(Piece(index, nature, name))
    return pieces


@dataclass(frozen=True)
class CheckContext:
    """What the line controls may consult: the spec, the deposit and the stored requests."""

    spec: Spec
    profile: Profile
    at: datetime
    taux_tva: float
    numero_ans: str
    history: History

    @property
    def day(self) -> date:
        return self.at.astimezone(self.spec.timezone).date()

    def pointer(self, name: str) -> str:
        return "/" + "/".join(self.spec.fields.get(name, (name,)))
