"""Sessions that end (the real clock, logout), the pages' session apart from the API's, login
attempts limited per login and per address, the same work for known and unknown logins, and a
new editor's password sealed in the outbox. The real clock is the app's own (security.utc_now),
moved here by monkeypatch: no test waits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from segur.mock_portal import security

from tests._support.portal import ADMIN, admin_headers, enrolment_form, make_app, said

DEMO = {"login": "demo", "password": "demo-segur-2024"}
START = datetime(2026, 3, 2, 9, 0, tzinfo=security.UTC)


class Clock:
    """The real clock as the app reads it, set by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    found = Clock()
    monkeypatch.setattr(security, "utc_now", found)
    yield found


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(
        tmp_path, SESSION_TTL=3600, LOGIN_WINDOW=600, LOGIN_FAILURES_PER_LOGIN=3, LOGIN_FAILURES_PER_ADDRESS=5
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def bearer(client: FlaskClient, **body: str) -> dict[str, str]:
    answer = client.post("/api/login", json=body or DEMO)
    assert answer.status_code == 200, answer.json
    return {"Authorization": f"Bearer {answer.json['token']}"}


# ------------------------------------------------------------------ sessions end


def test_a_token_ends_ttl_seconds_after_login_by_the_real_clock(client: FlaskClient, clock: Clock) -> None:
    headers = bearer(client)
    clock.advance(3599)
    assert client.get("/api/me", headers=headers).status_code == 200
    clock.advance(1)
    ended = client.get("/api/me", headers=headers)
    assert ended.status_code == 401 and ended.json["code"] == "NON_AUTHENTIFIE"


def test_the_mocks_own_clock_moves_no_session(client: FlaskClient, clock: Clock) -> None:
    """A trainer moves the portal's clock by years: sessions follow the real time only."""
    headers = bearer(client)
    assert client.post("/admin/clock", json={"at": "2099-01-01T10:00"}, headers=admin_headers()).status_code == 200
    assert client.get("/api/me", headers=headers).status_code == 200


def test_logout_ends_the_token_on_the_server(client: FlaskClient, clock: Clock) -> None:
    headers = bearer(client)
    other = bearer(client)
    out = client.post("/api/logout", headers=headers)
    assert out.status_code == 200 and out.json == {"deconnecte": True}
    assert client.get("/api/me", headers=headers).status_code == 401
    assert client.post("/api/logout", headers=headers).status_code == 401
    assert client.get("/api/me", headers=other).status_code == 200  # only that session ended


def _page_login(client: FlaskClient) -> str:
    page = client.get("/connexion")
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.get_data(as_text=True))
    assert csrf, "the login page carries its CSRF token"
    signed = client.post(
        "/connexion", data={"_csrf": csrf.group(1), "identifiant": DEMO["login"], "motDePasse": DEMO["password"]}
    )
    assert signed.status_code == 302, signed.get_data(as_text=True)[:500]
    with client.session_transaction() as session:
        token = session["editeur"]
    assert isinstance(token, str)
    return token


def test_the_page_session_is_no_api_token_and_ends_at_logout(client: FlaskClient, clock: Clock) -> None:
    token = _page_login(client)
    assert client.get("/espace").status_code == 200
    # what the (readable) cookie holds opens no API session
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    page = client.get("/espace").get_data(as_text=True)
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert csrf
    assert client.post("/deconnexion", data={"_csrf": csrf.group(1)}).status_code == 302
    # the same cookie replayed (copied before logout): the session is over on the server
    with client.session_transaction() as session:
        session["editeur"] = token
    assert client.get("/espace").status_code == 302


def test_a_page_session_ends_as_the_api_session_does(client: FlaskClient, clock: Clock) -> None:
    _page_login(client)
    clock.advance(3600)
    assert client.get("/espace").status_code == 302  # back to the login page


# ------------------------------------------------------------------ login attempts


def test_failures_per_login_then_429_whatever_the_password(client: FlaskClient, clock: Clock) -> None:
    for _ in range(3):
        assert client.post("/api/login", json={**DEMO, "password": "wrong"}).status_code == 401
    refused = client.post("/api/login", json=DEMO)  # the right password: still refused for now
    assert refused.status_code == 429 and refused.json["code"] == "TROP_DE_TENTATIVES"
    assert "réessayez dans 10 minutes" in refused.json["message"]
    assert refused.headers["Retry-After"] == "600"
    clock.advance(600)
    assert client.post("/api/login", json=DEMO).status_code == 200


