"""« Cas de rejet »: every golden case listed; one click prepares its files for the deposit form;
the portal then answers what the case expects."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from segur.generators.cases import base_profile, case_files, load_case

from tests._support.logical import code, example_requests
from tests._support.pages import csrf, flashes, html_text, line_codes, sign_in
from tests._support.paths import SPEC
from tests._support.portal import admin_headers, make_app

ACCEPTED = SPEC.accepted_code


def case_of(rule: str) -> tuple[str, dict[str, Any]]:
    """The name (file stem) and content of the spec's case of ``rule``."""
    path = next(path for path in case_files(SPEC) if load_case(path)["rule"] == rule)
    return path.stem, load_case(path)


def first_variant(case: dict[str, Any], expect: Any) -> int:
    """The number (from 1) of the case's first variant expecting ``expect`` (line: rule) on the
    base's lines, deposited with the base's choices."""
    return next(
        number
        for number, variant in enumerate(case["variants"], start=1)
        if isinstance(variant["expect"], dict)
        and variant["expect"].get("lines") == expect
        and not {"lines", "keep", "append", "deposit"} & set(variant)
    )


TTC_CASE, TTC = case_of("amount-ttc")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    folder = tmp_path_factory.mktemp("cases")
    return make_app(folder, PAGES_DIR=str(folder / "pages"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.post("/admin/reset", headers=admin_headers())
    sign_in(client)
    return client


def load(client: FlaskClient, name: str, variant: int) -> str:
    response = client.post(f"/cas/{name}/{variant}/charger", data={"_csrf": csrf(client)})
    assert response.headers["Location"] == "/espace/demande-de-financement", response.get_data(as_text=True)[:500]
    return client.get("/espace/demande-de-financement").get_data(as_text=True)


def simulate_prepared(client: FlaskClient, action: str = "simuler") -> tuple[int, str]:
    """« Simuler » (or « Importer ») with no file picked: the prepared case's files are used."""
    html = client.get("/espace/demande-de-financement").get_data(as_text=True)
    form = {"_csrf": csrf(client), "action": action}
    for field in ("tauxTva", "numeroAns"):
        chosen = re.search(rf'<select id="{field}"[^>]*>.*?<option value="([^"]*)" selected>', html, re.S)
        form[field] = chosen.group(1) if chosen else ""
    kind = re.search(r'name="typeDemande" value="(\w+)" checked', html)
    form["typeDemande"] = kind.group(1) if kind else ""
    response = client.post("/espace/demande-de-financement", data=form)
    if response.status_code == 302:
        return 302, client.get(response.headers["Location"]).get_data(as_text=True)
    return response.status_code, response.get_data(as_text=True)


def test_every_case_and_variant_is_listed_with_its_load_button(client: FlaskClient) -> None:
    html = client.get("/cas").get_data(as_text=True)
    for path in case_files(SPEC):
        case = load_case(path)
        assert f'id="cas-{path.stem}"' in html, path.stem
        buttons = re.findall(rf'action="/cas/{re.escape(path.stem)}/(\d+)/charger"', html)
        assert buttons == [str(n) for n in range(1, len(case["variants"]) + 1)], path.stem


def test_loading_needs_a_session(app: Flask) -> None:
    visitor = app.test_client()
    response = visitor.post(f"/cas/{TTC_CASE}/1/charger", data={"_csrf": csrf(visitor)})
    assert response.headers["Location"] == "/connexion?suite=/cas"


def test_a_loaded_case_prefills_the_form_and_simuler_answers_as_expected(client: FlaskClient) -> None:
    number = first_variant(TTC, {"2": "amount-ttc"})
    page = load(client, TTC_CASE, number)
    notice = html_text(page.split('id="titre-prepare"')[1].split("</div>")[0])
    ttc = code("amount-ttc")
    assert f"{ttc} — {TTC['title']} (variante {number}" in notice
    assert f"Réponse attendue : {ttc} ligne 2" in notice
    status, answer = simulate_prepared(client)
    lines = len(example_requests(base_profile(TTC, SPEC)))
    assert status == 200 and line_codes(answer) == [ttc if line == 2 else ACCEPTED for line in range(1, lines + 1)]
    assert client.get("/admin/requests", headers=admin_headers()).json["demandes"] == []  # type: ignore[index]


def test_a_prepared_deposit_is_imported_with_its_zip_then_forgotten(client: FlaskClient) -> None:
    name, case = case_of("attachment-too-large")
    number = next(n for n, v in enumerate(case["variants"], start=1) if "attachment-too-large" in str(v["expect"]))
    load(client, name, number)
    status, page = simulate_prepared(client, "importer")
    assert status == 302 and 'id="statut-import">OK' in page
    assert code("attachment-too-large") in line_codes(page)
    assert "Dépôt préparé" not in client.get("/espace/demande-de-financement").get_data(as_text=True)


def test_an_unknown_case_or_variant_is_said_so(client: FlaskClient) -> None:
    unknown = client.post("/cas/9999-nulle-part/1/charger", data={"_csrf": csrf(client)})
    assert "Cas « 9999-nulle-part » inconnu." in flashes(client.get(unknown.headers["Location"]).get_data(as_text=True))
    beyond = client.post(f"/cas/{TTC_CASE}/99/charger", data={"_csrf": csrf(client)})
    assert "n'a pas de variante 99" in flashes(client.get(beyond.headers["Location"]).get_data(as_text=True))
    abandoned = client.post("/espace/demande-de-financement/abandon", data={"_csrf": csrf(client)})
    assert abandoned.status_code == 302


def _self_contained() -> list[tuple[str, int]]:
    """The first rejected variant of each case that needs nothing but its files (no other clock,
    enrolments or stored requests, answered by Simuler)."""
    chosen = []
    for path in case_files(SPEC):
        case = load_case(path)
        base_history = (SPEC.root / "examples" / f"{base_profile(case, SPEC)}.history.json").exists()
        for number, variant in enumerate(case["variants"], start=1):
            plan = {**case.get("deposit", {}), **variant.get("deposit", {})}
            needs = base_history or "history" in variant or "history_add" in variant
            needs = needs or bool({"at", "enrolments"} & set(plan)) or plan.get("mode") == "import"
            if variant["expect"] != "accepted" and not needs:
                chosen.append((path.stem, number))
                break
    return chosen


def test_self_contained_cases_get_the_expected_answer_from_the_portal(client: FlaskClient) -> None:
    """The portal (demo account, clock at the avance's default time) answers each self-contained case
    as ``segur cases build`` says it will."""
    checked = 0
    for name, variant in _self_contained():
        page = load(client, name, variant)  # Simuler stores nothing: the cases do not see each other
        expected = re.search(r'Réponse attendue : <span class="code">([^<]+)</span>', page)
        assert expected, name
        status, answer = simulate_prepared(client)
        codes = line_codes(answer)
        rejected = re.search(
            r'Fichier JSON rejeté pour non-conformité</h2>\s*<p class="annonce annonce-erreur"><span class="code">([^<]+)<',
            answer,
        )
        received = rejected.group(1) if rejected else next((c for c in codes if c != ACCEPTED), ACCEPTED)
        assert received == expected.group(1), (
            f"{name} v{variant}: Expected: {expected.group(1)}. Received: {received} ({status})"
        )
        checked += 1
    assert checked >= 20, checked


def _first_rejected_variants() -> list[tuple[str, int, dict[str, Any]]]:
    """Every case's first rejected variant, with what it assumes (its deposit plan)."""
    chosen = []
    for path in case_files(SPEC):
        case = load_case(path)
        for number, variant in enumerate(case["variants"], start=1):
            if variant["expect"] != "accepted":
                chosen.append((path.stem, number, {**case.get("deposit", {}), **variant.get("deposit", {})}))
                break
    return chosen


def test_every_case_answers_as_expected_in_its_sandbox_whatever_was_played_before(client: FlaskClient) -> None:
    """Cases in their sandbox: after imports of other cases into the account and with the clock moved
    elsewhere, each case, deposited at its own date (one click), gets exactly its expected answer, and
    the page says so; at the portal's clock instead, a case whose answer depends on the date says the
    answer differs and why."""
    client.post(
        "/admin/clock", json={"at": "2024-02-28T14:01"}, headers=admin_headers()
    )  # every window of avances closed
    cases = _first_rejected_variants()
    for name, variant, _plan in cases[:3]:  # a few imports first: their lines are stored in the account
        load(client, name, variant)
        client.post("/espace/demande-de-financement/date-du-cas", data={"_csrf": csrf(client), "date": "cas"})
        simulate_prepared(client, "importer")
    mismatched = []
    for name, variant, plan in cases:
        load(client, name, variant)
        chosen = client.post("/espace/demande-de-financement/date-du-cas", data={"_csrf": csrf(client), "date": "cas"})
        assert chosen.status_code == 302
        page = client.get("/espace/demande-de-financement").get_data(as_text=True)
        assert "Le dépôt utilise cette date" in html_text(page), name
        if plan.get("mode") == "import":
            status, answer = simulate_prepared(client, "importer")
            said = flashes(answer)
        else:
            status, answer = simulate_prepared(client)
            found = re.search(r'<div class="annonce [^"]*" id="comparaison-cas">(.*?)</div>', answer, re.S)
            said = html_text(found.group(1)) if found else f"no comparison ({status})"
        if "identique à la réponse attendue" not in said:
            mismatched.append(f"{name} v{variant}: {said}")
    assert mismatched == [], "\n".join(mismatched)
    # every case is played but those of a hand check, whose deposits the automatic controls accept
    unplayed = {path.stem for path in case_files(SPEC)} - {name for name, _variant, _plan in cases}
    assert all("check" in load_case(path) for path in case_files(SPEC) if path.stem in unplayed), unplayed


def test_at_the_portals_clock_a_case_says_its_answer_differs_and_why(client: FlaskClient) -> None:
    client.post("/admin/clock", json={"at": "2024-02-28T14:01"}, headers=admin_headers())
    page = load(client, TTC_CASE, first_variant(TTC, {"2": "amount-ttc"}))
    text = html_text(page)
    assumed = SPEC.default_deposit_time(base_profile(TTC, SPEC), SPEC.deposit_types[TTC["base"]])
    assert f"Date de dépôt que le cas suppose : {assumed:%d/%m/%Y %H:%M}" in text
    assert "L'horloge du portail indique le 28/02/2024 14:01" in text and "Déposer à la date du cas" in text
    _, answer = simulate_prepared(client)
    said = html_text(re.search(r'id="comparaison-cas">(.*?)</div>', answer, re.S).group(1))  # type: ignore[union-attr]
    window = code("file-window")
    assert f"Réponse obtenue : fichier rejeté : {window} — différente de la réponse attendue du cas" in said, said
    assert "cliquez sur « Déposer à la date du cas »" in said
    client.post("/espace/demande-de-financement/date-du-cas", data={"_csrf": csrf(client), "date": "cas"})
    _, again = simulate_prepared(client)
    said = html_text(re.search(r'id="comparaison-cas">(.*?)</div>', again, re.S).group(1))  # type: ignore[union-attr]
    assert f"ligne 2 : {code('amount-ttc')}" in said and "identique à la réponse attendue" in said, said
    assert client.get("/admin/clock", headers=admin_headers()).json["maintenant"].startswith("2024-02-28T14:01")  # type: ignore[index]
