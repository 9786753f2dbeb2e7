"""The mock portal's OpenAPI document: built from the spec in force (its schemas, codes,
statuses, request types, profiles, VAT rates, numbering and examples) around the kit's own
contract, valid OpenAPI 3.1, the same routes as the app, and true: schemathesis' engine sends
generated requests to the app on 127.0.0.1 under every check and phase, whatever the spec."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from segur.mock_portal.formats import FORMATS
from segur.mock_portal.openapi import TEMPLATE, build, numbering_pattern, reason_statuses, scenario_walks
from werkzeug.serving import make_server

from tests._support import openapi_run
from tests._support.logical import enrollable_ans, example_ans, first_profile
from tests._support.openapi_run import NEW_ENROLMENT, START, STARTS, TO_MODIFY, seed, seeded_numbers
from tests._support.paths import SPEC
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

METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
PUBLIC = {("/api/login", "post"), ("/api/enrolments", "post"), ("/api/referencement/{numero}", "get")}
#: the first avance profile, whose example the seeding imports, and its ANS number
AVANCE = first_profile("avance")
ANS = example_ans(AVANCE)
#: the requests the seeding makes: the first decided and paid, the second « À modifier »…
FIRST, _, THIRD, INCOMPLETE = seeded_numbers()
BIGGER_THAN_SQLITE = str(2**63)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The document built for the spec in force (what the app serves)."""
    return build(SPEC)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """One app and one fresh database for the module; injected latencies are not slept."""
    return make_app(tmp_path_factory.mktemp("openapi"), MAX_FAULT_LATENCY_MS=0)


@pytest.fixture(scope="module")
def editor_token(app: Flask) -> str:
    """The demo editor's token, after seeding what the document's examples name
    (:func:`tests._support.openapi_run.seed`)."""
    return seed(app.test_client())


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


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair of a JSON document, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


# ------------------------------------------------------------------ the document itself


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"
    description = document["info"]["description"]
    assert "MODEL, not the official API" in description and "not public" in description
    assert SPEC.id in description and "{" + "spec}" not in description
    assert not [key for key, _ in walk(document) if key.startswith("x-segur")], "a marker was left unfilled"


def _as_component(node: Any, name_of: dict[str, str]) -> Any:
    """A schema of the spec as the document holds it: no $id or $schema, its $refs into the components."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$id", "$schema", "$defs"):
                continue
            if key == "$ref":
                target, _, fragment = value.partition("#")
                file = target.rsplit("/", 1)[-1]
                definition = fragment.removeprefix("/$defs/")
                value = f"#/components/schemas/{name_of[file or '.'].format(definition)}"
            out[key] = _as_component(value, name_of)
        return out
    if isinstance(node, list):
        return [_as_component(v, name_of) for v in node]
    return node


def test_the_file_components_are_the_spec_in_forces_own_schemas(document: dict[str, Any]) -> None:
    """Each shared file's definitions are ``fichier.<name>``, each profile's file ``fichier.<profile>``
    and its definitions ``fichier.<profile>.<name>``, the enrolment form ``enrolement.*``: the
    spec's schemas, their references pointed at the components."""
    components = document["components"]["schemas"]
    shared = {Path(relative).name: "fichier.{}" for relative in SPEC.files.get("shared", [])}
    for relative in SPEC.files.get("shared", []):
        schema = json.loads((SPEC.root / relative).read_text(encoding="utf-8"))
        for name, definition in schema["$defs"].items():
            assert components[f"fichier.{name}"] == _as_component(definition, {**shared, ".": "fichier.{}"}), name
    for profile in SPEC.profiles.values():
        schema = json.loads(profile.schema_path.read_text(encoding="utf-8"))
        names = {**shared, ".": f"fichier.{profile.name}.{{}}"}
        assert components[f"fichier.{profile.name}"] == _as_component(schema, names), profile.name
        for name, definition in schema.get("$defs", {}).items():
            assert components[f"fichier.{profile.name}.{name}"] == _as_component(definition, names)
    enrolment = json.loads((SPEC.root / SPEC.files["enrolment"]).read_text(encoding="utf-8"))
    for name, definition in enrolment["$defs"].items():
        assert components[f"enrolement.{name}"] == _as_component(definition, {".": "enrolement.{}"}), name
    requests = components["DemandeDuFichier"]["anyOf"]
    assert len(requests) >= len({p.deposit_type for p in SPEC.profiles.values()})


