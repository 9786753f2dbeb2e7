"""Serve the mock portal under gunicorn: one worker process unless more are asked for, each with
a few threads (a slow request does not hold up a health probe or another editor's simulate;
the controls bound their own cost per request).

gunicorn answers some requests itself, before the application sees them (a request line over
4094 bytes: 414; too many or too long headers: 431; a malformed request: 400): its worker here
writes them as the portal's JSON error, as the application writes its own.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import click
from flask import Flask

#: how gunicorn runs the portal (and the benchmark's minimal app, for a fair comparison)
GUNICORN_OPTIONS: dict[str, Any] = {
    "threads": 4,
    "accesslog": None,
    "loglevel": "warning",
    "timeout": 120,
    "graceful_timeout": 5,
}


def is_loopback(host: str) -> bool:
    """True for an address only this machine reaches (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _announce(app: Flask, host: str, port: int, workers: int) -> None:
    seed = app.extensions["segur_seed"]
    click.echo(f"Portail simulé prêt sur http://{host}:{port}/ ({workers} worker(s))", err=False)
    click.echo(
        f"  base : {app.extensions['segur_database'].url} ; spécification : {app.extensions['segur_spec'].label}"
    )
    click.echo(f"  compte éditeur de démonstration : {seed['login']} / {seed['password']}")
    click.echo(f"  jeton gestionnaire (API /admin) : {seed['admin_token']}")
    click.echo("  pages web : / (espace gestionnaire : /gestion, avec le jeton ; cas de rejet : /cas)")
    click.echo("  documentation de l'API : /openapi.json", nl=True)
    if not is_loopback(host):
        click.echo(
            f"ATTENTION : le portail simulé écoute sur {host}, joignable depuis d'autres machines. Le compte de "
            f"démonstration ({seed['login']}) a un mot de passe connu de tous : quiconque atteint ce port peut "
            "déposer en son nom. Le jeton gestionnaire donne tout pouvoir (horloge, remise à zéro, pannes) : "
            "donnez-le par SEGUR_ADMIN_TOKEN et ne le diffusez pas. Préférez --host 127.0.0.1 derrière un "
            "proxy qui authentifie.",
            err=True,
        )


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


class _JsonErrors:
    """The client's socket as gunicorn's ``write_error`` sees it: the HTML error it writes is sent
    as the portal's JSON error instead (same status, ``Connection: close``)."""

    def __init__(self, client: socket.socket) -> None:
        self._client = client

    def gettimeout(self) -> float | None:
        return self._client.gettimeout()

    def setblocking(self, flag: bool) -> None:
        self._client.setblocking(flag)

    def sendall(self, data: bytes) -> None:
        from segur.mock_portal.app import http_error_body

        status_line = data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 400
        reason = parts[2] if len(parts) > 2 else "Bad Request"
        messages = {
            400: "requête HTTP mal formée",
            414: "ligne de requête trop longue (URI de plus de 4094 octets)",
            431: "en-têtes trop nombreux ou trop longs",
            500: "erreur interne du serveur",
            501: "codage de transfert non pris en charge",
        }
        if status == 417:  # an Expect other than 100-continue: a malformed request, as the document says
            status, reason, messages[400] = (
                400,
                "Bad Request",
                "en-tête Expect non pris en charge (seul 100-continue l'est)",
            )
        body = http_error_body(status, messages.get(status, reason))
        head = (
            f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self._client.sendall(head.encode("latin-1") + body)


def _worker_class() -> type:
    """gunicorn's threaded worker, its own error answers written as JSON."""
    from gunicorn.workers.gthread import ThreadWorker

    class JsonErrorWorker(ThreadWorker):  # type: ignore[misc]
        def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
            super().handle_error(req, _JsonErrors(client) if isinstance(client, socket.socket) else client, addr, exc)

    return JsonErrorWorker


def run_gunicorn(app: Flask, listener: socket.socket, workers: int, **options: Any) -> None:
    """Serve ``app`` under gunicorn's threaded workers (their errors as JSON) on an already listening socket."""
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

    settings = {"worker_class": _worker_class(), **GUNICORN_OPTIONS, **options}
    server = _Gunicorn({"bind": f"fd://{listener.fileno()}", "workers": workers, **settings})
    # What is loaded now (the modules, the spec, its validators, the compiled pages) lives as long
    # as the workers forked from this process: frozen, the cyclic collector of each worker no
    # longer traverses it at each full collection, and its pages stay shared (Python's gc docs).
    import gc

    gc.collect()
    gc.freeze()
    server.run()


def serve(app: Flask, host: str, port: int, workers: int) -> None:
    """Listen on ``host:port``, print the banner, serve until stopped. Away from the loopback
    address, the public page no longer shows the demo account's password."""
    app.config["DEMO_ON_PAGE"] = app.config.get("DEMO_ON_PAGE", True) and is_loopback(host)
    listener = listen(host, port)
    bound = listener.getsockname()[1]
    _announce(app, host, bound, workers)
    run_gunicorn(app, listener, workers)
