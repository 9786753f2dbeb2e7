"""The mock portal's OpenAPI document: valid OpenAPI 3.1, the same routes as the app, and true:
schemathesis sends generated requests to the app in-process and checks every answer against it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from segur import mock_portal
from tests._support.paths import EXAMPLES
from tests._support.portal import (
    ADMIN,
    admin_headers,
    deposit_form,
    enrolment_form,
    login,
    make_app,
    piece,
    transition,
)

DOCUMENT = Path(mock_portal.__file__).resolve().parent / "openapi.json"
METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
PUBLIC = {("/api/login", "post"), ("/api/enrolments", "post"), ("/api/referencement/{numero}", "get")}
MS1 = "ANS-MS1-DUI-0042"
#: the clock the fuzzing starts from, and goes back to after each call that may move it
START = "2024-02-01T10:00"
#: the request the seeding leaves « À modifier », put back there after each PUT
TO_MODIFY = "MS1A2024000002"
BIGGER_THAN_SQLITE = str(2**63)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """One app and one fresh SQLite file for the module; injected latencies are not slept."""
    return make_app(tmp_path_factory.mktemp("openapi"), MAX_FAULT_LATENCY_MS=0)


@pytest.fixture(scope="module")
def editor_token(app: Flask) -> str:
    """The demo editor's token, after seeding what the document's examples name:

    MS1A2024000001 decided and paid (documents 1 and 2, avenant 1), MS1A2024000002 « À modifier »,
    MS1A2024000003 waiting, MS2A2024000001 incomplete; deposits 1 (OK), 2 (incomplete lines),
    3 (KO); enrolments 1 and 2 (the demo's, validated) and 3 (deposited)."""
    client = app.test_client()
    headers = login(client)
    imported = client.post(
        "/api/imports", data=deposit_form("ms1-avance", type_demande="avance", ans=MS1), headers=headers
    )
    assert imported.status_code == 201, imported.json
    first, second, _ = (line["numeroDemande"] for line in imported.json["lignes"])
    assert (first, second) == ("MS1A2024000001", TO_MODIFY)
    for target in ("enCours", "validee", "decidee", "payee"):
        transition(client, first, target)
    transition(client, second, "enCours")
    transition(client, second, "aModifier", "écart entre le BDC et le JSON")
    added = client.post(f"/admin/requests/{first}/avenants", json={"montant": 100.5}, headers=admin_headers())
    assert added.status_code == 201, added.json
    ms2 = json.loads((EXAMPLES / "ms2-avance.json").read_bytes())
    for request in ms2["demandes"]:  # the example shares its order forms with the MS1 one
        request["bonCommande"]["numero"] = request["bonCommande"]["numero"].replace("BDC", "BDC-MS2")
    incomplete = client.post(
        "/api/imports",
        data=deposit_form(
            "ms2-avance",
            type_demande="avance",
            ans="ANS-MS2-DPE-0107",
            data=json.dumps(ms2).encode(),
            with_zip=False,
        ),
        headers=headers,
    )
    assert incomplete.json["lignes"][0]["numeroDemande"] == "MS2A2024000001", incomplete.json
    rejected = client.post(
        "/api/imports",
        data=deposit_form("ko", type_demande="avance", ans=MS1, data=b"{", with_zip=False),
        headers=headers,
    )
    assert (rejected.json["depot"], rejected.json["statut"]) == (3, "KO")
    assert client.post("/api/enrolments", json=enrolment_form()).json["id"] == 3
    return headers["Authorization"].split()[1]


def flask_path(rule: str) -> str:
    """``/api/imports/<id:deposit_id>`` → ``/api/imports/{deposit_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>:]+)>", r"{\1}", rule)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


# ------------------------------------------------------------------ the document itself


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"
    description = document["info"]["description"]
    assert "MODEL, not the official API" in description and "not public" in description


def _as_component(node: Any, prefix: str) -> Any:
    """A fixture schema as the document holds it: no $id or $schema, $refs into components."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$id", "$schema"):
                continue
            if key == "$ref":
                name = value.rsplit("/", 1)[1]
                value = f"#/components/schemas/{'fichier' if value.startswith('common.') else prefix}.{name}"
            out[key] = _as_component(value, prefix)
        return out
    if isinstance(node, list):
        return [_as_component(v, prefix) for v in node]
    return node


