"""The storage layer: the controls' view of stored requests answers as the in-memory one,
prepared or not; its lookups and the lists' queries use their indexes (a simulate or a page must
not read every stored request); the counts it keeps follow every insert and move."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from segur.mock_portal.controls import InMemoryHistory, StoredRequest
from segur.mock_portal.store import Store, StoredHistory, open_database, select_sql
from sqlalchemy import text

from tests._support.database import fresh_database, on_postgresql
from tests._support.logical import first_profile, other_profile
from tests._support.paths import SPEC

#: the stored values, in the spec's own words: statuses, request types, corridor, software types
PAID, REJECTED, VALIDATED, DECIDED = (SPEC.status(key) for key in ("payee", "rejetee", "validee", "decidee"))
IN_PROGRESS, INCOMPLETE = SPEC.status("enCours"), SPEC.status("incomplete")
FINANCED = SPEC.financed_statuses
AVANCE, SOLDE = SPEC.deposit_types["avance"], SPEC.deposit_types["solde"]
COULOIR = SPEC.profiles[first_profile()].couloir
SOFTWARE, OTHER_SOFTWARE = (SPEC.profiles[p].type_logiciel for p in (first_profile(), other_profile()))
AT = datetime(2024, 2, 1, 10, tzinfo=UTC)

ROWS = [
    # (numero, editor, type, logiciel, statut, ref, bdc, finess, siret, avance)
    ("A1", 1, AVANCE, SOFTWARE, PAID, "R1", "B1", "750001018", None, None),
    ("A2", 1, AVANCE, SOFTWARE, REJECTED, "R2", "B2", None, "41234567000019", None),
    ("A3", 2, AVANCE, SOFTWARE, VALIDATED, "R1", "B1", "2A0004562", "30987654800020", None),
    ("S1", 1, SOLDE, SOFTWARE, IN_PROGRESS, "R9", "B1", "750001018", None, "A1"),
    ("A4", 1, AVANCE, OTHER_SOFTWARE, DECIDED, "R4", "B4", "750001018", None, None),
]


def request_row(numero: str, editor: int, kind: str, logiciel: str, statut: str, *rest: Any) -> dict[str, Any]:
    ref, bdc, finess, siret, avance = rest
    return {
        "numero": numero,
        "editor_id": editor,
        "deposit_id": None,
        "num_ligne": 1,
        "reference_ligne": ref,
        "numero_bdc": bdc,
        "type_demande": kind,
        "couloir": COULOIR,
        "type_logiciel": logiciel,
        "profil": "p",
        "numero_ans": None,
        "finess_geographique": finess,
        "siret": siret,
        "numero_avance": avance,
        "statut": statut,
        "motif": None,
        "montant_cents": 100,
        "data": "{}",
        "pieces_manquantes": "[]",
        "created_at": f"2024-02-01T10:00:0{len(numero)}",
        "updated_at": "t",
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    database = open_database(fresh_database(tmp_path, "s.sqlite3"))
    found = Store(database)
    with found.transaction():
        for login in ("a", "b"):
            found.add_editor(login, "x", f"{login}@x", "1", login.upper(), f"E{login}", AT)
        found.add_requests([request_row(*row) for row in ROWS], "import")
    yield found
    found.close()
    database.dispose()


def memory() -> InMemoryHistory:
    return InMemoryHistory(
        (
            StoredRequest(numero, kind, COULOIR, logiciel, statut, ref, bdc, finess, siret, avance, own=editor == 1)
            for numero, editor, kind, logiciel, statut, ref, bdc, finess, siret, avance in ROWS
        ),
        rejected_status=REJECTED,
    )


def answers(h: Any) -> list[object]:
    def number(found: StoredRequest | None) -> str | None:
        return found.numero_demande if found is not None else None

    return (
        [number(h.by_reference(r)) for r in ("R1", "R2", "R9", "R5")]
        + [number(h.by_bdc(b, t)) for b in ("B1", "B2", "B4") for t in (AVANCE, SOLDE)]
        + [
            number(h.financed(k, logiciel, FINANCED))
            for k in (
                ("FINESS 750001018",),
                ("SIRET 30987654800020",),
                ("SIRET 41234567000019",),
                ("FINESS 2A0004562",),
            )
            for logiciel in (SOFTWARE, OTHER_SOFTWARE)
        ]
        + [number(h.get(n)) for n in ("A1", "A3", "S1", "ZZ")]
        + [number(h.solde_of(n)) for n in ("A1", "A2")]
    )


def test_stored_history_answers_as_the_in_memory_one(store: Store) -> None:
    expected = answers(memory())
    assert answers(StoredHistory(store, 1, REJECTED)) == expected
    prepared = StoredHistory(store, 1, REJECTED)
    prepared.prepare(
        references={"R1", "R2", "R9", "R5"},
        bdcs={"B1", "B2", "B4"},
        beneficiaries={"FINESS 750001018", "SIRET 30987654800020", "SIRET 41234567000019", "FINESS 2A0004562"},
        avances={"A1", "A2", "A3", "S1", "ZZ"},
    )
    assert answers(prepared) == expected


def test_counts_follow_inserts_and_moves(store: Store) -> None:
    assert store.status_counts(1) == {PAID: 1, REJECTED: 1, IN_PROGRESS: 1, DECIDED: 1}
    assert store.count_requests(None) == 5
    with store.transaction():
        store.set_status(AT, "S1", PAID, None)
    assert store.status_counts(1) == {PAID: 2, REJECTED: 1, DECIDED: 1}
    assert store.count_requests(1, type_demande=SOLDE, statut=PAID) == 1
    assert store.count_requests(1, without=[PAID]) == 2
    listed = store.requests_page(1, without=[REJECTED], limit=10)
    assert [r["numero"] for r in listed] == ["S1", "A4", "A1"]  # newest first, then by number


def test_keyset_pages_read_every_request_once(store: Store) -> None:
    seen: list[str] = []
    key = None
    for _ in range(10):  # bounded: 5 requests, 2 a page
        rows = store.requests_after(None, after=key, limit=2)
        if not rows:
            break
        seen += [r["numero"] for r in rows]
        key = store.request_key(rows[-1]["numero"], None)
    assert seen == ["A1", "A2", "A3", "A4", "S1"]


def _plan(store: Store, sql: str, params: dict[str, Any]) -> str:
    rows = store.connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"), params)
    return " ".join(str(row[3]) for row in rows)


@pytest.mark.skipif(
    on_postgresql(),
    reason="SQLite's query plans (EXPLAIN QUERY PLAN); PostgreSQL's are checked at scale by bench_scale",
)
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
    """The very queries StoredHistory.prepare runs: one index search per value of the array."""
    params: dict[str, Any] = {"values": '["x", "y"]', "editor_id": 1} if mine else {"values": '["x", "y"]'}
    plan = _plan(store, select_sql(column, mine=mine), params)
    assert "SEARCH r USING" in plan and "SCAN r" not in plan, plan


@pytest.mark.skipif(
    on_postgresql(),
    reason="SQLite's query plans (EXPLAIN QUERY PLAN); PostgreSQL's are checked at scale by bench_scale",
)
@pytest.mark.parametrize(
    ("editor", "filters"),
    [
        (1, {}),
        (1, {"statut": PAID}),
        (1, {"type_demande": SOLDE}),
        (1, {"without": [INCOMPLETE]}),
        (None, {}),
        (None, {"statut": PAID}),
        (None, {"type_demande": SOLDE}),
    ],
)
@pytest.mark.filterwarnings("ignore:Bound parameter:sqlalchemy.exc.SAWarning")  # the spy renders absent filters as NULL
def test_list_queries_read_an_index_in_order(store: Store, editor: int | None, filters: dict[str, Any]) -> None:
    """The pages and the API's lists walk an index in their order: no sort of the matching rows."""
    from sqlalchemy.dialects import sqlite

    captured: list[str] = []
    real = store.connection.execute

    def spy(statement: Any, *args: Any, **kwargs: Any) -> Any:
        captured.append(str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})))
        return real(statement, *args, **kwargs)

    store.connection.execute = spy  # type: ignore[method-assign]
    try:
        store.requests_page(editor, offset=1, limit=2, **filters)
        store.requests_after(
            editor, after=("2024", "A"), limit=2, **{k: v for k, v in filters.items() if k != "without"}
        )
    finally:
        del store.connection.execute
    for sql in (captured[0], captured[2]):  # the key queries (then each fetches its rows by number)
        plan = _plan(store, sql, {})
        assert "requests USING" in plan and "USE TEMP B-TREE" not in plan, plan


