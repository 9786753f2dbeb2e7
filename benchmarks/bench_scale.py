"""How the mock portal's costs grow with what it stores: every page and list, simulate and
import of 200 lines, at 10 000, 100 000 and 1 000 000 stored requests, on SQLite and PostgreSQL.

The store is filled through the storage layer's own bulk insert, ``Store.add_requests``, the very
call an import makes, with the rows the import path makes (``Deposits.request_rows``, from a real
import's answer to a 200-request file with its zip): per batch of 200, one deposit with its stored
answer, 200 requests (their data, first event and counts) and the journal lines of the calls
around it (one import, nine reads). What differs from one batch to the next: the line references,
order-form numbers and sites (a distinct FINESS per request, with a valid key), the ASP numbers
(the portal's own sequence, left where the fill ends), the deposit time (one second later each).
Most requests belong to the demo editor (9 batches out of 10; the others to a second editor); 1
batch in 20 is stored incomplete (imported without its zip), the others « En attente
d'instruction », as imports leave them: the fill holds avances only (a solde needs a paid avance),
so ``typeDemande=solde`` selects none.

Each size is reached by adding to the previous one; at each, the measures are taken in process
(Flask's test client: the server's time, no network), the median of ``--rounds`` calls. The
simulate and the import of 200 lines are timed side by side with the same on an empty store
(a second database, emptied again before each import), round by round, the order swapped every
round, and judged on the median of the rounds' ratios (the machine is shared: its speed changes
within seconds, a ratio taken side by side holds). The import sends 200 new requests without
zip, so that the time is the controls' and the store's, not the reading of 200 PDFs. After each fill, SQLite's WAL is checkpointed and PostgreSQL's statistics
gathered (``VACUUM ANALYZE``, autovacuum's work), as a server running for weeks would have them. The database's size is read after a checkpoint (SQLite) or from
``pg_database_size`` of a fresh database (PostgreSQL), and divided by the requests stored.

    .venv/bin/python benchmarks/bench_scale.py                       # SQLite, 10k, 100k, 1M
    .venv/bin/python benchmarks/bench_scale.py --postgresql URL      # and PostgreSQL (a database it may fill)
    .venv/bin/python benchmarks/bench_scale.py --sizes 2000 --rounds 3 --quick   # a short run (tests)
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson
from segur.generators.archive import write_zip
from segur.generators.bundle import finess_with_key, scaled
from segur.generators.pdf import pdf_document
from segur.mock_portal import create_app
from segur.mock_portal.controls import IMPORT, check_deposit
from segur.mock_portal.controls.answer import format_number
from segur.mock_portal.controls.attachments import attachment_report
from segur.mock_portal.controls.line import Line, read_values
from segur.mock_portal.controls.spec import resolve
from segur.mock_portal.services import Portal
from segur.mock_portal.services.deposits import stored_answer
from segur.mock_portal.store import Store, dumps
from segur.mock_portal.store.database import engine_url
from sqlalchemy.engine import make_url

ADMIN = "bench-scale-admin"
LOGIN, PASSWORD = "demo", "demo-segur-2024"


def example(spec: Any) -> Any:
    """The spec's example file of its first avance profile."""
    profile = next(p.name for p in spec.profiles.values() if p.deposit_type == "avance")
    return orjson.loads((spec.root / "examples" / f"{profile}.json").read_bytes())


def choices(spec: Any) -> tuple[str, float]:
    """The ANS number and the VAT rate of that example's requests (the deposit screen's)."""
    first = read_values(resolve(example(spec), spec.document["requests"].path)[0], spec)
    return str(first["ans_number"]), float(first["vat_rate"])


BATCH = 200
TARGET_MS = 200.0
#: the issue's figures for the code before this change (SQLite), by size
TODAY = {
    "page": {10_000: "288 ms", 100_000: "2.5 s", 1_000_000: "35 s"},
    "lists": {10_000: "0.9 s, 3.8 MB", 100_000: "9 s, 35 MB", 1_000_000: "time-out (120 s)"},
    "solde": {10_000: "45 ms", 100_000: "244 ms", 1_000_000: "4 s"},
    "size": {10_000: "19 MB", 100_000: "158 MB", 1_000_000: "1.6 GB"},
}


