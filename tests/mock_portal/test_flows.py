"""The seed's flows end to end through the editor's and the gestionnaire's APIs."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest
from flask.testing import FlaskClient
from segur.generators.provider import ttc_cents
from segur.mock_portal.controls.spec import resolve
from segur.mock_portal.controls.writer import put

from tests._support.logical import (
    cents_as_euros,
    code,
    enrollable_ans,
    example_ans,
    example_requests,
    first_profile,
    number_pattern,
    other_profile,
    workflow_label,
)
from tests._support.logical import data as written
from tests._support.paths import SPEC
from tests._support.portal import (
    admin_headers,
    credentials,
    deposit_form,
    enrolment_form,
    login,
    make_app,
    paid_avance,
    transition,
)

#: the first avance and solde profiles (whose examples the flows deposit), another software's avance
AVANCE, SOLDE, OTHER = first_profile("avance"), first_profile("solde"), other_profile("avance")
#: the ANS number the avance example carries (the demo account is enrolled for it)
ANS = example_ans(AVANCE)
#: the avance's payment share, in percent (workflow.json)
AVANCE_PERCENT = SPEC.workflow["payments"]["avancePercent"]


def at(moment: datetime) -> str:
    """A local time as the mock's clock takes it."""
    return f"{moment:%Y-%m-%dT%H:%M}"


def solde_of(numero: str, line: int = 0) -> bytes:
    """The solde example's ``line`` alone, closing the avance ``numero`` (deposited from the same
    line of the avance example: its order form and site)."""
    avance = example_requests(AVANCE)[line]
    solde = example_requests(SOLDE)[line]
    solde["avance_number"] = numero
    for name in ("bdc_number", "site_finess", "site_siret"):
        solde[name] = avance.get(name)
    return written([solde], SOLDE)


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    return make_app(tmp_path).test_client()


def mails_to(client: FlaskClient, address: str) -> list[dict[str, str]]:
    outbox = client.get("/admin/mails", headers=admin_headers()).json["courriels"]
    return [m for m in outbox if m["destinataire"] == address]


def test_enrol_validate_login_then_complementary_enrolment(client: FlaskClient) -> None:
    """Enrolment: acknowledgement mail, validation with number and credentials by two mails, login."""
    form = enrolment_form()
    deposited = client.post("/api/enrolments", json=form)
    assert deposited.status_code == 201, deposited.json
    assert deposited.json["statut"] == workflow_label("enrolment", "deposee")
    assert deposited.json["typeLogiciel"] == SPEC.profiles[AVANCE].type_logiciel
    assert [m["objet"] for m in mails_to(client, form["representant"]["email"])] == [
        "Accusé de réception de votre demande d'enrôlement"
    ]
    decided = client.post(
        f"/admin/enrolments/{deposited.json['id']}/decision", json={"vers": "validee"}, headers=admin_headers()
    )
    assert decided.status_code == 200 and decided.json["statut"] == workflow_label("enrolment", "validee")
    mails = {m["objet"]: m["corps"] for m in mails_to(client, form["representant"]["email"])}
    user, password = credentials(mails)
    for subject, body in mails.items():  # a greeting, a signature, the portal's address
        assert body.startswith("Bonjour,\n\n") and "Cordialement,\nLe service gestion" in body, subject
        assert "Portail Ségur numérique (simulé) : http://localhost/" in body, subject
    number = f"ENR-{deposited.json['id']:06d}"  # one number for the enrolment: in every mail and on the account
    assert number in mails["Validation de votre demande d'enrôlement"]
    assert number in mails["Accusé de réception de votre demande d'enrôlement"]
    headers = login(client, user, password)
    me = client.get("/api/me", headers=headers).json
    assert me["numeroEnrolement"] == number
    assert [e["numeroAns"] for e in me["enrolements"]] == [form["numeroAns"]]
    more = client.post(
        "/api/enrolments/complementaires",
        json={"numeroAns": enrollable_ans(OTHER, 2), "pieces": [form["pieces"][0]]},
        headers=headers,
    )
    assert more.status_code == 201 and more.json["complementaire"] is True
    assert more.json["typeLogiciel"] == SPEC.profiles[OTHER].type_logiciel


