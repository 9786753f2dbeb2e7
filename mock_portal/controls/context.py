"""The context a deposit is checked in, passed in by the caller (CLI, mock portal, suite).

The controls own no clock and no store: the deposit time, the depositor's enrolments and
a read-only view of the requests already stored all come from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from .depth import DEFAULT_MAX_DEPTH, too_deep

if TYPE_CHECKING:
    from .spec import Spec


@dataclass(frozen=True)
class Enrolment:
    """A validated enrolment of the depositor for one ANS-referenced solution."""

    numero_ans: str
    couloir: str
    type_logiciel: str


@dataclass(frozen=True)
class Deposit:
    """What the editor chose on the deposit screen, and when it pressed the button.

    ``enrolments`` None means: take the depositor as enrolled for ``numero_ans`` on the
    file's own profile (what ``segur check`` does when no enrolment is given).
    ``numero_ans`` None means: the ANS number the first request carries.
    ``at`` None means: the profile's default deposit time in the spec's calendar.
    ``type_demande`` is a key of the spec's ``depositTypes`` ("avance", "solde").
    ``corrected_at``: for a stored request sent back « À modifier » and corrected by its editor,
    the time of the correction (``at`` is then its deposit time): the rules judged at the
    correction time (the MSS indicator) use it; None for a deposit.
    """

    type_demande: str
    taux_tva: float
    at: datetime | None = None
    numero_ans: str | None = None
    enrolments: tuple[Enrolment, ...] | None = None
    corrected_at: datetime | None = None


@dataclass(frozen=True)
class StoredRequest:
    """A request already stored by the portal, as the controls need to see it."""

    numero_demande: str
    type_demande: str
    couloir: str
    type_logiciel: str
    statut: str
    reference_ligne: str | None = None
    numero_bdc: str | None = None
    finess_geographique: str | None = None
    siret: str | None = None
    numero_demande_avance: str | None = None
    avenants: tuple[str, ...] = ()
    own: bool = True
    #: the amount requested, in cents (None when not known): an avance's is the most its solde may report
    montant_demande: int | None = None

    @property
    def beneficiaries(self) -> tuple[str, ...]:
        return beneficiary_keys(self.finess_geographique, self.siret)

    def to_json(self) -> dict[str, Any]:
        """The request in the JSON form of the kit's history file (``schemas/history.schema.json``)."""
        document: dict[str, Any] = {}
        for key, attr in _HISTORY_KEYS.items():
            value = getattr(self, attr)
            if value is not None:
                document[key] = value
        document["avenants"] = list(self.avenants)
        if self.montant_demande is not None:
            document["montantDemande"] = self.montant_demande / 100
        if not self.own:
            document["autreEditeur"] = True
        return document


def beneficiary_keys(finess_geographique: Any, siret: Any) -> tuple[str, ...]:
    """The identifiers a beneficiary site is known by ("FINESS …", "SIRET …"): a financing
    counts against the site whichever of them two requests share."""
    # read for every line of every file: the four cases are spelled out rather than built up
    finess = isinstance(finess_geographique, str) and finess_geographique != ""
    if isinstance(siret, str) and siret:
        return (f"FINESS {finess_geographique}", f"SIRET {siret}") if finess else (f"SIRET {siret}",)
    return (f"FINESS {finess_geographique}",) if finess else ()


class History(Protocol):
    """Read-only view of what the portal already stores.

    Line references and order forms are the depositor's own and count only while the
    request is not rejected (a rejected request may be deposited again, corrected);
    financed beneficiaries are searched across every editor.

    A history backed by a store may also offer ``prepare(*, references, bdcs, beneficiaries,
    avances)``: the engine then calls it once per file with the values its lines carry, so
    that the lookups need not query one by one. It may return False to say that nothing
    stored matches any of those values (every lookup of them would find nothing): the
    controls then skip the lookups whose only outcome would be a violation for a match.
    """

    def by_reference(self, reference: str) -> StoredRequest | None: ...

    def by_bdc(self, numero_bdc: str, type_demande: str) -> StoredRequest | None: ...

    def financed(
        self, beneficiaries: tuple[str, ...], type_logiciel: str, statuses: frozenset[str]
    ) -> StoredRequest | None: ...

    def get(self, numero_demande: str) -> StoredRequest | None: ...

    def solde_of(self, numero_avance: str) -> StoredRequest | None: ...


