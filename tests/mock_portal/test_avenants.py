"""An avenant the editor asks with its pieces (SEG-W03): created incomplete when a piece is
refused, listed with the incomplete requests, the solde refused until the last avenant is paid."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from segur.generators.pdf import pdf_document

from tests._support.logical import code, example_ans, first_profile, workflow_label
from tests._support.paths import SPEC
from tests._support.portal import admin_headers, deposit_form, login, paid_avance, transition
from tests.mock_portal.test_flows import at, solde_of

AVANCE, SOLDE = first_profile("avance"), first_profile("solde")
ANS = example_ans(AVANCE)
#: the avenant workflow's key of an avenant created incomplete
INCOMPLETE = SPEC.workflow["avenant"].get("initialIncomplete")

pytestmark = pytest.mark.skipif(
    INCOMPLETE is None,
    reason="the spec in force's workflow.json gives avenants no 'initialIncomplete' status (an avenant is then "
    "never created incomplete)",
)


def simulate_solde(client: FlaskClient, headers: dict[str, str], numero: str) -> str:
    form = deposit_form(SOLDE, type_demande="solde", ans=ANS, data=solde_of(numero), with_zip=False)
    answer = client.post("/api/simulations", data=form, headers=headers).json
    return str(answer["lignes"][0]["codetraitement"])


def test_avenant_created_incomplete_blocks_the_solde_until_its_pieces_are_sent(client: FlaskClient) -> None:
    headers = login(client)
    numero = paid_avance(client, headers, AVANCE, ANS)
    asked = client.post(
        f"/api/requests/{numero}/avenants",
        data={
            "montant": "1 250,50",
            "motif": "extension à un second site",
            "pieces": [
                (io.BytesIO(pdf_document("Avenant au bon de commande")), "avenant-bdc.pdf"),
                (io.BytesIO(b"a scan saved as text"), "annexe-signee.pdf"),
            ],
        },
        headers=headers,
    )
    assert asked.status_code == 201, asked.json
    avenant = asked.json
    assert avenant["statut"] == workflow_label("avenant", INCOMPLETE)
    assert avenant["piecesManquantes"] == ["annexe-signee.pdf"] and avenant["montant"] == 1250.5
    # listed with the incomplete requests, and its mail says why
    listed = client.get("/api/requests/incompletes", headers=headers).json
    assert listed["demandes"] == [] and [a["id"] for a in listed["avenants"]] == [avenant["id"]]
    detail = client.get(f"/api/requests/{numero}", headers=headers).json
    assert any("incomplet" in m["objet"] and "annexe-signee.pdf" in m["corps"] for m in detail["courriels"])
    assert {d["nomFichier"] for d in detail["piecesJustificatives"]} >= {"avenant-bdc.pdf"}
    # the solde is refused: the last avenant is not paid (ASP portal FAQ)
    client.post("/admin/clock", json={"at": at(SPEC.windows[SOLDE].default_deposit)}, headers=admin_headers())
    assert simulate_solde(client, headers, numero) == code("solde-avenant-not-paid")
    # the gestionnaire cannot move it: the hand is the editor's
    moved = client.post(f"/admin/avenants/{avenant['id']}/transition", json={"vers": "decide"}, headers=admin_headers())
    assert moved.status_code == 409
    # a wrong piece is refused and the avenant stays incomplete
    wrong = client.post(
        f"/api/avenants/{avenant['id']}/pieces",
        data={"pieces": (io.BytesIO(pdf_document("autre")), "autre.pdf")},
        headers=headers,
    )
    assert wrong.status_code == 422 and wrong.json["details"]["piecesManquantes"] == ["annexe-signee.pdf"]
    sent = client.post(
        f"/api/avenants/{avenant['id']}/pieces",
        data={"pieces": (io.BytesIO(pdf_document("Annexe signée")), "annexe-signee.pdf")},
        headers=headers,
    )
    assert sent.status_code == 200, sent.json
    assert sent.json["statut"] == workflow_label("avenant", "demande") and sent.json["piecesManquantes"] == []
    assert client.get("/api/requests/incompletes", headers=headers).json["avenants"] == []
    # still refused until decided and paid, then accepted
    assert simulate_solde(client, headers, numero) == code("solde-avenant-not-paid")
    for target in ("decide", "paye"):
        moved = client.post(
            f"/admin/avenants/{avenant['id']}/transition", json={"vers": target}, headers=admin_headers()
        )
        assert moved.status_code == 200, moved.json
    assert simulate_solde(client, headers, numero) == SPEC.accepted_code


def test_an_avenant_with_readable_pieces_is_asked_at_once(client: FlaskClient) -> None:
    headers = login(client)
    numero = paid_avance(client, headers, AVANCE, ANS)
    asked = client.post(
        f"/api/requests/{numero}/avenants",
        data={"montant": "-500", "pieces": (io.BytesIO(pdf_document("Avenant")), "avenant.pdf")},
        headers=headers,
    )
    assert asked.status_code == 201, asked.json
    assert asked.json["statut"] == workflow_label("avenant", "demande") and asked.json["montant"] == -500.0
    assert client.get("/api/requests/incompletes", headers=headers).json["avenants"] == []


def test_bad_avenant_requests_are_answered_with_the_reason(client: FlaskClient) -> None:
    headers = login(client)
    imported = client.post(
        "/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers
    ).json
    waiting = imported["lignes"][0]["numeroDemande"]
    pdf = pdf_document("Avenant")
    early = client.post(
        f"/api/requests/{waiting}/avenants",
        data={"montant": "100", "pieces": (io.BytesIO(pdf), "a.pdf")},
        headers=headers,
    )
    assert early.status_code == 409 and early.json["code"] == "AVENANT_IMPOSSIBLE"
    assert SPEC.status("enAttente") in early.json["message"]
    numero = waiting
    for target in ("enCours", "validee", "decidee", "payee"):
        transition(client, numero, target)
    for data, field in (
        ({"montant": "douze", "pieces": (io.BytesIO(pdf), "a.pdf")}, "montant"),
        ({"montant": "1,234", "pieces": (io.BytesIO(pdf), "a.pdf")}, "montant"),
        ({"montant": "100"}, "pieces"),
    ):
        bad = client.post(f"/api/requests/{numero}/avenants", data=data, headers=headers)
        assert bad.status_code == 400 and field in bad.json["message"], bad.json
    assert client.post("/api/requests/INCONNUE/avenants", data={"montant": "1"}, headers=headers).status_code == 404
    unknown = client.post("/api/avenants/999/pieces", data={"pieces": (io.BytesIO(pdf), "a.pdf")}, headers=headers)
    assert unknown.status_code == 404
