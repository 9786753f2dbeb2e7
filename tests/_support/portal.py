"""Helpers to drive the mock portal through Flask's test client."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from segur.generators.pdf import pdf_document
from segur.mock_portal import create_app

from tests._support.database import fresh_database
from tests._support.logical import enrollable_ans
from tests._support.paths import EXAMPLES

ADMIN = "admin-token-for-tests"


def make_app(tmp_path: Path, **config: Any) -> Flask:
    """The portal on a fresh database (SQLite under ``tmp_path``, or PostgreSQL: see database.py)."""
    return create_app({"DATABASE": fresh_database(tmp_path), "ADMIN_TOKEN": ADMIN, "TESTING": True, **config})


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN}"}


def login(client: FlaskClient, user: str = "demo", password: str = "demo-segur-2024") -> dict[str, str]:
    response = client.post("/api/login", json={"login": user, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def piece(nature: str) -> dict[str, str]:
    content = pdf_document(f"Pièce {nature}", ["pièce d'enrôlement de test"])
    return {"nature": nature, "nomFichier": f"{nature.lower()}.pdf", "contenu": base64.b64encode(content).decode()}


def enrolment_form(numero_ans: str | None = None, email: str = "contact@nouvel-editeur.example") -> dict[str, Any]:
    """An enrolment's form (default ANS number: one of the référentiel's form for the first
    avance profile's software, that no solution of the référentiel has)."""
    numero_ans = numero_ans if numero_ans is not None else enrollable_ans()
    person = {
        "nom": "Martin",
        "prenom": "Claire",
        "email": email,
        "emailConfirmation": email,
        "telephone": "01 23 45 67 89",
    }
    return {
        "numeroAns": numero_ans,
        "siret": "73282932000074",
        "raisonSociale": "Nouvel Éditeur SAS",
        "nomCommercial": "Nouvel Éditeur",
        "adresse": {"typeVoie": "RUE", "libelleVoie": "de la Paix", "codePostal": "75002", "commune": "Paris"},
        "representant": person,
        "banque": {"iban": "FR7630006000011234567890189", "bic": "BNPAFRPPXXX"},
        "regimeTva": "TTC",
        "engagements": {"exactitude": True, "conditions": True},
        "captcha": "X7K2",
        "pieces": [piece("CERTIFICAT_ANS"), piece("PIECE_IDENTITE_REPRESENTANT"), piece("RIB")],
    }


def deposit_form(
    name: str,
    *,
    type_demande: str,
    with_zip: bool = True,
    data: bytes | None = None,
    vat: str = "20",
    ans: str | None = None,
) -> dict[str, Any]:
    form: dict[str, Any] = {
        "typeDemande": type_demande,
        "tauxTva": vat,
        "fichier": (io.BytesIO(data if data is not None else (EXAMPLES / f"{name}.json").read_bytes()), f"{name}.json"),
    }
    if ans:
        form["numeroAns"] = ans
    if with_zip:
        form["pieces"] = (io.BytesIO((EXAMPLES / f"{name}.zip").read_bytes()), f"{name}.zip")
    return form


def transition(client: FlaskClient, numero: str, target: str, motif: str | None = None) -> Any:
    response = client.post(
        f"/admin/requests/{numero}/transition", json={"vers": target, "motif": motif}, headers=admin_headers()
    )
    assert response.status_code == 200, response.json
    return response.json


def credentials(mails: dict[str, str]) -> tuple[str, str]:
    """The login and password a validated enrolment's two mails give (their bodies by subject)."""
    import re

    login_ = re.search(r"Identifiant : (\S+)", mails["Votre identifiant"])
    password = re.search(r"Mot de passe : (\S+)", mails["Votre mot de passe"])
    assert login_ and password, mails
    return login_.group(1), password.group(1)


def said(letter: str, label: str) -> str:
    """What a credentials mail gives after its label (« Identifiant : ed000005 »)."""
    found = re.search(rf"^{label} : (\S+)$", letter, re.M)
    assert found, letter
    return found.group(1)


def paid_avance(client: FlaskClient, headers: dict[str, str], profile: str, ans: str | None) -> str:
    """The first line of ``profile``'s example imported, then decided and paid: its ASP number."""
    imported = client.post("/api/imports", data=deposit_form(profile, type_demande="avance", ans=ans), headers=headers)
    assert imported.status_code == 201, imported.json
    numero = str(imported.json["lignes"][0]["numeroDemande"])
    for target in ("enCours", "validee", "decidee", "payee"):
        transition(client, numero, target)
    return numero
