import io, sys, sqlite3
from pathlib import Path
sys.path.insert(0, ".")
from tests._support.portal import make_app, login, admin_headers, enrolment_form, deposit_form, transition
from tests._support.paths import EXAMPLES
out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
db = out / "portal.sqlite3"
if db.exists(): db.unlink()
app = make_app(out)
c = app.test_client()
A = admin_headers()
assert c.post("/admin/clock", json={"at": "2024-02-01T10:00"}, headers=A).status_code == 200
h = login(c)
r = c.post("/api/enrolments", json=enrolment_form()); assert r.status_code == 201, r.json
eid = r.json["id"]
assert c.post(f"/admin/enrolments/{eid}/decision", json={"vers": "enInstruction"}, headers=A).status_code == 200
assert c.post(f"/admin/enrolments/{eid}/decision", json={"vers": "validee"}, headers=A).status_code == 200
r = c.post("/api/enrolments", json=enrolment_form("ANS-MS2-EDIT-0002", "autre@editeur.example")); assert r.status_code == 201
assert c.post(f"/admin/enrolments/{r.json['id']}/decision", json={"vers": "rejetee", "motif": "pièces illisibles"}, headers=A).status_code == 200
assert c.post("/admin/scenarios", json={"etapes": ["enCours"], "ligne": 1, "fois": 2}, headers=A).status_code == 201
assert c.post("/admin/faults", json={"route": "/api/me", "type": "latency", "latenceMs": 1, "fois": 5}, headers=A).status_code == 201
r = c.post("/api/imports", data=deposit_form("ms1-avance", type_demande="avance", ans="ANS-MS1-DUI-0042"), headers=h); assert r.status_code == 201, r.json
dep = r.json
nums = [l["numeroDemande"] for l in dep["lignes"]]
assert c.post(f"/api/imports/{dep['depot']}/terminer", headers=h).status_code == 200
import orjson
from segur.generators.bundle import replicate
other = orjson.dumps(replicate(orjson.loads((EXAMPLES / "ms1-avance.json").read_bytes()), 2, prefix="INC"))
r = c.post("/api/imports", data=deposit_form("ms1-avance", type_demande="avance", with_zip=False, data=other, ans="ANS-MS1-DUI-0042"), headers=h); assert r.status_code == 201, r.json
inc = [l.get("numeroDemande") for l in r.json["lignes"]]
r = c.post("/api/imports", data=deposit_form("ms1-avance", type_demande="avance", data=b"{\"x\": 1}", ans="ANS-MS1-DUI-0042"), headers=h); assert r.status_code == 201
r = c.post("/api/simulations", data=deposit_form("ms1-avance", type_demande="avance", with_zip=False, ans="ANS-MS1-DUI-0042"), headers=h); assert r.status_code == 200
for step in ("validee", "decidee", "payee"):
    transition(c, nums[0], step)
transition(c, nums[1], "enCours"); transition(c, nums[1], "aModifier", "montant à revoir")
r = c.post(f"/admin/requests/{nums[0]}/avenants", json={"montant": 1234.5, "motif": "extension"}, headers=A); assert r.status_code == 201
av = r.json["avenants"][0]["id"]
assert c.post(f"/admin/avenants/{av}/transition", json={"vers": "decide"}, headers=A).status_code == 200
assert c.get("/api/me", headers=h).status_code == 200
assert c.get("/api/requests", headers=h).status_code == 200
print(nums, inc)
con = sqlite3.connect(db)
for t, in con.execute("select name from sqlite_master where type='table' order by name"):
    print(t, con.execute(f"select count(*) from {t}").fetchone()[0])
con.execute("VACUUM")
con.close()
print(db.stat().st_size)
