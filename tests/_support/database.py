"""The database a test's portal keeps its state in: an SQLite file under the test's tmp path,
or, when SEGUR_TEST_POSTGRESQL names a PostgreSQL database (``.ci/postgres start`` prints one),
a fresh schema of it for each test (the mock's tests run on both in CI)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import quote

#: a PostgreSQL database URL, e.g. postgresql://postgres@/segur_test?host=/tmp/segur-pg.x
POSTGRESQL = os.environ.get("SEGUR_TEST_POSTGRESQL", "").strip()


def on_postgresql() -> bool:
    return bool(POSTGRESQL)


_SCHEMAS: dict[Path, str] = {}


def fresh_database(tmp_path: Path, name: str = "portal.sqlite3") -> str:
    """The test's database: the SQLite file ``tmp_path / name``, or a PostgreSQL schema made for
    that path on first use (a test that opens a second app on the same path finds the same state)."""
    if not POSTGRESQL:
        return str(tmp_path / name)
    key = tmp_path / name
    if key not in _SCHEMAS:
        _SCHEMAS[key] = postgresql_schema()
    return _SCHEMAS[key]


def postgresql_schema(base: str = "") -> str:
    """A new, empty schema of the test database, as the URL of a connection that uses it."""
    import psycopg

    url = base or POSTGRESQL
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


def _libpq(url: str) -> str:
    """The URL as libpq reads it (no SQLAlchemy driver suffix)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