def test_the_request_models_are_the_specs(document: dict[str, Any]) -> None:
    """The deposit file and the enrolment form are described by the spec's own schemas."""
    components = document["components"]["schemas"]
    schemas = EXAMPLES.parent / "schemas"
    for source, prefix in (("common", "fichier"), ("enrolment", "enrolement")):
        definitions = json.loads((schemas / f"{source}.schema.json").read_text(encoding="utf-8"))["$defs"]
        for name, definition in definitions.items():
            assert components[f"{prefix}.{name}"] == _as_component(definition, prefix), name
    for kind, component in (("avance", "fichier.demandeAvance"), ("solde", "fichier.demandeSolde")):
        for profile in ("ms1", "ms2"):
            request = json.loads((schemas / f"{profile}-{kind}.schema.json").read_text(encoding="utf-8"))["$defs"]
            expected = _as_component(request["demande"], "fichier")
            assert {k: v for k, v in components[component].items() if k != "description"} == {
                k: v for k, v in expected.items() if k != "description"
            }
    statuts = json.loads((EXAMPLES.parent / "spec.json").read_text(encoding="utf-8"))["statuts"]
    shown = components["ResumeDemande"]["properties"]["statut"]["enum"]
    assert set(shown) == set(statuts.values()) - {statuts["avenantPaye"]}  # no request move leads there


def test_the_app_serves_the_document(app: Flask, document: dict[str, Any]) -> None:
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.json == document


def test_every_route_is_documented_and_every_documented_operation_exists(app: Flask, document: dict[str, Any]) -> None:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("pages."):  # the web pages are not the API
            continue
        # Flask answers HEAD and OPTIONS itself on every route
        routes.setdefault(flask_path(rule.rule), set()).update(m.lower() for m in rule.methods or ())
    routes = {path: methods - {"head", "options"} for path, methods in routes.items()}
    documented = {path: {m for m in item if m in METHODS} for path, item in document["paths"].items()}
    assert documented == routes


