"""A request of the file as the line controls read it, and the context they run in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from .context import History, beneficiary_keys
from .spec import FIELD_NAMES, Profile, Spec, resolve

_NOTHING: dict[str, Any] = {}  # what a request that is not an object gives: no field
_FIELDS = frozenset(FIELD_NAMES)


class Line:
    """One request: its raw object, its 0-based index, and its fields by logical name, as
    attributes (``line.siren``), read once when the line is made (:data:`FIELD_NAMES`).

    A field is None when it is absent or failed the schema (``bad``: the paths the schema
    found wrong), so that a control never reports again what the schema already did.
    """

    # the controls read a few dozen fields per request, 200 requests per file: slots are the
    # cheapest to fill and to read
    __slots__ = ("_pieces", "_spec", "beneficiaries", "index", "raw", *FIELD_NAMES)

    # the fields (FIELD_NAMES), set by the spec's compiled reader; values as in the JSON file
    referenceLigne: Any
    typeDemande: Any
    couloir: Any
    typeLogiciel: Any
    numeroAns: Any
    numeroBdc: Any
    dateBdc: Any
    montantSegurHt: Any
    finessJuridique: Any
    siren: Any
    finessGeographique: Any
    siret: Any
    categorieEsms: Any
    montantHt: Any
    tauxTva: Any
    montantTtc: Any
    montantDemande: Any
    piecesJointes: Any
    numeroDemandeAvance: Any
    dateVa: Any
    dateFacture: Any
    montantFacture: Any
    indicateurMss: Any
    adresseMss: Any

    def __init__(self, index: int, raw: Any, spec: Spec, bad: set[tuple[str, ...]] | None = None) -> None:
        self.index = index
        self.raw = raw
        spec.read_into(self, raw if isinstance(raw, dict) else _NOTHING)
        if bad:
            for name, path in spec.fields.items():
                if name in _FIELDS and any(path[: len(b)] == b or b[: len(path)] == path for b in bad):
                    setattr(self, name, None)
        self._spec = spec
        self._pieces: list[Piece] | None = None  # read on first use (a simulation needs their kinds only)
        self.beneficiaries = beneficiary_keys(self.finessGeographique, self.siret)

    @property
    def pieces(self) -> list[Piece]:
        """The attachments the request names: items with a text kind and a text file name."""
        if self._pieces is None:
            self._pieces = _pieces(self.piecesJointes, self._spec)
        return self._pieces

    def names_piece(self, nature: str) -> bool:
        """True when one of :attr:`pieces` is of kind ``nature``; on the usual flat items, found
        without making the pieces."""
        keys = self._spec.piece_keys
        if self._pieces is not None or keys is None or not isinstance(self.piecesJointes, list):
            return any(piece.nature == nature for piece in self.pieces)
        nature_key, file_key = keys
        for item in self.piecesJointes:
            if type(item) is dict and item.get(nature_key) == nature and type(item.get(file_key)) is str:
                return True
        return False

    def field(self, name: str) -> Any:
        """A field by its logical name (None for a name the controls do not read)."""
        return getattr(self, name) if name in _FIELDS else None

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


#: makes a Piece from a tuple without the Python-level ``Piece.__new__`` (one per request)
_new_piece = tuple.__new__


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
                    pieces.append(_new_piece(Piece, (index, nature, name)))
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
    #: False when the history said that nothing it stores matches the file's values
    stored_matches: bool = True

    @property
    def day(self) -> date:
        return self.at.astimezone(self.spec.timezone).date()

    def pointer(self, name: str) -> str:
        return "/" + "/".join(self.spec.fields.get(name, (name,)))
