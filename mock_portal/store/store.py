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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Executable,
    RowMapping,
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

Row = RowMapping


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def loads(text_value: str | bytes | None) -> Any:
    return orjson.loads(text_value) if text_value else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


# statements of the hot paths, built once (SQLAlchemy caches their compiled form)
_META = select(t.meta.c.value).where(t.meta.c.key == bindparam("key"))
_EDITOR_BY_TOKEN = (
    select(t.editors)
    .join(t.sessions, t.sessions.c.editor_id == t.editors.c.id)
    .where(
        t.sessions.c.token_hash == bindparam("token_hash"),
        t.sessions.c.revoked_at.is_(None),
        or_(t.sessions.c.expires_at.is_(None), t.sessions.c.expires_at > bindparam("now")),
    )
)
_ENROLMENTS_OF = (
    select(t.enrolments).where(t.enrolments.c.editor_id == bindparam("editor_id")).order_by(t.enrolments.c.id)
)
_ACTIVE_FAULTS = (
    select(t.faults).where(or_(t.faults.c.remaining.is_(None), t.faults.c.remaining > 0)).order_by(t.faults.c.id)
)
_LOG = t.journal.insert()
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
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
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
            self._connection = self.database.engine.connect()
        return self._connection

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def close(self) -> None:
        """Give the connection back (a transaction left open is rolled back by the pool)."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()

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

    def _rows(self, statement: Executable, **params: Any) -> list[Row]:
        return list(self.connection.execute(statement, params).mappings())

    def _row(self, statement: Executable, **params: Any) -> Row | None:
        return self.connection.execute(statement, params).mappings().first()

    def _scalar(self, statement: Executable, **params: Any) -> Any:
        return self.connection.execute(statement, params).scalar()

    def _insert(self, table: Any, **values: Any) -> int:
        result = self.connection.execute(table.insert().values(**values).returning(table.c.id))
        return int(result.scalar_one())

    # ------------------------------------------------------------------ meta

    def meta(self, key: str) -> Any:
        found = self._scalar(_META, key=key)
        return loads(found) if found is not None else None

    def set_meta(self, key: str, value: Any) -> None:
        self.connection.execute(_upserts(self.dialect)[0], {"key": key, "value": dumps(value)})

    def next_sequence(self, name: str) -> int:
        """The next value of a named counter (inside a transaction: the write lock makes it unique)."""
        current = self.meta(f"seq:{name}") or 0
        self.set_meta(f"seq:{name}", current + 1)
        return int(current) + 1

    def reset(self) -> None:
        """Forget everything (the admin's reset); the caller seeds again."""
        with self.transaction():
            for table in t.TABLES:
                self.connection.execute(table.delete())

    # ------------------------------------------------------------------ editors and sessions

    def editor(self, editor_id: int) -> Row | None:
        return self._row(select(t.editors).where(t.editors.c.id == editor_id))

    def editor_by_login(self, login: str) -> Row | None:
        return self._row(select(t.editors).where(t.editors.c.login == login))

    def editor_by_email(self, email: str) -> Row | None:
        return self._row(select(t.editors).where(t.editors.c.email == email).order_by(t.editors.c.id).limit(1))

    def editor_by_token(self, token: str, at: datetime) -> Row | None:
        """The editor of a live session: neither revoked nor past its expiry (when it has one)."""
        return self._row(_EDITOR_BY_TOKEN, token_hash=token_hash(token), now=at.isoformat())

    def editor_name_by_siret(self, siret: str) -> str | None:
        found = self._scalar(select(t.editors.c.raison_sociale).where(t.editors.c.siret == siret).limit(1))
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

    def open_session(self, editor_id: int, at: datetime, expires_at: datetime | None = None) -> str:
        token = new_token()
        self.connection.execute(
            t.sessions.insert().values(
                token_hash=token_hash(token),
                editor_id=editor_id,
                created_at=at.isoformat(),
                expires_at=expires_at.isoformat() if expires_at else None,
            )
        )
        return token

    def revoke_sessions(self, editor_id: int, at: datetime) -> None:
        self.connection.execute(
            t.sessions.update()
            .where(t.sessions.c.editor_id == editor_id, t.sessions.c.revoked_at.is_(None))
            .values(revoked_at=at.isoformat())
        )

    # ------------------------------------------------------------------ enrolments

    def enrolments_of(self, editor_id: int) -> list[Row]:
        return self._rows(_ENROLMENTS_OF, editor_id=editor_id)

    def enrolment(self, enrolment_id: int) -> Row | None:
        return self._row(select(t.enrolments).where(t.enrolments.c.id == enrolment_id))

    def enrolment_pieces(self, enrolment_id: int) -> list[Row]:
        pieces = t.enrolment_pieces
        return self._rows(
            select(pieces.c.nature, pieces.c.filename, pieces.c.size)
            .where(pieces.c.enrolment_id == enrolment_id)
            .order_by(pieces.c.id)
        )

    def add_enrolment(self, **values: Any) -> int:
        return self._insert(t.enrolments, **values)

    def add_enrolment_piece(self, enrolment_id: int, nature: str, filename: str, content: bytes) -> None:
        self.connection.execute(
            t.enrolment_pieces.insert().values(
                enrolment_id=enrolment_id,
                nature=nature,
                filename=filename,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        )

    def has_enrolment(self, editor_id: int, numero_ans: str, except_statut: str) -> bool:
        e = t.enrolments
        found = self._scalar(
            select(e.c.id)
            .where(e.c.editor_id == editor_id, e.c.numero_ans == numero_ans, e.c.statut != except_statut)
            .limit(1)
        )
        return found is not None

    def decide_enrolment(
        self, enrolment_id: int, statut: str, motif: str | None, editor_id: int | None, at: datetime
    ) -> None:
        self.connection.execute(
            t.enrolments.update()
            .where(t.enrolments.c.id == enrolment_id)
            .values(statut=statut, motif=motif, editor_id=editor_id, decided_at=at.isoformat())
        )

    def latest_enrolment_data(self, siret: str) -> Any:
        """The form of the latest first enrolment of a SIRET (not a complementary one)."""
        e = t.enrolments
        found = self._scalar(
            select(e.c.data).where(e.c.siret == siret, e.c.complementaire == 0).order_by(e.c.id.desc()).limit(1)
        )
        return loads(found) if found is not None else None

    def enrolments_page(
        self, statut: str | None, *, newest_first: bool, after: int | None = None, limit: int = 50, offset: int = 0
    ) -> list[Row]:
        """Enrolments in the order of their ids (or the reverse), from after ``after`` or from ``offset``."""
        e = t.enrolments
        query = select(e)
        if statut is not None:
            query = query.where(e.c.statut == statut)
        if after is not None:
            query = query.where(e.c.id < after if newest_first else e.c.id > after)
        query = query.order_by(e.c.id.desc() if newest_first else e.c.id).limit(limit).offset(offset)
        return self._rows(query)

    def count_enrolments(self, statut: str | None = None, *, not_in: Sequence[str] = ()) -> int:
        e = t.enrolments
        query = select(func.count()).select_from(e)
        if statut is not None:
            query = query.where(e.c.statut == statut)
        if not_in:
            query = query.where(e.c.statut.not_in(list(not_in)))
        return int(self._scalar(query) or 0)

    # ------------------------------------------------------------------ mails and journal

    def send_mail(
        self, at: datetime, to: str, subject: str, body: str, editor_id: int | None = None, numero: str | None = None
    ) -> None:
        self.connection.execute(
            t.mails.insert().values(
                editor_id=editor_id, destinataire=to, objet=subject, corps=body, numero=numero, at=at.isoformat()
            )
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
        query = select(m)
        if editor_id is not None:
            query = query.where(m.c.editor_id == editor_id)
        if after is not None:
            query = query.where(m.c.id < after if newest_first else m.c.id > after)
        query = query.order_by(m.c.id.desc() if newest_first else m.c.id).limit(limit).offset(offset)
        return self._rows(query)

    def count_mails(self) -> int:
        return int(self._scalar(select(func.count()).select_from(t.mails)) or 0)

    def log(self, at: datetime, editor_id: int | None, method: str, path: str, status: int, detail: Any) -> None:
        self.connection.execute(
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
        query = select(j)
        if after is not None:
            return self._rows(query.where(j.c.id > after).order_by(j.c.id).limit(limit))
        if before is not None:
            query = query.where(j.c.id < before)
        return self._rows(query.order_by(j.c.id.desc()).limit(limit))[::-1]

    # ------------------------------------------------------------------ faults and scenarios

    def active_faults(self) -> list[Row]:
        return self._rows(_ACTIVE_FAULTS)

    def use_fault(self, fault_id: int) -> None:
        f = t.faults
        self.connection.execute(
            f.update().where(f.c.id == fault_id, f.c.remaining > 0).values(remaining=f.c.remaining - 1)
        )

    def faults(self) -> list[Row]:
        return self._rows(select(t.faults).order_by(t.faults.c.id))

    def add_fault(self, **values: Any) -> int:
        return self._insert(t.faults, **values)

    def clear_faults(self) -> None:
        self.connection.execute(t.faults.delete())

    def active_scenarios(self, trigger: str) -> list[Row]:
        s = t.scenarios
        return self._rows(
            select(s).where(s.c.trigger == trigger, or_(s.c.remaining.is_(None), s.c.remaining > 0)).order_by(s.c.id)
        )

    def use_scenario(self, scenario_id: int) -> None:
        s = t.scenarios
        self.connection.execute(
            s.update().where(s.c.id == scenario_id, s.c.remaining.is_not(None)).values(remaining=s.c.remaining - 1)
        )

    def scenarios(self) -> list[Row]:
        return self._rows(select(t.scenarios).order_by(t.scenarios.c.id))

    def add_scenario(self, **values: Any) -> int:
        return self._insert(t.scenarios, **values)

    def clear_scenarios(self) -> None:
        self.connection.execute(t.scenarios.delete())

    # ------------------------------------------------------------------ deposits

    def add_deposit(self, **values: Any) -> int:
        return self._insert(t.deposits, **values)

    def deposit(self, deposit_id: int, editor_id: int) -> Row | None:
        d = t.deposits
        return self._row(select(d).where(d.c.id == deposit_id, d.c.editor_id == editor_id))

    def terminate_deposit(self, deposit_id: int) -> None:
        self.connection.execute(t.deposits.update().where(t.deposits.c.id == deposit_id).values(termine=1))

    # ------------------------------------------------------------------ requests

    def request(self, numero: str, editor_id: int | None = None) -> Row | None:
        """A request; with ``editor_id``, only if it is that editor's (others read as absent)."""
        if editor_id is None:
            return self._row(_REQUEST, numero=numero)
        return self._row(_OWN_REQUEST, numero=numero, editor_id=editor_id)

    def add_requests(self, rows: Sequence[dict[str, Any]], actor: str) -> None:
        """Requests (each a dict of the ``requests`` columns) with their first event and their count:
        what an import stores for its accepted and incomplete lines, in one batch of each."""
        if not rows:
            return
        self.connection.execute(t.requests.insert(), list(rows))
        self.connection.execute(
            t.request_events.insert(),
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
            t.request_events.insert().values(
                numero=numero, at=at.isoformat(), from_statut=source, to_statut=target, actor=actor, motif=motif
            )
        )

    def set_status(self, at: datetime, numero: str, target: str, motif: str | None) -> None:
        r = t.requests
        before = self._row(select(r.c.editor_id, r.c.type_demande, r.c.statut).where(r.c.numero == numero))
        if before is None:
            return
        self.connection.execute(
            r.update().where(r.c.numero == numero).values(statut=target, motif=motif, updated_at=at.isoformat())
        )
        if before["statut"] != target:
            self._count(before["editor_id"], before["type_demande"], before["statut"], -1)
            self._count(before["editor_id"], before["type_demande"], target, 1)

    def update_request(self, numero: str, **values: Any) -> None:
        """Columns of a request other than its status (its corrected content, its missing pieces)."""
        if "statut" in values:
            raise ValueError("a request's status changes through set_status (it keeps the counts)")
        self.connection.execute(t.requests.update().where(t.requests.c.numero == numero).values(**values))

    def _request_filter(
        self, editor_id: int | None, statut: str | None, type_demande: str | None, without: Sequence[str]
    ) -> list[Any]:
        r = t.requests
        where: list[Any] = []
        if editor_id is not None:
            where.append(r.c.editor_id == editor_id)
        if statut:
            where.append(r.c.statut == statut)
        if type_demande:
            where.append(r.c.type_demande == type_demande)
        if without:
            where.append(r.c.statut.not_in(list(without)))
        return where

    def requests_page(
        self,
        editor_id: int | None,
        *,
        statut: str | None = None,
        type_demande: str | None = None,
        without: Sequence[str] = (),
        offset: int = 0,
        limit: int = 50,
    ) -> list[Row]:
        """One page of requests, newest first (created_at, then numero): the numbers come from the
        list's index (skipping ``offset`` entries of it), then their rows."""
        r = t.requests
        keys = (
            select(r.c.numero)
            .where(*self._request_filter(editor_id, statut, type_demande, without))
            .order_by(r.c.created_at.desc(), r.c.numero.desc())
            .limit(max(1, limit))
            .offset(max(0, offset))
        )
        numeros = [row[0] for row in self.connection.execute(keys)]
        return self._by_numeros(numeros)

    def _by_numeros(self, numeros: list[str]) -> list[Row]:
        if not numeros:
            return []
        r = t.requests
        found = {row["numero"]: row for row in self._rows(select(r).where(r.c.numero.in_(numeros)))}
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
        where = self._request_filter(editor_id, statut, type_demande, ())
        if after is not None:
            where.append(tuple_(r.c.created_at, r.c.numero) > tuple_(*after))
        keys = select(r.c.numero).where(*where).order_by(r.c.created_at, r.c.numero).limit(max(1, limit))
        return self._by_numeros([row[0] for row in self.connection.execute(keys)])

    def request_key(self, numero: str, editor_id: int | None) -> tuple[str, str] | None:
        """A request's place in the lists' order (its created_at and numero)."""
        r = t.requests
        query = select(r.c.created_at, r.c.numero).where(r.c.numero == numero)
        if editor_id is not None:
            query = query.where(r.c.editor_id == editor_id)
        found = self.connection.execute(query).first()
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
        where: list[Any] = []
        if editor_id is not None:
            where.append(c.c.editor_id == editor_id)
        if statut:
            where.append(c.c.statut == statut)
        if type_demande:
            where.append(c.c.type_demande == type_demande)
        if without:
            where.append(c.c.statut.not_in(list(without)))
        return int(self._scalar(select(func.coalesce(func.sum(c.c.n), 0)).where(*where)) or 0)

    def status_counts(self, editor_id: int | None) -> dict[str, int]:
        """How many requests have each status label (an editor's, or everyone's)."""
        c = t.request_counts
        query = select(c.c.statut, func.sum(c.c.n)).group_by(c.c.statut)
        if editor_id is not None:
            query = query.where(c.c.editor_id == editor_id)
        return {statut: int(n) for statut, n in self.connection.execute(query) if n}

    def events_of(self, numero: str) -> list[Row]:
        e = t.request_events
        return self._rows(select(e).where(e.c.numero == numero).order_by(e.c.id))

    def mails_of_request(self, numero: str) -> list[Row]:
        return self._rows(select(t.mails).where(t.mails.c.numero == numero).order_by(t.mails.c.id))

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
        return self._rows(
            select(d.c.id, d.c.nature, d.c.filename, d.c.size, d.c.created_at)
            .where(d.c.numero == numero)
            .order_by(d.c.id)
        )

    def document(self, numero: str, document_id: int) -> Row | None:
        d = t.documents
        return self._row(select(d.c.filename, d.c.content).where(d.c.id == document_id, d.c.numero == numero))

    def add_payment(self, at: datetime, numero: str, nature: str, cents: int) -> None:
        self.connection.execute(
            t.payments.insert().values(numero=numero, nature=nature, montant_cents=cents, at=at.isoformat())
        )

    def payments_of(self, numero: str) -> list[Row]:
        p = t.payments
        return self._rows(select(p).where(p.c.numero == numero).order_by(p.c.id))

    def paid_cents(self, numero: str) -> int:
        p = t.payments
        return int(self._scalar(select(func.coalesce(func.sum(p.c.montant_cents), 0)).where(p.c.numero == numero)))

    def add_avenant(self, at: datetime, numero: str, statut: str, cents: int, motif: str | None) -> int:
        return self._insert(
            t.avenants,
            numero=numero,
            statut=statut,
            montant_cents=cents,
            motif=motif,
            created_at=at.isoformat(),
            updated_at=at.isoformat(),
        )

    def avenant(self, avenant_id: int) -> Row | None:
        return self._row(select(t.avenants).where(t.avenants.c.id == avenant_id))

    def avenants_of(self, numero: str) -> list[Row]:
        a = t.avenants
        return self._rows(select(a).where(a.c.numero == numero).order_by(a.c.id))

    def avenant_statuses(self, numero: str) -> tuple[str, ...]:
        return tuple(row[0] for row in self.connection.execute(_AVENANT_STATUSES, {"numero": numero}))

    def set_avenant_status(self, avenant_id: int, statut: str, at: datetime) -> None:
        a = t.avenants
        self.connection.execute(a.update().where(a.c.id == avenant_id).values(statut=statut, updated_at=at.isoformat()))

    # ------------------------------------------------------------------ the controls' lookups

    def requests_where(self, column: str, values: Iterable[str], *, editor_id: int | None) -> list[Row]:
        """The requests whose ``column`` is one of ``values`` (the editor's own with ``editor_id``),
        one index search per value: on SQLite the values go as one JSON array that drives the
        query (an IN list would first be sorted into a temporary index); on PostgreSQL as an array."""
        listed = list(values)
        if not listed:
            return []
        statement = text(select_sql(column, mine=editor_id is not None, dialect=self.dialect))
        params: dict[str, Any] = {"values": dumps(listed) if self.dialect == "sqlite" else listed}
        if editor_id is not None:
            params["editor_id"] = editor_id
        return list(self.connection.execute(statement, params).mappings())

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


def select_sql(column: str, *, mine: bool, dialect: str = "sqlite") -> str:
    """The history's query for the stored requests whose ``column`` is one of ``:values`` (a JSON
    array on SQLite, an array on PostgreSQL), the depositor's own (``:editor_id``) when ``mine``."""
    if column not in t.requests.c:
        raise ValueError(f"unknown column {column!r}")
    if dialect == "sqlite":
        where = f"r.editor_id = :editor_id AND r.{column} = v.value" if mine else f"r.{column} = v.value"
        return f"SELECT r.* FROM json_each(:values) AS v CROSS JOIN requests AS r WHERE {where}"
    own = " AND r.editor_id = :editor_id" if mine else ""
    # the values as rows, each driving one index search (LATERAL … OFFSET 0 keeps the planner from
    # turning it into a scan of the editor's rows, or of the table, for a hash join)
    return (
        f"SELECT r.* FROM unnest(CAST(:values AS text[])) AS v(value) CROSS JOIN LATERAL "
        f"(SELECT * FROM requests AS q WHERE q.{column} = v.value{own.replace('r.', 'q.')} OFFSET 0) AS r"
    )
