"""The editor's API: enrolment, login, simulate, import, requests (what the portal's pages do)."""

from __future__ import annotations

import hashlib
from collections import Counter
from operator import itemgetter
from typing import IO, Any

from flask import Blueprint, Response, g, request
from segur.mock_portal.app import json_response, portal
from segur.mock_portal.errors import PortalError, bad_request
from segur.mock_portal.limits import read_deposit_file
from segur.mock_portal.services import Row

from ._common import after_id, bearer, documented_body, documented_form, json_object, limit, pdf_download

blueprint = Blueprint("api", __name__, url_prefix="/api")


def editor() -> Row:
    found = portal().accounts.editor_for_token(bearer())
    if found is None:
        raise PortalError(401, "NON_AUTHENTIFIE", "jeton inconnu ou expiré : reconnectez-vous")
    g.editor_id = found["id"]
    return found


def _file(name: str) -> bytes:
    upload = request.files.get(name)
    if upload is None:
        raise bad_request(f"multipart field '{name}' (a file) is missing")
    return read_deposit_file(upload)


def _pieces_sent() -> list[tuple[str, IO[bytes]]]:
    """The files of the multipart field ``pieces``, each with its name (a default when it has none)."""
    return [(f.filename or "piece.pdf", f.stream) for f in request.files.getlist("pieces")]


@blueprint.get("/referencement/<numero>")
def referencement(numero: str) -> Response:
    found = portal().enrolment.lookup_ans(numero)
    if found is None:
        raise PortalError(404, "REFERENCEMENT_INCONNU", f"numéro de référencement ANS {numero} inconnu")
    return json_response(found)


@blueprint.post("/enrolments")
def enrol() -> Response:
    body = json_object()
    result = portal().enrolment.enrol(body)
    g.detail = {"enrolement": result["id"], "numeroAns": result["numeroAns"]}
    return json_response(result, 201)


@blueprint.post("/enrolments/complementaires")
def enrol_more() -> Response:
    current = editor()
    result = portal().enrolment.enrol(documented_body(), editor=current)
    g.detail = {"enrolement": result["id"], "numeroAns": result["numeroAns"]}
    return json_response(result, 201)


@blueprint.post("/login")
def login() -> Response:
    body = documented_body()
    g.detail = {"login": body.get("login")}
    result = portal().accounts.login(body.get("login"), body.get("password"), address=request.remote_addr)
    return json_response(result)


@blueprint.post("/logout")
def logout() -> Response:
    """End the session of the bearer token now (its token then answers 401)."""
    editor()  # an open session (401 otherwise), its editor journaled
    portal().accounts.logout(bearer())
    return json_response({"deconnecte": True})


@blueprint.get("/me")
def me() -> Response:
    return json_response(portal().accounts.me(editor()))


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


def _choices() -> dict[str, Any]:
    """The deposit screen's choices as sent (to tell a tool that does not send its bundle's)."""
    type_demande, numero_ans, taux_tva = _deposit_fields()
    return {"typeDemande": type_demande, "tauxTva": taux_tva, "numeroAns": numero_ans}


def _lines(answer: dict[str, Any]) -> list[list[Any]]:
    """Per line: number, the editor's reference, code, ASP number (to follow what is re-sent)."""
    return [
        [line["numLigne"], line.get("referenceLigne"), line["codetraitement"], line.get("numeroDemande")]
        for line in answer["lignes"]
    ]


@blueprint.post("/simulations")
def simulate() -> Response:
    current = editor()
    documented_form()
    data = _file("fichier")
    answer = portal().deposits.simulate(current, data, *_deposit_fields())
    g.detail = {**_summary(data, answer), "choix": _choices(), "lignes": _lines(answer)}
    return json_response(answer)


@blueprint.post("/imports")
def import_deposit() -> Response:
    current = editor()
    documented_form()
    data = _file("fichier")
    upload = request.files.get("pieces")
    result = portal().deposits.import_deposit(current, data, upload.stream if upload else None, *_deposit_fields())
    g.detail = {
        "depot": result["depot"],
        "pieces": bool(upload),
        **_summary(data, result),
        "choix": _choices(),
        "lignes": _lines(result),
    }
    return json_response(result, 201)


@blueprint.get("/imports")
def imports_list() -> Response:
    """One's imports, oldest first (``sha256``: those of one file): ``limit`` of them (default
    100) from after the import ``apres``; ``suivant`` is where the next page starts."""
    found, following = portal().deposits.listing(
        editor(), sha256=request.args.get("sha256"), after=after_id("apres"), limit=limit(100)
    )
    return json_response({"depots": found, "suivant": following})


@blueprint.get("/imports/<id:deposit_id>")
def deposit(deposit_id: int) -> Response:
    return json_response(portal().deposits.deposit_json(editor(), deposit_id))


