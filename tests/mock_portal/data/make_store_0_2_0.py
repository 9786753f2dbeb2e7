"""How ``store-0.2.0.sql`` was made: run with release 0.2.0 (commit 32c3de8) checked out,
``python tests/mock_portal/data/make_store_0_2_0.py OUT``; it drives that release's portal through
its API (an enrolment validated and one rejected, a scenario, a fault, an import terminated, an
incomplete import, a rejected file, a simulation, a request paid with an avenant, one « À
modifier ») and dumps the SQLite file it leaves as SQL (``sqlite3``'s iterdump) to OUT/legacy.sql."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import orjson

sys.path.insert(0, ".")
from segur.generators.bundle import replicate

from tests._support.paths import EXAMPLES
from tests._support.portal import (
    admin_headers,
    deposit_form,
    enrolment_form,
    login,
    make_app,
    transition,
)

MS1 = "ANS-MS1-DUI-0042"


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    database = out / "portal.sqlite3"
    database.unlink(missing_ok=True)
    client = make_app(out).test_client()
    admin = admin_headers()

    def ok(response: object, status: int = 200) -> object:
        assert response.status_code == status, response.json  # type: ignore[attr-defined]
        return response.json  # type: ignore[attr-defined]

    ok(client.post("/admin/clock", json={"at": "2024-02-01T10:00"}, headers=admin))
    headers = login(client)
    first = ok(client.post("/api/enrolments", json=enrolment_form()), 201)["id"]  # type: ignore[index]
    for target in ("enInstruction", "validee"):
        ok(client.post(f"/admin/enrolments/{first}/decision", json={"vers": target}, headers=admin))
    other = ok(client.post("/api/enrolments", json=enrolment_form("ANS-MS2-EDIT-0002", "autre@editeur.example")), 201)
    decision = {"vers": "rejetee", "motif": "pièces illisibles"}
    ok(client.post(f"/admin/enrolments/{other['id']}/decision", json=decision, headers=admin))  # type: ignore[index]
    ok(client.post("/admin/scenarios", json={"etapes": ["enCours"], "ligne": 1, "fois": 2}, headers=admin), 201)
    fault = {"route": "/api/me", "type": "latency", "latenceMs": 1, "fois": 5}
    ok(client.post("/admin/faults", json=fault, headers=admin), 201)
    form = deposit_form("ms1-avance", type_demande="avance", ans=MS1)
    deposit = ok(client.post("/api/imports", data=form, headers=headers), 201)
    numbers = [line["numeroDemande"] for line in deposit["lignes"]]  # type: ignore[index]
    ok(client.post(f"/api/imports/{deposit['depot']}/terminer", headers=headers))  # type: ignore[index]
    incomplete = orjson.dumps(replicate(orjson.loads((EXAMPLES / "ms1-avance.json").read_bytes()), 2, prefix="INC"))
    form = deposit_form("ms1-avance", type_demande="avance", with_zip=False, data=incomplete, ans=MS1)
    ok(client.post("/api/imports", data=form, headers=headers), 201)
    form = deposit_form("ms1-avance", type_demande="avance", data=b'{"x": 1}', ans=MS1)
    ok(client.post("/api/imports", data=form, headers=headers), 201)
    form = deposit_form("ms1-avance", type_demande="avance", with_zip=False, ans=MS1)
    ok(client.post("/api/simulations", data=form, headers=headers))
    for step in ("validee", "decidee", "payee"):
        transition(client, numbers[0], step)
    transition(client, numbers[1], "enCours")
    transition(client, numbers[1], "aModifier", "montant à revoir")
    added = ok(
        client.post(
            f"/admin/requests/{numbers[0]}/avenants", json={"montant": 1234.5, "motif": "extension"}, headers=admin
        ),
        201,
    )
    avenant = added["avenants"][0]["id"]  # type: ignore[index]
    ok(client.post(f"/admin/avenants/{avenant}/transition", json={"vers": "decide"}, headers=admin))
    ok(client.get("/api/me", headers=headers))
    ok(client.get("/api/requests", headers=headers))
    with sqlite3.connect(database) as db:
        db.execute("VACUUM")
        (out / "legacy.sql").write_text("\n".join(db.iterdump()) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
