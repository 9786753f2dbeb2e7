"""One writer at a time, across every process sharing the database: the transaction that
changes the state takes SQLite's write lock at its start (``BEGIN IMMEDIATE``), or on
PostgreSQL a transaction-level advisory lock, released by its COMMIT or ROLLBACK. Reads take no
lock and see the last committed state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

#: the advisory lock key of the portal's writes (any 64-bit number the database does not use otherwise)
WRITE_LOCK = 0x5E6E_0014


@contextmanager
def exclusive(connection: Connection) -> Iterator[Connection]:
    """BEGIN (with the write lock) … COMMIT, or ROLLBACK on any error: all or nothing. The
    connection is in autocommit mode (the driver's), so the statements are sent as written,
    on the driver's own connection (each request writes its journal line in one of these)."""
    raw = connection.connection.driver_connection
    assert raw is not None
    if connection.dialect.name == "sqlite":
        raw.execute("BEGIN IMMEDIATE")
    else:
        raw.execute("BEGIN")
        try:
            raw.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        except BaseException:
            raw.execute("ROLLBACK")
            raise
    try:
        yield connection
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    raw.execute("COMMIT")
