"""Response times of the mock portal's web pages with 200 requests deposited.

Run from the repository root with the project's interpreter::

    python benchmarks/bench_pages.py [--quick] [--out FILE] [--skip-http] [--strict]

The portal's SQLite file is prepared in a temporary folder: the demo editor imports a
200-request MS1 avance deposit (with its zip) through the « Demande de financement » page,
terminates it, and an MS2 deposit without its zip (3 incomplete requests); the gestionnaire
takes 20 of the 200 through « En cours », « Validée », « Décidée » and the payment, so that
those requests have their décision, avis de paiement, mails and financial follow-up.

Then each main page is timed, one request at a time (the pages are read by one person):

1. in process, through Flask's test client (the app's own time: routing, session, the
   portal's queries, the template, no network);
2. over HTTP, as a browser meets it: ``segur serve --workers 2 --port 0`` on that database
   (gunicorn, 2 workers), a ``requests`` session signed in as the editor and as the
   gestionnaire, each page fetched with its cookies (connection included).

Every answer is checked (status 200, and a marker of the page's content). The table gives
the median and the p95 (nearest rank) of each page, against the target of 200 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
import requests  # noqa: E402
from _report import Row, environment, print_table, write_report  # noqa: E402
from bench_check import Budget, measure, summary  # noqa: E402
from segur.generators.archive import write_zip  # noqa: E402
from segur.generators.bundle import scaled  # noqa: E402
from segur.generators.pdf import pdf_document  # noqa: E402
from segur.mock_portal import create_app  # noqa: E402
from segur.mock_portal.controls import load_spec  # noqa: E402
from segur.mock_portal.controls.line import Line  # noqa: E402
from segur.mock_portal.controls.spec import resolve  # noqa: E402

REQUESTS = 200
PAID = 20
OUT_DIR = HERE / "out"
ADMIN = "bench-pages-admin-token"
LOGIN, PASSWORD = "demo", "demo-segur-2024"
MS1, MS2 = "ANS-MS1-DUI-0042", "ANS-MS2-DPE-0107"
TARGET_MS = 200.0
START_TIMEOUT_S = 60
HTTP_TIMEOUT_S = 30

BUDGETS: dict[str, dict[str, Budget]] = {
    "full": {  # rounds over every page in turn: at least min_runs of each, no new round after max_seconds
        "app": Budget(warmup=3, min_runs=50, max_runs=300, max_seconds=10.0),
        "http": Budget(warmup=3, min_runs=50, max_runs=300, max_seconds=10.0),
    },
    "quick": {
        "app": Budget(warmup=1, min_runs=5, max_runs=20, max_seconds=0.5),
        "http": Budget(warmup=1, min_runs=5, max_runs=20, max_seconds=0.5),
    },
}

_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


# --------------------------------------------------------------------------- the prepared portal


def deposit_files() -> tuple[bytes, bytes]:
    """200 distinct valid MS1 avance requests and the zip of their order forms (one PDF, 200 names)."""
    spec = load_spec()
    bundle = scaled(
        orjson.loads((spec.root / "examples" / "ms1-avance.json").read_bytes()), REQUESTS, spec, prefix="BENCH"
    )
    requests = resolve(bundle, spec.document["requests"].path)
    names = [piece.name for index, raw in enumerate(requests) for piece in Line(index, raw, spec).pieces]
    archive = io.BytesIO()
    pdf = pdf_document("Bon de commande", ["bon de commande du banc d'essai des pages"])
    write_zip(archive, ((name, pdf) for name in names))
    return orjson.dumps(bundle), archive.getvalue()


def prepare(folder: Path) -> dict[str, Any]:
    """The database of the measures, filled through the pages themselves; what the pages will show."""
    app = create_app(
        {"DATABASE": str(folder / "portal.sqlite3"), "ADMIN_TOKEN": ADMIN, "PAGES_DIR": str(folder / "pages")}
    )
    client = app.test_client()
    token = _csrf(client.get("/connexion").get_data(as_text=True))
    client.post("/connexion", data={"_csrf": token, "identifiant": LOGIN, "motDePasse": PASSWORD})
    token = _csrf(client.get("/espace").get_data(as_text=True))
    data, pieces = deposit_files()
    form = {"_csrf": token, "action": "importer", "tauxTva": "20", "typeDemande": "avance", "numeroAns": MS1}
    done = client.post(
        "/espace/demande-de-financement",
        data={**form, "fichier": (io.BytesIO(data), "depot.json"), "pieces": (io.BytesIO(pieces), "pieces.zip")},
    )
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    deposit_path = done.headers["Location"]
    client.post(deposit_path + "/terminer", data={"_csrf": token})
    spec = load_spec()
    ms2 = (spec.root / "examples" / "ms2-avance.json").read_bytes()
    client.post(
        "/espace/demande-de-financement",
        # without its zip: confirmed, as the form asks (« Importer sans archive de pièces »)
        data={**form, "numeroAns": MS2, "sansPieces": "oui", "fichier": (io.BytesIO(ms2), "ms2.json")},
    )
    client.post("/gestion/connexion", data={"_csrf": token, "jeton": ADMIN})
    token = _csrf(client.get("/gestion").get_data(as_text=True))
    numbers = [
        r["numeroDemande"] for r in client.get("/admin/requests?statut=enAttente", headers=_admin()).json["demandes"]
    ]  # type: ignore[index]
    assert len(numbers) == REQUESTS, len(numbers)
    for numero in numbers[:PAID]:
        for target in ("enCours", "validee", "decidee", "payee"):
            moved = client.post(f"/gestion/demandes/{numero}/transition", data={"_csrf": token, "vers": target})
            assert moved.status_code == 302
    # the file simulated in the measures: 200 other requests (MS2, other order forms), all accepted
    simulated = scaled(orjson.loads(ms2), REQUESTS, load_spec(), prefix="SIMU")
    return {"deposit": deposit_path, "paid": numbers[0], "waiting": numbers[-1], "simulated": orjson.dumps(simulated)}


def _admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN}"}


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, html[:1000]
    return found.group(1)


def pages(prepared: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(name, who, path, marker the answer must hold): the main pages."""
    paid = prepared["paid"]
    return [
        ("public home", "visitor", "/", "Effectuer ma demande d"),
        ("login page", "visitor", "/connexion", "Mot de passe"),
        ("enrolment, first step", "visitor", "/enrolement/referencement", "Numéro unique de référencement ANS"),
        ("rejection cases", "visitor", "/cas", "Montants HT/TTC incohérents"),
        ("editor's home", "editor", "/espace", 'id="notice-incompletes"'),
        ("Demande de financement", "editor", "/espace/demande-de-financement", "Simuler"),
        ("import of 200 lines", "editor", prepared["deposit"], 'id="statut-import">OK'),
        ("table, page 1 (50 of 200)", "editor", "/espace/demandes", "200 demandes"),
        ("table, 200 on one page", "editor", "/espace/demandes?taille=200", "200 demandes"),
        ("table, filtered by status", "editor", "/espace/demandes?statut=payee", "20 demandes"),
        ("incomplete requests", "editor", "/espace/demandes-incompletes", "3 demandes incomplètes"),
        ("a paid request", "editor", f"/espace/demandes/{paid}", 'id="suivi-financier"'),
        ("gestionnaire: dashboard", "gestionnaire", "/gestion", "Horloge du portail"),
        ("gestionnaire: requests (200 on one page)", "gestionnaire", "/gestion/demandes?taille=200", "203 demandes"),
        ("gestionnaire: a request", "gestionnaire", f"/gestion/demandes/{prepared['waiting']}", "Démarrer l"),
        ("gestionnaire: enrolments", "gestionnaire", "/gestion/enrolements", "ANS-MS1-DUI-0042"),
        ("gestionnaire: outbox", "gestionnaire", "/gestion/courriels", "avis de paiement"),
    ]


