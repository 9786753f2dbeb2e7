"""Cancellation of a request (SEG-N01, SEG-N02): the editor sends its reasoned, signed attestation
sur l'honneur (and the client's renunciation when the client agreed), the gestionnaire cancels
or refuses; a cancelled avance no longer finances its site and cannot be soldée."""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient
from segur.generators.pdf import pdf_document

from tests._support.logical import code, example_ans, example_requests, first_profile
from tests._support.logical import data as written
from tests._support.paths import SPEC
from tests._support.portal import admin_headers, deposit_form, login, paid_avance, transition
from tests.mock_portal.test_flows import at, solde_of

AVANCE, SOLDE = first_profile("avance"), first_profile("solde")
ANS = example_ans(AVANCE)
MOTIF = "Le client a choisi un autre logiciel : la prestation Ségur n'aura pas lieu."


def ask(client: FlaskClient, headers: dict[str, str], numero: str, **fields: Any) -> Any:
    form: dict[str, Any] = {
        "motif": MOTIF,
        "accordClient": "true",
        "attestation": (io.BytesIO(pdf_document("Attestation sur l'honneur", [MOTIF])), "attestation.pdf"),
        "renonciation": (io.BytesIO(pdf_document("Renonciation du client")), "renonciation.pdf"),
    }
    for name, value in fields.items():
        if value is None:
            form.pop(name)
        else:
            form[name] = value
    return client.post(f"/api/requests/{numero}/annulation", data=form, headers=headers)


def decide(client: FlaskClient, numero: str, decision: str, motif: str | None = None) -> Any:
    return client.post(
        f"/admin/requests/{numero}/annulation", json={"decision": decision, "motif": motif}, headers=admin_headers()
    )


def new_avance_for_the_same_site() -> bytes:
    """The avance example's first line under a new reference and a new order form (same site)."""
    line = example_requests(AVANCE)[0]
    line["line_reference"] = f"{line['line_reference']}-BIS"
    line["bdc_number"] = f"{line['bdc_number']}-BIS"
    return written([line], AVANCE)


def simulate(client: FlaskClient, headers: dict[str, str], kind: str, data: bytes) -> str:
    form = deposit_form(AVANCE if kind == "avance" else SOLDE, type_demande=kind, ans=ANS, data=data, with_zip=False)
    answer = client.post("/api/simulations", data=form, headers=headers).json
    return str(answer["lignes"][0]["codetraitement"])


def test_cancel_an_avance_and_its_solde_on_the_editors_attestation(client: FlaskClient) -> None:
    headers = login(client)
    numero = paid_avance(client, headers, AVANCE, ANS)
    client.post("/admin/clock", json={"at": at(SPEC.windows[SOLDE].default_deposit)}, headers=admin_headers())
    deposited = client.post(
        "/api/imports", data=deposit_form(SOLDE, type_demande="solde", data=solde_of(numero), ans=ANS), headers=headers
    ).json
    solde = deposited["lignes"][0]["numeroDemande"]
    # the solde alone is not cancelled: its avance is
    refused = ask(client, headers, solde)
    assert refused.status_code == 409 and numero in refused.json["message"]
    asked = ask(client, headers, numero)
    assert asked.status_code == 201, asked.json
    assert asked.json["etat"] == "transmise" and asked.json["motif"] == MOTIF and asked.json["accordClient"] is True
    again = ask(client, headers, numero)
    assert again.status_code == 409 and again.json["code"] == "ANNULATION_EN_COURS"
    detail = client.get(f"/api/requests/{numero}", headers=headers).json
    assert detail["statut"] == SPEC.status("payee")  # nothing changes until the gestionnaire decides
    assert [a["etat"] for a in detail["annulations"]] == ["transmise"]
    natures = {d["nature"]: d["nomFichier"] for d in detail["piecesJustificatives"]}
    assert natures["ATTESTATION_ANNULATION"] == "attestation.pdf"
    assert natures["RENONCIATION_CLIENT"] == "renonciation.pdf"
    assert any("demande d'annulation reçue" in m["objet"] for m in detail["courriels"])
    pending = client.get("/admin/annulations?etat=transmise", headers=admin_headers()).json
    assert [a["numeroDemande"] for a in pending["annulations"]] == [numero] and pending["suivant"] is None
    # a plain move to the cancelled status is refused: only the editor's request cancels
    plain = client.post(f"/admin/requests/{numero}/transition", json={"vers": "annulee"}, headers=admin_headers())
    assert plain.status_code == 409 and plain.json["code"] == "ANNULATION_SUR_DEMANDE"
    accepted = decide(client, numero, "acceptee")
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["etat"] == "acceptee"
    for cancelled in (numero, solde):
        detail = client.get(f"/api/requests/{cancelled}", headers=headers).json
        assert detail["statut"] == SPEC.status("annulee"), cancelled
        assert MOTIF in detail["motif"] and detail["historique"][-1]["vers"] == SPEC.status("annulee")
    mails = client.get(f"/api/requests/{numero}", headers=headers).json["courriels"]
    assert any(SPEC.status("annulee") in m["objet"] and solde in m["corps"] for m in mails)
    assert client.get("/admin/annulations?etat=transmise", headers=admin_headers()).json["annulations"] == []
    assert decide(client, numero, "acceptee").json["code"] == "AUCUNE_ANNULATION"


