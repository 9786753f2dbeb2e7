"""The controls' read-only view of stored requests, for one depositor
(``segur.mock_portal.controls.History``), over the store's lookups.

:meth:`StoredHistory.prepare` fetches, in a few indexed queries, every stored request the
file's lines can match; the lookups then read from memory. A value it did not prepare is queried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from segur.mock_portal.controls import StoredRequest

from .store import Row, Store

#: which lookups are among the depositor's own requests (the beneficiary ones are among all)
_MINE = {
    "reference_ligne": True,
    "numero_bdc": True,
    "finess_geographique": False,
    "siret": False,
    "numero_avance": True,
    "numero": True,
}


class StoredHistory:
    def __init__(self, store: Store, editor_id: int, rejected_label: str) -> None:
        self.store = store
        self.editor_id = editor_id
        self.rejected = rejected_label
        # what prepare covered (a value outside these sets is queried) and the rows it found,
        # by value, in the order of their numbers; empty until prepare is called
        self._references: set[str] = set()
        self._bdcs: set[str] = set()
        self._sites: set[str] = set()  # beneficiary keys, "FINESS …" / "SIRET …"
        self._avances: set[str] = set()
        self._by_reference: dict[str, list[Row]] = {}
        self._by_bdc: dict[str, list[Row]] = {}
        self._by_site: dict[str, list[Row]] = {}
        self._by_avance: dict[str, list[Row]] = {}
        self._rows: dict[str, Row] = {}

    def prepare(self, *, references: set[str], bdcs: set[str], beneficiaries: set[str], avances: set[str]) -> bool:
        """Load at once what the lines of one file can match (called by the controls' engine,
        which hands over its sets: they are kept, not copied). False when nothing stored
        matches any of the values."""
        finess: set[str] = set()
        sirets: set[str] = set()
        self._sites = set()
        for key in beneficiaries:
            kind, _, value = key.partition(" ")
            if kind in ("FINESS", "SIRET"):
                (finess if kind == "FINESS" else sirets).add(value)
                self._sites.add(key)
        found = self.store.requests_matching_any(
            {
                "reference_ligne": references,
                "numero_bdc": bdcs,
                "finess_geographique": finess,
                "siret": sirets,
                "numero_avance": avances,
                "numero": avances,
            },
            editor_id=self.editor_id,
            mine=_MINE,
        )
        self._by_reference = _by_value(found["reference_ligne"], "reference_ligne")
        self._by_bdc = _by_value(found["numero_bdc"], "numero_bdc")
        self._by_site = _by_value(found["finess_geographique"], "finess_geographique", "FINESS ")
        self._by_site.update(_by_value(found["siret"], "siret", "SIRET "))
        self._by_avance = _by_value(found["numero_avance"], "numero_avance")
        self._rows = {row["numero"]: row for row in found["numero"]}
        self._references, self._bdcs, self._avances = references, bdcs, avances
        return bool(self._by_reference or self._by_bdc or self._by_site or self._by_avance or self._rows)

    def _first(self, rows: list[Row], keep: Callable[[Row], bool]) -> StoredRequest | None:
        for row in rows:
            if keep(row):
                return self._stored(row)
        return None

    def _one(self, editor_id: int | None, **conditions: Any) -> StoredRequest | None:
        row = self.store.request_matching(editor_id, **conditions)
        return self._stored(row) if row is not None else None

    def _live(self, row: Row) -> bool:
        return bool(row["editor_id"] == self.editor_id and row["statut"] != self.rejected)

    def _stored(self, row: Row) -> StoredRequest:
        return StoredRequest(
            numero_demande=row["numero"],
            type_demande=row["type_demande"],
            couloir=row["couloir"],
            type_logiciel=row["type_logiciel"],
            statut=row["statut"],
            reference_ligne=row["reference_ligne"],
            numero_bdc=row["numero_bdc"],
            finess_geographique=row["finess_geographique"],
            siret=row["siret"],
            numero_demande_avance=row["numero_avance"],
            avenants=self.store.avenant_statuses(row["numero"]),
            own=row["editor_id"] == self.editor_id,
            montant_demande=row["montant_cents"],
        )

    def by_reference(self, reference: str) -> StoredRequest | None:
        if reference in self._references:  # prepared: most values match nothing stored
            rows = self._by_reference.get(reference)
            return self._first(rows, self._live) if rows else None
        return self._one(self.editor_id, reference_ligne=reference, statut__ne=self.rejected)

    def by_bdc(self, numero_bdc: str, type_demande: str) -> StoredRequest | None:
        if numero_bdc in self._bdcs:
            rows = self._by_bdc.get(numero_bdc)
            return self._first(rows, lambda r: self._live(r) and r["type_demande"] == type_demande) if rows else None
        return self._one(self.editor_id, numero_bdc=numero_bdc, type_demande=type_demande, statut__ne=self.rejected)

    def financed(
        self, beneficiaries: tuple[str, ...], type_logiciel: str, statuses: frozenset[str]
    ) -> StoredRequest | None:
        for key in beneficiaries:
            if key in self._sites:
                rows = self._by_site.get(key)
                if rows:
                    found = self._first(rows, lambda r: r["type_logiciel"] == type_logiciel and r["statut"] in statuses)
                    if found is not None:
                        return found
                continue
            kind, _, value = key.partition(" ")
            column = "finess_geographique" if kind == "FINESS" else "siret"
            conditions = {column: value, "type_logiciel": type_logiciel, "statut__in": statuses}
            found = self._one(None, **conditions)
            if found is not None:
                return found
        return None

    def get(self, numero_demande: str) -> StoredRequest | None:
        if numero_demande in self._avances:
            row = self._rows.get(numero_demande)
            return self._stored(row) if row is not None and row["editor_id"] == self.editor_id else None
        return self._one(self.editor_id, numero=numero_demande)

    def solde_of(self, numero_avance: str) -> StoredRequest | None:
        if numero_avance in self._avances:
            rows = self._by_avance.get(numero_avance)
            return self._first(rows, self._live) if rows else None
        return self._one(self.editor_id, numero_avance=numero_avance, statut__ne=self.rejected)


class Excluding:
    """A history that does not see one request (a modified request is not its own duplicate)."""

    def __init__(self, inner: StoredHistory, numero: str) -> None:
        self.inner = inner
        self.numero = numero

    def _keep(self, found: Any) -> Any:
        return None if found is not None and found.numero_demande == self.numero else found

    def by_reference(self, reference: str) -> Any:
        return self._keep(self.inner.by_reference(reference))

    def by_bdc(self, numero_bdc: str, type_demande: str) -> Any:
        return self._keep(self.inner.by_bdc(numero_bdc, type_demande))

    def financed(self, beneficiaries: tuple[str, ...], type_logiciel: str, statuses: frozenset[str]) -> Any:
        return self._keep(self.inner.financed(beneficiaries, type_logiciel, statuses))

    def get(self, numero_demande: str) -> Any:
        return self.inner.get(numero_demande)

    def solde_of(self, numero_avance: str) -> Any:
        return self._keep(self.inner.solde_of(numero_avance))


def _by_value(rows: list[Row], column: str, prefix: str = "") -> dict[str, list[Row]]:
    """Rows by their value in ``column`` (prefixed), each list in the order of the request numbers."""
    found: dict[str, list[Row]] = {}
    for row in sorted(rows, key=lambda r: r["numero"]):
        found.setdefault(prefix + row[column], []).append(row)
    return found
