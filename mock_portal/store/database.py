"""Where the state lives: an SQLite file (the default, nothing to install) or a PostgreSQL
database shared by several ``segur serve`` processes, on one host or several.

:func:`open_database` makes the SQLAlchemy engine, creates the tables of a new database or
upgrades an existing one (:mod:`.migrations`), and hands out :class:`~.store.Store` objects,
one per request. Connections run in autocommit: reads see the last committed state; a change
that belongs together is one ``Store.transaction()``, serialised across every process (SQLite's
write lock, ``BEGIN IMMEDIATE``; on PostgreSQL a transaction-level advisory lock), so that the
controls of an import see every request committed before it and the ASP numbers never repeat.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from .migrations import upgrade


class DatabaseError(Exception):
    """A database the portal cannot use: the message says which and why."""


class Database:
    """An engine and its dialect; ``url`` as shown to people (no password).

    On SQLite, each thread keeps its connection from request to request (opening one, or taking
    it from a pool and giving it back, costs more than most of the queries): it is closed when
    its thread ends, so a server that makes a thread per request holds no more connections than
    threads. On PostgreSQL, a request takes a connection from the pool and gives it back (a
    thread per request would otherwise keep as many server connections as it ever had threads).
    A connection found broken is dropped; the next request opens another."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._local = threading.local()
        #: connections a forked child must never use nor close (they belong to the parent)
        self._inherited: list[Any] = []
        os.register_at_fork(after_in_child=self._after_fork)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def connection(self) -> Connection:
        """A connection for a request (in autocommit): this thread's own on SQLite, from the pool otherwise."""
        if self.dialect != "sqlite":
            return self.engine.connect()
        held: _Held | None = getattr(self._local, "held", None)
        found = held.connection if held is not None else None
        if found is None or found.closed or found.invalidated:
            found = self.engine.connect()
            self._local.held = _Held(found)
        return found

    def release(self, connection: Connection) -> None:
        """After a request: back to the pool (PostgreSQL), or kept by its thread unless broken (SQLite)."""
        if self.dialect != "sqlite" or connection.invalidated or connection.closed:
            held: _Held | None = getattr(self._local, "held", None)
            if held is not None and held.connection is connection:
                self._local.held = None
            connection.close()

    def _after_fork(self) -> None:
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None:  # the parent's: never closed here, kept out of the collector's way
            held.inherited = True
            self._inherited.append(held)
        self._local = threading.local()

    def dispose(self) -> None:
        """Close this thread's connection and the pooled ones (before a fork, at the end)."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None:
            self._local.held = None
            held.connection.close()
        self.engine.dispose()


class _Held:
    """A thread's SQLite connection: closed when the thread ends (a server that starts a thread
    per request, as Werkzeug's does, would otherwise keep one open per thread it ever had until
    the collector runs, and the collector is paused while the controls answer)."""

    __slots__ = ("connection", "inherited")

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.inherited = False

    def __del__(self) -> None:
        if not self.inherited:
            with contextlib.suppress(Exception):  # at interpreter exit the engine may be gone
                self.connection.close()


def is_url(target: str) -> bool:
    return "://" in target


def engine_url(target: str | Path) -> str:
    """``postgresql://…`` (psycopg 3) or an SQLite file path, as an SQLAlchemy URL."""
    text = str(target)
    if not is_url(text):
        return f"sqlite:///{Path(text).expanduser()}"
    scheme, _, rest = text.partition("://")
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    if scheme == "sqlite":
        return text
    raise DatabaseError(
        f"database {text!r}: unknown scheme {scheme!r}; give an SQLite file path or a postgresql://user@host/name URL"
    )


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Each SQLite connection: autocommit (transactions are explicit), WAL, foreign keys on."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def open_database(target: str | Path, *, migrate: bool = True) -> Database:
    """The engine for ``target``, its schema created or upgraded to the current version."""
    try:
        url = make_url(engine_url(target))
    except ArgumentError as exc:
        raise DatabaseError(f"database {target!r}: {exc}") from None
    if url.get_backend_name() == "sqlite":
        try:
            _private_file(url.database or "")
        except OSError as exc:
            raise DatabaseError(f"cannot use the database {target}: {exc.strerror or exc}{_SQLITE_HINT}") from None
        # no pool: each thread keeps its own connection (Database.connection), closed with the thread
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, poolclass=NullPool)
        event.listen(engine, "connect", _sqlite_connect)
    else:
        engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=4, max_overflow=16, pool_pre_ping=True)
    database = Database(engine, url.render_as_string(hide_password=True))
    if migrate:
        try:
            upgrade(database.engine)
        except (SQLAlchemyError, RuntimeError, *driver_errors()) as exc:  # type: ignore[misc]  # a tuple built at run time
            engine.dispose()
            hint = _SQLITE_HINT if database.dialect == "sqlite" and not isinstance(exc, RuntimeError) else ""
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__  # not SQLAlchemy's link
            raise DatabaseError(f"cannot use the database {database.url}: {reason}{hint}") from None
    return database


_SQLITE_HINT = (
    " (an SQLite database must be a file this user can read and write, in a folder it can write: "
    "give another one with --database or SEGUR_DATABASE)"
)


def driver_errors() -> tuple[type[BaseException], ...]:
    """The errors the database drivers raise themselves (a transaction is begun on the driver's
    own connection: see locking.py), beside SQLAlchemy's."""
    import sqlite3

    found: list[type[BaseException]] = [sqlite3.Error, OSError]
    with contextlib.suppress(ImportError):
        import psycopg

        found.append(psycopg.Error)
    return tuple(found)


def _private_file(path: str) -> None:
    """Create a new SQLite file readable and writable by its owner only (0600): SQLite gives its
    journal files (-wal, -shm) the same mode. An existing file keeps its mode."""
    if path in ("", ":memory:") or path.startswith("file:"):
        return
    target = Path(path)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # another process made it meanwhile
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
