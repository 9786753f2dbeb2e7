"""The editor's API: enrolment, login, simulate, import, requests (what the portal's pages do)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from operator import itemgetter
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from segur.mock_portal.app import json_response, portal
from segur.mock_portal.errors import PortalError, bad_request
from segur.mock_portal.limits import read_deposit_file
from segur.mock_portal.security import API, guarded_login

from ._common import bearer, documented_body, documented_form, json_object, pdf_download

blueprint = Blueprint("api", __name__, url_prefix="/api")


def editor() -> sqlite3.Row:
    found = portal().editor_of(bearer())
    if found is None:
        raise PortalError(401, "NON_AUTHENTIFIE", "jeton inconnu ou expiré : reconnectez-vous")
    g.editor_id = found["id"]
    return found


def _file(name: str) -> bytes:
    upload = request.files.get(name)
    if upload is None:
        raise bad_request(f"multipart field '{name}' (a file) is missing")
    return read_deposit_file(upload)


@blueprint.get("/referencement/<numero>")
def referencement(numero: str) -> Response:
    found = portal().lookup_ans(numero)
    if found is None:
        raise PortalError(404, "REFERENCEMENT_INCONNU", f"numéro de référencement ANS {numero} inconnu")
    return json_response(found)


@blueprint.post("/enrolments")
def enrol() -> Response:
    body = json_object()
    result = portal().enrol(body)
    g.detail = {"enrolement": result["id"], "numeroAns": result["numeroAns"]}
    return json_response(result, 201)


@blueprint.post("/enrolments/complementaires")
def enrol_more() -> Response:
    current = editor()
    result = portal().enrol(documented_body(), editor=current)
    g.detail = {"enrolement": result["id"], "numeroAns": result["numeroAns"]}
    return json_response(result, 201)


@blueprint.post("/login")
def login() -> Response:
    body = documented_body()
    g.detail = {"login": body.get("login")}
    result = guarded_login(
        portal(), body.get("login"), body.get("password"), request.remote_addr, current_app.config, API
    )
    return json_response(result)


@blueprint.post("/logout")
def logout() -> Response:
    """End the session of the bearer token now (its token then answers 401)."""
    editor()  # an open session (401 otherwise), its editor journaled
    portal().logout(bearer())
    return json_response({"deconnecte": True})


@blueprint.get("/me")
def me() -> Response:
    return json_response(portal().me(editor()))


def _deposit_fields() -> tuple[Any, Any, Any]:
    form = request.form
    return form.get("typeDemande"), form.get("numeroAns"), form.get("tauxTva")


def _summary(data: bytes, answer: dict[str, Any]) -> dict[str, Any]:
    """What the journal keeps of a simulate or an import: the file's digest (to tell the same
    file deposited again), its verdict and the count of each code."""
    codes = Counter(map(itemgetter("codetraitement"), answer["lignes"]))
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "taille": len(data),
        "statut": answer["statut"],
        "codetraitement": answer["codetraitement"],
        "codes": dict(sorted(codes.items())),
    }


@blueprint.post("/simulations")
def simulate() -> Response:
    current = editor()
    documented_form()
    data = _file("fichier")
    answer = portal().simulate(current, data, *_deposit_fields())
    g.detail = _summary(data, answer)
    return json_response(answer)


@blueprint.post("/imports")
def import_deposit() -> Response:
    current = editor()
    documented_form()
    data = _file("fichier")
    upload = request.files.get("pieces")
    result = portal().import_deposit(current, data, upload.stream if upload else None, *_deposit_fields())
    g.detail = {
        "depot": result["depot"],
        "pieces": bool(upload),
        **_summary(data, result),
        # per line: number, the editor's reference, code, ASP number (to follow what is re-sent)
        "lignes": [
            [line["numLigne"], line["referenceLigne"], line["codetraitement"], line.get("numeroDemande")]
            for line in result["lignes"]
        ],
    }
    return json_response(result, 201)


@blueprint.get("/imports/<id:deposit_id>")
def deposit(deposit_id: int) -> Response:
    return json_response(portal().deposit_json(editor(), deposit_id))


@blueprint.post("/imports/<id:deposit_id>/terminer")
def terminate(deposit_id: int) -> Response:
    result = portal().terminate(editor(), deposit_id)
    g.detail = {"depot": deposit_id}
    return json_response(result)


@blueprint.get("/requests")
def requests_list() -> Response:
    current = editor()
    found = portal().list_requests(current["id"], request.args.get("statut"), request.args.get("typeDemande"))
    return json_response({"demandes": found})


@blueprint.get("/requests/incompletes")
def incomplete() -> Response:
    current = editor()
    return json_response({"demandes": portal().list_requests(current["id"], "incomplete", None)})


@blueprint.get("/requests/<numero:numero>")
def request_detail(numero: str) -> Response:
    return json_response(portal().request_json(numero, editor()["id"]))


@blueprint.put("/requests/<numero:numero>")
def modify(numero: str) -> Response:
    current = editor()
    result = portal().modify(current, numero, json_object())
    g.detail = {"numeroDemande": numero, "statut": result["statut"]}
    return json_response(result)


@blueprint.post("/requests/<numero:numero>/pieces")
def pieces(numero: str) -> Response:
    current = editor()
    documented_form()
    files = [(f.filename or "piece.pdf", f.stream) for f in request.files.getlist("pieces")]
    result = portal().send_pieces(current, numero, files)
    g.detail = {"numeroDemande": numero, "pieces": [name for name, _ in files], "statut": result["statut"]}
    return json_response(result)


@blueprint.get("/requests/<numero:numero>/documents/<id:document_id>")
def document(numero: str, document_id: int) -> Response:
    filename, content = portal().document(numero, document_id, editor()["id"])
    return pdf_download(filename, content)


@blueprint.get("/mails")
def mails() -> Response:
    return json_response({"courriels": portal().mails_of(editor()["id"])})
