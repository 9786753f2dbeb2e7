"""The gestionnaire's and the test harness's API: instruction, clock, reset, scenarios, faults, journal."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, current_app, request
from segur.mock_portal.app import json_response, portal
from segur.mock_portal.errors import PortalError, bad_request
from segur.mock_portal.store import dumps, loads
from segur.mock_portal.workflow import TransitionRefused

from ._common import bearer, documented_body

blueprint = Blueprint("admin", __name__, url_prefix="/admin")

FAULT_KINDS = ("unavailable", "latency", "drop")
TRIGGERS = ("after_import",)
#: the most times a scenario or a fault may apply ('fois'); more is "always" (leave it out)
MAX_COUNT = 1_000_000


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
    found = portal()
    statut = request.args.get("statut")
    label = found.flows.enrolment.labels.get(statut, statut) if statut else None
    rows = found.store.db.execute(
        "SELECT id FROM enrolments WHERE (? IS NULL OR statut = ?) ORDER BY id", (label, label)
    ).fetchall()
    return json_response({"enrolements": [found.enrolment_json(r["id"]) for r in rows]})


@blueprint.post("/enrolments/<id:enrolment_id>/decision")
def enrolment_decision(enrolment_id: int) -> Response:
    body = documented_body()
    target = portal().flows.enrolment.key(str(body.get("vers", "")))
    if target is None:
        raise bad_request(f"'vers' must be one of {', '.join(portal().flows.enrolment.labels)}")
    motif = body.get("motif")
    if motif is not None and not isinstance(motif, str):
        raise bad_request("'motif' must be text")
    return json_response(portal().decide_enrolment(enrolment_id, target, motif))


@blueprint.get("/requests")
def requests_list() -> Response:
    found = portal().list_requests(None, request.args.get("statut"), request.args.get("typeDemande"))
    return json_response({"demandes": found})


@blueprint.get("/requests/<numero:numero>")
def request_detail(numero: str) -> Response:
    return json_response(portal().request_json(numero, None))


@blueprint.post("/requests/<numero:numero>/transition")
def transition(numero: str) -> Response:
    body = documented_body()
    return json_response(portal().transition(numero, body.get("vers"), body.get("motif")))


@blueprint.post("/requests/<numero:numero>/avenants")
def avenant(numero: str) -> Response:
    body = documented_body()
    return json_response(portal().add_avenant(numero, body.get("montant"), body.get("motif")), 201)


@blueprint.post("/avenants/<id:avenant_id>/transition")
def avenant_transition(avenant_id: int) -> Response:
    return json_response(portal().avenant_transition(avenant_id, documented_body().get("vers")))


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
    moment = portal().set_clock(at=at, advance=advance, real=real is True)
    return json_response({"maintenant": moment.isoformat()})


@blueprint.post("/reset")
def reset() -> Response:
    config = current_app.config
    seeded = portal().reset(config["DEMO_LOGIN"], config["DEMO_PASSWORD"], config["ADMIN_TOKEN"])
    return json_response({"reinitialise": True, "login": seeded["login"]})


def _whole(value: Any) -> Any:
    """A number JSON Schema calls an integer (120.0 is one) as a Python int, when a float holds it
    exactly; anything else as is (orjson reads an integer beyond 64 bits as a float: refused)."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def _count(body: dict[str, Any]) -> int | None:
    count = _whole(body.get("fois"))
    if count is None:
        return None
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise bad_request(f"'fois' must be a whole number from 1 to {MAX_COUNT} (leave it out for always)")
    return count


@blueprint.get("/scenarios")
def scenarios() -> Response:
    rows = portal().store.db.execute("SELECT * FROM scenarios ORDER BY id").fetchall()
    return json_response(
        {
            "scenarios": [
                {"id": r["id"], "declencheur": r["trigger"], **loads(r["action"]), "restant": r["remaining"]}
                for r in rows
            ]
        }
    )


