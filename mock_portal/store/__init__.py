"""The storage layer: the one place that queries the mock portal's state (SQLAlchemy Core,
SQLite or PostgreSQL). :func:`open_database` opens and migrates a database; a :class:`Store`
holds the queries over one connection; :class:`StoredHistory` is the controls' view of it."""

from __future__ import annotations

from .database import Database, DatabaseError, open_database
from .history import Excluding, StoredHistory
from .store import Row, Store, dumps, loads, new_token, select_sql

__all__ = [
    "Database",
    "DatabaseError",
    "Excluding",
    "Row",
    "Store",
    "StoredHistory",
    "dumps",
    "loads",
    "new_token",
    "open_database",
    "select_sql",
]