def test_enrolment_errors_name_each_field(client: FlaskClient) -> None:
    form = enrolment_form()
    form["siret"] = "73282932000075"
    form["banque"]["iban"] = "FR7630006000011234567890188"
    form["representant"]["emailConfirmation"] = "autre@example.org"
    form["regimeTva"] = "HT"
    response = client.post("/api/enrolments", json=form)
    assert response.status_code == 422
    fields = {d["champ"] for d in response.json["details"]}
    assert {"/siret", "/banque/iban", "/representant/emailConfirmation", "/pieces"} <= fields
    assert any("ATTESTATION_NON_ASSUJETTISSEMENT_TVA" in d["message"] for d in response.json["details"])
    rejected = client.post("/api/enrolments", json=enrolment_form(email="x@y.example"))
    refusal = client.post(
        f"/admin/enrolments/{rejected.json['id']}/decision", json={"vers": "rejetee"}, headers=admin_headers()
    )
    assert refusal.status_code == 409 and "motif" in refusal.json["message"]


def test_simulate_stores_nothing_and_import_numbers_the_accepted_lines(client: FlaskClient) -> None:
    headers = login(client)
    count = len(example_requests(AVANCE))
    simulated = client.post(
        "/api/simulations", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers
    )
    assert simulated.status_code == 200, simulated.json
    assert simulated.json["mode"] == "SIMULATION" and simulated.json["recapitulatif"]["acceptees"] == count
    assert client.get("/api/requests", headers=headers).json["demandes"] == []
    imported = client.post("/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers)
    assert imported.status_code == 201 and imported.json["statut"] == "OK"
    numbers = [line["numeroDemande"] for line in imported.json["lignes"]]
    year = SPEC.windows[AVANCE].default_deposit.year
    assert len(numbers) == count and all(re.fullmatch(number_pattern(AVANCE, year), n) for n in numbers)
    listed = client.get("/api/requests?statut=enAttente", headers=headers).json["demandes"]
    assert [r["numeroDemande"] for r in listed] == numbers
    done = client.post(f"/api/imports/{imported.json['depot']}/terminer", headers=headers)
    assert done.status_code == 200 and done.json["termine"] is True
    again = client.post("/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers)
    assert [line["codetraitement"] for line in again.json["lignes"]] == [code("dup-ref-deposited")] * count


def test_life_cycle_to_payment_then_solde(client: FlaskClient) -> None:
    """à modifier → modify → en cours → validée → décidée (decision PDF, mail) → paid 30 % → solde paid 70 %."""
    headers = login(client)
    imported = client.post(
        "/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers
    ).json
    numero = imported["lignes"][0]["numeroDemande"]
    transition(client, numero, "enCours")
    transition(client, numero, "aModifier", "le montant du BDC diffère du JSON")
    detail = client.get(f"/api/requests/{numero}", headers=headers).json
    assert detail["statut"] == SPEC.status("aModifier") and detail["motif"] == "le montant du BDC diffère du JSON"
    corrected = detail["demande"]
    site_name = SPEC.fields["site_name"].path
    put(corrected, site_name, f"{resolve(corrected, site_name)} (corrigé)")
    modified = client.put(f"/api/requests/{numero}", json=corrected, headers=headers)
    assert modified.status_code == 200, modified.json
    assert modified.json["statut"] == SPEC.status("enCours")
    refused = client.post(f"/admin/requests/{numero}/transition", json={"vers": "payee"}, headers=admin_headers())
    assert refused.status_code == 409 and refused.json["code"] == "TRANSITION_REFUSEE"
    for target in ("validee", "decidee", "payee"):
        transition(client, numero, target)
    detail = client.get(f"/api/requests/{numero}", headers=headers).json
    assert detail["statut"] == SPEC.status("payee")
    granted = example_requests(AVANCE)[0]["amount_requested"]
    avance_paid = granted * AVANCE_PERCENT // 100
    assert detail["suiviFinancier"] == {
        "montantAttribue": cents_as_euros(granted),
        "totalVerse": cents_as_euros(avance_paid),
        "versements": [
            {
                "nature": SPEC.deposit_types["avance"],
                "montant": cents_as_euros(avance_paid),
                "date": detail["suiviFinancier"]["versements"][0]["date"],
            }
        ],
    }
    natures = {d["nature"]: d["id"] for d in detail["piecesJustificatives"]}
    pdf = client.get(f"/api/requests/{numero}/documents/{natures['DECISION_ATTRIBUTION']}", headers=headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and pdf.mimetype == "application/pdf"
    assert any("décision d'attribution" in m["objet"] for m in detail["courriels"])
    # the solde of that avance, deposited at the calendar's solde time
    client.post("/admin/clock", json={"at": at(SPEC.windows[SOLDE].default_deposit)}, headers=admin_headers())
    form = deposit_form(SOLDE, type_demande="solde", data=solde_of(numero), ans=ANS)
    deposited = client.post("/api/imports", data=form, headers=headers).json
    assert deposited["lignes"][0]["codetraitement"] == SPEC.accepted_code, deposited["lignes"][0]
    solde_numero = deposited["lignes"][0]["numeroDemande"]
    for target in ("enCours", "validee", "decidee", "payee"):
        transition(client, solde_numero, target)
    detail = client.get(f"/api/requests/{solde_numero}", headers=headers).json
    assert detail["suiviFinancier"]["versements"][0]["montant"] == cents_as_euros(granted - avance_paid)


def test_solde_refused_until_the_avance_is_paid(client: FlaskClient) -> None:
    headers = login(client)
    imported = client.post(
        "/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers
    ).json
    numero = imported["lignes"][0]["numeroDemande"]
    client.post("/admin/clock", json={"at": at(SPEC.windows[SOLDE].default_deposit)}, headers=admin_headers())
    answer = client.post(
        "/api/simulations",
        data=deposit_form(SOLDE, type_demande="solde", ans=ANS, data=solde_of(numero), with_zip=False),
        headers=headers,
    ).json
    assert answer["lignes"][0]["codetraitement"] == code("solde-avance-not-paid")


def test_incomplete_deposit_then_missing_pieces_sent(client: FlaskClient) -> None:
    headers = login(client)
    count = len(example_requests(AVANCE))
    imported = client.post(
        "/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS, with_zip=False), headers=headers
    ).json
    assert [line["codetraitement"] for line in imported["lignes"]] == [code("zip-absent")] * count
    incomplete = client.get("/api/requests/incompletes", headers=headers).json["demandes"]
    assert len(incomplete) == count and client.get("/api/me", headers=headers).json["demandesIncompletes"] == count
    assert client.get("/api/requests?statut=enAttente", headers=headers).json["demandes"] == []
    numero = incomplete[0]["numeroDemande"]
    bad = client.post(
        f"/api/requests/{numero}/pieces", data={"pieces": (io.BytesIO(b"not a pdf"), "x.pdf")}, headers=headers
    )
    assert bad.status_code == 422
    from segur.generators.pdf import pdf_document

    sent = client.post(
        f"/api/requests/{numero}/pieces",
        data={"pieces": (io.BytesIO(pdf_document("BDC")), incomplete[0]["piecesManquantes"][0])},
        headers=headers,
    )
    assert sent.status_code == 200, sent.json
    assert sent.json["statut"] == SPEC.status("enAttente")


def test_windows_close_by_the_mock_clock(client: FlaskClient) -> None:
    headers = login(client)
    closes = SPEC.windows[AVANCE].closes
    client.post("/admin/clock", json={"at": at(closes - timedelta(minutes=1))}, headers=admin_headers())
    before = client.post(
        "/api/simulations",
        data=deposit_form(AVANCE, type_demande="avance", ans=ANS, with_zip=False),
        headers=headers,
    ).json
    assert before["codetraitement"] == SPEC.accepted_code
    client.post("/admin/clock", json={"advance": 60}, headers=admin_headers())
    after = client.post(
        "/api/simulations",
        data=deposit_form(AVANCE, type_demande="avance", ans=ANS, with_zip=False),
        headers=headers,
    ).json
    assert after["codetraitement"] == code("file-window") and after["dateDepot"] == closes.isoformat()


def test_editors_are_kept_apart_and_admin_needs_its_token(client: FlaskClient) -> None:
    headers = login(client)
    numero = client.post(
        "/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers
    ).json["lignes"][0]["numeroDemande"]
    form = enrolment_form(email="autre@editeur.example")
    enrolment = client.post("/api/enrolments", json=form).json
    client.post(f"/admin/enrolments/{enrolment['id']}/decision", json={"vers": "validee"}, headers=admin_headers())
    mails = {m["objet"]: m["corps"] for m in mails_to(client, "autre@editeur.example")}
    other = login(client, *credentials(mails))
    assert client.get(f"/api/requests/{numero}", headers=other).status_code == 404
    assert client.put(f"/api/requests/{numero}", json={}, headers=other).status_code == 404
    assert client.get("/api/requests", headers=other).json["demandes"] == []
    assert client.get("/admin/requests", headers=headers).status_code == 403
    assert client.get("/admin/requests").status_code == 401


def test_scenario_decides_every_imported_request_and_faults_answer_503(client: FlaskClient) -> None:
    headers = login(client)
    created = client.post(
        "/admin/scenarios", json={"etapes": ["enCours", "validee", "decidee"], "fois": 1}, headers=admin_headers()
    )
    assert created.status_code == 201
    lines = client.post(
        "/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers
    ).json["lignes"]
    statuses = {client.get(f"/api/requests/{line['numeroDemande']}", headers=headers).json["statut"] for line in lines}
    assert statuses == {SPEC.status("decidee")}
    client.post(
        "/admin/faults", json={"route": "/api/simulations", "type": "unavailable", "fois": 1}, headers=admin_headers()
    )
    other = deposit_form(OTHER, type_demande="avance", ans=example_ans(OTHER), with_zip=False)
    first = client.post("/api/simulations", data=other, headers=headers)
    other = deposit_form(OTHER, type_demande="avance", ans=example_ans(OTHER), with_zip=False)
    second = client.post("/api/simulations", data=other, headers=headers)
    assert (first.status_code, second.status_code) == (503, 200)


def test_journal_records_calls_without_secrets(client: FlaskClient) -> None:
    headers = login(client)
    client.post(
        "/api/simulations",
        data=deposit_form(AVANCE, type_demande="avance", ans=ANS, with_zip=False),
        headers=headers,
    )
    journal = client.get("/admin/journal", headers=admin_headers()).json["journal"]
    assert [(e["methode"], e["chemin"], e["statut"]) for e in journal] == [
        ("POST", "/api/login", 200),
        ("POST", "/api/simulations", 200),
    ]
    text = orjson.dumps(journal).decode()
    assert "demo-segur-2024" not in text and headers["Authorization"].split()[1] not in text


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("post", "/api/login", {"data": "not json", "content_type": "application/json"}),
        ("post", "/api/login", {"json": ["a", "list"]}),
        ("post", "/api/enrolments", {"json": {"numeroAns": 3}}),
        ("post", "/api/simulations", {"data": {"typeDemande": "avance"}}),
        (
            "post",
            "/api/simulations",
            {"data": {"typeDemande": "acompte", "tauxTva": "20", "fichier": (io.BytesIO(b"{}"), "f.json")}},
        ),
        (
            "post",
            "/api/simulations",
            {"data": {"typeDemande": "avance", "tauxTva": "NaN", "fichier": (io.BytesIO(b"\xff\xfe"), "f.json")}},
        ),
        ("put", "/api/requests/NOPE", {"json": {}}),
        ("get", "/api/requests/NOPE/documents/1", {}),
        ("delete", "/api/login", {}),
    ],
)
def test_bad_input_gets_a_clear_json_error_never_a_500(
    client: FlaskClient, method: str, path: str, kwargs: dict[str, object]
) -> None:
    headers = login(client)
    response = getattr(client, method)(path, headers=headers, **kwargs)
    assert 400 <= response.status_code < 500, response.data
    assert response.is_json and response.json["code"] and response.json["message"]


def test_state_survives_a_new_app_on_the_same_database(tmp_path: Path) -> None:
    first = make_app(tmp_path).test_client()
    headers = login(first)
    numero = first.post(
        "/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers
    ).json["lignes"][0]["numeroDemande"]
    second = make_app(tmp_path).test_client()
    assert second.get(f"/api/requests/{numero}", headers=headers).json["statut"] == SPEC.status("enAttente")


def test_a_scenario_the_workflow_refuses_is_refused_when_created(client: FlaskClient) -> None:
    refused = client.post("/admin/scenarios", json={"etapes": ["validee"]}, headers=admin_headers())
    assert refused.status_code == 400 and "etapes" in refused.json["message"]
    without_reason = client.post("/admin/scenarios", json={"etapes": ["enCours", "aModifier"]}, headers=admin_headers())
    assert without_reason.status_code == 400 and "motif" in without_reason.json["message"]
    accepted = client.post(
        "/admin/scenarios",
        json={"etapes": ["enCours", "aModifier"], "ligne": 2, "motif": "écart entre le JSON et le BDC"},
        headers=admin_headers(),
    )
    assert accepted.status_code == 201
    headers = login(client)
    lines = client.post(
        "/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers
    ).json["lignes"]
    statuses = [client.get(f"/api/requests/{line['numeroDemande']}", headers=headers).json["statut"] for line in lines]
    waiting = SPEC.status("enAttente")
    assert statuses == [waiting, SPEC.status("aModifier"), waiting]


def test_an_avenant_blocks_the_solde_until_it_is_decided_and_paid(client: FlaskClient) -> None:
    headers = login(client)
    imported = client.post(
        "/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers
    ).json
    numero = imported["lignes"][0]["numeroDemande"]
    for target in ("enCours", "validee", "decidee", "payee"):
        transition(client, numero, target)
    avenant = client.post(
        f"/admin/requests/{numero}/avenants", json={"montant": 12500.0, "motif": "extension"}, headers=admin_headers()
    )
    assert avenant.status_code == 201
    assert avenant.json["avenants"][0]["statut"] == workflow_label("avenant", "demande")
    client.post("/admin/clock", json={"at": at(SPEC.windows[SOLDE].default_deposit)}, headers=admin_headers())
    solde = solde_of(numero)

    def simulate() -> str:
        answer = client.post(
            "/api/simulations",
            data=deposit_form(SOLDE, type_demande="solde", ans=ANS, data=solde, with_zip=False),
            headers=headers,
        ).json
        return str(answer["lignes"][0]["codetraitement"])

    assert simulate() == code("solde-avenant-not-paid")
    avenant_id = avenant.json["avenants"][0]["id"]
    skipped = client.post(f"/admin/avenants/{avenant_id}/transition", json={"vers": "paye"}, headers=admin_headers())
    assert skipped.status_code == 409
    for target in ("decide", "paye"):
        moved = client.post(f"/admin/avenants/{avenant_id}/transition", json={"vers": target}, headers=admin_headers())
        assert moved.status_code == 200, moved.json
    assert simulate() == SPEC.accepted_code


def test_the_whole_seed_path_for_a_newly_enrolled_editor(client: FlaskClient) -> None:
    """enrol → validate → login → simulate → import → instruction → à modifier → modify → décidée → paid
    → solde → paid, by an editor that enrolled through the API."""
    form = enrolment_form(numero_ans=ANS, email="dsi@editeur-neuf.example")
    enrolment = client.post("/api/enrolments", json=form).json
    client.post(f"/admin/enrolments/{enrolment['id']}/decision", json={"vers": "validee"}, headers=admin_headers())
    mails = {m["objet"]: m["corps"] for m in mails_to(client, "dsi@editeur-neuf.example")}
    headers = login(client, *credentials(mails))
    simulated = client.post("/api/simulations", data=deposit_form(AVANCE, type_demande="avance"), headers=headers).json
    assert simulated["recapitulatif"]["acceptees"] == len(example_requests(AVANCE)), simulated
    imported = client.post("/api/imports", data=deposit_form(AVANCE, type_demande="avance"), headers=headers).json
    numero = imported["lignes"][1]["numeroDemande"]
    transition(client, numero, "enCours")
    transition(client, numero, "aModifier", "SIRET du BDC différent")
    request = client.get(f"/api/requests/{numero}", headers=headers).json["demande"]
    modified = client.put(f"/api/requests/{numero}", json=request, headers=headers).json
    assert modified["statut"] == SPEC.status("enCours"), modified
    for target in ("validee", "decidee", "payee"):
        transition(client, numero, target)
    client.post("/admin/clock", json={"at": at(SPEC.windows[SOLDE].default_deposit)}, headers=admin_headers())
    answer = client.post(
        "/api/imports", data=deposit_form(SOLDE, type_demande="solde", data=solde_of(numero, 1)), headers=headers
    ).json
    assert answer["lignes"][0]["codetraitement"] == SPEC.accepted_code, answer["lignes"][0]
    solde_numero = answer["lignes"][0]["numeroDemande"]
    for target in ("enCours", "validee", "decidee", "payee"):
        transition(client, solde_numero, target)
    payments = [
        client.get(f"/api/requests/{n}", headers=headers).json["suiviFinancier"]["versements"][0]["montant"]
        for n in (numero, solde_numero)
    ]
    granted = example_requests(AVANCE)[1]["amount_requested"]
    avance_paid = granted * AVANCE_PERCENT // 100
    assert payments == [cents_as_euros(avance_paid), cents_as_euros(granted - avance_paid)]


def test_the_imports_list_pages_and_finds_a_file_by_its_digest(client: FlaskClient) -> None:
    """GET /api/imports: one's imports, oldest first, page by page; ``sha256`` keeps one file's."""
    headers = login(client)
    me = client.get("/api/me", headers=headers).json
    profile = SPEC.profiles[first_profile()]
    ans = next(e["numeroAns"] for e in me["enrolements"] if e["typeLogiciel"] == profile.type_logiciel)
    lines = example_requests()
    files = []
    for index in range(3):
        changed = [{**line, "line_reference": f"{line['line_reference']}{index}"} for line in lines[:1]]
        files.append(written(changed))
        form = {"typeDemande": "avance", "tauxTva": f"{lines[0]['vat_rate']:g}", "numeroAns": ans}
        form["fichier"] = (io.BytesIO(files[-1]), "depot.json")
        assert client.post("/api/imports", data=form, headers=headers).status_code == 201
    first = client.get("/api/imports?limit=2", headers=headers).json
    assert [d["depot"] for d in first["depots"]] == [1, 2] and first["suivant"] == 2
    rest = client.get(f"/api/imports?limit=2&apres={first['suivant']}", headers=headers).json
    assert [d["depot"] for d in rest["depots"]] == [3] and rest["suivant"] is None
    digest = hashlib.sha256(files[1]).hexdigest()
    found = client.get(f"/api/imports?sha256={digest}", headers=headers).json["depots"]
    assert [(d["depot"], d["sha256"]) for d in found] == [(2, digest)]
    assert found[0]["numeroAns"] == ans and found[0]["typeDemande"] == "avance" and found[0]["nombreLignes"] == 1


@pytest.mark.skipif(
    SPEC.mss_from is None or SOLDE not in SPEC.mss_profiles or not SPEC.has("mss_indicator"),
    reason=f"the spec in force ({SPEC.label}) has no MSS indicator date for {SOLDE} in calendar.json deploiementMss",
)
def test_a_solde_deposited_before_the_mss_date_and_corrected_after_it_needs_the_indicator(client: FlaskClient) -> None:
    """ASP FAQ: a solde deposited before the MSS date needs no indicator; sent back to be modified,
    it must carry it when corrected from that date: the correction is judged at its own time."""
    headers = login(client)
    numero = paid_avance(client, headers, AVANCE, ANS)
    before = SPEC.mss_from - timedelta(days=30)
    client.post("/admin/clock", json={"at": at(before)}, headers=admin_headers())
    solde = example_requests(SOLDE)[0]
    avance = example_requests(AVANCE)[0]
    solde |= {
        "avance_number": numero,
        **{name: avance.get(name) for name in ("bdc_number", "site_finess", "site_siret")},
    }
    without = {name: value for name, value in solde.items() if name not in ("mss_indicator", "mss_address")}
    form = deposit_form(SOLDE, type_demande="solde", data=written([without], SOLDE), ans=ANS)
    line = client.post("/api/imports", data=form, headers=headers).json["lignes"][0]
    assert line["codetraitement"] == SPEC.accepted_code, line  # before the date: no indicator needed
    solde_numero = line["numeroDemande"]
    transition(client, solde_numero, "enCours")
    transition(client, solde_numero, "aModifier", "indicateur MSS à renseigner")
    client.post("/admin/clock", json={"at": at(SPEC.mss_from + timedelta(days=1))}, headers=admin_headers())
    body = client.get(f"/api/requests/{solde_numero}", headers=headers).json["demande"]
    refused = client.put(f"/api/requests/{solde_numero}", json=body, headers=headers)
    assert refused.status_code == 422, refused.json
    assert refused.json["details"]["lignes"][0]["codetraitement"] == code("mss-missing")
    corrected = resolve(orjson.loads(written([solde], SOLDE)), SPEC.document["requests"].path)[0]
    accepted = client.put(f"/api/requests/{solde_numero}", json=corrected, headers=headers)
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["statut"] == SPEC.status("enCours")


def test_a_solde_over_the_amount_its_avance_requested_is_refused(client: FlaskClient) -> None:
    """ANS FAQ: the amount a solde reports is at most the one declared at the avance, as stored."""
    headers = login(client)
    numero = paid_avance(client, headers, AVANCE, ANS)
    client.post("/admin/clock", json={"at": at(SPEC.windows[SOLDE].default_deposit)}, headers=admin_headers())
    solde = example_requests(SOLDE)[0]
    avance = example_requests(AVANCE)[0]
    solde |= {
        "avance_number": numero,
        **{name: avance.get(name) for name in ("bdc_number", "site_finess", "site_siret")},
    }

    def simulate(values: dict[str, object]) -> str:
        form = deposit_form(SOLDE, type_demande="solde", data=written([values], SOLDE), ans=ANS, with_zip=False)
        return str(client.post("/api/simulations", data=form, headers=headers).json["lignes"][0]["codetraitement"])

    assert avance["amount_requested"] == solde["amount_requested"]
    assert simulate(solde) == SPEC.accepted_code
    ht = solde["amount_ht"] + 100
    more = dict(solde, amount_ht=ht, amount_ttc=ttc_cents(ht, solde["vat_rate"]))
    more["amount_requested"] = avance["amount_requested"] + 1
    assert simulate(more) == code("solde-over-avance")


def test_the_referentiel_lookup_fills_in_what_rechercher_shows_not_the_controls_dates(client: FlaskClient) -> None:
    """« Rechercher » answers the corridor, software type, name and DSR of an ANS number; the
    dossier and référencement dates of referencement.json are the controls' (order-form dates)."""
    for numero in SPEC.referencement()["solutions"]:
        found = client.get(f"/api/referencement/{numero}")
        assert found.status_code == 200, found.json
        assert set(found.json) <= {"numeroAns", "couloir", "typeLogiciel", "nom", "dsr"}, found.json
