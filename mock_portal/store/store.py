"""Every query of the mock portal, on one connection (SQLite or PostgreSQL, through SQLAlchemy
Core). The services call these methods and never write SQL; no method here decides a rule of the
portal: it reads and writes what it is given.

Rows come back as read-only mappings (``row["statut"]``). Changes that belong together (an
import and its lines, a move, its document and its mail) run inside one :meth:`Store.transaction`
(re-entrant: an inner one joins the outer one).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import (
    Connection,
    Executable,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    tuple_,
)

from . import schema as t
from .database import Database
from .locking import exclusive

#: a stored row: read by column name (``row["statut"]``)
Row = Mapping[str, Any]


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def loads(text_value: str | bytes | None) -> Any:
    return orjson.loads(text_value) if text_value else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def stamp(moment: datetime) -> str:
    """A time as the sessions and the login attempts keep it: UTC, ISO 8601, fixed width, so that
    stamps compare as text (an aware time; a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _from_stamp(text_value: str) -> datetime:
    return datetime.strptime(text_value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


# statements of the hot paths, built once (SQLAlchemy caches their compiled form)
_META = select(t.meta.c.value).where(t.meta.c.key == bindparam("key"))
_EDITOR_BY_TOKEN = (
    select(t.editors)
    .join(t.sessions, t.sessions.c.editor_id == t.editors.c.id)
    .where(
        t.sessions.c.token_hash == bindparam("token_hash"),
        t.sessions.c.kind == bindparam("kind"),
        t.sessions.c.revoked_at.is_(None),
        t.sessions.c.expires_at > bindparam("now"),
    )
)
_LOGIN_FAILURES = select(func.count(), func.min(t.login_failures.c.at)).where(
    t.login_failures.c.key == bindparam("key"), t.login_failures.c.at > bindparam("since")
)
_ENROLMENTS_OF = (
    select(t.enrolments).where(t.enrolments.c.editor_id == bindparam("editor_id")).order_by(t.enrolments.c.id)
)
_ACTIVE_FAULTS = (
    select(t.faults).where(or_(t.faults.c.remaining.is_(None), t.faults.c.remaining > 0)).order_by(t.faults.c.id)
)
_LOG = t.journal.insert().values(
    at=bindparam("at"),
    editor_id=bindparam("editor_id"),
    method=bindparam("method"),
    path=bindparam("path"),
    status=bindparam("status"),
    detail=bindparam("detail"),
)
_AVENANT_STATUSES = (
    select(t.avenants.c.statut).where(t.avenants.c.numero == bindparam("numero")).order_by(t.avenants.c.id)
)
_REQUEST = select(t.requests).where(t.requests.c.numero == bindparam("numero"))
_OWN_REQUEST = _REQUEST.where(t.requests.c.editor_id == bindparam("editor_id"))


_UPSERTS: dict[str, tuple[Executable, Executable]] = {}


def _upserts(dialect: str) -> tuple[Executable, Executable]:
    """INSERT … ON CONFLICT DO UPDATE (both dialects spell it alike) of a meta value, and of a
    request count (added to the stored one), built once per dialect."""
    found = _UPSERTS.get(dialect)
    if found is None:
        insert: Any
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            insert = sqlite_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            insert = postgresql_insert
        meta = insert(t.meta).values(key=bindparam("key"), value=bindparam("value"))
        meta = meta.on_conflict_do_update(index_elements=["key"], set_={"value": meta.excluded.value})
        c = t.request_counts
        count = insert(c).values(
            editor_id=bindparam("editor_id"),
            type_demande=bindparam("type_demande"),
            statut=bindparam("statut"),
            n=bindparam("n"),
        )
        count = count.on_conflict_do_update(
            index_elements=["editor_id", "type_demande", "statut"], set_={"n": c.c.n + count.excluded.n}
        )
        found = _UPSERTS[dialect] = (meta, count)
    return found


_STATEMENTS: dict[Any, Any] = {}
#: the SQL of the hot statements by statement and dialect, with the order of their parameters
#: (the statement is kept with it, so that its id is not reused)
_COMPILED: dict[tuple[int, str], tuple[str, Any, dict[str, Any], Any]] = {}


def _q(key: Any, build: Callable[[], Any]) -> Any:
    """A statement built once (values go as bind parameters): building one costs more than
    running it, SQLAlchemy then finds its compiled form by its cache key."""
    found = _STATEMENTS.get(key)
    if found is None:
        found = _STATEMENTS[key] = build()
    return found


def _of_request(table: Any) -> Any:
    """The rows of a table that belong to one request, in the order of their ids."""
    return _q(
        ("of_request", table.name),
        lambda: select(table).where(table.c.numero == bindparam("numero")).order_by(table.c.id),
    )


def _by_id(table: Any) -> Any:
    return _q(("by_id", table.name), lambda: select(table).where(table.c.id == bindparam("b_id")))


class _Result:
    """The rows of a driver's cursor: as dicts (:meth:`first`, :meth:`all`), a value, or tuples."""

    __slots__ = ("cursor",)

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def _names(self) -> list[str]:
        return [column[0] for column in self.cursor.description or ()]

    def first(self) -> Row | None:
        row = self.cursor.fetchone()
        found = dict(zip(self._names(), row, strict=True)) if row is not None else None
        self.cursor.close()
        return found

    def all(self) -> list[Row]:
        names = self._names()
        rows: list[Row] = [dict(zip(names, row, strict=True)) for row in self.cursor.fetchall()]
        self.cursor.close()
        return rows

    def scalar(self) -> Any:
        row = self.cursor.fetchone()
        self.cursor.close()
        return row[0] if row is not None else None

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        rows = self.cursor.fetchall()
        self.cursor.close()
        return iter(rows)


class Store:
    """The queries, over one connection taken from the database's pool on first use."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.dialect = database.dialect
        self._connection: Connection | None = None
        self._depth = 0

    # ------------------------------------------------------------------ connection and transactions

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = self.database.connection()
        return self._connection

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def close(self) -> None:
        """Done with the connection (the thread keeps it for its next request; a broken one is dropped)."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            self.database.release(connection)

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All or nothing, one writer at a time across every process; an inner call joins the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        with exclusive(self.connection):
            self._depth = 1
            try:
                yield self
            finally:
                self._depth = 0

    def _run(self, statement: Any, params: dict[str, Any]) -> _Result:
        """A statement of the hot paths (each request runs some), built with SQLAlchemy Core and
        compiled once for the dialect, then run on the driver's own cursor: SQLAlchemy's
        execution machinery costs several times what these indexed queries cost. Only text and
        numbers go through it (no type processing), and the rows come back as dicts."""
        connection = self.connection
        dialect = connection.dialect
        key = (id(statement), dialect.name)
        found = _COMPILED.get(key)
        if found is None:
            compiled = statement.compile(dialect=dialect)
            found = _COMPILED[key] = (compiled.string, compiled.positiontup, compiled.params, statement)
        sql, positions, fixed, _ = found
        values = {**fixed, **params} if fixed else params  # with the literals the statement holds
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql, tuple(values[p] for p in positions) if positions else values)
        return _Result(cursor)

    def _rows(self, statement: Executable, **params: Any) -> list[Row]:
        return cast(list[Row], list(self.connection.execute(statement, params).mappings()))

    def _row(self, statement: Executable, **params: Any) -> Row | None:
        return cast(Row | None, self.connection.execute(statement, params).mappings().first())

    def _scalar(self, statement: Executable, **params: Any) -> Any:
        return self.connection.execute(statement, params).scalar()

    def _insert(self, table: Any, **values: Any) -> int:
        statement = _q(("insert", table.name), lambda: table.insert().returning(table.c.id))
        return int(self.connection.execute(statement, values).scalar_one())

    def _update(self, table: Any, key: str, key_value: Any, **values: Any) -> None:
        """UPDATE table SET (the columns of ``values``) WHERE key = key_value."""
        statement = _q(("update", table.name, key), lambda: table.update().where(table.c[key] == bindparam("b_key")))
        self.connection.execute(statement, {"b_key": key_value, **values})

    # ------------------------------------------------------------------ meta

    def meta(self, key: str) -> Any:
        found = self._run(_META, {"key": key}).scalar()
        return loads(found) if found is not None else None

    def set_meta(self, key: str, value: Any) -> None:
        self.connection.execute(_upserts(self.dialect)[0], {"key": key, "value": dumps(value)})

    def forget_meta(self, key: str) -> None:
        m = t.meta
        self.connection.execute(_q("forget_meta", lambda: m.delete().where(m.c.key == bindparam("key"))), {"key": key})

    def next_sequence(self, name: str) -> int:
        """The next value of a named counter (inside a transaction: the write lock makes it unique)."""
        current = self.meta(f"seq:{name}") or 0
        self.set_meta(f"seq:{name}", current + 1)
        return int(current) + 1

    def rename_status(self, old: str, new: str) -> int:
        """The requests stored under the status label ``old`` take ``new`` (the spec renamed the
        label of one of its status keys): their status, their counts and their history (inside the
        caller's transaction). Returns how many requests were renamed."""
        r, c, e = t.requests, t.request_counts, t.request_events
        renamed = self.connection.execute(r.update().where(r.c.statut == old).values(statut=new)).rowcount
        counted = self.connection.execute(select(c).where(c.c.statut == old)).mappings().all()
        for row in counted:
            self._count(row["editor_id"], row["type_demande"], new, row["n"])
        self.connection.execute(c.delete().where(c.c.statut == old))
        self.connection.execute(e.update().where(e.c.from_statut == old).values(from_statut=new))
        self.connection.execute(e.update().where(e.c.to_statut == old).values(to_statut=new))
        return int(renamed or 0)

    def reset(self) -> None:
        """Forget everything (the admin's reset); the caller seeds again."""
        with self.transaction():
            for table in t.TABLES:
                self.connection.execute(table.delete())

    # ------------------------------------------------------------------ editors and sessions

    def editor(self, editor_id: int) -> Row | None:
        return self._row(_by_id(t.editors), b_id=editor_id)

    def editor_by_login(self, login: str) -> Row | None:
        e = t.editors
        return self._row(_q("editor_by_login", lambda: select(e).where(e.c.login == bindparam("login"))), login=login)

    def editor_by_email(self, email: str) -> Row | None:
        e = t.editors
        statement = _q(
            "editor_by_email", lambda: select(e).where(e.c.email == bindparam("email")).order_by(e.c.id).limit(1)
        )
        return self._row(statement, email=email)

    def editor_by_token(self, token: str, at: datetime, kind: str = "api") -> Row | None:
        """The editor of a live session of ``kind``: not revoked, and whose end is after ``at``
        (a session without an end is not live)."""
        return self._run(_EDITOR_BY_TOKEN, {"token_hash": token_hash(token), "kind": kind, "now": stamp(at)}).first()

    def editor_name_by_siret(self, siret: str) -> str | None:
        e = t.editors
        statement = _q(
            "editor_name", lambda: select(e.c.raison_sociale).where(e.c.siret == bindparam("siret")).limit(1)
        )
        found = self._scalar(statement, siret=siret)
        return str(found) if found is not None else None

    def add_editor(
        self, login: str, password_hash: str, email: str, siret: str, name: str, numero: str, at: datetime
    ) -> int:
        return self._insert(
            t.editors,
            login=login,
            password_hash=password_hash,
            email=email,
            siret=siret,
            raison_sociale=name,
            numero_enrolement=numero,
            created_at=at.isoformat(),
        )

    def open_session(self, editor_id: int, at: datetime, *, expires_at: datetime, kind: str = "api") -> str:
        """A new session of ``kind`` (``at``: when it opened, as the portal's clock says; it ends at
        ``expires_at``); only the token's digest is stored."""
        token = new_token()
        self.connection.execute(
            _q("open_session", lambda: t.sessions.insert()),
            {
                "token_hash": token_hash(token),
                "editor_id": editor_id,
                "created_at": at.isoformat(),
                "expires_at": stamp(expires_at),
                "kind": kind,
            },
        )
        return token

    def revoke_session(self, token: str, at: datetime, kind: str = "api") -> bool:
        """End a live session of ``kind`` at ``at``; False when there was none."""
        s = t.sessions
        statement = _q(
            "revoke_session",
            lambda: (
                s.update()
                .where(
                    s.c.token_hash == bindparam("b_token_hash"),
                    s.c.kind == bindparam("b_kind"),
                    s.c.revoked_at.is_(None),
                )
                .values(revoked_at=bindparam("b_revoked"))
            ),
        )
        done = self.connection.execute(
            statement, {"b_token_hash": token_hash(token), "b_kind": kind, "b_revoked": stamp(at)}
        )
        return bool(done.rowcount)

    def forget_sessions_ended(self, at: datetime) -> int:
        """Drop the sessions that ended before ``at`` (past their end, revoked, or without one)."""
        s = t.sessions
        now = stamp(at)
        done = self.connection.execute(
            s.delete().where(or_(s.c.expires_at.is_(None), s.c.expires_at <= now, s.c.revoked_at.is_not(None)))
        )
        return int(done.rowcount or 0)

    # ------------------------------------------------------------------ login attempts

    def login_failures(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        """How many failed logins ``key`` has had after ``since``, and when the oldest of them was."""
        row = self._run(_LOGIN_FAILURES, {"key": key, "since": stamp(since)}).first()
        count, oldest = list(row.values()) if row is not None else [0, None]
        return int(count or 0), _from_stamp(str(oldest)) if oldest else None

    def add_login_failure(self, key: str, at: datetime) -> None:
        self._insert(t.login_failures, key=key, at=stamp(at))

    def clear_login_failures(self, key: str) -> None:
        f = t.login_failures
        self.connection.execute(
            _q("clear_login_failures", lambda: f.delete().where(f.c.key == bindparam("key"))), {"key": key}
        )

    def forget_login_failures_before(self, at: datetime) -> None:
        f = t.login_failures
        self.connection.execute(
            _q("forget_login_failures", lambda: f.delete().where(f.c.at <= bindparam("at"))), {"at": stamp(at)}
        )

    # ------------------------------------------------------------------ enrolments

    def enrolments_of(self, editor_id: int) -> list[Row]:
        return self._run(_ENROLMENTS_OF, {"editor_id": editor_id}).all()

    def enrolment(self, enrolment_id: int) -> Row | None:
        return self._row(_by_id(t.enrolments), b_id=enrolment_id)

    def enrolment_pieces(self, enrolment_id: int) -> list[Row]:
        pieces = t.enrolment_pieces
        statement = _q(
            "enrolment_pieces",
            lambda: (
                select(pieces.c.id, pieces.c.nature, pieces.c.filename, pieces.c.size)
                .where(pieces.c.enrolment_id == bindparam("enrolment_id"))
                .order_by(pieces.c.id)
            ),
        )
        return self._run(statement, {"enrolment_id": enrolment_id}).all()

    def enrolment_piece(self, enrolment_id: int, piece_id: int) -> Row | None:
        """One piece of an enrolment, with its content."""
        pieces = t.enrolment_pieces
        statement = _q(
            "enrolment_piece",
            lambda: select(pieces.c.nature, pieces.c.filename, pieces.c.content).where(
                pieces.c.enrolment_id == bindparam("enrolment_id"), pieces.c.id == bindparam("piece_id")
            ),
        )
        return self._run(statement, {"enrolment_id": enrolment_id, "piece_id": piece_id}).first()

    def add_enrolment(self, **values: Any) -> int:
        return self._insert(t.enrolments, **values)

    def add_enrolment_piece(self, enrolment_id: int, nature: str, filename: str, content: bytes) -> None:
        self._insert(
            t.enrolment_pieces,
            enrolment_id=enrolment_id,
            nature=nature,
            filename=filename,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
        )

    def has_enrolment(self, editor_id: int, numero_ans: str, except_statut: str) -> bool:
        e = t.enrolments
        statement = _q(
            "has_enrolment",
            lambda: (
                select(e.c.id)
                .where(e.c.editor_id == bindparam("e"), e.c.numero_ans == bindparam("n"), e.c.statut != bindparam("s"))
                .limit(1)
            ),
        )
        return self._scalar(statement, e=editor_id, n=numero_ans, s=except_statut) is not None

    def decide_enrolment(
        self, enrolment_id: int, statut: str, motif: str | None, editor_id: int | None, at: datetime
    ) -> None:
        self._update(
            t.enrolments, "id", enrolment_id, statut=statut, motif=motif, editor_id=editor_id, decided_at=at.isoformat()
        )

    def latest_enrolment_data(self, siret: str) -> Any:
        """The form of the latest first enrolment of a SIRET (not a complementary one)."""
        e = t.enrolments
        statement = _q(
            "latest_enrolment",
            lambda: (
                select(e.c.data)
                .where(e.c.siret == bindparam("siret"), e.c.complementaire == 0)
                .order_by(e.c.id.desc())
                .limit(1)
            ),
        )
        found = self._scalar(statement, siret=siret)
        return loads(found) if found is not None else None

    def enrolments_page(
        self, statut: str | None, *, newest_first: bool, after: int | None = None, limit: int = 50, offset: int = 0
    ) -> list[Row]:
        """Enrolments in the order of their ids (or the reverse), from after ``after`` or from ``offset``."""
        e = t.enrolments

        def build() -> Any:
            query = select(e)
            if statut is not None:
                query = query.where(e.c.statut == bindparam("statut"))
            if after is not None:
                query = query.where(e.c.id < bindparam("after") if newest_first else e.c.id > bindparam("after"))
            order = e.c.id.desc() if newest_first else e.c.id
            return query.order_by(order).limit(bindparam("limit")).offset(bindparam("offset"))

        statement = _q(("enrolments_page", statut is not None, after is not None, newest_first), build)
        return self._rows(statement, statut=statut, after=after, limit=limit, offset=offset)

    def count_enrolments(self, statut: str | None = None, *, not_in: Sequence[str] = ()) -> int:
        e = t.enrolments

        def build() -> Any:
            query = select(func.count()).select_from(e)
            if statut is not None:
                query = query.where(e.c.statut == bindparam("statut"))
            if not_in:
                query = query.where(e.c.statut.not_in(bindparam("not_in", expanding=True)))
            return query

        statement = _q(("count_enrolments", statut is not None, bool(not_in)), build)
        return int(self._scalar(statement, statut=statut, not_in=list(not_in)) or 0)

    # ------------------------------------------------------------------ mails and journal

    def send_mail(
        self, at: datetime, to: str, subject: str, body: str, editor_id: int | None = None, numero: str | None = None
    ) -> None:
        self._insert(
            t.mails, editor_id=editor_id, destinataire=to, objet=subject, corps=body, numero=numero, at=at.isoformat()
        )

    def mails_page(
        self,
        editor_id: int | None,
        *,
        newest_first: bool,
        after: int | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[Row]:
        """Mails (an editor's, or all) in the order of their ids, or the reverse, after the id ``after``."""
        m = t.mails

        def build() -> Any:
            query = select(m)
            if editor_id is not None:
                query = query.where(m.c.editor_id == bindparam("editor_id"))
            if after is not None:
                query = query.where(m.c.id < bindparam("after") if newest_first else m.c.id > bindparam("after"))
            order = m.c.id.desc() if newest_first else m.c.id
            return query.order_by(order).limit(bindparam("limit")).offset(bindparam("offset"))

        statement = _q(("mails_page", editor_id is not None, after is not None, newest_first), build)
        return self._rows(statement, editor_id=editor_id, after=after, limit=limit, offset=offset)

    def count_mails(self) -> int:
        return int(self._scalar(_q("count_mails", lambda: select(func.count()).select_from(t.mails))) or 0)

    def log(self, at: datetime, editor_id: int | None, method: str, path: str, status: int, detail: Any) -> None:
        self._run(
            _LOG,
            {
                "at": at.isoformat(),
                "editor_id": editor_id,
                "method": method,
                "path": path,
                "status": status,
                "detail": dumps(detail),
            },
        )

    def journal_page(self, *, after: int | None, before: int | None, limit: int) -> list[Row]:
        """Journal entries, oldest first: the first ``limit`` after the id ``after``, else the
        last ``limit`` before the id ``before`` (or the latest): one index range either way."""
        j = t.journal
        if after is not None:
            statement = _q(
                "journal_after",
                lambda: select(j).where(j.c.id > bindparam("after")).order_by(j.c.id).limit(bindparam("limit")),
            )
            return self._rows(statement, after=after, limit=limit)
        statement = _q(
            "journal_before",
            lambda: (
                select(j)
                .where(or_(bindparam("before").is_(None), j.c.id < bindparam("before")))
                .order_by(j.c.id.desc())
                .limit(bindparam("limit"))
            ),
        )
        if before is None:
            statement = _q("journal_latest", lambda: select(j).order_by(j.c.id.desc()).limit(bindparam("limit")))
        return self._rows(statement, before=before, limit=limit)[::-1]

    # ------------------------------------------------------------------ faults and scenarios

    def active_faults(self) -> list[Row]:
        return self._run(_ACTIVE_FAULTS, {}).all()

    def use_fault(self, fault_id: int) -> None:
        f = t.faults
        statement = _q(
            "use_fault",
            lambda: (
                f.update().where(f.c.id == bindparam("b_id"), f.c.remaining > 0).values(remaining=f.c.remaining - 1)
            ),
        )
        self.connection.execute(statement, {"b_id": fault_id})

    def faults(self) -> list[Row]:
        return self._rows(_q("faults", lambda: select(t.faults).order_by(t.faults.c.id)))

    def add_fault(self, **values: Any) -> int:
        return self._insert(t.faults, **values)

    def clear_faults(self) -> None:
        self.connection.execute(_q("clear_faults", lambda: t.faults.delete()))

    def active_scenarios(self, trigger: str) -> list[Row]:
        s = t.scenarios
        statement = _q(
            "active_scenarios",
            lambda: (
                select(s)
                .where(s.c.trigger == bindparam("trigger"), or_(s.c.remaining.is_(None), s.c.remaining > 0))
                .order_by(s.c.id)
            ),
        )
        return self._rows(statement, trigger=trigger)

    def use_scenario(self, scenario_id: int) -> None:
        s = t.scenarios
        statement = _q(
            "use_scenario",
            lambda: (
                s.update()
                .where(s.c.id == bindparam("b_id"), s.c.remaining.is_not(None))
                .values(remaining=s.c.remaining - 1)
            ),
        )
        self.connection.execute(statement, {"b_id": scenario_id})

    def scenarios(self) -> list[Row]:
        return self._rows(_q("scenarios", lambda: select(t.scenarios).order_by(t.scenarios.c.id)))

    def add_scenario(self, **values: Any) -> int:
        return self._insert(t.scenarios, **values)

    def clear_scenarios(self) -> None:
        self.connection.execute(_q("clear_scenarios", lambda: t.scenarios.delete()))

    # ------------------------------------------------------------------ deposits

    def add_deposit(self, **values: Any) -> int:
        return self._insert(t.deposits, **values)

    def deposit(self, deposit_id: int, editor_id: int) -> Row | None:
        d = t.deposits
        statement = _q(
            "deposit", lambda: select(d).where(d.c.id == bindparam("b_id"), d.c.editor_id == bindparam("editor_id"))
        )
        return self._row(statement, b_id=deposit_id, editor_id=editor_id)

    def deposits_page(self, editor_id: int, *, sha256: str | None, after: int | None, limit: int) -> list[Row]:
        """One's imports, oldest first: the first ``limit`` after the id ``after``; with
        ``sha256``, only those of that file. One index range either way."""
        d = t.deposits
        if sha256 is None:
            statement = _q(
                "deposits_page",
                lambda: (
                    select(d)
                    .where(d.c.editor_id == bindparam("editor_id"), d.c.id > bindparam("after"))
                    .order_by(d.c.id)
                    .limit(bindparam("limit"))
                ),
            )
        else:
            statement = _q(
                "deposits_of_file",
                lambda: (
                    select(d)
                    .where(
                        d.c.editor_id == bindparam("editor_id"),
                        d.c.file_sha256 == bindparam("sha256"),
                        d.c.id > bindparam("after"),
                    )
                    .order_by(d.c.id)
                    .limit(bindparam("limit"))
                ),
            )
        return self._rows(statement, editor_id=editor_id, sha256=sha256, after=after or 0, limit=limit)

    def terminate_deposit(self, deposit_id: int) -> None:
        self._update(t.deposits, "id", deposit_id, termine=1)

    # ------------------------------------------------------------------ requests

    def request(self, numero: str, editor_id: int | None = None) -> Row | None:
        """A request; with ``editor_id``, only if it is that editor's (others read as absent)."""
        if editor_id is None:
            return self._run(_REQUEST, {"numero": numero}).first()
        return self._run(_OWN_REQUEST, {"numero": numero, "editor_id": editor_id}).first()

    def add_requests(self, rows: Sequence[dict[str, Any]], actor: str) -> None:
        """Requests (each a dict of the ``requests`` columns) with their first event and their count:
        what an import stores for its accepted and incomplete lines, in one batch of each."""
        if not rows:
            return
        self.connection.execute(_q("insert_requests", lambda: t.requests.insert()), list(rows))
        self.connection.execute(
            _q("insert_events", lambda: t.request_events.insert()),
            [
                {
                    "numero": row["numero"],
                    "at": row["created_at"],
                    "from_statut": None,
                    "to_statut": row["statut"],
                    "actor": actor,
                    "motif": None,
                }
                for row in rows
            ],
        )
        counts: dict[tuple[int, str, str], int] = {}
        for row in rows:
            key = (row["editor_id"], row["type_demande"], row["statut"])
            counts[key] = counts.get(key, 0) + 1
        for (editor_id, type_demande, statut), n in counts.items():
            self._count(editor_id, type_demande, statut, n)

    def _count(self, editor_id: int, type_demande: str, statut: str, n: int) -> None:
        self.connection.execute(
            _upserts(self.dialect)[1], {"editor_id": editor_id, "type_demande": type_demande, "statut": statut, "n": n}
        )

    def add_event(
        self, at: datetime, numero: str, source: str | None, target: str, actor: str, motif: str | None
    ) -> None:
        self.connection.execute(
            _q("insert_events", lambda: t.request_events.insert()),
            {
                "numero": numero,
                "at": at.isoformat(),
                "from_statut": source,
                "to_statut": target,
                "actor": actor,
                "motif": motif,
            },
        )

    def set_status(self, at: datetime, numero: str, target: str, motif: str | None) -> None:
        r = t.requests
        statement = _q(
            "request_status",
            lambda: select(r.c.editor_id, r.c.type_demande, r.c.statut).where(r.c.numero == bindparam("numero")),
        )
        before = self._row(statement, numero=numero)
        if before is None:
            return
        self._update(r, "numero", numero, statut=target, motif=motif, updated_at=at.isoformat())
        if before["statut"] != target:
            self._count(before["editor_id"], before["type_demande"], before["statut"], -1)
            self._count(before["editor_id"], before["type_demande"], target, 1)

    def update_request(self, numero: str, **values: Any) -> None:
        """Columns of a request other than its status (its corrected content, its missing pieces)."""
        if "statut" in values:
            raise ValueError("a request's status changes through set_status (it keeps the counts)")
        self._update(t.requests, "numero", numero, **values)

    @staticmethod
    def _filter(table: Any, editor_id: int | None, statut: Any, type_demande: Any, without: Sequence[str]) -> list[Any]:
        """The WHERE of a list of requests (or of their counts), its values as bind parameters."""
        where: list[Any] = []
        if editor_id is not None:
            where.append(table.c.editor_id == bindparam("editor_id"))
        if statut:
            where.append(table.c.statut == bindparam("statut"))
        if type_demande:
            where.append(table.c.type_demande == bindparam("type_demande"))
        if without:
            where.append(table.c.statut.not_in(bindparam("without", expanding=True)))
        return where

    @staticmethod
    def _shape(editor_id: int | None, statut: Any, type_demande: Any, without: Sequence[str]) -> tuple[bool, ...]:
        return (editor_id is not None, bool(statut), bool(type_demande), bool(without))

    def requests_page(
        self,
        editor_id: int | None,
        *,
        statut: str | None = None,
        type_demande: str | None = None,
        without: Sequence[str] = (),
        offset: int = 0,
        limit: int = 50,
        after: tuple[str, str] | None = None,
        before: tuple[str, str] | None = None,
        total: int | None = None,
    ) -> list[Row]:
        """One page of requests, newest first (created_at, then numero). The numbers come from the
        list's index, then their rows. The page starts after the key ``after`` (the next page of
        one already shown), ends before the key ``before`` (the previous one): one index range,
        whatever the depth; else it skips ``offset`` entries of the index, from its far end when
        ``total`` says that is nearer (the last pages cost as little as the first ones)."""
        r = t.requests
        shape = self._shape(editor_id, statut, type_demande, without)
        limit = max(1, limit)
        offset = max(0, offset)
        backwards = before is not None
        if after is None and before is None and total is not None and offset > total // 2:
            backwards, limit, offset = True, max(0, min(limit, total - offset)), max(0, total - offset - limit)
            if limit == 0:
                return []
        key = after or before
        mode = "after" if after is not None else "before" if before is not None else "offset"

        def build() -> Any:
            where = self._filter(r, editor_id, statut, type_demande, without)
            place = tuple_(r.c.created_at, r.c.numero)
            bound = tuple_(bindparam("key_at"), bindparam("key_n"))
            if mode == "after":
                where.append(place < bound)
            elif mode == "before":
                where.append(place > bound)
            order = (r.c.created_at, r.c.numero) if backwards else (r.c.created_at.desc(), r.c.numero.desc())
            query = select(r.c.numero).where(*where).order_by(*order).limit(bindparam("limit"))
            return query.offset(bindparam("offset")) if mode == "offset" else query

        params = {
            "editor_id": editor_id,
            "statut": statut,
            "type_demande": type_demande,
            "without": list(without),
            "limit": limit,
            "offset": offset,
            "key_at": key[0] if key else None,
            "key_n": key[1] if key else None,
        }
        statement = _q(("requests_page", shape, mode, backwards), build)
        numeros = [row[0] for row in self.connection.execute(statement, params)]
        return self._by_numeros(numeros[::-1] if backwards else numeros)

    def search_requests(
        self,
        editor_id: int | None,
        words: str,
        *,
        statut: str | None = None,
        type_demande: str | None = None,
        without: Sequence[str] = (),
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[Row], int]:
        """The requests, newest first, whose number, line reference, order form (BDC), FINESS,
        SIRET or stored request (the establishment's name) holds ``words`` (case left aside);
        one page of them and how many match (a search reads the rows: the counts kept per status
        cannot answer it)."""
        r = t.requests
        escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        where = self._filter(r, editor_id, statut, type_demande, without)
        matching = or_(
            *(
                column.ilike(bindparam("pattern"), escape="\\")
                for column in (
                    r.c.numero,
                    r.c.reference_ligne,
                    r.c.numero_bdc,
                    r.c.finess_geographique,
                    r.c.siret,
                    r.c.data,
                )
            )
        )
        params = {
            "editor_id": editor_id,
            "statut": statut,
            "type_demande": type_demande,
            "without": list(without),
            "pattern": pattern,
            "limit": max(1, limit),
            "offset": max(0, offset),
        }
        total = self.connection.execute(select(func.count()).select_from(r).where(*where, matching), params).scalar()
        query = (
            select(r.c.numero)
            .where(*where, matching)
            .order_by(r.c.created_at.desc(), r.c.numero.desc())
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
        )
        numeros = [row[0] for row in self.connection.execute(query, params)]
        return self._by_numeros(numeros), int(total or 0)

    def _by_numeros(self, numeros: list[str]) -> list[Row]:
        if not numeros:
            return []
        r = t.requests
        statement = _q("by_numeros", lambda: select(r).where(r.c.numero.in_(bindparam("numeros", expanding=True))))
        found = {row["numero"]: row for row in self._rows(statement, numeros=numeros)}
        return [found[n] for n in numeros if n in found]

    def requests_after(
        self,
        editor_id: int | None,
        *,
        statut: str | None = None,
        type_demande: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int = 1000,
    ) -> list[Row]:
        """Requests in the order of their deposit (created_at, then numero), from after the key
        ``after`` (the created_at and numero of the last one already read): one index range."""
        r = t.requests
        shape = (*self._shape(editor_id, statut, type_demande, ()), after is not None)

        def build() -> Any:
            where = self._filter(r, editor_id, statut, type_demande, ())
            if after is not None:
                where.append(tuple_(r.c.created_at, r.c.numero) > tuple_(bindparam("after_at"), bindparam("after_n")))
            return select(r.c.numero).where(*where).order_by(r.c.created_at, r.c.numero).limit(bindparam("limit"))

        params = {
            "editor_id": editor_id,
            "statut": statut,
            "type_demande": type_demande,
            "after_at": after[0] if after else None,
            "after_n": after[1] if after else None,
            "limit": max(1, limit),
        }
        keys = self.connection.execute(_q(("requests_after", shape), build), params)
        return self._by_numeros([row[0] for row in keys])

    def request_key(self, numero: str, editor_id: int | None) -> tuple[str, str] | None:
        """A request's place in the lists' order (its created_at and numero)."""
        r = t.requests

        def build() -> Any:
            query = select(r.c.created_at, r.c.numero).where(r.c.numero == bindparam("numero"))
            return query.where(r.c.editor_id == bindparam("editor_id")) if editor_id is not None else query

        found = self.connection.execute(
            _q(("request_key", editor_id is not None), build), {"numero": numero, "editor_id": editor_id}
        ).first()
        return (found[0], found[1]) if found else None

    def count_requests(
        self,
        editor_id: int | None,
        *,
        statut: str | None = None,
        type_demande: str | None = None,
        without: Sequence[str] = (),
    ) -> int:
        """How many requests match, from the counts kept per editor, type and status (no row read)."""
        c = t.request_counts
        statement = _q(
            ("count_requests", self._shape(editor_id, statut, type_demande, without)),
            lambda: select(func.coalesce(func.sum(c.c.n), 0)).where(
                *self._filter(c, editor_id, statut, type_demande, without)
            ),
        )
        if without:
            params = {"editor_id": editor_id, "statut": statut, "type_demande": type_demande, "without": list(without)}
            return int(self._scalar(statement, **params) or 0)
        return int(
            self._run(statement, {"editor_id": editor_id, "statut": statut, "type_demande": type_demande}).scalar() or 0
        )

    def status_counts(self, editor_id: int | None) -> dict[str, int]:
        """How many requests have each status label (an editor's, or everyone's)."""
        c = t.request_counts

        def build() -> Any:
            query = select(c.c.statut, func.sum(c.c.n)).group_by(c.c.statut)
            return query.where(c.c.editor_id == bindparam("editor_id")) if editor_id is not None else query

        rows = self.connection.execute(_q(("status_counts", editor_id is not None), build), {"editor_id": editor_id})
        return {statut: int(n) for statut, n in rows if n}

    def events_of(self, numero: str) -> list[Row]:
        return self._rows(_of_request(t.request_events), numero=numero)

    def mails_of_request(self, numero: str) -> list[Row]:
        return self._rows(_of_request(t.mails), numero=numero)

    # ------------------------------------------------------------------ documents, payments, avenants

    def add_document(
        self,
        at: datetime,
        numero: str,
        nature: str,
        filename: str,
        content: bytes | None,
        size: int | None = None,
        sha256: str | None = None,
    ) -> int:
        return self._insert(
            t.documents,
            numero=numero,
            nature=nature,
            filename=filename,
            size=size if size is not None else len(content or b""),
            sha256=sha256 or hashlib.sha256(content or b"").hexdigest(),
            content=content,
            created_at=at.isoformat(),
        )

    def documents_of(self, numero: str) -> list[Row]:
        d = t.documents
        statement = _q(
            "documents_of",
            lambda: (
                select(d.c.id, d.c.nature, d.c.filename, d.c.size, d.c.created_at)
                .where(d.c.numero == bindparam("numero"))
                .order_by(d.c.id)
            ),
        )
        return self._rows(statement, numero=numero)

    def document(self, numero: str, document_id: int) -> Row | None:
        d = t.documents
        statement = _q(
            "document",
            lambda: select(d.c.filename, d.c.content).where(
                d.c.id == bindparam("b_id"), d.c.numero == bindparam("numero")
            ),
        )
        return self._row(statement, b_id=document_id, numero=numero)

    def add_payment(self, at: datetime, numero: str, nature: str, cents: int) -> None:
        self._insert(t.payments, numero=numero, nature=nature, montant_cents=cents, at=at.isoformat())

    def payments_of(self, numero: str) -> list[Row]:
        return self._rows(_of_request(t.payments), numero=numero)

    def paid_cents(self, numero: str) -> int:
        p = t.payments
        statement = _q(
            "paid_cents",
            lambda: select(func.coalesce(func.sum(p.c.montant_cents), 0)).where(p.c.numero == bindparam("numero")),
        )
        return int(self._scalar(statement, numero=numero))

    def add_avenant(
        self, at: datetime, numero: str, statut: str, cents: int, motif: str | None, missing: Sequence[str] = ()
    ) -> int:
        return self._insert(
            t.avenants,
            numero=numero,
            statut=statut,
            montant_cents=cents,
            motif=motif,
            created_at=at.isoformat(),
            updated_at=at.isoformat(),
            pieces_manquantes=dumps(sorted(missing)),
        )

    def set_avenant_pieces(self, avenant_id: int, missing: Sequence[str], at: datetime) -> None:
        self._update(t.avenants, "id", avenant_id, pieces_manquantes=dumps(sorted(missing)), updated_at=at.isoformat())

    def editor_avenants(self, editor_id: int, statut: str) -> list[Row]:
        """An editor's avenants of one status (those created incomplete, most often), oldest first."""
        a, r = t.avenants, t.requests
        statement = _q(
            "editor_avenants",
            lambda: (
                select(a)
                .join(r, r.c.numero == a.c.numero)
                .where(a.c.statut == bindparam("statut"), r.c.editor_id == bindparam("editor_id"))
                .order_by(a.c.id)
            ),
        )
        return self._rows(statement, statut=statut, editor_id=editor_id)

    def avenant(self, avenant_id: int) -> Row | None:
        return self._row(_by_id(t.avenants), b_id=avenant_id)

    def avenants_of(self, numero: str) -> list[Row]:
        return self._rows(_of_request(t.avenants), numero=numero)

    def avenant_statuses(self, numero: str) -> tuple[str, ...]:
        return tuple(row[0] for row in self._run(_AVENANT_STATUSES, {"numero": numero}))

    def set_avenant_status(self, avenant_id: int, statut: str, at: datetime) -> None:
        self._update(t.avenants, "id", avenant_id, statut=statut, updated_at=at.isoformat())

    # ------------------------------------------------------------------ cancellations

    def add_cancellation(self, **values: Any) -> int:
        return self._insert(t.cancellations, **values)

    def cancellation(self, cancellation_id: int) -> Row | None:
        return self._row(_by_id(t.cancellations), b_id=cancellation_id)

    def cancellations_of(self, numero: str) -> list[Row]:
        """A request's cancellation requests, oldest first."""
        return self._rows(_of_request(t.cancellations), numero=numero)

    def cancellations_page(self, etat: str | None, *, after: int | None, limit: int) -> list[Row]:
        """Cancellation requests in the order of their numbers (of one state), after the number ``after``."""
        c = t.cancellations
        statement = _q(
            ("cancellations_page", etat is None),
            lambda: (
                select(c)
                .where(
                    c.c.id > bindparam("after"),
                    *([] if etat is None else [c.c.etat == bindparam("etat")]),
                )
                .order_by(c.c.id)
                .limit(bindparam("limit"))
            ),
        )
        return self._rows(statement, after=after or 0, limit=limit, **({} if etat is None else {"etat": etat}))

    def decide_cancellation(self, cancellation_id: int, etat: str, motif: str | None, at: datetime) -> None:
        self._update(t.cancellations, "id", cancellation_id, etat=etat, decision_motif=motif, decided_at=at.isoformat())

    # ------------------------------------------------------------------ the controls' lookups

    def requests_where(self, column: str, values: Iterable[str], *, editor_id: int | None) -> list[Row]:
        """The requests whose ``column`` is one of ``values`` (the editor's own with ``editor_id``),
        one index search per value (see :func:`select_sql`)."""
        found = self.requests_matching_any({column: values}, editor_id=editor_id, mine={column: editor_id is not None})
        return found[column]

    def requests_matching_any(
        self, values: dict[str, Iterable[str]], *, editor_id: int | None, mine: dict[str, bool]
    ) -> dict[str, list[Row]]:
        """For each column, the requests whose value in it is one of the given ones (the editor's
        own where ``mine``): one query for all the columns (a UNION ALL of :func:`select_sql`),
        each value one index search. What the controls' history loads before a file's lines."""
        columns = tuple(values)
        statement = _lookups(self.dialect, tuple((c, mine[c]) for c in columns))
        params: dict[str, Any] = {"editor_id": editor_id}
        for index, column in enumerate(columns):
            listed = list(values[column])
            params[f"v{index}"] = dumps(listed) if self.dialect == "sqlite" else listed
        found: dict[str, list[Row]] = {column: [] for column in columns}
        for row in self._run(statement, params).all():
            found[columns[row["lookup"]]].append(row)
        return found

    def request_matching(self, editor_id: int | None, **conditions: Any) -> Row | None:
        """The first request (in the order of their numbers) matching every condition: ``column=value``,
        ``column__ne=value`` or ``column__in=values``; with ``editor_id``, among that editor's."""
        r = t.requests
        where: list[Any] = []
        if editor_id is not None:
            where.append(r.c.editor_id == editor_id)
        for key, value in conditions.items():
            name, _, op = key.partition("__")
            column = r.c[name]
            if op == "ne":
                where.append(column != value)
            elif op == "in":
                where.append(column.in_(sorted(value)))
            else:
                where.append(column == value)
        return self._row(select(r).where(and_(*where)).order_by(r.c.numero).limit(1))

    # ------------------------------------------------------------------ sizes (benchmarks)

    def table_counts(self) -> dict[str, int]:
        return {table.name: int(self._scalar(select(func.count()).select_from(table)) or 0) for table in t.TABLES}


_LOOKUPS: dict[tuple[str, tuple[tuple[str, bool], ...]], Any] = {}


def _lookups(dialect: str, columns: tuple[tuple[str, bool], ...]) -> Any:
    """The UNION ALL of the lookups of ``columns`` (each tagged with its rank, ``lookup``), built once."""
    key = (dialect, columns)
    found = _LOOKUPS.get(key)
    if found is None:
        parts = [
            select_sql(column, mine=mine, dialect=dialect, values=f"v{index}", tag=index)
            for index, (column, mine) in enumerate(columns)
        ]
        found = _LOOKUPS[key] = text(" UNION ALL ".join(parts))
    return found


def select_sql(
    column: str, *, mine: bool, dialect: str = "sqlite", values: str = "values", tag: int | None = None
) -> str:
    """The history's query for the stored requests whose ``column`` is one of ``:values`` (a JSON
    array on SQLite, an array on PostgreSQL), the depositor's own (``:editor_id``) when ``mine``;
    with ``tag``, each row says it in a column ``lookup``."""
    if column not in t.requests.c:
        raise ValueError(f"unknown column {column!r}")
    label = f"{tag} AS lookup, " if tag is not None else ""
    if dialect == "sqlite":
        where = f"r.editor_id = :editor_id AND r.{column} = v.value" if mine else f"r.{column} = v.value"
        return f"SELECT {label}r.* FROM json_each(:{values}) AS v CROSS JOIN requests AS r WHERE {where}"
    own = " AND r.editor_id = :editor_id" if mine else ""
    # the values as rows, each driving one index search (LATERAL … OFFSET 0 keeps the planner from
    # turning it into a scan of the editor's rows, or of the table, for a hash join)
    return (
        f"SELECT {label}r.* FROM unnest(CAST(:{values} AS text[])) AS v(value) CROSS JOIN LATERAL "
        f"(SELECT * FROM requests AS q WHERE q.{column} = v.value{own.replace('r.', 'q.')} OFFSET 0) AS r"
    )
