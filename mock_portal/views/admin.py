"""The gestionnaire's and the test harness's API: instruction, clock, reset, scenarios, faults, journal."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, request
from segur.mock_portal.app import json_response, portal
from segur.mock_portal.errors import PortalError, bad_request

from ._common import after_id, bearer, documented_body, limit
from .api import requests_page

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.before_request
def gestionnaire_only() -> None:
    token = bearer()
    # compared as UTF-8 bytes: compare_digest refuses a str that is not ASCII
    if not hmac.compare_digest(token.encode(), str(current_app.config["ADMIN_TOKEN"]).encode()):
        raise PortalError(403, "ACCES_REFUSE", "jeton de gestionnaire invalide")


def _limit(default: int = 200) -> int:
    try:
        return max(1, min(int(request.args.get("limit", default)), 10_000))
    except ValueError:
        raise bad_request("'limit' must be a whole number") from None


@blueprint.get("/enrolments")
def enrolments() -> Response:
    """Enrolments in the order of their numbers: ``limit`` (default 1000) after the number ``apres``."""
    size = limit(1000)
    found = portal().enrolment.listing(
        request.args.get("statut"), newest_first=False, after=after_id("apres"), limit=size + 1
    )
    following = found[size - 1]["id"] if len(found) > size else None
    return json_response(
        {"enrolements": [{k: v for k, v in e.items() if k != "email"} for e in found[:size]], "suivant": following}
    )


@blueprint.post("/enrolments/<id:enrolment_id>/decision")
def enrolment_decision(enrolment_id: int) -> Response:
    body = documented_body()
    target = portal().flows.enrolment.key(str(body.get("vers", "")))
    if target is None:
        raise bad_request(f"'vers' must be one of {', '.join(portal().flows.enrolment.labels)}")
    motif = body.get("motif")
    if motif is not None and not isinstance(motif, str):
        raise bad_request("'motif' must be text")
    return json_response(portal().enrolment.decide(enrolment_id, target, motif))


@blueprint.get("/requests")
def requests_list() -> Response:
    return requests_page(None, request.args.get("statut"), request.args.get("typeDemande"))


@blueprint.get("/requests/<numero:numero>")
def request_detail(numero: str) -> Response:
    """A request as the gestionnaire reads it: with the warnings of the checks by hand."""
    found = portal()
    return json_response({**found.requests.detail(numero, None), "avertissements": found.instruction.warnings(numero)})


@blueprint.post("/requests/<numero:numero>/transition")
def transition(numero: str) -> Response:
    body = documented_body()
    return json_response(portal().instruction.transition(numero, body.get("vers"), body.get("motif")))


@blueprint.post("/requests/<numero:numero>/avenants")
def avenant(numero: str) -> Response:
    body = documented_body()
    return json_response(portal().instruction.add_avenant(numero, body.get("montant"), body.get("motif")), 201)


@blueprint.post("/avenants/<id:avenant_id>/transition")
def avenant_transition(avenant_id: int) -> Response:
    return json_response(portal().instruction.avenant_transition(avenant_id, documented_body().get("vers")))


@blueprint.get("/annulations")
def cancellations() -> Response:
    """The editors' cancellation requests in the order of their numbers (``etat``: transmise,
    acceptee or refusee): ``limit`` (default 1000) after the number ``apres``."""
    found, following = portal().cancellations.listing(
        request.args.get("etat"), after=after_id("apres"), limit=limit(1000)
    )
    return json_response({"annulations": found, "suivant": following})


@blueprint.post("/requests/<numero:numero>/annulation")
def decide_cancellation(numero: str) -> Response:
    """The decision on a request's pending cancellation: ``{"decision": "acceptee"|"refusee", "motif": …}``."""
    body = documented_body()
    return json_response(portal().cancellations.decide(numero, body.get("decision"), body.get("motif")))


@blueprint.get("/clock")
def clock() -> Response:
    return json_response({"maintenant": portal().now().isoformat()})


@blueprint.post("/clock")
def set_clock() -> Response:
    body = documented_body()
    at, advance, real = body.get("at"), body.get("advance"), body.get("real")
    if at is not None and not isinstance(at, str):
        raise bad_request("'at' must be an ISO 8601 time as text")
    if advance is not None and (isinstance(advance, bool) or not isinstance(advance, (int, float))):
        raise bad_request("'advance' must be a number of seconds")
    if advance is not None and abs(advance) > 10 * 365 * 86400:
        raise bad_request("'advance' must stay within ten years")
    moment = portal().ctx.set_clock(at=at, advance=advance, real=real is True)
    return json_response({"maintenant": moment.isoformat()})


@blueprint.post("/reset")
def reset() -> Response:
    config = current_app.config
    seeded = portal().reset(config["DEMO_LOGIN"], config["DEMO_PASSWORD"], config["ADMIN_TOKEN"])
    return json_response({"reinitialise": True, "login": seeded["login"]})


@blueprint.get("/scenarios")
def scenarios() -> Response:
    return json_response({"scenarios": portal().testing.scenarios()})


@blueprint.post("/scenarios")
def add_scenario() -> Response:
    return json_response(portal().testing.add_scenario(documented_body()), 201)


@blueprint.delete("/scenarios")
def clear_scenarios() -> Response:
    portal().testing.clear_scenarios()
    return json_response({"scenarios": []})


@blueprint.get("/faults")
def faults() -> Response:
    return json_response({"pannes": portal().testing.faults()})


@blueprint.post("/faults")
def add_fault() -> Response:
    return json_response(portal().testing.add_fault(documented_body()), 201)


@blueprint.delete("/faults")
def clear_faults() -> Response:
    portal().testing.clear_faults()
    return json_response({"pannes": []})


@blueprint.get("/journal")
def journal() -> Response:
    """The journal, oldest first: the ``limit`` entries after the number ``apres``; else the
    ``limit`` latest, or the latest before the number ``avant`` (each page costs the same, however
    long the journal)."""
    found = portal().testing.journal(after=after_id("apres"), before=after_id("avant"), limit=_limit())
    return json_response({"journal": found})


@blueprint.get("/mails")
def outbox() -> Response:
    """The mails sent, oldest first: the ``limit`` after the number ``apres``; else the ``limit``
    latest, or the latest before the number ``avant``."""
    after, before, size = after_id("apres"), after_id("avant"), _limit()
    if after is not None:
        found = portal().mails.outbox(newest_first=False, after=after, limit=size)
    else:
        found = portal().mails.outbox(newest_first=True, after=before, limit=size)[::-1]
    return json_response({"courriels": found})
