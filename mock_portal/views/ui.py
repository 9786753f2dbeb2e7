"""The public home page (« Se connecter », « Effectuer ma demande d'enrôlement »), the API's
document and the liveness probe. The other pages are in the ``pages`` blueprint."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from segur.mock_portal.app import json_response, portal

from .ui_common import Page, render, secure_headers

blueprint = Blueprint("ui", __name__)


@blueprint.get("/")
def home() -> Page:
    seed = current_app.extensions["segur_seed"]
    enrolled = portal().accounts.solutions_of(seed["login"])
    # the demo password is shown to trainers on their own machine, not on a shared deployment
    password = seed["password"] if current_app.config.get("DEMO_ON_PAGE", True) else None
    page = render("accueil.html", demo_login=seed["login"], demo_password=password, demo_ans=enrolled)
    return secure_headers(page)


@blueprint.get("/openapi.json")
def openapi() -> Page:
    return Response(current_app.extensions["segur_openapi"].bytes, mimetype="application/json")


@blueprint.get("/health")
def health() -> Page:
    return json_response({"statut": "OK"})