# --------------------------------------------------------------------------- the database


def database_for(kind: str, folder: Path, postgresql: str) -> str:
    if kind == "sqlite":
        return str(folder / "scale.sqlite3")
    import psycopg

    name = f"segur_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(postgresql), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return make_url(engine_url(postgresql)).set(database=name).render_as_string(hide_password=False)


def drop_database(kind: str, url: str, postgresql: str) -> None:
    if kind != "postgresql":
        return
    import psycopg

    name = make_url(url).database
    with psycopg.connect(_libpq(postgresql), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _libpq(url: str) -> str:
    return make_url(engine_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def size_bytes(kind: str, app: Any) -> int:
    database = app.extensions["segur_database"]
    with database.engine.connect() as connection:
        if kind == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
            size = connection.exec_driver_sql("PRAGMA page_size").scalar()
            return int(pages) * int(size)
        connection.exec_driver_sql("VACUUM ANALYZE")
        return int(connection.exec_driver_sql("SELECT pg_database_size(current_database())").scalar())


def settle(kind: str, app: Any) -> None:
    """After a bulk fill, what a server running for weeks would have done meanwhile: SQLite's
    WAL checkpointed, PostgreSQL's tables vacuumed and analysed (autovacuum's work)."""
    with app.extensions["segur_database"].engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)" if kind == "sqlite" else "VACUUM ANALYZE")


# --------------------------------------------------------------------------- the fill


class Filler:
    """Adds batches of 200 requests as an import stores them (see the module's docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.spec = app.extensions["segur_spec"]
        self.flows = app.extensions["segur_workflows"]
        self.batches = 0
        bundle = scaled(example(self.spec), BATCH, self.spec, prefix="TPL")
        names = [
            p.name
            for raw in resolve(bundle, self.spec.document["requests"].path)
            for p in Line(0, raw, self.spec).pieces
        ]
        archive = io.BytesIO()
        write_zip(archive, ((n, pdf_document("Bon de commande", ["banc d'essai"])) for n in names))
        self.data = orjson.dumps(bundle)
        portal = self._portal()
        editor = portal.store.editor_by_login(LOGIN)
        assert editor is not None
        self.demo = int(editor["id"])
        with portal.store.transaction():
            self.other = portal.accounts.create_editor(
                "autre", "x", "autre@x.example", "73282932000074", "Autre", portal.now(), "ENR-BENCH"
            )
        ans, vat = choices(self.spec)
        deposit = portal.deposits.deposit(editor, "avance", ans, f"{vat:g}")
        report = attachment_report(self.data, io.BytesIO(archive.getvalue()), self.spec)
        numbers = iter(range(1, 10**6))
        answer = check_deposit(
            self.data,
            deposit,
            spec=self.spec,
            history=portal.deposits.history(editor),
            attachments=report,
            mode=IMPORT,
            numbering=lambda profile, at: format_number(self.spec, profile, at, next(numbers)),
        )
        assert answer.all_accepted, answer.to_json()["lignes"][0]
        self.profile = answer.profile
        self.answer = dumps(stored_answer(answer.to_json()))
        self.start = portal.now()
        self.template = portal.deposits.request_rows(self.demo, 0, answer, self.data, self.start)
        self.sequence_key = f"seq:{self.profile.code_numerotation}{self.start.astimezone(self.spec.timezone).year}"  # type: ignore[union-attr]
        self.sequence = 0
        self.incomplete = self.spec.statuts["incomplete"]
        portal.store.close()

    def _portal(self) -> Portal:
        return Portal(Store(self.app.extensions["segur_database"]), self.spec, self.flows)

    def fill(self, requests: int, progress: Callable[[int], None]) -> None:
        portal = self._portal()
        store = portal.store
        self.sequence = int(store.meta(self.sequence_key) or 0)  # after the numbers the measured imports took
        try:
            while self.batches * BATCH < requests:
                with store.transaction():
                    for _ in range(min(25, (requests - self.batches * BATCH) // BATCH or 1)):
                        self._batch(store)
                store.set_meta(self.sequence_key, self.sequence)
                progress(self.batches * BATCH)
        finally:
            store.close()

    def _batch(self, store: Store) -> None:
        k = self.batches
        self.batches += 1
        at = self.start + timedelta(seconds=k)
        stamp = at.isoformat()
        editor = self.other if k % 10 == 9 else self.demo
        incomplete = k % 20 == 7
        deposit_id = store.add_deposit(
            editor_id=editor,
            type_demande=self.profile.type_demande,  # type: ignore[union-attr]
            numero_ans=choices(self.spec)[0],
            taux_tva=choices(self.spec)[1],
            at=stamp,
            statut="OK",
            answer=self.answer,
            file_sha256=f"{k:064x}",
            created_at=stamp,
        )
        rows = []
        for i, template in enumerate(self.template):
            self.sequence += 1
            tag = f"F{k:06d}-{i + 1:04d}"
            old_finess = template["finess_geographique"]
            finess = finess_with_key(f"{10 + (k * BATCH + i) // 1_000_000:02d}{(k * BATCH + i) % 1_000_000:06d}")
            rows.append(
                {
                    **template,
                    "numero": format_number(self.spec, self.profile, at, self.sequence),  # type: ignore[arg-type]
                    "editor_id": editor,
                    "deposit_id": deposit_id,
                    "reference_ligne": tag,
                    "numero_bdc": f"BDC-{tag}",
                    "finess_geographique": finess,
                    "statut": self.incomplete if incomplete else template["statut"],
                    "pieces_manquantes": dumps([f"BDC-{tag}.pdf"]) if incomplete else template["pieces_manquantes"],
                    "data": template["data"].replace(f"TPL-{i + 1:04d}", tag).replace(old_finess, finess),
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        store.add_requests(rows, "import")
        store.log(at, editor, "POST", "/api/imports", 201, {"depot": deposit_id})
        for _ in range(9):
            store.log(at, editor, "GET", "/api/requests", 200, {})


# --------------------------------------------------------------------------- the measures


class Measures:
    def __init__(self, app: Any, rounds: int) -> None:
        self.app = app
        self.rounds = rounds
        self.client = app.test_client()
        page = self.client.get("/connexion").get_data(as_text=True)
        token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        self.client.post("/connexion", data={"_csrf": token, "identifiant": LOGIN, "motDePasse": PASSWORD})
        page = self.client.get("/espace").get_data(as_text=True)  # a new form token once signed in
        token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        self.client.post("/gestion/connexion", data={"_csrf": token, "jeton": ADMIN})
        api = self.client.post("/api/login", json={"login": LOGIN, "password": PASSWORD}).json
        self.editor = {"Authorization": f"Bearer {api['token']}"}  # type: ignore[index]
        self.admin = {"Authorization": f"Bearer {ADMIN}"}
        spec = app.extensions["segur_spec"]
        self.simulated = orjson.dumps(scaled(example(spec), BATCH, spec, prefix="SIMU"))
        self.ans, self.vat = choices(spec)
        self.imports = 0

    def _median(self, call: Callable[[], Any]) -> tuple[float, int]:
        times, size = [], 0
        for _ in range(self.rounds):
            started = time.perf_counter()
            response = call()
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code in (200, 201), (response.status_code, response.get_data(as_text=True)[:300])
            size = len(response.get_data())
        return statistics.median(times), size

    def gets(self, numero: str, total: int) -> dict[str, tuple[float, int]]:
        last = max(1, -(-total // 50))
        editor_pages: dict[str, dict[str, str] | None] = {
            "/espace": None,
            "/espace/demandes": None,
            "/espace/demandes?statut=enAttente": None,
            "/espace/demandes?typeDemande=solde": None,
            "/espace/demandes?page=<last>": None,
            "/espace/demandes?page=<middle>": None,
            "/espace/demandes?page=<next>&apres=<numero>": None,
            "/espace/demandes-incompletes": None,
            "/espace/demandes/<numero>": None,
            "/espace/demande-de-financement": None,
            "/gestion": None,
            "/gestion/demandes": None,
            "/gestion/demandes?statut=incomplete": None,
            "/gestion/demandes?typeDemande=solde": None,
            "/gestion/demandes?page=<last>": None,
            "/gestion/demandes?page=<middle>": None,
            "/gestion/demandes?page=<next>&apres=<numero>": None,
            "/gestion/demandes/<numero>": None,
            "/gestion/enrolements": None,
            "/gestion/courriels": None,
        }
        api = {
            "/api/requests": self.editor,
            "/api/requests?apres=<numero>": self.editor,
            "/api/requests?typeDemande=solde": self.editor,
            "/api/requests?statut=incomplete": self.editor,
            "/api/requests/incompletes": self.editor,
            "/api/requests/<numero>": self.editor,
            "/api/me": self.editor,
            "/api/mails": self.editor,
            "/admin/requests": self.admin,
            "/admin/requests?typeDemande=solde": self.admin,
            "/admin/requests?statut=enAttente": self.admin,
            "/admin/journal": self.admin,
            "/admin/journal?avant=1000": self.admin,
            "/admin/mails": self.admin,
            "/admin/enrolments": self.admin,
        }
        found = {}

        def real(label: str) -> str:  # the last page, the middle one, the link after a request a third of the way in
            middle = str(max(1, last // 2))
            return (
                label.replace("<last>", str(last))
                .replace("<middle>", middle)
                .replace("<next>", str(max(2, last // 3)))
                .replace("<numero>", numero)
            )

        for label, headers in [*editor_pages.items(), *api.items()]:
            path = real(label)
            found[label] = self._median(lambda p=path, h=headers: self.client.get(p, headers=h or {}))  # type: ignore[misc]
        return found

    def login(self) -> None:
        api = self.client.post("/api/login", json={"login": LOGIN, "password": PASSWORD}).json
        self.editor = {"Authorization": f"Bearer {api['token']}"}  # type: ignore[index]

    def reset(self) -> None:
        """The store emptied and seeded again (the floor's, before each import it times)."""
        assert self.client.post("/admin/reset", headers=self.admin).status_code == 200
        self.login()

    def simulate_once(self) -> float:
        form = {
            "typeDemande": "avance",
            "tauxTva": f"{self.vat:g}",
            "numeroAns": self.ans,
            "fichier": (io.BytesIO(self.simulated), "d.json"),
        }
        started = time.perf_counter()
        response = self.client.post("/api/simulations", data=form, headers=self.editor)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200 and response.json["recapitulatif"]["acceptees"] == BATCH  # type: ignore[index]
        return elapsed

    def import_once(self) -> float:
        spec = self.app.extensions["segur_spec"]
        base = example(spec)

        def send() -> Any:
            self.imports += 1  # each import its own sites
            data = orjson.dumps(scaled(base, BATCH, spec, prefix=f"IMP{self.imports:04d}", sites=self.imports * BATCH))
            form = {
                "typeDemande": "avance",
                "tauxTva": f"{self.vat:g}",
                "numeroAns": self.ans,
                "fichier": (io.BytesIO(data), "d.json"),
            }
            started = time.perf_counter()
            response = self.client.post("/api/imports", data=form, headers=self.editor)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.json["recapitulatif"]["incompletes"] == BATCH, response.json["lignes"][0]  # type: ignore[index]
            return elapsed

        return float(send())


def paired(full: Measures, floor: Measures, what: str, rounds: int) -> tuple[float, float, float]:
    """``what`` (simulate or import) on the filled store and on an empty one, side by side,
    round by round (the order swapped every round; the empty store emptied again before each
    import): the medians of each and the median of the rounds' ratios."""
    times: list[tuple[float, float]] = []
    for index in range(rounds):
        if what == "import":
            floor.reset()
        pair = []
        for measures in (full, floor) if index % 2 == 0 else (floor, full):
            pair.append(measures.simulate_once() if what == "simulate" else measures.import_once())
        times.append((pair[0], pair[1]) if index % 2 == 0 else (pair[1], pair[0]))
    return (
        statistics.median(t[0] for t in times),
        statistics.median(t[1] for t in times),
        statistics.median(t[0] / t[1] for t in times),
    )


# --------------------------------------------------------------------------- the run


def run(kind: str, sizes: list[int], rounds: int, postgresql: str, folder: Path) -> dict[str, Any]:
    url = database_for(kind, folder, postgresql)
    result: dict[str, Any] = {"database": kind, "sizes": {}}
    try:
        app = create_app({"DATABASE": url, "ADMIN_TOKEN": ADMIN, "PAGES_DIR": str(folder / f"pages-{kind}")})
        measures = Measures(app, rounds)
        floor_url = database_for(kind, folder / "floor", postgresql)
        (folder / "floor").mkdir(exist_ok=True)
        floor_app = create_app({"DATABASE": floor_url, "ADMIN_TOKEN": ADMIN, "PAGES_DIR": str(folder / "pages-floor")})
        floor = Measures(floor_app, rounds)
        filler = Filler(app)
        for size in sizes:
            started = time.monotonic()
            filler.fill(size, lambda n: print(f"\r[{kind}] filling: {n:,} requests", end="", flush=True))
            fill_s = time.monotonic() - started
            settle(kind, app)
            stored = filler.batches * BATCH + measures.imports * BATCH + 3
            print(f"\r[{kind}] filled {filler.batches * BATCH:,} requests in {fill_s:.0f} s; measuring…", flush=True)
            store = Store(app.extensions["segur_database"])
            numero = store.requests_page(filler.demo, limit=1, offset=(filler.batches * BATCH) // 3)[0]["numero"]
            total = store.count_requests(filler.demo, without=[app.extensions["segur_spec"].statuts["incomplete"]])
            store.close()
            gets = measures.gets(numero, total)
            simulate, empty_simulate, simulate_ratio = paired(measures, floor, "simulate", rounds)
            import_, empty_import, import_ratio = paired(measures, floor, "import", rounds)
            size_b = size_bytes(kind, app)
            result["sizes"][size] = {
                "fill_s": fill_s,
                "stored": stored,
                "gets": {path: {"median_ms": m, "bytes": b} for path, (m, b) in gets.items()},
                "simulate_ms": simulate,
                "import_ms": import_,
                "empty_simulate_ms": empty_simulate,
                "empty_import_ms": empty_import,
                "simulate_ratio": simulate_ratio,
                "import_ratio": import_ratio,
                "database_bytes": size_b,
                "bytes_per_request": size_b / max(1, stored),
            }
            worst = max(gets.items(), key=lambda kv: kv[1][0])
            print(
                f"[{kind}] {size:,}: slowest GET {worst[0]} {worst[1][0]:.1f} ms; simulate {simulate:.1f} ms "
                f"(empty store {empty_simulate:.1f} ms, ×{simulate_ratio:.2f}); import {import_:.1f} ms "
                f"(empty store {empty_import:.1f} ms, ×{import_ratio:.2f}); "
                f"{size_b / 1e6:.0f} MB, {size_b / max(1, stored):.0f} bytes per request",
                flush=True,
            )
        app.extensions["segur_database"].dispose()
        floor_app.extensions["segur_database"].dispose()
    finally:
        drop_database(kind, url, postgresql)
        if "floor_url" in locals():
            drop_database(kind, floor_url, postgresql)
    return result


def table(results: list[dict[str, Any]], sizes: list[int]) -> list[str]:
    lines = []
    header = ["what", *(f"{s:,}" for s in sizes)]

    def row(label: str, cells: list[str]) -> None:
        lines.append(" | ".join([label, *cells]))

    row(*header[:1], header[1:])
    for result in results:
        kind = result["database"]
        by = result["sizes"]
        paths = list(next(iter(by.values()))["gets"]) if by else []
        for path in paths:
            row(f"{kind}: GET {path}", [f"{by[s]['gets'][path]['median_ms']:.1f} ms" for s in sizes if s in by])
        row(
            f"{kind}: slowest page or list",
            [f"{max(g['median_ms'] for g in by[s]['gets'].values()):.1f} ms" for s in sizes if s in by],
        )
        row(
            f"{kind}: simulate 200 lines, empty store beside it (ratio)",
            [
                f"{by[s]['simulate_ms']:.1f} ms, {by[s]['empty_simulate_ms']:.1f} ms (×{by[s]['simulate_ratio']:.2f})"
                for s in sizes
                if s in by
            ],
        )
        row(
            f"{kind}: import 200 lines, empty store beside it (ratio)",
            [
                f"{by[s]['import_ms']:.1f} ms, {by[s]['empty_import_ms']:.1f} ms (×{by[s]['import_ratio']:.2f})"
                for s in sizes
                if s in by
            ],
        )
        row(f"{kind}: database", [f"{by[s]['database_bytes'] / 1e6:.0f} MB" for s in sizes if s in by])
        row(f"{kind}: bytes per request", [f"{by[s]['bytes_per_request']:.0f}" for s in sizes if s in by])
    known = [s for s in sizes if s in TODAY["page"]]
    if known:
        row("today (issue 14): « Demandes déposées »", [TODAY["page"].get(s, "-") for s in sizes])
        row("today: GET /api/requests, /admin/requests", [TODAY["lists"].get(s, "-") for s in sizes])
        row("today: ?typeDemande=solde", [TODAY["solde"].get(s, "-") for s in sizes])
        row("today: database", [TODAY["size"].get(s, "-") for s in sizes])
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="stored requests at each measure (ascending)")
    parser.add_argument("--rounds", type=int, default=9, help="calls per measure (the median is kept)")
    parser.add_argument(
        "--postgresql",
        default=os.environ.get("SEGUR_BENCH_POSTGRESQL", ""),
        help="a PostgreSQL URL (its server gets a new database for the run, dropped after); without it, SQLite only",
    )
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "scale.json")
    parser.add_argument("--quick", action="store_true", help="no check of the targets")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    kinds = ["sqlite"] + (["postgresql"] if args.postgresql else [])
    if args.only:
        kinds = [args.only]
    started = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="segur-scale-") as tmp:
        for kind in kinds:
            results.append(run(kind, sizes, args.rounds, args.postgresql, Path(tmp)))
    lines = table(results, sizes)
    print()
    print("\n".join(lines))
    missed = []
    for result in results:
        for size, found in result["sizes"].items():
            for path, measure in found["gets"].items():
                if measure["median_ms"] > TARGET_MS:
                    missed.append(
                        f"{result['database']} {size}: GET {path} {measure['median_ms']:.0f} ms > {TARGET_MS:.0f} ms"
                    )
            for what in ("simulate", "import"):
                if found[f"{what}_ratio"] > 1.2:
                    missed.append(f"{result['database']} {size}: {what} ×{found[f'{what}_ratio']:.2f} > 1.2")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        orjson.dumps(
            {
                "when": datetime.now().isoformat(timespec="seconds"),
                "results": results,
                "table": lines,
                "missed": missed,
            },
            option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS,
        ).decode()
    )
    print(
        f"\n{len(missed)} target(s) missed ({'; '.join(missed) or 'none'}); {time.monotonic() - started:.0f} s; {args.out}"
    )
    return 1 if missed and not args.quick else 0


if __name__ == "__main__":
    raise SystemExit(main())
