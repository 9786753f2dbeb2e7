"""The mock portal's state in SQLite: one file, shared by every worker, surviving restarts.

Every change that belongs together (an import and its lines, a transition and its mail)
is one transaction: a killed process leaves the last committed state, never half of one.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from segur.mock_portal.controls import StoredRequest

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS editors (
    id INTEGER PRIMARY KEY, login TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL, email TEXT NOT NULL,
    siret TEXT NOT NULL, raison_sociale TEXT NOT NULL, numero_enrolement TEXT UNIQUE NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, editor_id INTEGER NOT NULL REFERENCES editors(id), created_at TEXT NOT NULL,
    expires_at TEXT, kind TEXT NOT NULL DEFAULT 'api');
CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(key, at);
CREATE TABLE IF NOT EXISTS enrolments (
    id INTEGER PRIMARY KEY, editor_id INTEGER REFERENCES editors(id), numero_ans TEXT NOT NULL,
    couloir TEXT NOT NULL, type_logiciel TEXT NOT NULL, siret TEXT NOT NULL, email TEXT NOT NULL,
    statut TEXT NOT NULL, motif TEXT, data TEXT NOT NULL, complementaire INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL, decided_at TEXT);
CREATE TABLE IF NOT EXISTS enrolment_pieces (
    id INTEGER PRIMARY KEY, enrolment_id INTEGER NOT NULL REFERENCES enrolments(id), nature TEXT NOT NULL,
    filename TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS deposits (
    id INTEGER PRIMARY KEY, editor_id INTEGER NOT NULL REFERENCES editors(id), type_demande TEXT NOT NULL,
    numero_ans TEXT, taux_tva REAL NOT NULL, at TEXT NOT NULL, statut TEXT NOT NULL, answer TEXT NOT NULL,
    file_sha256 TEXT NOT NULL, termine INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    numero TEXT PRIMARY KEY, editor_id INTEGER NOT NULL REFERENCES editors(id), deposit_id INTEGER REFERENCES deposits(id),
    num_ligne INTEGER, reference_ligne TEXT, numero_bdc TEXT, type_demande TEXT NOT NULL, couloir TEXT NOT NULL,
    type_logiciel TEXT NOT NULL, profil TEXT NOT NULL, numero_ans TEXT, finess_geographique TEXT, siret TEXT,
    numero_avance TEXT, statut TEXT NOT NULL, motif TEXT, montant_cents INTEGER, data TEXT NOT NULL,
    pieces_manquantes TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS request_events (
    id INTEGER PRIMARY KEY, numero TEXT NOT NULL REFERENCES requests(numero), at TEXT NOT NULL,
    from_statut TEXT, to_statut TEXT NOT NULL, actor TEXT NOT NULL, motif TEXT);
CREATE TABLE IF NOT EXISTS avenants (
    id INTEGER PRIMARY KEY, numero TEXT NOT NULL REFERENCES requests(numero), statut TEXT NOT NULL,
    montant_cents INTEGER NOT NULL, motif TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY, numero TEXT NOT NULL REFERENCES requests(numero), nature TEXT NOT NULL,
    filename TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, content BLOB, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY, numero TEXT NOT NULL REFERENCES requests(numero), nature TEXT NOT NULL,
    montant_cents INTEGER NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mails (
    id INTEGER PRIMARY KEY, editor_id INTEGER, destinataire TEXT NOT NULL, objet TEXT NOT NULL, corps TEXT NOT NULL,
    numero TEXT, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, editor_id INTEGER, method TEXT NOT NULL, path TEXT NOT NULL,
    status INTEGER NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY, route TEXT NOT NULL, method TEXT, kind TEXT NOT NULL, latency_ms INTEGER NOT NULL DEFAULT 0,
    remaining INTEGER, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scenarios (
    id INTEGER PRIMARY KEY, trigger TEXT NOT NULL, action TEXT NOT NULL, remaining INTEGER, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS requests_editor ON requests(editor_id, statut);
CREATE INDEX IF NOT EXISTS requests_reference ON requests(editor_id, reference_ligne);
CREATE INDEX IF NOT EXISTS requests_bdc ON requests(editor_id, numero_bdc, type_demande);
CREATE INDEX IF NOT EXISTS requests_finess ON requests(finess_geographique, type_logiciel);
CREATE INDEX IF NOT EXISTS requests_siret ON requests(siret, type_logiciel);
CREATE INDEX IF NOT EXISTS requests_avance ON requests(editor_id, numero_avance);
CREATE INDEX IF NOT EXISTS events_request ON request_events(numero);
CREATE INDEX IF NOT EXISTS documents_request ON documents(numero);
CREATE INDEX IF NOT EXISTS mails_request ON mails(numero);
CREATE INDEX IF NOT EXISTS mails_editor ON mails(editor_id);
CREATE INDEX IF NOT EXISTS payments_request ON payments(numero);
CREATE INDEX IF NOT EXISTS avenants_request ON avenants(numero);
"""