def test_the_document_states_the_spec_in_forces_values(document: dict[str, Any]) -> None:
    """Codes from the catalogue, statuses from the spec's labels, request types, profiles, VAT
    rates and numbering from spec.json, examples from its référentiel and examples."""
    schemas = document["components"]["schemas"]
    code_pattern = schemas["Constat"]["properties"]["code"]["pattern"]
    assert all(re.search(code_pattern, code) for code in SPEC.codes if code != SPEC.accepted_code)
    line_code = schemas["LigneReponse"]["properties"]["codetraitement"]
    accepted = [part.get("const") for part in line_code.get("anyOf", [])] + [None]
    assert SPEC.accepted_code in accepted or re.search(line_code["pattern"], SPEC.accepted_code)
    statuses = {label for key, label in SPEC.statuts.items() if key != "avenantPaye"}
    assert set(schemas["ResumeDemande"]["properties"]["statut"]["enum"]) == statuses
    assert schemas["LigneReponse"]["properties"]["statut"]["enum"] == [
        SPEC.status("enAttente"),
        SPEC.status("incomplete"),
    ]
    assert schemas["ReponseControles"]["properties"]["typeDemande"]["enum"] == list(SPEC.deposit_types.values())
    assert schemas["ResumeDemande"]["properties"]["profil"]["enum"] == list(SPEC.profiles)
    assert set(SPEC.workflow["enrolment"]["statuts"].values()) == set(
        schemas["Enrolement"]["properties"]["statut"]["enum"]
    )
    rates = document["paths"]["/api/imports"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert rates["properties"]["tauxTva"]["enum"] == [f"{rate:g}" for rate in SPEC.vat_rates]
    numero = schemas["NumeroDemande"]["pattern"]
    assert numero == numbering_pattern(SPEC)
    assert all(re.fullmatch(numero, n) for n in seeded_numbers()) and not re.fullmatch(numero, "incompletes")
    parameter = document["paths"]["/api/requests/{numero}"]["get"]["parameters"][0]
    assert list(parameter["examples"]) == list(seeded_numbers()[: len(parameter["examples"])])
    assert (
        document["paths"]["/api/referencement/{numero}"]["get"]["parameters"][0]["example"]
        in (SPEC.referencement()["solutions"])
    )


def test_the_template_holds_none_of_a_formats_values(template: dict[str, Any]) -> None:
    """openapi.json is the kit's own contract: no status label, code, request type or profile of
    the model's format (they are the markers' to fill), whatever spec is in force."""
    from tests.segur.test_spec_independence import contract_names, model_names

    looked_for = {name: what for name, what in model_names().items() if name not in contract_names()}
    found = sorted({value for _, value in walk(template) if isinstance(value, str) and value in looked_for})
    assert found == [], [f"{name} ({looked_for[name]})" for name in found]


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
        url = re.sub(r"\{[a-z_]+\}", "1", path.replace("{numero}", FIRST))
        anonymous = client.open(url, method=method.upper())
        assert anonymous.status_code == 401 and anonymous.json["code"] == "NON_AUTHENTIFIE", (method, path)
        wrong = client.open(url, method=method.upper(), headers={"Authorization": "Bearer not-a-token"})
        assert wrong.status_code == (403 if path.startswith("/admin/") else 401), (method, path)
        assert {"code", "message"} <= set(wrong.json) <= {"code", "message", "details"}


# ------------------------------------------------------------------ the document is true: schemathesis

#: a fixed seed and a bound on the examples (benchmarks/bench_schemathesis.py runs longer)
SEED = 2024
EXAMPLES_PER_OPERATION = 10
STATEFUL_STEPS = 10


def restore(client: FlaskClient) -> None:
    """Undo what a scenario may have changed that would blind the next ones: scenarios, the clock
    (windows closed), the request kept « À modifier »."""
    headers = admin_headers()
    client.delete("/admin/scenarios", headers=headers)
    client.post("/admin/clock", json={"at": START}, headers=headers)
    statut = client.get(f"/admin/requests/{TO_MODIFY}", headers=headers).json["statut"]
    if statut == SPEC.status("enCours"):
        transition(client, TO_MODIFY, "aModifier", "à corriger")


@pytest.fixture(scope="module")
def live_url(app: Flask, editor_token: str) -> Iterator[str]:
    """The module's app served on 127.0.0.1 (a free port), in a thread, stopped at the end."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="openapi-portal", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def test_the_server_keeps_the_document_under_every_check_and_phase(
    app: Flask, editor_token: str, live_url: str
) -> None:
    """Schemathesis' engine, as ``st run`` drives it, on the document the server serves (built for
    the spec in force): every check (not only server errors: status codes, content types, headers,
    bodies, schema-valid data accepted, schema-invalid data refused, Allow on a 405,
    authentication, use after delete…) and every phase (the document's examples, the coverage of
    each schema's boundaries, fuzzing, and the stateful phase through the links from login to
    simulate, import, « Terminer », a request and its documents), fixed seed, bounded examples:
    no failure."""
    openapi_run.register_formats()
    config = openapi_run.config(
        seed=SEED, examples=EXAMPLES_PER_OPERATION, steps=STATEFUL_STEPS, editor_token=editor_token, admin_token=ADMIN
    )
    schema = schemathesis.openapi.from_url(f"{live_url}/openapi.json", config=config)
    schema.config.update(base_url=live_url)
    client = app.test_client()
    outcome = openapi_run.run(schema, between=lambda: restore(client))
    print(outcome.report().splitlines()[0])
    assert not outcome.errors and not outcome.failures, outcome.report()
    assert set(outcome.cases) == {"examples", "coverage", "fuzzing", "stateful"}, outcome.cases
    assert all(outcome.cases.values()), outcome.cases
    assert outcome.checks_run >= ALL_CHECKS, f"checks never run: {ALL_CHECKS - outcome.checks_run}"


#: every check schemathesis has (its registry), each of which the run must have applied
ALL_CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
}


def test_the_check_list_is_schemathesis_own() -> None:
    import schemathesis.specs.openapi.checks  # noqa: F401  (registers the OpenAPI checks)
    from schemathesis.checks import CHECKS

    assert set(CHECKS.get_all_names()) == ALL_CHECKS


def test_the_scenario_walks_are_the_workflows(document: dict[str, Any], app: Flask) -> None:
    """The document lists the walks of ``POST /admin/scenarios`` from workflow.json (keys or labels):
    the server checks them against the same workflow."""
    flow = app.extensions["segur_workflows"].request
    listed = document["components"]["schemas"]["NouveauScenario"]["properties"]["etapes"]["enum"]
    expected = [
        list(choice)
        for walk in scenario_walks(flow)
        for choice in itertools.product(*[(key, flow.label(key)) for key in walk])
    ]
    assert listed == expected
    condition = document["components"]["schemas"]["NouveauScenario"]["allOf"][0]["if"]
    assert condition["properties"]["etapes"]["contains"]["enum"] == reason_statuses(flow)


def test_every_format_the_document_names_is_checked_by_the_server(document: dict[str, Any]) -> None:
    standard = {"binary", "password", "email", "date", "date-time", "int64", "int32", "double", "float", "uri"}
    named: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("format"), str):
                named.add(node["format"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert named - standard == set(FORMATS), named - standard


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/login", {"login": "demo", "password": "demo-segur-2024", "extra": 1}),
        ("/admin/clock", {"at": START, "extra": 1}),
        ("/admin/scenarios", {"etapes": ["enCours"], "extra": 1}),
        (f"/admin/requests/{FIRST}/avenants", {"montant": 10, "extra": 1}),
        (f"/admin/requests/{FIRST}/transition", {"vers": "enCours", "extra": 1}),
    ],
)
def test_a_property_the_document_forbids_is_refused_with_its_name(client: FlaskClient, path: str, body: Any) -> None:
    headers = admin_headers() if path.startswith("/admin/") else {}
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 400 and response.json["code"] == "REQUETE_INVALIDE", response.json
    assert "'extra'" in response.json["details"][0]["message"]


# ------------------------------------------------------------------ by hand


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    return make_app(tmp_path).test_client()


def test_reset_forgets_everything_then_seeds_again(client: FlaskClient) -> None:
    headers = login(client)
    client.post("/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers)
    client.post("/admin/clock", json={"at": "2099-10-01T10:00"}, headers=admin_headers())
    assert client.post("/admin/reset").status_code == 401
    assert client.post("/admin/reset", headers=headers).status_code == 403
    reset = client.post("/admin/reset", headers=admin_headers())
    assert reset.status_code == 200 and reset.json == {"reinitialise": True, "login": "demo"}
    assert client.get("/api/me", headers=headers).status_code == 401  # the sessions are gone
    headers = login(client)
    assert client.get("/api/requests", headers=headers).json == {"demandes": [], "suivant": None}
    assert client.get("/admin/clock", headers=admin_headers()).json["maintenant"] == STARTS.isoformat()
    assert client.get("/admin/clock", headers=admin_headers()).status_code == 200  # the same admin token


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "named"),
    [
        # ids beyond SQLite's INTEGER overflowed the query (500): they match no route
        ("get", f"/api/imports/{BIGGER_THAN_SQLITE}", None, 404, None),
        ("post", f"/api/imports/{BIGGER_THAN_SQLITE}/terminer", None, 404, None),
        ("get", f"/api/requests/{FIRST}/documents/{BIGGER_THAN_SQLITE}", None, 404, None),
        ("post", f"/admin/enrolments/{BIGGER_THAN_SQLITE}/decision", {"vers": "validee"}, 404, None),
        ("post", f"/admin/avenants/{BIGGER_THAN_SQLITE}/transition", {"vers": "decide"}, 404, None),
        # a piece whose nature is not text (unhashable: 500) or without a file name (KeyError: 500)
        (
            "post",
            "/api/enrolments/complementaires",
            {"numeroAns": enrollable_ans(serial=9), "pieces": [{"contenu": "", "nature": {}, "nomFichier": "0"}]},
            400,  # the document refuses it before the portal reads it
            "/pieces/0",
        ),
        (
            "post",
            "/api/enrolments/complementaires",
            {
                "numeroAns": enrollable_ans(serial=9),
                "pieces": [piece("CERTIFICAT_ANS"), {k: v for k, v in piece("RIB").items() if k != "nomFichier"}],
            },
            400,
            "/pieces/1",
        ),
        # an avenant's reason that is not text, or an amount beyond SQLite's integers (500)
        ("post", f"/admin/requests/{FIRST}/avenants", {"montant": 10, "motif": {}}, 400, "'motif'"),
        ("post", f"/admin/requests/{FIRST}/avenants", {"montant": 1e300}, 400, "'montant'"),
        # what the portal could not store or write back: lone surrogates (sqlite: 500), integers
        # beyond 64 bits (orjson: 500), NaN; a whole number of times beyond SQLite's integers (500)
        ("post", "/api/login", b'{"login": "\\ud800", "password": "x"}', 400, "surrogate"),
        ("post", "/api/enrolments", {**enrolment_form(), "raisonSociale": "\ud800"}, 400, "surrogate"),
        ("post", "/admin/scenarios", {"etapes": ["enCours"], "ligne": 2**70}, 400, "'ligne'"),
        ("post", "/admin/scenarios", {"etapes": ["enCours"], "fois": 2**64 - 1}, 400, "'fois'"),
        ("post", "/admin/faults", {"type": "unavailable", "route": "/api/*", "fois": 2**63}, 400, "'fois'"),
        ("post", f"/admin/requests/{FIRST}/avenants", b'{"montant": NaN}', 400, None),
        # an enrolment's rejection reason that is not text (500)
        ("post", f"/admin/enrolments/{NEW_ENROLMENT}/decision", {"vers": "rejetee", "motif": ["non"]}, 400, "'motif'"),
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
    client.post("/api/imports", data=deposit_form(AVANCE, type_demande="avance", ans=ANS), headers=headers)
    assert client.post("/api/enrolments", json=enrolment_form()).json["id"] == NEW_ENROLMENT
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
    # where 'advance' takes the clock depends on where it is: a conflict with its state
    assert refused.status_code == 409 and "'advance'" in refused.json["message"]
    assert client.get("/admin/clock", headers=headers).json["maintenant"] == "2099-12-31T23:00:00+01:00"
    assert client.post("/admin/clock", json={"real": True}, headers=headers).status_code == 200
    ten_years_back = {"advance": -10 * 365 * 86400}
    statuses = [client.post("/admin/clock", json=ten_years_back, headers=headers).status_code for _ in range(4)]
    assert statuses[0] == 200 and statuses[-1] == 409  # the real time, shifted before 2000


def test_a_request_schema_written_inline_is_found_where_it_sits(tmp_path: Path) -> None:
    """A spec whose profile schema writes its request inline (no ``$defs``): the document's
    request of the file points into that profile's component, at the list's items."""
    import shutil

    from segur.mock_portal.controls import load_spec

    folder = tmp_path / "spec"
    shutil.copytree(SPEC.root, folder)
    profile = next(iter(SPEC.profiles.values()))
    path = folder / profile.schema_path.relative_to(SPEC.root)
    schema = json.loads(path.read_text(encoding="utf-8"))
    node = schema
    for part in SPEC.document["requests"].path:
        node = node["properties"][part]
    reference = node["items"].get("$ref", "")
    if reference.startswith("#/$defs/"):
        node["items"] = schema["$defs"].pop(reference.removeprefix("#/$defs/"))
        path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    assert "$ref" not in node["items"], "the request is written inline in the copy"
    built = build(load_spec(folder))
    target = built["components"]["schemas"]["DemandeDuFichier"]["anyOf"][0]["$ref"]
    assert target.startswith(f"#/components/schemas/fichier.{profile.name}") and target.endswith("/items")
    found: Any = built
    for part in target.removeprefix("#/").split("/"):
        found = found[part]
    assert "properties" in found or "$ref" in found


def test_an_avenants_amount_is_read_as_the_document_writes_it(document: dict[str, Any]) -> None:
    """The server reads an avenant's ``montant`` by the document's own pattern: what the document
    lets through is an amount it can read, what it refuses the server refuses too."""
    from segur.mock_portal.controls.money import cents_from_text
    from segur.mock_portal.services.requests import AVENANT_AMOUNT

    form = document["paths"]["/api/requests/{numero}/avenants"]["post"]["requestBody"]["content"]
    pattern = form["multipart/form-data"]["schema"]["properties"]["montant"]["pattern"]
    assert pattern == AVENANT_AMOUNT.pattern
    for written, cents in (("1250,50", 125050), ("1 250.5", 125050), ("-12 €", -1200), ("999 999 999,99", 99999999999)):
        assert AVENANT_AMOUNT.fullmatch(written) and cents_from_text(written) == cents, written
    for written in ("1250,505", "12 34", "1e3", "1 000 000 000", "", "douze"):
        assert AVENANT_AMOUNT.fullmatch(written) is None, written