class InMemoryHistory:
    """A :class:`History` over a list of stored requests (tests, ``segur check --history``)."""

    def __init__(self, requests: Iterable[StoredRequest] = (), *, rejected_status: str | None = None) -> None:
        """``rejected_status``: the spec's label of a rejected request (its key ``rejetee``),
        whose reference and order form may be deposited again."""
        self.requests = tuple(requests)
        own = [r for r in self.requests if r.own]
        live = [r for r in own if r.statut != rejected_status]  # a rejected request may be deposited again
        self._by_number = {r.numero_demande: r for r in own}
        self._by_reference = {r.reference_ligne: r for r in live if r.reference_ligne}
        self._by_bdc = {(r.numero_bdc, r.type_demande): r for r in live if r.numero_bdc}
        self._soldes = {r.numero_demande_avance: r for r in live if r.numero_demande_avance}
        self._by_beneficiary: dict[tuple[str, str], list[StoredRequest]] = {}
        for r in self.requests:
            for key in r.beneficiaries:
                self._by_beneficiary.setdefault((key, r.type_logiciel), []).append(r)

    def by_reference(self, reference: str) -> StoredRequest | None:
        return self._by_reference.get(reference)

    def by_bdc(self, numero_bdc: str, type_demande: str) -> StoredRequest | None:
        return self._by_bdc.get((numero_bdc, type_demande))

    def financed(
        self, beneficiaries: tuple[str, ...], type_logiciel: str, statuses: frozenset[str]
    ) -> StoredRequest | None:
        for key in beneficiaries:
            for r in self._by_beneficiary.get((key, type_logiciel), ()):
                if r.statut in statuses:
                    return r
        return None

    def get(self, numero_demande: str) -> StoredRequest | None:
        return self._by_number.get(numero_demande)

    def solde_of(self, numero_avance: str) -> StoredRequest | None:
        return self._soldes.get(numero_avance)


EMPTY_HISTORY = InMemoryHistory()


_HISTORY_KEYS = {
    "numeroDemande": "numero_demande",
    "typeDemande": "type_demande",
    "couloir": "couloir",
    "typeLogiciel": "type_logiciel",
    "statut": "statut",
    "referenceLigne": "reference_ligne",
    "numeroBdc": "numero_bdc",
    "finessGeographique": "finess_geographique",
    "siret": "siret",
    "numeroDemandeAvance": "numero_demande_avance",
}


#: the key of the kit's history file that lists the stored requests
HISTORY_LIST = "demandes"


def history_document(entries: Iterable[Any]) -> dict[str, Any]:
    """The kit's history file from its entries (each the JSON of a stored request)."""
    return {HISTORY_LIST: list(entries)}


def history_from_json(document: Any, spec: Spec | None = None) -> InMemoryHistory:
    """An :class:`InMemoryHistory` from the JSON form (``schemas/history.schema.json``),
    already validated by the caller; ``spec`` says which status is a rejection."""
    from .money import cents

    requests = []
    for item in document.get(HISTORY_LIST, []):
        values = {attr: item[key] for key, attr in _HISTORY_KEYS.items() if key in item}
        amount = None
        if "montantDemande" in item:
            amount = cents(item["montantDemande"])
            if amount is None:
                raise HistoryFileError(
                    f"request {item.get('numeroDemande')}: montantDemande {item['montantDemande']!r} is not an amount "
                    "in euros with two decimals at most"
                )
        requests.append(
            StoredRequest(
                **values,
                avenants=tuple(item.get("avenants", ())),
                own=not item.get("autreEditeur", False),
                montant_demande=amount,
            )
        )
    return InMemoryHistory(requests, rejected_status=spec.statuts.get("rejetee") if spec is not None else None)


class HistoryFileError(ValueError):
    """A history file that is not JSON or not of the history schema."""


def read_history(data: bytes, spec: Spec, source: str) -> InMemoryHistory:
    """Read and validate a history file; errors name ``source`` and the field at fault."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise HistoryFileError(f"{source}: not valid JSON ({exc})") from None
    maximum = spec.limits.get("maxProfondeur", DEFAULT_MAX_DEPTH)
    if too_deep(document, maximum) is not None:
        raise HistoryFileError(f"{source}: nested deeper than {maximum} levels of lists and objects")
    if spec.history_validator is not None:
        for error in spec.history_validator.iter_errors(document):
            where = "".join(f"/{p}" for p in error.instance_path) or "/"
            raise HistoryFileError(
                f"{source}: {where}: {error.message} (expected the form of {spec.root}/schemas/history.schema.json)"
            )
    try:
        return history_from_json(document, spec)
    except HistoryFileError as exc:
        raise HistoryFileError(f"{source}: {exc}") from None
