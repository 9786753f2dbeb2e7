"""The SQLite view of stored requests answers as the in-memory one, prepared or not, and
uses its indexes (a simulate must not scan every stored request)."""

from __future__ import annotations

from pathlib import Path

import pytest
from segur.mock_portal.controls import InMemoryHistory, StoredRequest
from segur.mock_portal.store import SqliteHistory, Store, connect, initialise, select_sql

PAID, REJECTED = "Décidée et payée", "Rejetée"
FINANCED = frozenset({"Validée", "Décidée", PAID})

ROWS = [
    # (numero, editor, type, logiciel, statut, ref, bdc, finess, siret, avance)
    ("A1", 1, "AVANCE", "DUI", PAID, "R1", "B1", "750001018", None, None),
    ("A2", 1, "AVANCE", "DUI", REJECTED, "R2", "B2", None, "41234567000019", None),
    ("A3", 2, "AVANCE", "DUI", "Validée", "R1", "B1", "2A0004562", "30987654800020", None),
    ("S1", 1, "SOLDE", "DUI", "En cours", "R9", "B1", "750001018", None, "A1"),
    ("A4", 1, "AVANCE", "DUI-PDE", "Décidée", "R4", "B4", "750001018", None, None),
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    db = connect(tmp_path / "s.sqlite3")
    initialise(db)
    db.execute(
        "INSERT INTO editors VALUES (1, 'a', 'x', 'a@x', '1', 'A', 'E1', 't'), (2, 'b', 'x', 'b@x', '2', 'B', 'E2', 't')"
    )
    for numero, editor, kind, logiciel, statut, ref, bdc, finess, siret, avance in ROWS:
        db.execute(
            "INSERT INTO requests(numero, editor_id, type_demande, couloir, type_logiciel, profil, statut, reference_ligne, "
            "numero_bdc, finess_geographique, siret, numero_avance, data, created_at, updated_at) "
            "VALUES (?, ?, ?, 'MS', ?, 'p', ?, ?, ?, ?, ?, ?, '{}', 't', 't')",
            (numero, editor, kind, logiciel, statut, ref, bdc, finess, siret, avance),
        )
    return Store(db)


def memory() -> InMemoryHistory:
    return InMemoryHistory(
        StoredRequest(numero, kind, "MS", logiciel, statut, ref, bdc, finess, siret, avance, own=editor == 1)
        for numero, editor, kind, logiciel, statut, ref, bdc, finess, siret, avance in ROWS
    )


def answers(history: object) -> list[object]:
    def number(found: StoredRequest | None) -> str | None:
        return found.numero_demande if found is not None else None

    h = history
    return (
        [
            number(h.by_reference(r))
            for r in ("R1", "R2", "R9", "R5")  # type: ignore[attr-defined]
        ]
        + [
            number(h.by_bdc(b, t))
            for b in ("B1", "B2", "B4")
            for t in ("AVANCE", "SOLDE")  # type: ignore[attr-defined]
        ]
        + [
            number(h.financed(k, logiciel, FINANCED))  # type: ignore[attr-defined]
            for k in (
                ("FINESS 750001018",),
                ("SIRET 30987654800020",),
                ("SIRET 41234567000019",),
                ("FINESS 2A0004562",),
            )
            for logiciel in ("DUI", "DUI-PDE")
        ]
        + [number(h.get(n)) for n in ("A1", "A3", "S1", "ZZ")]
        + [  # type: ignore[attr-defined]
            number(h.solde_of(n))
            for n in ("A1", "A2")  # type: ignore[attr-defined]
        ]
    )


def test_sqlite_history_answers_as_the_in_memory_one(store: Store) -> None:
    expected = answers(memory())
    assert answers(SqliteHistory(store, 1, REJECTED)) == expected
    prepared = SqliteHistory(store, 1, REJECTED)
    prepared.prepare(
        references={"R1", "R2", "R9", "R5"},
        bdcs={"B1", "B2", "B4"},
        beneficiaries={"FINESS 750001018", "SIRET 30987654800020", "SIRET 41234567000019", "FINESS 2A0004562"},
        avances={"A1", "A2", "A3", "S1", "ZZ"},
    )
    assert answers(prepared) == expected


@pytest.mark.parametrize(
    ("column", "mine"),
    [
        ("reference_ligne", True),
        ("numero_bdc", True),
        ("finess_geographique", False),
        ("siret", False),
        ("numero_avance", True),
        ("numero", True),
    ],
)
def test_history_queries_use_an_index(store: Store, column: str, mine: bool) -> None:
    """The very queries SqliteHistory.prepare runs: one index search per value of the array."""
    args = ('["x", "y"]', 1) if mine else ('["x", "y"]',)
    plan = " ".join(row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {select_sql(column, mine=mine)}", args))
    assert "SEARCH r USING" in plan and "SCAN r" not in plan, plan
