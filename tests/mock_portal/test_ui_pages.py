"""The web pages as a whole: the public home page, login, sessions and CSRF, accessible forms,
same-origin assets, French error pages instead of JSON or tracebacks."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from segur.mock_portal.controls.answer import format_number

from tests._support.pages import (
    ANS,
    AVANCE,
    csrf,
    field_error,
    import_ok,
    sign_in,
    sign_in_gestionnaire,
    structure,
)
from tests._support.paths import SPEC


def test_the_public_page_offers_login_and_enrolment(client: FlaskClient) -> None:
    """Seed, slides 15 and 26: « Se connecter » and « Effectuer ma demande d'enrôlement »."""
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert re.search(r'<a class="bouton" href="/connexion">Se connecter</a>', html)
    assert '<a class="bouton" href="/enrolement">Effectuer ma demande d\'enrôlement</a>' in html
    assert "Modèle" in html and "aucune valeur officielle" in html
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_login_errors_then_session_then_logout(client: FlaskClient) -> None:
    token = csrf(client)
    empty = client.post("/connexion", data={"_csrf": token, "identifiant": "", "motDePasse": ""})
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422
    assert field_error(html, "identifiant") == "Saisissez votre identifiant."
    assert field_error(html, "motDePasse") == "Saisissez votre mot de passe."
    wrong = client.post("/connexion", data={"_csrf": token, "identifiant": "demo", "motDePasse": "faux"})
    assert wrong.status_code == 422 and "Identifiant ou mot de passe incorrect." in wrong.get_data(as_text=True)
    assert client.get("/espace").status_code == 302
    token = sign_in(client)
    assert "Mon espace" in client.get("/espace").get_data(as_text=True)
    out = client.post("/deconnexion", data={"_csrf": token})
    assert out.status_code == 302 and client.get("/espace").headers["Location"].startswith("/connexion")


def test_a_page_that_needs_a_session_sends_to_login_and_back(client: FlaskClient) -> None:
    redirect = client.get("/espace/demandes?statut=enCours")
    assert (
        redirect.status_code == 302
        and redirect.headers["Location"] == "/connexion?suite=/espace/demandes?statut%3DenCours"
    )
    token = csrf(client)
    back = client.post(
        "/connexion?suite=/espace/demandes?statut%3DenCours",
        data={"_csrf": token, "identifiant": "demo", "motDePasse": "demo-segur-2024"},
    )
    assert back.headers["Location"] == "/espace/demandes?statut=enCours"
    client.post("/deconnexion", data={"_csrf": csrf(client)})
    away = client.post(
        "/connexion?suite=//evil.example/x",
        data={"_csrf": csrf(client), "identifiant": "demo", "motDePasse": "demo-segur-2024"},
    )
    assert away.headers["Location"] == "/espace"


def test_a_post_without_its_form_token_is_refused_and_changes_nothing(client: FlaskClient) -> None:
    sign_in(client)
    refused = client.post("/espace/demande-de-financement", data={"action": "importer", "tauxTva": "20"})
    assert refused.status_code == 400 and "Formulaire expiré" in refused.get_data(as_text=True)
    forged = client.post("/gestion/connexion", data={"_csrf": "forged", "jeton": "admin-token-for-tests"})
    assert forged.status_code == 400
    assert client.get("/gestion").status_code == 302  # still not a gestionnaire


def test_pages_answer_errors_in_french_html_never_json_or_a_traceback(client: FlaskClient) -> None:
    sign_in(client)
    nowhere = format_number(SPEC, SPEC.profiles[AVANCE], SPEC.windows[AVANCE].default_deposit, 999999)
    missing = client.get(f"/espace/demandes/{nowhere}")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert f"demande {nowhere} introuvable" in missing.get_data(as_text=True)
    browser = {"Accept": "text/html,application/xhtml+xml"}
    not_allowed = client.get("/espace/depots/1/terminer", headers=browser)
    assert not_allowed.status_code == 405 and "Action impossible" in not_allowed.get_data(as_text=True)
    unknown = client.get("/espace/nulle-part", headers=browser)
    assert unknown.status_code == 404 and "Page introuvable" in unknown.get_data(as_text=True)
    unknown_deposit = client.get("/espace/depots/424242")
    assert unknown_deposit.status_code == 404 and "dépôt 424242 introuvable" in unknown_deposit.get_data(as_text=True)
    assert client.get("/api/nope", headers=browser).is_json  # the API keeps its JSON errors
    assert client.get("/espace/nulle-part").is_json  # and so does any client that does not ask for HTML


def test_an_unexpected_error_is_a_french_page_without_traceback(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client)
    from segur.mock_portal.services.requests import Requests

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Requests, "page", broken)
    response = client.get("/espace/demandes")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "Erreur interne" in html
    assert "Traceback" not in html and "boom" not in html


def _pages(client: FlaskClient) -> dict[str, str]:
    """Every main page with content in it (a request imported and paid, an enrolment deposited)."""
    sign_in(client)
    numero = import_ok(client, zip_name=f"{AVANCE}.zip", ans=ANS)[0]
    sign_in_gestionnaire(client)
    for target in ("enCours", "validee", "decidee", "payee"):
        client.post(f"/gestion/demandes/{numero}/transition", data={"_csrf": csrf(client), "vers": target})
    paths = [
        "/",
        "/connexion",
        "/enrolement/referencement",
        "/cas",
        "/espace",
        "/espace/demande-de-financement",
        "/espace/demandes",
        "/espace/demandes-incompletes",
        f"/espace/demandes/{numero}",
        "/espace/enrolement-complementaire",
        "/espace/depots/1",
        "/gestion",
        "/gestion/enrolements",
        "/gestion/demandes",
        f"/gestion/demandes/{numero}",
        "/gestion/courriels",
        "/gestion/connexion",
    ]
    pages = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        pages[path] = response.get_data(as_text=True)
    return pages


def test_every_form_control_has_a_label_and_every_post_form_its_token(client: FlaskClient) -> None:
    for path, html in _pages(client).items():
        page = structure(html)
        assert page.lang == "fr", path
        duplicates = {i for i in page.ids if page.ids.count(i) > 1}
        assert not duplicates, (path, duplicates)
        for control in page.controls:
            labelled = control.get("id") in page.label_for or control["_wrapped"] == "True"
            assert labelled, f"{path}: Expected: a <label for> for {control}. Received: none"
        missing = set(page.described) - set(page.ids)
        assert not missing, (path, missing)
        for form in page.forms:
            assert form["method"] == "get" or form["csrf"], (path, form)


def test_every_asset_and_link_is_same_origin(client: FlaskClient) -> None:
    for path, html in _pages(client).items():
        for url in structure(html).urls:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc, f"{path}: Expected: a same-origin URL. Received: {url}"
        assert "<style" not in html and "style=" not in html and "<script>" not in html, path  # the CSP forbids inline
    assert client.get("/static/portail.css").status_code == 200


def test_the_static_files_are_served_by_the_app(client: FlaskClient) -> None:
    for name in ("portail.css", "portail.js", "favicon.svg", "document.svg"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and len(response.data) > 100, name