SIMULATE = ("Simuler, 200 lines (POST)", "editor", "/espace/demande-de-financement", "Récapitulatif de la simulation")


# --------------------------------------------------------------------------- in process


def in_process(folder: Path, prepared: dict[str, Any], budget: Budget) -> dict[str, list[float]]:
    app = create_app(
        {"DATABASE": str(folder / "portal.sqlite3"), "ADMIN_TOKEN": ADMIN, "PAGES_DIR": str(folder / "pages")}
    )
    clients = {who: app.test_client() for who in ("visitor", "editor", "gestionnaire")}
    token = _csrf(clients["editor"].get("/connexion").get_data(as_text=True))
    clients["editor"].post("/connexion", data={"_csrf": token, "identifiant": LOGIN, "motDePasse": PASSWORD})
    token_g = _csrf(clients["gestionnaire"].get("/gestion/connexion").get_data(as_text=True))
    clients["gestionnaire"].post("/gestion/connexion", data={"_csrf": token_g, "jeton": ADMIN})
    editor_token = _csrf(clients["editor"].get("/espace").get_data(as_text=True))

    def getter(who: str, path: str, marker: str) -> Callable[[], None]:
        client = clients[who]

        def run() -> None:
            response = client.get(path)
            assert response.status_code == 200 and marker in response.get_data(as_text=True), (
                path,
                response.status_code,
            )

        return run

    def simulate() -> None:
        form = {"_csrf": editor_token, "action": "simuler", "tauxTva": "20", "typeDemande": "avance", "numeroAns": MS2}
        response = clients["editor"].post(
            SIMULATE[2], data={**form, "fichier": (io.BytesIO(prepared["simulated"]), "depot.json")}
        )
        assert response.status_code == 200 and SIMULATE[3] in response.get_data(as_text=True)

    functions = {name: getter(who, path, marker) for name, who, path, marker in pages(prepared)}
    functions[SIMULATE[0]] = simulate
    return measure(functions, budget)


# --------------------------------------------------------------------------- over HTTP


