"""A request of the file as the line controls read it, and the context they run in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .context import History, beneficiary_keys
from .fields import FIELDS, PieceValue, Unreadable
from .spec import PIECES_SLOT, Profile, Spec, resolve

#: the logical fields a line holds as attributes (``line.amount_ht``), every kind but the pieces
FIELD_NAMES = tuple(name for name, found in FIELDS.items() if found.kind != "pieces")
_FIELDS = frozenset(FIELD_NAMES)


class Line:
    """One request: its raw object, its 0-based index, and its logical fields as attributes
    (``line.site_siret``, ``line.amount_ht`` in cents, ``line.bdc_date`` a date), read and
    converted once when the line is made (:mod:`~segur.mock_portal.controls.fields`).

    A field is None when it is absent, when its value could not be read (then ``invalid``
    holds why, by field) or when it failed the schema (``bad``: the paths the schema found
    wrong), so that a control never reports again what the schema already did.
    """

    # the controls read a few dozen fields per request, 200 requests per file: slots are the
    # cheapest to fill and to read
    __slots__ = ("_pieces", "_spec", "beneficiaries", "index", "invalid", "raw", PIECES_SLOT, *FIELD_NAMES)

    line_reference: Any
    request_type: Any
    corridor: Any
    software_type: Any
    ans_number: Any
    software_name: Any
    software_version: Any
    bdc_number: Any
    bdc_date: date | None
    bdc_segur_amount: int | None
    manager_finess: Any
    manager_name: Any
    manager_siren: Any
    site_finess: Any
    site_siret: Any
    site_name: Any
    site_category: Any
    site_street_number: Any
    site_street_type: Any
    site_street_name: Any
    site_postcode: Any
    site_city: Any
    site_address_extra: Any
    amount_ht: int | None
    vat_rate: float | None
    amount_ttc: int | None
    amount_requested: int | None
    avance_number: Any
    va_date: date | None
    invoice_number: Any
    invoice_date: date | None
    invoice_amount: int | None
    mss_indicator: str | None
    mss_address: Any
    #: the logical fields whose value is in the file but could not be read, with why
    invalid: dict[str, Unreadable] | None

    def __init__(self, index: int, raw: Any, spec: Spec, bad: set[tuple[str, ...]] | None = None) -> None:
        self.index = index
        self.raw = raw
        spec.read_into(self, raw)
        if bad:
            for name, definition in spec.fields.items():
                path = definition.path
                if any(path[: len(b)] == b or b[: len(path)] == path for b in bad):
                    setattr(self, PIECES_SLOT if definition.kind == "pieces" else name, None)
                    if self.invalid is not None:
                        self.invalid.pop(name, None)
        self._spec = spec
        self._pieces: list[PieceValue] | None = None  # read on first use (a simulation needs their roles only)
        self.beneficiaries = beneficiary_keys(self.site_finess, self.site_siret)

    @property
    def pieces_given(self) -> bool:
        """True when the request has a list of attachments (one that passed the schema)."""
        return isinstance(getattr(self, PIECES_SLOT), list)

    @property
    def pieces(self) -> list[PieceValue]:
        """The attachments the request names: items with a text role word and a text file name."""
        if self._pieces is None:
            self._pieces = _pieces(getattr(self, PIECES_SLOT), self._spec)
        return self._pieces

    def names_role(self, role: str) -> bool:
        """True when one of :attr:`pieces` has the role ``role``; on the usual flat items, found
        without making the pieces."""
        spec = self._spec
        items = getattr(self, PIECES_SLOT)
        keys = spec.pieces.flat
        if self._pieces is not None or keys is None or not isinstance(items, list):
            return any(piece.role == role for piece in self.pieces)
        word = spec.pieces.roles.get(role)
        role_key, file_key = keys
        for item in items:
            if type(item) is dict and item.get(role_key) == word and type(item.get(file_key)) is str:
                return True
        return False

    def field(self, name: str) -> Any:
        """A logical field by name (None for a name the line does not hold)."""
        if name == "pieces":
            return self.pieces
        return getattr(self, name) if name in _FIELDS else None

    def values(self) -> dict[str, Any]:
        """Every logical field the spec maps, with its logical value (None when absent or unreadable)."""
        return {name: self.field(name) for name in self._spec.fields}

    def present(self, name: str, spec: Spec) -> bool:
        """True when the field is in the request, even if it failed the schema."""
        value: Any = self.raw
        definition = spec.fields.get(name)
        if definition is None:
            return False
        for key in definition.path:
            if not isinstance(value, dict) or key not in value:
                return False
            value = value[key]
        return True

    @property
    def number(self) -> int:
        """The line number the portal prints (1-based)."""
        return self.index + 1


def read_values(raw: Any, spec: Spec) -> dict[str, Any]:
    """The logical values of one request (a dict in the spec's format)."""
    return Line(0, raw, spec).values()


#: makes a PieceValue from a tuple without the Python-level ``PieceValue.__new__`` (one per request)
_new_piece = tuple.__new__


def _pieces(value: Any, spec: Spec) -> list[PieceValue]:
    if not isinstance(value, list):
        return []
    pieces = []
    words = spec.pieces.words
    keys = spec.pieces.flat
    if keys is not None:  # the usual flat item: two lookups
        role_key, file_key = keys
        for index, item in enumerate(value):
            if type(item) is dict:
                word, name = item.get(role_key), item.get(file_key)
                if type(word) is str and type(name) is str:
                    pieces.append(_new_piece(PieceValue, (index, words.get(word), name, word)))
        return pieces
    for index, item in enumerate(value):
        word, name = resolve(item, spec.pieces.role_path), resolve(item, spec.pieces.file_path)
        if isinstance(word, str) and isinstance(name, str):
            pieces.append(PieceValue(index, words.get(word), name, word))
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
    #: False when the history said that nothing it stores matches the file's values
    stored_matches: bool = True
    #: the time a stored request is corrected (``Deposit.corrected_at``), None for a deposit
    corrected_at: datetime | None = None

    @property
    def day(self) -> date:
        return self.at.astimezone(self.spec.timezone).date()

    def pointer(self, name: str) -> str:
        return self.spec.pointer(name)