def test_cancelled_avance_frees_its_site_and_refuses_its_solde(client: FlaskClient) -> None:
    headers = login(client)
    numero = paid_avance(client, headers, AVANCE, ANS)
    assert simulate(client, headers, "avance", new_avance_for_the_same_site()) == code("beneficiary-financed")
    assert ask(client, headers, numero, accordClient="false", renonciation=None).status_code == 201
    assert decide(client, numero, "acceptee").status_code == 200
    assert simulate(client, headers, "avance", new_avance_for_the_same_site()) == SPEC.accepted_code
    client.post("/admin/clock", json={"at": at(SPEC.windows[SOLDE].default_deposit)}, headers=admin_headers())
    assert simulate(client, headers, "solde", solde_of(numero)) == code("solde-avance-cancelled")


def test_a_refused_cancellation_keeps_the_request(client: FlaskClient) -> None:
    headers = login(client)
    imported = client.post(
        "/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers
    ).json
    numero = imported["lignes"][0]["numeroDemande"]
    transition(client, numero, "enCours")
    assert ask(client, headers, numero).status_code == 201
    no_reason = decide(client, numero, "refusee")
    assert no_reason.status_code == 400 and "motif" in no_reason.json["message"]
    refused = decide(client, numero, "refusee", "La renonciation du client n'est pas signée.")
    assert refused.status_code == 200 and refused.json["etat"] == "refusee"
    detail = client.get(f"/api/requests/{numero}", headers=headers).json
    assert detail["statut"] == SPEC.status("enCours")
    assert detail["annulations"][-1]["motifDecision"] == "La renonciation du client n'est pas signée."
    assert any("annulation refusée" in m["objet"] and "pas signée" in m["corps"] for m in detail["courriels"])
    # asked again, with a signed renunciation this time
    assert ask(client, headers, numero).status_code == 201
    assert [a["etat"] for a in client.get(f"/api/requests/{numero}", headers=headers).json["annulations"]] == [
        "refusee",
        "transmise",
    ]


def test_bad_cancellation_requests_name_what_is_wrong(client: FlaskClient) -> None:
    headers = login(client)
    imported = client.post(
        "/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers
    ).json
    numero, other = (line["numeroDemande"] for line in imported["lignes"][:2])
    for fields, status, word in (
        ({"motif": None}, 400, "motif"),
        ({"motif": "  "}, 400, "motif"),
        ({"accordClient": "peut-être"}, 400, "accordClient"),
        ({"attestation": None}, 400, "attestation"),
        ({"renonciation": None}, 422, "renonciation"),
        ({"attestation": (io.BytesIO(b"texte"), "attestation.pdf")}, 422, "pièces"),
    ):
        answer = ask(client, headers, numero, **fields)
        assert answer.status_code == status and word in str(answer.json), (fields, answer.json)
    transition(client, other, "enCours")
    transition(client, other, "rejetee", "pièces illisibles")
    rejected = ask(client, headers, other)
    assert rejected.status_code == 409 and rejected.json["code"] == "ANNULATION_IMPOSSIBLE"
    assert ask(client, headers, "INCONNUE").status_code == 404
    assert decide(client, numero, "acceptee").json["code"] == "AUCUNE_ANNULATION"
    assert decide(client, numero, "peut-être").status_code == 400
    bad_state = client.get("/admin/annulations?etat=perdue", headers=admin_headers())
    assert bad_state.status_code == 400
    assert client.get(f"/api/requests/{numero}", headers=headers).json["annulations"] == []
