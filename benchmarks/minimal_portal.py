"""The floor of ``bench_portal.py``: a Flask app that only does what any simulate must do.

POST /api/simulations parses the multipart body, reads the ``fichier`` field and checks it
against the profile's JSON schema (``orjson.loads`` + jsonschema-rs ``is_valid``); no login,
no database, no business control, a small JSON answer. It is served as ``segur serve``
serves the mock portal: gunicorn, sync workers, a listener bound beforehand and passed as
``fd://`` (the options below mirror ``segur/serve.py``).

Run from the repository root::

    python benchmarks/minimal_portal.py [--workers 2] [--port 0]

It prints ``Application minimale prête sur http://127.0.0.1:PORT/`` once it listens.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from flask import Flask, Response, request  # noqa: E402

from mock_portal.controls import load_spec  # noqa: E402

PROFILE = "ms1-avance"
READY = "Application minimale prête sur"

#: the gunicorn options of ``segur serve`` (segur/serve.py), bind aside
GUNICORN_OPTIONS: dict[str, Any] = {
    "worker_class": "sync",
    "accesslog": None,
    "loglevel": "warning",
    "timeout": 120,
    "graceful_timeout": 5,
}


def create_app() -> Flask:
    """The minimal app; the spec (and its compiled validators) is loaded before the fork."""
    spec = load_spec()
    validator = spec.profile_validators[PROFILE]
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
    from gunicorn.app.base import BaseApplication

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(128)
    listener.set_inheritable(True)
    bound = listener.getsockname()[1]

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def __init__(self, options: dict[str, Any]) -> None:
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    print(f"{READY} http://{host}:{bound}/ ({workers} worker(s))", flush=True)
    _Gunicorn({"bind": f"fd://{listener.fileno()}", "workers": workers, **GUNICORN_OPTIONS}).run()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Minimal simulate app (multipart + schema only) under gunicorn.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    serve(create_app(), args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