@blueprint.post("/imports/<id:deposit_id>/terminer")
def terminate(deposit_id: int) -> Response:
    result = portal().deposits.terminate(editor(), deposit_id)
    g.detail = {"depot": deposit_id}
    return json_response(result)


def requests_body(editor_id: int | None, statut: str | None, type_demande: str | None) -> dict[str, Any]:
    """A page of a list of requests: ``limit`` of them (default 1000) in the order of their
    deposit, from after the request ``apres``; ``suivant`` is where the next page starts (null at
    the end)."""
    found, following = portal().requests.listing(
        editor_id, statut, type_demande, after=request.args.get("apres") or None, limit=limit(1000)
    )
    return {"demandes": found, "suivant": following}


def requests_page(editor_id: int | None, statut: str | None, type_demande: str | None) -> Response:
    return json_response(requests_body(editor_id, statut, type_demande))


@blueprint.get("/requests")
def requests_list() -> Response:
    current = editor()
    return requests_page(current["id"], request.args.get("statut"), request.args.get("typeDemande"))


@blueprint.get("/requests/incompletes")
def incomplete() -> Response:
    """The incomplete requests (paged) and, under ``avenants``, the avenants created incomplete."""
    current = editor()
    body = requests_body(current["id"], "incomplete", None)
    body["avenants"] = portal().requests.incomplete_avenants(current["id"])
    return json_response(body)


@blueprint.get("/requests/<numero:numero>")
def request_detail(numero: str) -> Response:
    return json_response(portal().requests.detail(numero, editor()["id"]))


@blueprint.put("/requests/<numero:numero>")
def modify(numero: str) -> Response:
    current = editor()
    result = portal().requests.modify(current, numero, json_object())
    g.detail = {"numeroDemande": numero, "statut": result["statut"]}
    return json_response(result)


@blueprint.post("/requests/<numero:numero>/pieces")
def pieces(numero: str) -> Response:
    current = editor()
    documented_form()
    files = _pieces_sent()
    result = portal().requests.send_pieces(current, numero, files)
    g.detail = {"numeroDemande": numero, "pieces": [name for name, _ in files], "statut": result["statut"]}
    return json_response(result)


@blueprint.post("/requests/<numero:numero>/avenants")
def ask_avenant(numero: str) -> Response:
    """An avenant asked with its pieces (multipart: ``montant``, ``motif``, files ``pieces``):
    created incomplete when a piece is refused."""
    current = editor()
    documented_form()
    files = _pieces_sent()
    result = portal().requests.ask_avenant(
        current, numero, request.form.get("montant"), request.form.get("motif"), files
    )
    g.detail = {"numeroDemande": numero, "avenant": result["id"], "statut": result["statut"]}
    return json_response(result, 201)


@blueprint.post("/avenants/<id:avenant_id>/pieces")
def avenant_pieces(avenant_id: int) -> Response:
    current = editor()
    documented_form()
    files = _pieces_sent()
    result = portal().requests.send_avenant_pieces(current, avenant_id, files)
    g.detail = {"avenant": avenant_id, "pieces": [name for name, _ in files], "statut": result["statut"]}
    return json_response(result)


_BOOLEANS = {"true": True, "false": False, "oui": True, "non": False, "1": True, "0": False}


@blueprint.post("/requests/<numero:numero>/annulation")
def ask_cancellation(numero: str) -> Response:
    """The editor's request to cancel a request (multipart: ``motif``, ``accordClient`` true or
    false, file ``attestation``, file ``renonciation`` when the client had agreed)."""
    current = editor()
    documented_form()
    agreed = request.form.get("accordClient")
    upload = {name: request.files.get(name) for name in ("attestation", "renonciation")}
    result = portal().cancellations.ask(
        current,
        numero,
        request.form.get("motif"),
        _BOOLEANS.get(agreed.strip().lower(), agreed) if agreed is not None else None,
        *((f.filename or f"{name}.pdf", f.stream) if (f := upload[name]) else None for name in upload),
    )
    g.detail = {"numeroDemande": numero, "annulation": result["id"]}
    return json_response(result, 201)


@blueprint.get("/requests/<numero:numero>/documents/<id:document_id>")
def document(numero: str, document_id: int) -> Response:
    filename, content = portal().requests.document(numero, document_id, editor()["id"])
    return pdf_download(filename, content)


@blueprint.get("/mails")
def mails() -> Response:
    """The editor's mails, oldest first: ``limit`` (default 1000) after the page ``apres``."""
    size = limit(1000)
    found = portal().mails.of_editor(editor()["id"], after=after_id("apres"), limit=size + 1)
    following = found[size - 1]["id"] if len(found) > size else None
    return json_response(
        {"courriels": [{k: v for k, v in m.items() if k != "id"} for m in found[:size]], "suivant": following}
    )
