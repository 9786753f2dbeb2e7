"""Schema versions: a new database gets the current layout; an existing one is upgraded step by
step, in one transaction under the write lock (a second process starting at the same time waits,
then finds it done). The version is the ``meta`` row ``schema_version``; a database without it
has the layout of release 0.2.0 (version 0). Each step only adds or derives: nothing stored is
dropped or rewritten. The DDL goes through Alembic's operations (one spelling for both dialects).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import Column, Connection, Engine, Text, func, inspect, select

from . import schema
from .locking import exclusive


def _version(connection: Connection) -> int:
    row = connection.execute(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).first()
    return int(orjson.loads(row[0])) if row else 0


def _set_version(connection: Connection, version: int) -> None:
    table = schema.meta
    connection.execute(table.delete().where(table.c.key == "schema_version"))
    connection.execute(table.insert().values(key="schema_version", value=orjson.dumps(version).decode()))


def _operations(connection: Connection) -> Any:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    return Operations(MigrationContext.configure(connection))


def _create_missing(connection: Connection) -> None:
    """Tables and indexes of the current layout that the database lacks."""
    inspector = inspect(connection)
    present = set(inspector.get_table_names())
    for table in schema.metadata.sorted_tables:
        if table.name not in present:
            table.create(connection)
            continue
        indexes = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(connection)


def _v1(connection: Connection) -> None:
    """0.2.0 → 1: sessions may expire and be revoked; requests counted per editor, type and
    status; the lists' indexes in their order (the older prefix indexes they cover are dropped)."""
    op = _operations(connection)
    columns = {column["name"] for column in inspect(connection).get_columns("sessions")}
    for name in ("expires_at", "revoked_at"):
        if name not in columns:
            op.add_column("sessions", Column(name, Text))
    indexes = {index["name"] for index in inspect(connection).get_indexes("requests")}
    if "requests_editor" in indexes:  # (editor_id, statut): a prefix of requests_editor_statut_page
        op.drop_index("requests_editor", table_name="requests")
    if "mails_editor" in {index["name"] for index in inspect(connection).get_indexes("mails")}:
        op.drop_index("mails_editor", table_name="mails")  # (editor_id) → mails_editor_page (editor_id, id)
    _create_missing(connection)
    requests, counts = schema.requests, schema.request_counts
    connection.execute(counts.delete())
    connection.execute(
        counts.insert().from_select(
            ["editor_id", "type_demande", "statut", "n"],
            select(requests.c.editor_id, requests.c.type_demande, requests.c.statut, func.count()).group_by(
                requests.c.editor_id, requests.c.type_demande, requests.c.statut
            ),
        )
    )


def _v2(connection: Connection) -> None:
    """1 → 2: one's imports listed in their order, or those of one file (GET /api/imports)."""
    _create_missing(connection)


def _v3(connection: Connection) -> None:
    """2 → 3: what the pieces said for the gestionnaire's checks by hand (requests.constats), the
    pieces an avenant created incomplete lacks (avenants.pieces_manquantes), the editors'
    cancellation requests (a table of their own)."""
    op = _operations(connection)
    for table, name, default in (("requests", "constats", "{}"), ("avenants", "pieces_manquantes", "[]")):
        if name not in {column["name"] for column in inspect(connection).get_columns(table)}:
            op.add_column(table, Column(name, Text, nullable=False, server_default=default))
    _create_missing(connection)


def _v4(connection: Connection) -> None:
    """3 → 4: sessions of a kind (the API's or the web pages'), failed logins counted. The
    sessions stored before have no end: open no more (the lookup wants an end to come)."""
    if "kind" not in {column["name"] for column in inspect(connection).get_columns("sessions")}:
        _operations(connection).add_column("sessions", Column("kind", Text, nullable=False, server_default="api"))
    _create_missing(connection)


#: each version's step, in order
STEPS: tuple[tuple[int, Callable[[Connection], None]], ...] = ((1, _v1), (2, _v2), (3, _v3), (4, _v4))


def upgrade(engine: Engine) -> int:
    """Create or upgrade the schema to :data:`schema.VERSION`; the version found before."""
    with engine.connect() as connection, exclusive(connection):
        if not inspect(connection).has_table("meta"):
            schema.metadata.create_all(connection)
            _set_version(connection, schema.VERSION)
            return schema.VERSION
        found = _version(connection)
        if found > schema.VERSION:
            raise RuntimeError(
                f"schema version {found} is newer than this kit's ({schema.VERSION}): upgrade segur-conformance-kit"
            )
        for version, step in STEPS:
            if version > found:
                step(connection)
                _set_version(connection, version)
        return found
