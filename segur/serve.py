"""Serve the mock portal: the Werkzeug server for one worker, gunicorn for several."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

import click
from flask import Flask

#: how gunicorn runs the portal (and the benchmark's minimal app, for a fair comparison)
GUNICORN_OPTIONS: dict[str, Any] = {
    "worker_class": "sync",
    "accesslog": None,
    "loglevel": "warning",
    "timeout": 120,
    "graceful_timeout": 5,
}


def _announce(app: Flask, host: str, port: int, workers: int) -> None:
    seed = app.extensions["segur_seed"]
    click.echo(f"Portail simulé prêt sur http://{host}:{port}/ ({workers} worker(s))", err=False)
    click.echo(f"  base : {app.extensions['segur_database'].url} ; spécification : {app.extensions['segur_spec'].label}")
    click.echo(f"  compte éditeur de démonstration : {seed['login']} / {seed['password']}")
    click.echo(f"  jeton gestionnaire (API /admin) : {seed['admin_token']}")
    click.echo("  pages web : / (espace gestionnaire : /gestion, avec le jeton ; cas de rejet : /cas)")
    click.echo("  documentation de l'API : /openapi.json", nl=True)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: a free one), made before the server so the port is known."""
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        raise click.UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    listener.listen(128)
    return listener


def run_gunicorn(app: Flask, listener: socket.socket, workers: int) -> None:
    """Serve ``app`` under gunicorn's sync workers on an already listening socket."""
    from gunicorn.app.base import BaseApplication

    listener.set_inheritable(True)

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def __init__(self, options: dict[str, Any]) -> None:
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    _Gunicorn({"bind": f"fd://{listener.fileno()}", "workers": workers, **GUNICORN_OPTIONS}).run()


def serve(app: Flask, host: str, port: int, workers: int) -> None:
    listener = listen(host, port)
    bound = listener.getsockname()[1]
    _announce(app, host, bound, workers)
    if workers > 1:
        run_gunicorn(app, listener, workers)
        return
    from werkzeug.serving import make_server

    server = make_server(host, bound, app, threaded=True, fd=listener.fileno())
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