@blueprint.post("/scenarios")
def add_scenario() -> Response:
    body = documented_body()
    found = portal()
    trigger = body.get("declencheur", "after_import")
    if trigger not in TRIGGERS:
        raise bad_request(f"'declencheur' must be one of {', '.join(TRIGGERS)}")
    steps = body.get("etapes")
    if not isinstance(steps, list) or not steps or not all(isinstance(s, str) for s in steps):
        raise bad_request('\'etapes\' must be a non-empty list of statuses, e.g. ["enCours", "validee", "decidee"]')
    keys = [found.flows.request.key(s) for s in steps]
    if None in keys:
        raise bad_request(f"unknown status in 'etapes'; known: {', '.join(found.spec.statuts)}")
    flow = found.flows.request
    current = flow.initial
    for step in keys:  # the path must be one the gestionnaire can walk from a freshly imported request
        try:
            flow.move(
                current,
                str(step),
                by="gestionnaire",
                action="pay" if step == "payee" else None,
                reason=body.get("motif") if isinstance(body.get("motif"), str) else None,
            )
        except TransitionRefused as refused:
            raise bad_request(f"'etapes': {refused.message}", {"possibles": refused.allowed}) from None
        current = str(step)
    line = _whole(body.get("ligne"))
    if line is not None and (isinstance(line, bool) or not isinstance(line, int) or line < 1):
        raise bad_request("'ligne' must be a line number ≥ 1")
    motif = body.get("motif")
    if motif is not None and not isinstance(motif, str):
        raise bad_request("'motif' must be text")
    action = {"etapes": keys, "ligne": line, "motif": motif}
    with found.store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO scenarios(trigger, action, remaining, created_at) VALUES (?, ?, ?, ?)",
            (trigger, dumps(action), _count(body), found.now().isoformat()),
        )
    return json_response({"id": cursor.lastrowid, "declencheur": trigger, **action}, 201)


@blueprint.delete("/scenarios")
def clear_scenarios() -> Response:
    with portal().store.transaction() as db:
        db.execute("DELETE FROM scenarios")
    return json_response({"scenarios": []})


@blueprint.get("/faults")
def faults() -> Response:
    rows = portal().store.db.execute("SELECT * FROM faults ORDER BY id").fetchall()
    return json_response(
        {
            "pannes": [
                {
                    "id": r["id"],
                    "route": r["route"],
                    "methode": r["method"],
                    "type": r["kind"],
                    "latenceMs": r["latency_ms"],
                    "restant": r["remaining"],
                }
                for r in rows
            ]
        }
    )


@blueprint.post("/faults")
def add_fault() -> Response:
    body = documented_body()
    kind = body.get("type")
    if kind not in FAULT_KINDS:
        raise bad_request(f"'type' must be one of {', '.join(FAULT_KINDS)}")
    route = body.get("route")
    if not isinstance(route, str) or not route.startswith("/api/"):
        raise bad_request("'route' must be a path of the editor's API, wildcards allowed, e.g. /api/imports")
    method = body.get("methode")
    if method is not None and method not in ("GET", "POST", "PUT", "DELETE"):
        raise bad_request("'methode' must be GET, POST, PUT or DELETE")
    latency = _whole(body.get("latenceMs", 0))
    if isinstance(latency, bool) or not isinstance(latency, int) or not 0 <= latency <= 10_000:
        raise bad_request("'latenceMs' must be a whole number of milliseconds from 0 to 10000")
    found = portal()
    with found.store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO faults(route, method, kind, latency_ms, remaining, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (route, method, kind, latency, _count(body), found.now().isoformat()),
        )
    return json_response(
        {
            "id": cursor.lastrowid,
            "route": route,
            "methode": method,
            "type": kind,
            "latenceMs": latency,
            "restant": _count(body),
        },
        201,
    )


@blueprint.delete("/faults")
def clear_faults() -> Response:
    with portal().store.transaction() as db:
        db.execute("DELETE FROM faults")
    return json_response({"pannes": []})


@blueprint.get("/journal")
def journal() -> Response:
    rows = portal().store.db.execute("SELECT * FROM journal ORDER BY id DESC LIMIT ?", (_limit(),)).fetchall()
    return json_response(
        {
            "journal": [
                {
                    "id": r["id"],
                    "date": r["at"],
                    "editeur": r["editor_id"],
                    "methode": r["method"],
                    "chemin": r["path"],
                    "statut": r["status"],
                    "detail": loads(r["detail"]),
                }
                for r in reversed(rows)
            ]
        }
    )


@blueprint.get("/mails")
def outbox() -> Response:
    return json_response({"courriels": portal().outbox(_limit())[::-1]})  # oldest first