def test_a_table_reads_the_same_pages_by_offset_from_either_end_and_by_its_links(store: Store) -> None:
    """Pages of 2 out of 5, newest first: by offset (the far half read from the other end), and by
    the next and previous links (the key of the row the page ends or starts at) are the same."""
    total = store.count_requests(None)
    by_offset = [
        [r["numero"] for r in store.requests_page(None, offset=o, limit=2, total=total)] for o in range(0, total, 2)
    ]
    assert by_offset == [["S1", "A4"], ["A3", "A2"], ["A1"]]
    following, key = [], None
    for _ in range(5):  # bounded
        rows = store.requests_page(None, limit=2, after=key)
        if not rows:
            break
        following.append([r["numero"] for r in rows])
        key = store.request_key(rows[-1]["numero"], None)
    assert following == by_offset
    before = store.request_key("A1", None)
    assert [r["numero"] for r in store.requests_page(None, limit=2, before=before)] == ["A3", "A2"]


def test_a_session_is_live_until_its_end_or_its_revocation_and_only_for_its_kind(store: Store) -> None:
    """A session's end and revocation are stamps of the real clock (UTC, whatever the zone of the
    time given); a session without an end (made before sessions ended) is live no more."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from segur.mock_portal.store import schema

    with store.transaction():
        lasting = store.open_session(1, AT, expires_at=AT + timedelta(hours=1))
        expired = store.open_session(1, AT, expires_at=AT - timedelta(seconds=1))
        page = store.open_session(1, AT, expires_at=AT + timedelta(hours=1), kind="page")
        store.connection.execute(schema.sessions.insert().values(token_hash="x", editor_id=1, created_at="-"))
    found = store.editor_by_token(lasting, AT)
    assert found is not None and found["login"] == "a"
    assert store.editor_by_token(lasting, AT.astimezone(ZoneInfo("Europe/Paris"))) is not None
    assert store.editor_by_token(expired, AT) is None
    assert store.editor_by_token(lasting, AT + timedelta(hours=2)) is None
    assert store.editor_by_token(page, AT) is None and store.editor_by_token(page, AT, "page") is not None
    with store.transaction():
        assert store.revoke_session(lasting, AT) and not store.revoke_session(lasting, AT)
        assert not store.revoke_session(page, AT)  # not an API session
    assert store.editor_by_token(lasting, AT) is None
    with store.transaction():
        assert store.forget_sessions_ended(AT) == 3  # expired, revoked and the one without an end
    assert store.editor_by_token(page, AT, "page") is not None


def test_failed_logins_are_counted_by_key_within_a_window(store: Store) -> None:
    from datetime import timedelta

    with store.transaction():
        for minutes in (0, 5, 10):
            store.add_login_failure("login:a", AT + timedelta(minutes=minutes))
        store.add_login_failure("address:192.0.2.1", AT)
    count, oldest = store.login_failures("login:a", AT + timedelta(minutes=1))
    assert count == 2 and oldest == AT + timedelta(minutes=5)
    assert store.login_failures("login:b", AT - timedelta(days=1)) == (0, None)
    with store.transaction():
        store.forget_login_failures_before(AT + timedelta(minutes=5))
        store.clear_login_failures("address:192.0.2.1")
    assert store.login_failures("login:a", AT - timedelta(days=1))[0] == 1
    assert store.login_failures("address:192.0.2.1", AT - timedelta(days=1))[0] == 0


def test_a_renamed_status_label_moves_the_requests_their_counts_and_history(store: Store) -> None:
    """A spec that renames a status (spec.json statutsPrecedents): the requests stored under the old
    label take the new one, their counts merge into the new label's and their history follows."""
    renamed = f"{IN_PROGRESS} (renommé)"
    with store.transaction():
        store.add_event(AT, "A1", PAID, IN_PROGRESS, "gestionnaire", None)
        store.set_status(AT, "A4", IN_PROGRESS, None)
    before = store.status_counts(1)
    with store.transaction():
        assert store.rename_status(IN_PROGRESS, renamed) == 2
    after = store.status_counts(1)
    assert IN_PROGRESS not in after and after[renamed] == before[IN_PROGRESS] == 2
    assert store.count_requests(1, statut=renamed) == 2
    moves = {event["to_statut"] for event in store.events_of("A1")}
    assert renamed in moves and IN_PROGRESS not in moves
    with store.transaction():
        assert store.rename_status(IN_PROGRESS, renamed) == 0  # a second start: nothing left to rename