@contextlib.contextmanager
def served(database: Path, logs: Path) -> Iterator[str]:
    """``segur serve --workers 2`` on the prepared database, in its own process group."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGUR_")}
    env.update({"PYTHONUNBUFFERED": "1", "SEGUR_ADMIN_TOKEN": ADMIN, "SEGUR_PAGES_DIR": str(database.parent / "pages")})
    command = [sys.executable, "-c", "from segur.cli import main; main()", "serve"]
    command += ["--host", "127.0.0.1", "--port", "0", "--workers", "2", "--database", str(database)]
    with logs.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            found = re.search(r"prêt sur (http://127\.0\.0\.1:\d+)/", logs.read_text(errors="replace"))
            if found:
                url = found.group(1)
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"segur serve did not start:\n{logs.read_text(errors='replace')}")
            time.sleep(0.05)
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/health", timeout=HTTP_TIMEOUT_S).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"segur serve does not answer:\n{logs.read_text(errors='replace')}")
            time.sleep(0.05)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def over_http(url: str, prepared: dict[str, Any], budget: Budget) -> dict[str, list[float]]:
    sessions = {who: requests.Session() for who in ("visitor", "editor", "gestionnaire")}
    editor = sessions["editor"]
    token = _csrf(editor.get(f"{url}/connexion", timeout=HTTP_TIMEOUT_S).text)
    editor.post(
        f"{url}/connexion", data={"_csrf": token, "identifiant": LOGIN, "motDePasse": PASSWORD}, timeout=HTTP_TIMEOUT_S
    )
    gestionnaire = sessions["gestionnaire"]
    token = _csrf(gestionnaire.get(f"{url}/gestion/connexion", timeout=HTTP_TIMEOUT_S).text)
    gestionnaire.post(f"{url}/gestion/connexion", data={"_csrf": token, "jeton": ADMIN}, timeout=HTTP_TIMEOUT_S)
    editor_token = _csrf(editor.get(f"{url}/espace", timeout=HTTP_TIMEOUT_S).text)

    def getter(who: str, path: str, marker: str) -> Callable[[], None]:
        session = sessions[who]

        def run() -> None:
            response = session.get(f"{url}{path}", timeout=HTTP_TIMEOUT_S)
            assert response.status_code == 200 and marker in response.text, (path, response.status_code)

        return run

    def simulate() -> None:
        form = {"_csrf": editor_token, "action": "simuler", "tauxTva": "20", "typeDemande": "avance", "numeroAns": MS2}
        response = editor.post(
            f"{url}{SIMULATE[2]}",
            data=form,
            files={"fichier": ("depot.json", prepared["simulated"])},
            timeout=HTTP_TIMEOUT_S,
        )
        assert response.status_code == 200 and SIMULATE[3] in response.text

    functions = {name: getter(who, path, marker) for name, who, path, marker in pages(prepared)}
    functions[SIMULATE[0]] = simulate
    return measure(functions, budget)


# --------------------------------------------------------------------------- report


def rows_of(title: str, samples: dict[str, list[float]]) -> tuple[list[Row], dict[str, Any]]:
    rows = [Row(title, "", float("nan"))]
    figures = {}
    for name, values in samples.items():
        figures[name] = summary(values, 1000.0)
        rows.append(Row(f"  {name}", "ms", figures[name]["median"], figures[name]["p95"], TARGET_MS))
    return rows, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke run)")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "pages.json", help="JSON report")
    parser.add_argument("--skip-http", action="store_true", help="in-process measures only")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    budgets = BUDGETS["quick" if args.quick else "full"]
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    try:
        t0 = time.perf_counter()
        prepared = prepare(folder)
        print(
            f"prepared: {REQUESTS} requests deposited ({PAID} paid) and 3 incomplete, in {time.perf_counter() - t0:.1f} s\n"
        )
        rows, app_figures = rows_of("1. in process (Flask test client)", in_process(folder, prepared, budgets["app"]))
        http_figures: dict[str, Any] = {}
        if not args.skip_http:
            with served(folder / "portal.sqlite3", folder / "serve.log") as url:
                more, http_figures = rows_of(
                    "2. over HTTP (segur serve, gunicorn, 2 workers)", over_http(url, prepared, budgets["http"])
                )
            rows += more
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print_table(rows)
    report = {
        "benchmark": "bench_pages",
        "requests": REQUESTS,
        "paid": PAID,
        "target_ms": TARGET_MS,
        "budgets": {k: asdict(v) for k, v in budgets.items()},
        "in_process": app_figures,
        "over_http": http_figures,
        "environment": environment(
            ["flask", "werkzeug", "jinja2", "gunicorn", "requests"],
            sorted((ROOT / "mock_portal").rglob("*.py")) + sorted((ROOT / "mock_portal" / "templates").rglob("*.html")),
        ),
    }
    return write_report(
        args.out, report, [r for r in rows if r.unit], time.perf_counter() - started, strict=args.strict
    )


if __name__ == "__main__":
    raise SystemExit(main())