def test_a_success_starts_the_logins_count_again(client: FlaskClient, clock: Clock) -> None:
    for _ in range(2):
        assert client.post("/api/login", json={**DEMO, "password": "wrong"}).status_code == 401
    assert client.post("/api/login", json=DEMO).status_code == 200
    for _ in range(2):
        assert client.post("/api/login", json={**DEMO, "password": "wrong"}).status_code == 401
    assert client.post("/api/login", json=DEMO).status_code == 200


def test_failures_per_address_whatever_the_login(client: FlaskClient, clock: Clock) -> None:
    """Five logins, one wrong password each, from one address: the sixth attempt is refused;
    another address is not."""
    here = {"REMOTE_ADDR": "192.0.2.10"}
    for number in range(5):
        tried = client.post("/api/login", json={"login": f"inconnu{number}", "password": "x"}, environ_base=here)
        assert tried.status_code == 401
    assert client.post("/api/login", json=DEMO, environ_base=here).status_code == 429
    assert client.post("/api/login", json=DEMO, environ_base={"REMOTE_ADDR": "192.0.2.11"}).status_code == 200


def test_the_pages_login_is_limited_with_a_french_message(client: FlaskClient, clock: Clock) -> None:
    def attempt(password: str) -> tuple[int, str]:
        page = client.get("/connexion").get_data(as_text=True)
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page)
        assert csrf
        answer = client.post("/connexion", data={"_csrf": csrf.group(1), "identifiant": "demo", "motDePasse": password})
        return answer.status_code, answer.get_data(as_text=True)

    for _ in range(3):
        assert attempt("faux")[0] == 422
    status, page = attempt(DEMO["password"])
    assert status == 422 and "Trop de tentatives de connexion échouées" in page


def test_known_and_unknown_logins_do_the_same_work(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each check hashes once, with the same method and cost (the time is bench_attack.py's)."""
    import werkzeug.security

    checked: list[str] = []
    original = werkzeug.security.check_password_hash

    def counting(stored: str, password: str) -> bool:
        checked.append(stored.split("$", 1)[0])
        return original(stored, password)

    monkeypatch.setattr(werkzeug.security, "check_password_hash", counting)
    assert client.post("/api/login", json={"login": "demo", "password": "faux"}).status_code == 401
    assert client.post("/api/login", json={"login": "personne", "password": "faux"}).status_code == 401
    assert len(checked) == 2 and checked[0] == checked[1] and checked[0].startswith("scrypt:")


# ------------------------------------------------------------------ secrets at rest


def test_a_new_editors_password_is_sealed_in_the_store_and_read_by_the_gestionnaire(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    enrolled = client.post("/api/enrolments", json=enrolment_form())
    decided = client.post(
        f"/admin/enrolments/{enrolled.json['id']}/decision", json={"vers": "validee"}, headers=admin_headers()
    )
    assert decided.status_code == 200
    from segur.mock_portal.store import Store

    store = Store(app.extensions["segur_database"])
    try:
        stored = next(
            r["corps"]
            for r in store.mails_page(None, newest_first=False, limit=100)
            if r["objet"] == "Votre mot de passe"
        )
    finally:
        store.close()
    shown = next(
        m for m in client.get("/admin/mails", headers=admin_headers()).json["courriels"] if "passe" in m["objet"]
    )
    password = said(shown["corps"], "Mot de passe")
    assert password not in stored and "\nMot de passe : [scellé:" in stored
    login = said(
        next(
            m
            for m in client.get("/admin/mails", headers=admin_headers()).json["courriels"]
            if "identifiant" in m["objet"]
        )["corps"],
        "Identifiant",
    )
    assert client.post("/api/login", json={"login": login, "password": password}).status_code == 200
    assert ADMIN not in client.get("/").get_data(as_text=True)


def test_a_secret_sealed_under_another_key_reads_as_unreadable(tmp_path: Path) -> None:
    sealed = security.Sealer(b"first key").seal("s3cret")
    assert "s3cret" not in sealed and security.Sealer(b"first key").reveal(f"x {sealed} y") == "x s3cret y"
    assert "illisible" in security.Sealer(b"other key").reveal(sealed)
