"""The floor of ``bench_portal.py``: a Flask app that only does what any simulate must do.

POST /api/simulations parses the multipart body, reads the ``fichier`` field and checks it
against the profile's JSON schema (``orjson.loads`` + jsonschema-rs ``is_valid``); no login,
no database, no business control, a small JSON answer. It is served as ``segur serve``
serves the mock portal: gunicorn, the same threaded workers, a listener bound beforehand and passed as
``fd://`` (the options below mirror ``segur/serve.py``).

Run from the repository root::

    python benchmarks/minimal_portal.py [--workers 2] [--port 0]

It prints ``Application minimale prête sur http://127.0.0.1:PORT/`` once it listens.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from flask import Flask, Response, request  # noqa: E402
from segur.mock_portal.controls import load_spec  # noqa: E402

from segur.serve import listen, run_gunicorn  # noqa: E402

READY = "Application minimale prête sur"


def create_app() -> Flask:
    """The minimal app; the spec (and its compiled validators) is loaded before the fork."""
    spec = load_spec()
    profile = next(p.name for p in spec.profiles.values() if p.deposit_type == "avance")  # bench_portal's
    validator = spec.profile_validators[profile]
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 210_000_000  # as the mock portal

    @app.post("/api/simulations")
    def simulate() -> Response:
        upload = request.files.get("fichier")
        if upload is None:
            return Response(b'{"code":"REQUETE_INVALIDE"}', status=400, mimetype="application/json")
        try:
            valid = bool(validator.is_valid(orjson.loads(upload.read())))
        except orjson.JSONDecodeError:
            valid = False
        return Response(orjson.dumps({"statut": "OK" if valid else "KO"}), mimetype="application/json")

    return app


def serve(app: Flask, host: str, port: int, workers: int) -> None:
    """Under gunicorn exactly as ``segur serve --workers N`` runs the portal."""
    listener = listen(host, port)
    print(f"{READY} http://{host}:{listener.getsockname()[1]}/ ({workers} worker(s))", flush=True)
    run_gunicorn(app, listener, workers)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Minimal simulate app (multipart + schema only) under gunicorn.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    serve(create_app(), args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