_TABLES = (
    "login_failures",
    "scenarios",
    "faults",
    "journal",
    "mails",
    "payments",
    "documents",
    "avenants",
    "request_events",
    "requests",
    "deposits",
    "enrolment_pieces",
    "enrolments",
    "sessions",
    "editors",
    "meta",
)


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, foreign keys on."""
    connection = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def initialise(connection: sqlite3.Connection) -> None:
    connection.executescript(SCHEMA)
    columns = {row["name"] for row in connection.execute("PRAGMA table_info(sessions)")}
    for column, declaration in (("expires_at", "TEXT"), ("kind", "TEXT NOT NULL DEFAULT 'api'")):
        if column not in columns:  # a database made before sessions ended: its sessions end now
            connection.execute(f"ALTER TABLE sessions ADD COLUMN {column} {declaration}")


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def loads(text: str | bytes | None) -> Any:
    return orjson.loads(text) if text else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class Store:
    """Queries over one connection. Use :meth:`transaction` around changes that belong together."""

    db: sqlite3.Connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error: all or nothing."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ------------------------------------------------------------------ meta

    def meta(self, key: str) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return loads(row["value"]) if row else None

    def set_meta(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, dumps(value)),
        )

    def forget_meta(self, key: str) -> None:
        self.db.execute("DELETE FROM meta WHERE key = ?", (key,))

    def next_sequence(self, name: str) -> int:
        """The next value of a named counter (call inside a transaction)."""
        current = self.meta(f"seq:{name}") or 0
        self.set_meta(f"seq:{name}", current + 1)
        return int(current) + 1

    def reset(self) -> None:
        """Forget everything (the admin's reset); the caller seeds again."""
        with self.transaction() as db:
            for table in _TABLES:
                db.execute(f"DELETE FROM {table}")

    # ------------------------------------------------------------------ editors and sessions

    def editor(self, editor_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute("SELECT * FROM editors WHERE id = ?", (editor_id,)).fetchone()
        return row

    def editor_by_login(self, login: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute("SELECT * FROM editors WHERE login = ?", (login,)).fetchone()
        return row

    def editor_by_token(self, token: str, *, now: str, kind: str) -> sqlite3.Row | None:
        """The editor of a session of ``kind`` still open at ``now`` (a stamp comparable with
        ``expires_at``; a session without one has ended)."""
        row: sqlite3.Row | None = self.db.execute(
            "SELECT editors.* FROM sessions JOIN editors ON editors.id = sessions.editor_id "
            "WHERE token_hash = ? AND kind = ? AND expires_at > ?",
            (token_hash(token), kind, now),
        ).fetchone()
        return row

    def open_session(self, editor_id: int, at: datetime, *, expires_at: str, kind: str) -> str:
        token = new_token()
        self.db.execute(
            "INSERT INTO sessions(token_hash, editor_id, created_at, expires_at, kind) VALUES (?, ?, ?, ?, ?)",
            (token_hash(token), editor_id, at.isoformat(), expires_at, kind),
        )
        return token

    def close_session(self, token: str, *, kind: str) -> bool:
        cursor = self.db.execute("DELETE FROM sessions WHERE token_hash = ? AND kind = ?", (token_hash(token), kind))
        return cursor.rowcount > 0

    def forget_sessions_ended(self, now: str) -> None:
        self.db.execute("DELETE FROM sessions WHERE expires_at IS NULL OR expires_at <= ?", (now,))

    # ------------------------------------------------------------------ login attempts

    def login_failures(self, key: str, since: str) -> tuple[int, str]:
        """How many failures ``key`` has had since ``since``, and the oldest of them."""
        row = self.db.execute(
            "SELECT COUNT(*), MIN(at) FROM login_failures WHERE key = ? AND at > ?", (key, since)
        ).fetchone()
        return int(row[0]), str(row[1] or "")

    def add_login_failure(self, key: str, at: str) -> None:
        self.db.execute("INSERT INTO login_failures(key, at) VALUES (?, ?)", (key, at))

    def clear_login_failures(self, key: str) -> None:
        self.db.execute("DELETE FROM login_failures WHERE key = ?", (key,))

    def forget_login_failures_before(self, at: str) -> None:
        self.db.execute("DELETE FROM login_failures WHERE at <= ?", (at,))

    def enrolments_of(self, editor_id: int) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM enrolments WHERE editor_id = ? ORDER BY id", (editor_id,)).fetchall()

    # ------------------------------------------------------------------ mails and journal

    def send_mail(
        self, at: datetime, to: str, subject: str, body: str, editor_id: int | None = None, numero: str | None = None
    ) -> None:
        self.db.execute(
            "INSERT INTO mails(editor_id, destinataire, objet, corps, numero, at) VALUES (?, ?, ?, ?, ?, ?)",
            (editor_id, to, subject, body, numero, at.isoformat()),
        )

    def log(self, at: datetime, editor_id: int | None, method: str, path: str, status: int, detail: Any) -> None:
        self.db.execute(
            "INSERT INTO journal(at, editor_id, method, path, status, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (at.isoformat(), editor_id, method, path, status, dumps(detail)),
        )

    # ------------------------------------------------------------------ requests

    def request(self, numero: str, editor_id: int | None = None) -> sqlite3.Row | None:
        """A request; with ``editor_id``, only if it is that editor's (others read as absent)."""
        if editor_id is None:
            row: sqlite3.Row | None = self.db.execute("SELECT * FROM requests WHERE numero = ?", (numero,)).fetchone()
        else:
            row = self.db.execute(
                "SELECT * FROM requests WHERE numero = ? AND editor_id = ?", (numero, editor_id)
            ).fetchone()
        return row

    def add_event(
        self, at: datetime, numero: str, source: str | None, target: str, actor: str, motif: str | None
    ) -> None:
        self.db.execute(
            "INSERT INTO request_events(numero, at, from_statut, to_statut, actor, motif) VALUES (?, ?, ?, ?, ?, ?)",
            (numero, at.isoformat(), source, target, actor, motif),
        )

    def set_status(self, at: datetime, numero: str, target: str, motif: str | None) -> None:
        self.db.execute(
            "UPDATE requests SET statut = ?, motif = ?, updated_at = ? WHERE numero = ?",
            (target, motif, at.isoformat(), numero),
        )

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
        cursor = self.db.execute(
            "INSERT INTO documents(numero, nature, filename, size, sha256, content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                numero,
                nature,
                filename,
                size if size is not None else len(content or b""),
                sha256 or hashlib.sha256(content or b"").hexdigest(),
                content,
                at.isoformat(),
            ),
        )
        return int(cursor.lastrowid or 0)

    def history_rows(self) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT numero, editor_id, type_demande, couloir, type_logiciel, statut, reference_ligne, numero_bdc, "
            "finess_geographique, siret, numero_avance FROM requests"
        ).fetchall()


def select_sql(column: str, *, mine: bool) -> str:
    """The history's query for the stored requests whose ``column`` is one of the values of a
    JSON array (parameter 1), the depositor's own (parameter 2) when ``mine``."""
    where = f"r.editor_id = ? AND r.{column} = v.value" if mine else f"r.{column} = v.value"
    return f"SELECT r.* FROM json_each(?) AS v CROSS JOIN requests AS r WHERE {where}"


class SqliteHistory:
    """The controls' read-only view of stored requests, for one depositor (segur.mock_portal.controls.History).

    :meth:`prepare` fetches, in a few indexed queries, every stored request the file's lines
    can match; the lookups then read from memory. A value it did not prepare is queried.
    """

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
        self._by_reference: dict[str, list[sqlite3.Row]] = {}
        self._by_bdc: dict[str, list[sqlite3.Row]] = {}
        self._by_site: dict[str, list[sqlite3.Row]] = {}
        self._by_avance: dict[str, list[sqlite3.Row]] = {}
        self._rows: dict[str, sqlite3.Row] = {}

    def _select(self, column: str, values: set[str], *, mine: bool) -> list[sqlite3.Row]:
        """The stored requests whose ``column`` is one of ``values`` (the depositor's own when
        ``mine``). The values go as one JSON array that drives the query: for each, one search in
        the column's index (CROSS JOIN keeps that order; an IN list would first be sorted into a
        temporary index, several times slower for a file's 200 values)."""
        if not values:
            return []
        args = (dumps(list(values)), self.editor_id) if mine else (dumps(list(values)),)
        rows: list[sqlite3.Row] = self.store.db.execute(select_sql(column, mine=mine), args).fetchall()
        return rows

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
        self._by_reference = _by_value(self._select("reference_ligne", references, mine=True), "reference_ligne")
        self._by_bdc = _by_value(self._select("numero_bdc", bdcs, mine=True), "numero_bdc")
        self._by_site = _by_value(
            self._select("finess_geographique", finess, mine=False), "finess_geographique", "FINESS "
        )
        self._by_site.update(_by_value(self._select("siret", sirets, mine=False), "siret", "SIRET "))
        self._by_avance = _by_value(self._select("numero_avance", avances, mine=True), "numero_avance")
        self._rows = {row["numero"]: row for row in self._select("numero", avances, mine=True)}
        self._references, self._bdcs, self._avances = references, bdcs, avances
        return bool(self._by_reference or self._by_bdc or self._by_site or self._by_avance or self._rows)

    def _first(self, rows: list[sqlite3.Row], keep: Any) -> StoredRequest | None:
        for row in rows:
            if keep(row):
                return self._stored(row)
        return None

    def _one(self, sql: str, *args: Any) -> StoredRequest | None:
        row = self.store.db.execute(sql, args).fetchone()
        return self._stored(row) if row else None

    def _live(self, row: sqlite3.Row) -> bool:
        return bool(row["editor_id"] == self.editor_id and row["statut"] != self.rejected)

    def _stored(self, row: sqlite3.Row) -> StoredRequest:
        avenants = tuple(
            r["statut"]
            for r in self.store.db.execute("SELECT statut FROM avenants WHERE numero = ? ORDER BY id", (row["numero"],))
        )
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
            avenants=avenants,
            own=row["editor_id"] == self.editor_id,
        )

    def by_reference(self, reference: str) -> StoredRequest | None:
        if reference in self._references:  # prepared: most values match nothing stored
            rows = self._by_reference.get(reference)
            return self._first(rows, self._live) if rows else None
        return self._one(
            "SELECT * FROM requests WHERE editor_id = ? AND reference_ligne = ? AND statut != ?",
            self.editor_id,
            reference,
            self.rejected,
        )

    def by_bdc(self, numero_bdc: str, type_demande: str) -> StoredRequest | None:
        if numero_bdc in self._bdcs:
            rows = self._by_bdc.get(numero_bdc)
            return self._first(rows, lambda r: self._live(r) and r["type_demande"] == type_demande) if rows else None
        return self._one(
            "SELECT * FROM requests WHERE editor_id = ? AND numero_bdc = ? AND type_demande = ? AND statut != ?",
            self.editor_id,
            numero_bdc,
            type_demande,
            self.rejected,
        )

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
            marks = ",".join("?" * len(statuses))
            found = self._one(
                f"SELECT * FROM requests WHERE {column} = ? AND type_logiciel = ? AND statut IN ({marks})",
                value,
                type_logiciel,
                *sorted(statuses),
            )
            if found is not None:
                return found
        return None

    def get(self, numero_demande: str) -> StoredRequest | None:
        if numero_demande in self._avances:
            row = self._rows.get(numero_demande)
            return self._stored(row) if row is not None and row["editor_id"] == self.editor_id else None
        return self._one("SELECT * FROM requests WHERE numero = ? AND editor_id = ?", numero_demande, self.editor_id)

    def solde_of(self, numero_avance: str) -> StoredRequest | None:
        if numero_avance in self._avances:
            rows = self._by_avance.get(numero_avance)
            return self._first(rows, self._live) if rows else None
        return self._one(
            "SELECT * FROM requests WHERE editor_id = ? AND numero_avance = ? AND statut != ?",
            self.editor_id,
            numero_avance,
            self.rejected,
        )


def _by_value(rows: list[sqlite3.Row], column: str, prefix: str = "") -> dict[str, list[sqlite3.Row]]:
    """Rows by their value in ``column`` (prefixed), each list in the order of the request numbers."""
    found: dict[str, list[sqlite3.Row]] = {}
    for row in sorted(rows, key=lambda r: r["numero"]):
        found.setdefault(prefix + row[column], []).append(row)
    return found
