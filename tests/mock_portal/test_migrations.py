"""Schema migrations: a store made by release 0.2.0 (``data/store-0.2.0.sql``, dumped from the
SQLite file that ``data/make_store_0_2_0.py`` made with that release) opens with the current code:
upgraded in place, nothing lost, every answer the same, the numbering going on; a second start
finds it done; a database newer than the code is refused with a message, not a traceback."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from segur.generators.bundle import scaled
from segur.mock_portal.store import DatabaseError, Store, open_database
from segur.mock_portal.store.schema import VERSION
from sqlalchemy import inspect

from tests._support.database import on_postgresql
from tests._support.paths import EXAMPLES, SPEC
from tests._support.portal import ADMIN, admin_headers, deposit_form, login

DUMP = Path(__file__).parent / "data" / "store-0.2.0.sql"
MS1 = "ANS-MS1-DUI-0042"

pytestmark = pytest.mark.skipif(on_postgresql(), reason="release 0.2.0 kept its state in SQLite only")

#: the spec the 0.2.0 store was written under (its deposits' answers name it)
DUMP_SPEC = re.search(r'"specification":\{"id":"([^"]+)"', DUMP.read_text(encoding="utf-8")).group(1)  # type: ignore[union-attr]


def legacy(tmp_path: Path) -> Path:
    path = tmp_path / "legacy.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(DUMP.read_text(encoding="utf-8"))
    return path


def rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of 0.2.0, in a stable order."""
    with sqlite3.connect(path) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


@pytest.mark.skipif(
    SPEC.id != DUMP_SPEC,
    reason=f"data/store-0.2.0.sql was written under the spec {DUMP_SPEC}: its requests carry that spec's status "
    "labels, request types, numbering, ANS number and example; the spec in force (SEGUR_SPEC) is another",
)
def test_a_store_of_0_2_0_is_upgraded_without_losing_anything(tmp_path: Path) -> None:
    path = legacy(tmp_path)
    before = rows(path)
    assert len(before["requests"]) == 5 and len(before["documents"]) == 2 and len(before["journal"]) == 10

    from segur.mock_portal import create_app

    app = create_app({"DATABASE": str(path), "ADMIN_TOKEN": ADMIN, "TESTING": True})
    after = rows(path)
    # every row kept as it was, the statuses the spec has renamed since (statutsPrecedents) under
    # their new label; only the sessions gained their (empty) expiry and revocation and their kind
    # (an API session: without an end, it is open no more), the requests what their pieces said
    # (nothing read yet) and the avenants their missing pieces (none), and the gestionnaire's token
    # kept in clear is kept sealed instead
    renamed = {old: SPEC.statuts[key] for key, olds in SPEC.previous_statuses.items() for old in olds}
    assert renamed, "the model renamed a status since 0.2.0 (incomplete: « Incomplète »)"
    added = {"sessions": (None, None, "api"), "requests": ("{}",), "avenants": ("[]",)}

    def relabel(table: str, row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(renamed.get(v, v) for v in row) if table in ("requests", "request_events") else row

    for table, found in before.items():
        if table in added:
            width = len(added[table])
            kept = sorted((r[:-width] for r in after[table]), key=repr)
            assert kept == sorted((relabel(table, r) for r in found), key=repr), table
            assert all(r[-width:] == added[table] for r in after[table]), table
        elif table == "meta":
            clear = [row for row in found if row[0] == "admin_token"]
            assert clear and set(found) - set(clear) <= set(after[table])
            assert not [row for row in after[table] if row[0] == "admin_token" or clear[0][1] in row[1]]
            sealed = dict(after[table])["admin_token_sealed"]
            assert "scellé" in sealed
        elif table in ("requests", "request_events"):
            relabelled = sorted((relabel(table, row) for row in found), key=repr)
            assert after[table] == relabelled, table
        else:
            assert after[table] == found, table
    assert ("schema_version", str(VERSION)) in after["meta"]
    incomplete = SPEC.statuts["incomplete"]
    counts = {(e, t, s): n for e, t, s, n in after["request_counts"]}
    assert sum(counts.values()) == 5 and counts == {
        (1, "AVANCE", "Décidée et payée"): 1,
        (1, "AVANCE", "À modifier"): 1,
        (1, "AVANCE", "En attente d'instruction"): 1,
        (1, "AVANCE", incomplete): 2,
    }
    database = open_database(path)
    indexes = {i["name"] for i in inspect(database.engine).get_indexes("requests")}
    assert {"requests_editor_page", "requests_statut_page"} <= indexes and "requests_editor" not in indexes
    database.dispose()

    client = app.test_client()
    headers = login(client)
    listed = client.get("/api/requests", headers=headers).json
    assert [(r["numeroDemande"], r["statut"]) for r in listed["demandes"]] == [
        ("MS1A2024000001", "Décidée et payée"),
        ("MS1A2024000002", "À modifier"),
        ("MS1A2024000003", "En attente d'instruction"),
        ("MS1A2024000004", incomplete),
        ("MS1A2024000005", incomplete),
    ]
    detail = client.get("/api/requests/MS1A2024000001", headers=headers).json
    assert [d["nature"] for d in detail["piecesJustificatives"]] == ["DECISION_ATTRIBUTION", "AVIS_PAIEMENT"]
    assert detail["avenants"][0]["montant"] == 1234.5 and detail["suiviFinancier"]["totalVerse"] > 0
    stored_pdf = next(r for r in before["documents"] if r[1] == "MS1A2024000001" and r[2] == "AVIS_PAIEMENT")
    download = client.get(f"/api/requests/MS1A2024000001/documents/{stored_pdf[0]}", headers=headers)
    assert download.status_code == 200 and download.data == stored_pdf[6]
    assert client.get("/api/imports/1", headers=headers).json["lignes"][0]["numeroDemande"] == "MS1A2024000001"
    assert client.get("/api/me", headers=headers).json["demandesIncompletes"] == 2
    journal = client.get("/admin/journal?limit=5&avant=6", headers=admin_headers()).json["journal"]
    assert [e["id"] for e in journal] == [1, 2, 3, 4, 5]
    enrolments = client.get("/admin/enrolments", headers=admin_headers()).json["enrolements"]
    assert [e["statut"] for e in enrolments] == ["Validée", "Validée", "Validée", "Rejetée"]

    # the numbering goes on; the scenario left (1 of 2) moves the new import's first line
    bundle = orjson.dumps(scaled(orjson.loads((EXAMPLES / "ms1-avance.json").read_bytes()), 2, SPEC, prefix="MIG"))
    form = deposit_form("ms1-avance", type_demande="avance", data=bundle, ans=MS1, with_zip=False)
    imported = client.post("/api/imports", data=form, headers=headers)
    assert imported.status_code == 201, imported.json
    numbers = [line.get("numeroDemande") for line in imported.json["lignes"]]
    assert numbers == ["MS1A2024000006", "MS1A2024000007"], imported.json["lignes"]
    assert client.get("/admin/scenarios", headers=admin_headers()).json["scenarios"][0]["restant"] == 0

    # a second start: nothing left to do
    again = open_database(path)
    store = Store(again)
    assert store.meta("schema_version") == VERSION
    store.close()
    again.dispose()


def test_a_database_newer_than_the_code_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    database = open_database(path)
    store = Store(database)
    with store.transaction():
        store.set_meta("schema_version", VERSION + 1)
    store.close()
    database.dispose()
    with pytest.raises(DatabaseError, match=f"schema version {VERSION + 1} is newer than this kit's"):
        open_database(path)
