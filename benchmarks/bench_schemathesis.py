"""Schemathesis against the mock portal served as a user serves it, longer than the test suite.

Run from the repository root with the project's interpreter::

    python benchmarks/bench_schemathesis.py [--examples 100] [--steps 20] [--seed 2024] [--out FILE]

``segur serve --workers 2 --port 0`` (gunicorn on 127.0.0.1) on a database seeded with what the
document's examples name, then schemathesis' engine as ``st run`` drives it
(``tests/_support/openapi_run.py``: every check, every phase, stateful through the document's
links, the formats of ``mock_portal/formats.py`` generated). It prints the cases sent by phase and
every failure; exit status 1 when there is one. The test suite runs the same with 10 examples
per operation, in process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench_attack import ADMIN, seeded_database  # noqa: E402
from bench_portal import Server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description="schemathesis, every check and phase, against segur serve")
    parser.add_argument("--examples", type=int, default=100, help="examples per operation (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=20, help="stateful steps (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "schemathesis.json")
    args = parser.parse_args()
    started = time.perf_counter()

    import schemathesis

    from tests._support import openapi_run

    with tempfile.TemporaryDirectory(prefix="bench-schemathesis-") as folder:
        database, token = seeded_database(Path(folder))
        os.environ["SEGUR_ADMIN_TOKEN"] = ADMIN
        command = [sys.executable, "-m", "segur", "serve", "--workers", "2", "--port", "0", "--database", str(database)]
        server = Server("portal", command, "Portail simulé prêt sur", Path(folder) / "serve.log")
        try:
            port = server.start()
            url = f"http://127.0.0.1:{port}"
            openapi_run.register_formats()
            config = openapi_run.config(
                seed=args.seed, examples=args.examples, steps=args.steps, editor_token=token, admin_token=ADMIN
            )
            schema = schemathesis.openapi.from_url(f"{url}/openapi.json", config=config)
            schema.config.update(base_url=url)
            from segur.mock_portal import create_app

            from tests.mock_portal.test_openapi import restore

            # the state put back between scenarios, through the same database
            app = create_app({"DATABASE": str(database), "ADMIN_TOKEN": ADMIN})
            client = app.test_client()
            outcome = openapi_run.run(schema, between=lambda: restore(client))
            log = server.tail(100)
        finally:
            server.stop()
            os.environ.pop("SEGUR_ADMIN_TOKEN", None)
    elapsed = time.perf_counter() - started
    print(outcome.report())
    print(
        f"\nschemathesis: {outcome.total} cases, {len(outcome.failures)} failures, {len(outcome.errors)} errors, "
        f"{outcome.filtered} undetectable negative(s) dropped; "
        f"checks run: {len(outcome.checks_run)}; {elapsed:.0f} s (seed {args.seed}, {args.examples} examples)"
    )
    if "Traceback" in log:
        print("the server's log holds a traceback:\n" + log[-3000:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "seed": args.seed,
                "examples": args.examples,
                "steps": args.steps,
                "cases": outcome.cases,
                "failures": [vars(f) for f in outcome.failures],
                "filtered": outcome.filtered,
                "errors": outcome.errors,
                "checks_run": sorted(outcome.checks_run),
                "elapsed_s": elapsed,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    return 1 if outcome.failures or outcome.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
