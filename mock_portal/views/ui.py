"""The public pages (a plain home page here; the full pages come with the web pages issue)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app

from mock_portal.app import json_response

blueprint = Blueprint("ui", __name__)

_OPENAPI = Path(__file__).resolve().parents[1] / "openapi.json"

_HOME = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Portail Ségur numérique (simulé)</title></head>
<body>
<h1>Portail public Ségur numérique — portail simulé</h1>
<p>Ce portail imite le guichet de financement de l'ASP (couloir médico-social, vague 1) pour tester
des dépôts. Il n'a aucune valeur officielle.</p>
<ul>
<li><a href="/openapi.json">Se connecter</a> : <code>POST /api/login</code></li>
<li><a href="/openapi.json">Effectuer ma demande d'enrôlement</a> : <code>POST /api/enrolments</code></li>
<li>Spécification : {spec}</li>
</ul>
</body></html>
"""


@blueprint.get("/")
def home() -> Response:
    spec = current_app.extensions["segur_spec"]
    return Response(_HOME.replace("{spec}", spec.label), mimetype="text/html")


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return Response(_OPENAPI.read_bytes(), mimetype="application/json")


@blueprint.get("/health")
def health() -> Response:
    return json_response({"statut": "OK"})