def test_each_operation_declares_its_security_and_its_errors(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        statuses = set(operation["responses"])
        where = f"{method.upper()} {path}"
        if path.startswith("/admin/"):
            assert operation["security"] == [{"gestionnaire": []}], where
            assert {"401", "403"} <= statuses, where
        elif path.startswith("/api/"):
            assert "503" in statuses, where  # faults are injected on the whole editor's API
            if (path, method) in PUBLIC:
                assert operation["security"] == [], where
            else:
                assert operation["security"] == [{"editeur": []}], where
                assert "401" in statuses, where
        else:
            assert operation["security"] == [], where
        if "requestBody" in operation:
            assert "413" in statuses, where
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")) and "$ref" not in response:
                schema = response["content"]["application/json"]["schema"]["$ref"]
                assert schema.startswith("#/components/schemas/Erreur"), (where, status)


def test_secured_operations_refuse_a_missing_or_a_wrong_token(app: Flask, document: dict[str, Any]) -> None:
    client = app.test_client()
    for path, method, operation in operations(document):
        if not operation["security"]:
            continue
        url = re.sub(r"\{[a-z_]+\}", "1", path.replace("{numero}", "MS1A2024000001"))
        anonymous = client.open(url, method=method.upper())
        assert anonymous.status_code == 401 and anonymous.json["code"] == "NON_AUTHENTIFIE", (method, path)
        wrong = client.open(url, method=method.upper(), headers={"Authorization": "Bearer not-a-token"})
        assert wrong.status_code == (403 if path.startswith("/admin/") else 401), (method, path)
        assert {"code", "message"} <= set(wrong.json) <= {"code", "message", "details"}


# ------------------------------------------------------------------ the document is true: schemathesis

#: The document as shipped (the app serves that file, see above). /admin/reset would wipe the
#: state under the other operations: it is tested by hand below.
SCHEMA = schemathesis.openapi.from_path(DOCUMENT, config=schemathesis.Config.from_dict({"seed": 2024})).exclude(
    path="/admin/reset"
)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def auth_for(path: str, editor_token: str) -> dict[str, str]:
    if path.startswith("/api/"):
        return {"Authorization": f"Bearer {editor_token}"}
    if path.startswith("/admin/"):
        return {"Authorization": f"Bearer {ADMIN}"}
    return {}


def restore(client: FlaskClient, case: Any) -> None:
    """Undo what a generated call may have changed that would blind the next ones: faults (503
    everywhere), scenarios, the clock (windows closed), the request kept « À modifier »."""
    if case.path.startswith("/admin/") and case.method != "GET":
        headers = admin_headers()
        client.delete("/admin/faults", headers=headers)
        client.delete("/admin/scenarios", headers=headers)
        client.post("/admin/clock", json={"at": START}, headers=headers)
    if case.method in ("PUT", "POST") and case.path.startswith(("/api/requests/", "/admin/requests/")):
        statut = client.get(f"/admin/requests/{TO_MODIFY}", headers=admin_headers()).json["statut"]
        if statut == "En cours":
            transition(client, TO_MODIFY, "aModifier", "à corriger")


@SCHEMA.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_the_app_answers_as_documented(case: Any, app: Flask, editor_token: str) -> None:
    """Per operation: the document's examples, schemathesis' coverage cases (boundaries, missing
    fields, wrong types, unexpected methods), then 25 generated cases; never a 5xx, and the status,
    content type and body always those the document gives."""
    try:
        case.call_and_validate(app=app, headers=auth_for(case.path, editor_token), checks=CHECKS)
    finally:
        restore(app.test_client(), case)


# ------------------------------------------------------------------ by hand


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    return make_app(tmp_path).test_client()


def test_reset_forgets_everything_then_seeds_again(client: FlaskClient) -> None:
    headers = login(client)
    client.post("/api/imports", data=deposit_form("ms1-avance", type_demande="avance", ans=MS1), headers=headers)
    client.post("/admin/clock", json={"at": "2024-10-01T10:00"}, headers=admin_headers())
    assert client.post("/admin/reset").status_code == 401
    assert client.post("/admin/reset", headers=headers).status_code == 403
    reset = client.post("/admin/reset", headers=admin_headers())
    assert reset.status_code == 200 and reset.json == {"reinitialise": True, "login": "demo"}
    assert client.get("/api/me", headers=headers).status_code == 401  # the sessions are gone
    headers = login(client)
    assert client.get("/api/requests", headers=headers).json == {"demandes": []}
    assert client.get("/admin/clock", headers=admin_headers()).json["maintenant"] == "2024-02-01T10:00:00+01:00"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "named"),
    [
        # ids beyond SQLite's INTEGER overflowed the query (500): they match no route
        ("get", f"/api/imports/{BIGGER_THAN_SQLITE}", None, 404, None),
        ("post", f"/api/imports/{BIGGER_THAN_SQLITE}/terminer", None, 404, None),
        ("get", f"/api/requests/MS1A2024000001/documents/{BIGGER_THAN_SQLITE}", None, 404, None),
        ("post", f"/admin/enrolments/{BIGGER_THAN_SQLITE}/decision", {"vers": "validee"}, 404, None),
        ("post", f"/admin/avenants/{BIGGER_THAN_SQLITE}/transition", {"vers": "decide"}, 404, None),
        # a piece whose nature is not text (unhashable: 500) or without a file name (KeyError: 500)
        (
            "post",
            "/api/enrolments/complementaires",
            {"numeroAns": "ANS-MS1-EDIT-0009", "pieces": [{"contenu": "", "nature": {}, "nomFichier": "0"}]},
            422,
            "/pieces/0",
        ),
        (
            "post",
            "/api/enrolments/complementaires",
            {
                "numeroAns": "ANS-MS1-EDIT-0009",
                "pieces": [piece("CERTIFICAT_ANS"), {k: v for k, v in piece("RIB").items() if k != "nomFichier"}],
            },
            422,
            "/pieces/1",
        ),
        # an avenant's reason that is not text, or an amount beyond SQLite's integers (500)
        ("post", "/admin/requests/MS1A2024000001/avenants", {"montant": 10, "motif": {}}, 400, "'motif'"),
        ("post", "/admin/requests/MS1A2024000001/avenants", {"montant": 1e300}, 400, "'montant'"),
        # what the portal could not store or write back: lone surrogates (sqlite: 500), integers
        # beyond 64 bits (orjson: 500), NaN; a whole number of times beyond SQLite's integers (500)
        ("post", "/api/login", b'{"login": "\\ud800", "password": "x"}', 400, "surrogate"),
        ("post", "/api/enrolments", {**enrolment_form(), "raisonSociale": "\ud800"}, 400, "surrogate"),
        ("post", "/admin/scenarios", {"etapes": ["enCours"], "ligne": 2**70}, 400, "'ligne'"),
        ("post", "/admin/scenarios", {"etapes": ["enCours"], "fois": 2**64 - 1}, 400, "'fois'"),
        ("post", "/admin/faults", {"type": "unavailable", "route": "/api/*", "fois": 2**63}, 400, "'fois'"),
        ("post", "/admin/requests/MS1A2024000001/avenants", b'{"montant": NaN}', 400, None),
        # an enrolment's rejection reason that is not text (500)
        ("post", "/admin/enrolments/3/decision", {"vers": "rejetee", "motif": ["non"]}, 400, "'motif'"),
        # a clock beyond what datetime holds, or that later computations overflow (500)
        ("post", "/admin/clock", {"at": "9999-12-31T23:59"}, 400, "'at'"),
        ("post", "/admin/clock", {"at": "0001-01-01T00:00+14:00"}, 400, "'at'"),
        ("post", "/admin/clock", {"advance": 2**64 - 1}, 400, "'advance'"),
    ],
)
def test_bad_input_gets_a_4xx_naming_what_is_wrong_never_a_500(
    client: FlaskClient, method: str, path: str, body: Any, status: int, named: str | None
) -> None:
    headers = login(client)
    client.post("/api/imports", data=deposit_form("ms1-avance", type_demande="avance", ans=MS1), headers=headers)
    assert client.post("/api/enrolments", json=enrolment_form()).json["id"] == 3
    if path.startswith("/admin/"):
        headers = admin_headers()
    # Python's json writes (and Flask's read) what orjson refuses: NaN, lone surrogates, big integers
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    response = client.open(path, method=method.upper(), data=data, content_type="application/json", headers=headers)
    assert response.status_code == status, response.json
    assert response.is_json and response.json["code"] and response.json["message"]
    if named:
        assert named in response.json["message"] or named in json.dumps(response.json.get("details"))


def test_the_clock_stays_within_its_years(client: FlaskClient) -> None:
    headers = admin_headers()
    assert client.post("/admin/clock", json={"at": "2099-12-31T23:00"}, headers=headers).status_code == 200
    refused = client.post("/admin/clock", json={"advance": 7200}, headers=headers)
    assert refused.status_code == 400 and "'advance'" in refused.json["message"]
    assert client.get("/admin/clock", headers=headers).json["maintenant"] == "2099-12-31T23:00:00+01:00"
    assert client.post("/admin/clock", json={"real": True}, headers=headers).status_code == 200
    ten_years_back = {"advance": -10 * 365 * 86400}
    statuses = [client.post("/admin/clock", json=ten_years_back, headers=headers).status_code for _ in range(4)]
    assert statuses[0] == 200 and statuses[-1] == 400  # the real time, shifted before 2000
