"""The OpenAPI document the portal serves, built from the spec in force, and the server's own
source for what it checks.

``openapi.json`` is the kit's contract as written: the routes, their parameters and statuses,
the answers' envelope keys, the errors, the links. What depends on the format is left in it as
markers, filled here from the spec folder the app starts with (:func:`build`):

- ``x-segur`` on a schema: the spec's values (status labels by key, enrolment and avenant
  statuses of ``workflow.json``, request type values, profiles, VAT rates, the catalogue's code
  pattern and acceptance code, the ASP numbering, the ANS number's schema, a request of the
  file, the gestionnaire's walks of the workflow);
- ``x-segur-exemple`` on a node: its examples, from the spec's référentiel, examples and calendar;
- the components ``fichier.*`` are the spec's own schemas (the envelope, each shared file's
  definitions, each profile's file and its definitions), their ``$ref`` pointed at the
  components; ``enrolement.*`` the spec's enrolment schema (the kit's contract).

The server takes from the built document what it checks, so that the two cannot drift: the shape
of a path parameter (the routing converter of ``<numero:…>``) and the bodies of the operations
(one validator per schema, built once per app, with the formats the document names, see
:mod:`segur.mock_portal.formats`).
"""

from __future__ import annotations

import copy
import itertools
import re
import string
from datetime import timedelta
from functools import cache, cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

import orjson
from segur.mock_portal.controls import Spec
from segur.mock_portal.controls.answer import format_number
from segur.mock_portal.controls.line import read_values
from segur.mock_portal.controls.spec import parse_pointer, resolve
from segur.mock_portal.errors import PortalError
from segur.mock_portal.workflow import Machine, workflows
from werkzeug.routing import BaseConverter, Map

TEMPLATE = Path(__file__).resolve().parent / "openapi.json"
#: the marker keys of the template
MARK = "x-segur"
EXAMPLE = "x-segur-exemple"
#: the component prefixes of the spec's schemas
FILE = "fichier"
ENROLMENT = "enrolement"


@cache
def template() -> dict[str, Any]:
    """``openapi.json`` as written (do not change it: :func:`build` copies it)."""
    loaded: dict[str, Any] = orjson.loads(TEMPLATE.read_bytes())
    return loaded


# --------------------------------------------------------------------------- the spec's schemas


class _Components:
    """The spec's schema files as components: each file and each of its ``$defs`` one component,
    their references rewritten to point at the components."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.schemas: dict[str, Any] = {}
        #: (the file's URI, the pointer of a component's root in it) → component name
        self.places: dict[tuple[str, str], str] = {}
        self.files: list[tuple[str, str, Any]] = []  # (uri, prefix, schema)
        root = spec.root
        files = spec.files
        shared = [root / relative for relative in files.get("shared", [])]
        self._add(root / files["envelope"], f"{FILE}.enveloppe", defs_prefix=f"{FILE}.enveloppe.")
        for path in shared:
            self._add(path, f"{FILE}.{path.name.split('.')[0]}", defs_prefix=f"{FILE}.", unique=True)
        for name, profile in spec.profiles.items():
            self._add(profile.schema_path, f"{FILE}.{name}", defs_prefix=f"{FILE}.{name}.")
        enrolment = files.get("enrolment")
        if enrolment:
            self._add(root / enrolment, f"{ENROLMENT}.formulaire", defs_prefix=f"{ENROLMENT}.")
        for uri, _, schema in self.files:
            self._convert_file(uri, schema)

    def _load(self, path: Path) -> Any:
        found = self.spec.schemas.get(str(path))
        return found if found is not None else orjson.loads(path.read_bytes())

    def _add(self, path: Path, name: str, *, defs_prefix: str, unique: bool = False) -> None:
        schema = self._load(path)
        uri = str(schema.get("$id") or path.resolve().as_uri())
        self.files.append((uri, name, schema))
        self.places[(uri, "")] = name
        for definition in schema.get("$defs", {}):
            component = f"{defs_prefix}{definition}"
            if unique and component in self.places.values():  # two shared files define one name
                component = f"{name}.{definition}"
            self.places[(uri, f"/$defs/{definition}")] = component

    def _convert_file(self, uri: str, schema: Any) -> None:
        self.schemas[self.places[(uri, "")]] = self._convert(
            {k: v for k, v in schema.items() if k != "$defs"}, uri, top=True
        )
        for definition, body in schema.get("$defs", {}).items():
            self.schemas[self.places[(uri, f"/$defs/{definition}")]] = self._convert(body, uri, top=True)

    def ref(self, uri: str, reference: str) -> str:
        """A ``$ref`` of the file at ``uri`` as a reference into the components."""
        target, fragment = urldefrag(urljoin(uri, reference))
        fragment = fragment or ""
        best = ""
        for (place_uri, pointer), _ in self.places.items():
            if place_uri == target and (fragment == pointer or fragment.startswith(pointer + "/")):
                best = pointer if len(pointer) >= len(best) else best
        name = self.places.get((target, best))
        if name is None:
            raise ValueError(f"{uri}: $ref {reference!r} points outside the spec's schemas")
        return f"#/components/schemas/{name}{fragment[len(best) :]}"

    def _convert(self, node: Any, uri: str, top: bool = False) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, value in node.items():
                if key in ("$id", "$schema") or (key == "$defs" and not top):
                    continue
                out[key] = (
                    self.ref(uri, value) if key == "$ref" and isinstance(value, str) else self._convert(value, uri)
                )
            return out
        if isinstance(node, list):
            return [self._convert(item, uri) for item in node]
        return node

    def request_of(self, profile: str) -> Any:
        """A reference to the schema of one request of a profile's file (the items of the
        document's request list), wherever the file's schema keeps it."""
        where = f"#/components/schemas/{FILE}.{profile}"
        node: Any = {"$ref": where}
        for part in parse_pointer(self.spec.document["requests"].pointer):
            where, node = self._followed(where, node)
            where, node = f"{where}/properties/{_escape_pointer(part)}", node.get("properties", {}).get(part, {})
        where, node = self._followed(where, node)
        items = node.get("items", {})
        return {"$ref": items["$ref"]} if isinstance(items, dict) and "$ref" in items else {"$ref": f"{where}/items"}

    def _followed(self, where: str, node: Any) -> tuple[str, Any]:
        """A node and its place, its ``$ref`` (if any) followed."""
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            where = node["$ref"]
            node = self.follow(node)
        return where, node if isinstance(node, dict) else {}

    def follow(self, node: Any) -> Any:
        """A node with its ``$ref`` followed (within the components)."""
        for _ in range(50):  # bounded: a reference loop ends here
            if not isinstance(node, dict) or "$ref" not in node:
                return node
            parts = node["$ref"].removeprefix("#/components/schemas/").split("/")
            node = self.schemas.get(parts[0], {})
            for part in parts[1:]:
                node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
        return node

    def field_schema(self, profile: str, field: str) -> Any:
        """The schema of a logical field in a profile's request (a reference when it is one)."""
        node: Any = self.request_of(profile)
        for part in parse_pointer(self.spec.pointer(field)):
            found = self.follow(node).get("properties", {}).get(part)
            if found is None:
                return None
            node = found
        return node


# --------------------------------------------------------------------------- what the markers stand for


def numbering_pattern(spec: Spec) -> str:
    """The regular expression of the ASP numbers the portal gives (spec.json ``numerotation``)."""
    out = []
    codes = sorted({p.code_numerotation for p in spec.profiles.values()}, key=lambda c: (-len(c), c))
    for literal, name, form, _ in string.Formatter().parse(spec.numbering):
        out.append(_escape(literal))
        if name is None:
            continue
        if name == "code":
            out.append("(?:" + "|".join(_escape(code) for code in codes) + ")")
        elif name == "annee":
            out.append("[0-9]{4}")
        else:
            width = re.search(r"(\d+)d$", form or "")
            out.append(f"[0-9]{{{int(width.group(1))},}}" if width else "[0-9]+")
    return "^" + "".join(out) + "$"


def _escape_pointer(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _escape(text: str) -> str:
    """``text`` matched literally, in a pattern both Python and ECMA-262 (JSON Schema) read alike:
    only the syntax characters escaped (ECMA-262 in unicode mode refuses a hyphen escaped)."""
    return re.sub(r"([.^$*+?()\[\]{}|\\/])", r"\\\1", text)


def scenario_walks(machine: Any) -> list[tuple[str, ...]]:
    """Every sequence of statuses the gestionnaire can walk a freshly imported request through
    (``POST /admin/scenarios``'s ``etapes``), by key: the document lists them with each step as a
    key or a label. The request workflow has no gestionnaire-only cycle, so they are few."""
    walks: list[tuple[str, ...]] = []

    def extend(walk: tuple[str, ...], at: str) -> None:
        for transition in machine.plain_moves(at, "gestionnaire"):
            longer = (*walk, transition.target)
            if transition.target in walk or len(longer) > 20:
                raise ValueError("the gestionnaire's moves loop: the walks cannot be listed")
            walks.append(longer)
            extend(longer, transition.target)

    extend((), machine.initial)
    return walks


def reason_statuses(machine: Any) -> list[str]:
    """The statuses a gestionnaire's move into needs a reason (``motif``), keys then labels."""
    keys = sorted({t.target for t in machine.transitions if t.by == "gestionnaire" and t.needs_reason})
    return keys + [machine.label(key) for key in keys]


def _keys_and_labels(machine: Machine) -> list[str]:
    return [*machine.labels, *machine.labels.values()]


class _Spec:
    """What the markers ask of the spec, computed once per build."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.flows = workflows(spec)
        self.components = _Components(spec)

    @cached_property
    def first_avance(self) -> str:
        return next(p.name for p in self.spec.profiles.values() if p.deposit_type == "avance")

    @cached_property
    def other_avance(self) -> str | None:
        """The first avance profile of another programme than the first one's (the seeding's incomplete import)."""
        first = self.spec.profiles[self.first_avance]
        return next(
            (p.name for p in self.spec.profiles.values() if p.deposit_type == "avance" and p.program != first.program),
            None,
        )

    def example(self, profile: str) -> tuple[bytes, Any]:
        path = self.spec.root / "examples" / f"{profile}.json"
        data = path.read_bytes()
        return data, orjson.loads(data)

    def example_requests(self, profile: str) -> list[Any]:
        _, document = self.example(profile)
        found = resolve(document, parse_pointer(self.spec.document["requests"].pointer))
        return list(found) if isinstance(found, list) else []

    @cached_property
    def example_ans(self) -> str | None:
        requests = self.example_requests(self.first_avance)
        value = read_values(requests[0], self.spec).get("ans_number") if requests else None
        return str(value) if value else None

    @cached_property
    def start(self) -> Any:
        return self.spec.default_deposit_time(None, self.spec.deposit_types["avance"])

    @cached_property
    def numbers(self) -> list[str]:
        """The request numbers the examples name: the first avance profile's first three (the
        imported example), then the other programme's first."""
        first = self.spec.profiles[self.first_avance]
        found = [format_number(self.spec, first, self.start, sequence) for sequence in (1, 2, 3)]
        if self.other_avance is not None:
            found.append(format_number(self.spec, self.spec.profiles[self.other_avance], self.start, 1))
        return found

    @cached_property
    def solutions(self) -> dict[str, Any]:
        listed: dict[str, Any] = self.spec.referencement().get("solutions", {})
        return listed

    def schema(self, kind: str) -> dict[str, Any]:
        spec, flows = self.spec, self.flows
        statuses = spec.statuts
        if kind == "statuts":  # a request's status: every label but the avenant's
            return {"enum": [label for key, label in statuses.items() if key != "avenantPaye"]}
        if kind == "statuts-ligne":
            return {"enum": [statuses["enAttente"], statuses["incomplete"]]}
        if kind == "statuts-cles":
            return {"enum": list(statuses)}
        if kind == "statuts-et-cles":
            return {"enum": [*statuses, *statuses.values()]}
        if kind == "enrolement-statuts":
            return {"enum": list(flows.enrolment.labels.values())}
        if kind == "enrolement-statuts-et-cles":
            return {"enum": _keys_and_labels(flows.enrolment)}
        if kind == "avenant-statuts":
            return {"enum": list(flows.avenant.labels.values())}
        if kind == "avenant-statuts-et-cles":
            return {"enum": _keys_and_labels(flows.avenant)}
        if kind == "types-demande":
            return {"enum": list(spec.deposit_types.values())}
        if kind == "profils":
            return {"enum": list(spec.profiles)}
        if kind == "taux-tva":
            return {"enum": [f"{rate:g}" for rate in spec.vat_rates]}
        if kind == "code":
            return {"type": "string", "pattern": spec.code_pattern}
        if kind == "codetraitement":
            if re.search(spec.code_pattern, spec.accepted_code):
                return {"type": "string", "pattern": spec.code_pattern}
            return {"type": "string", "anyOf": [{"const": spec.accepted_code}, {"pattern": spec.code_pattern}]}
        if kind == "numero-demande":
            return {"type": "string", "pattern": numbering_pattern(spec)}
        if kind == "numero-ans":
            found = self.components.field_schema(self.first_avance, "ans_number") if spec.has("ans_number") else None
            return copy.deepcopy(found) if isinstance(found, dict) else {"type": "string", "minLength": 1}
        if kind == "demande":
            refs = [self.components.request_of(name) for name in spec.profiles]
            unique = [ref for index, ref in enumerate(refs) if ref not in refs[:index]]
            return {"anyOf": unique}
        if kind == "etapes":
            flow = flows.request
            return {
                "enum": [
                    list(choice)
                    for walk in scenario_walks(flow)
                    for choice in itertools.product(*[(key, flow.label(key)) for key in walk])
                ]
            }
        if kind == "statuts-motif":
            return {"enum": reason_statuses(flows.request)}
        raise ValueError(f"{TEMPLATE}: unknown marker {MARK}={kind!r}")

    def examples(self, kind: str, node: dict[str, Any]) -> None:
        spec = self.spec
        if kind == "ans":
            node["example"] = next(iter(self.solutions), self.example_ans)
        elif kind == "ans-liste":
            node["examples"] = [self.example_ans] if self.example_ans else []
        elif kind == "numeros":
            node["examples"] = {number: {"value": number} for number in self.numbers}
        elif kind == "numero-liste":
            node["examples"] = self.numbers[:1]
        elif kind == "numero":
            node["example"] = self.numbers[0]
        elif kind == "demande":
            requests = self.example_requests(self.first_avance)
            node["examples"] = {"avance": {"value": requests[1 if len(requests) > 1 else 0]}} if requests else {}
        elif kind == "depot":
            data, _ = self.example(self.first_avance)
            requests = self.example_requests(self.first_avance)
            rate = read_values(requests[0], spec).get("vat_rate") if requests else None
            node["summary"] = f"The first avance example of the spec {spec.id} (examples/{self.first_avance}.json)"
            node["value"] = {
                "fichier": data.decode("utf-8"),
                "typeDemande": "avance",
                "numeroAns": self.example_ans,
                "tauxTva": f"{rate if rate is not None else spec.vat_rates[-1]:g}",
            }
        elif kind == "couloirs":
            node["examples"] = sorted({s["couloir"] for s in self.solutions.values()})
        elif kind == "types-logiciel":
            node["examples"] = sorted({s["typeLogiciel"] for s in self.solutions.values()})
        elif kind in ("horloge", "horloge-liste"):
            window = spec.windows.get(self.first_avance)
            moment = (window.closes - timedelta(minutes=1)) if window is not None else self.start
            at = f"{moment:%Y-%m-%dT%H:%M}"
            if kind == "horloge":
                node["examples"] = {"geler": {"value": {"at": at}}, "avancer": {"value": {"advance": 60}}}
            else:
                node["examples"] = [at]
        elif kind == "date-liste":
            node["examples"] = [self.start.isoformat()]
        else:
            raise ValueError(f"{TEMPLATE}: unknown marker {EXAMPLE}={kind!r}")


def build(spec: Spec) -> dict[str, Any]:
    """The document of the portal started with ``spec``: the template's markers filled in."""
    values = _Spec(spec)
    document = copy.deepcopy(template())

    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            if MARK in node:
                kind = node.pop(MARK)
                generated = values.schema(kind)
                node = {**{k: v for k, v in node.items() if k not in generated}, **generated}
            if EXAMPLE in node:
                values.examples(node.pop(EXAMPLE), node)
            return {key: fill(value) for key, value in node.items()}
        if isinstance(node, list):
            return [fill(item) for item in node]
        return node

    document = fill(document)
    schemas = document["components"]["schemas"]
    for name, schema in values.components.schemas.items():
        schemas[name] = schema
    solutions = ", ".join(values.solutions) or "none"
    document["info"]["description"] = (
        document["info"]["description"]
        .replace("{spec}", f"`{spec.id}` {spec.version}")
        .replace("{solutions}", solutions)
    )
    built: dict[str, Any] = document
    return built


# --------------------------------------------------------------------------- the server's side


def _resolve_in(document: dict[str, Any], node: Any) -> Any:
    for _ in range(50):
        if not isinstance(node, dict) or "$ref" not in node:
            return node
        parts = node["$ref"].removeprefix("#/").split("/")
        node = document
        for part in parts:
            node = node[part]
    return node


class ApiDocument:
    """The document of one app (its spec), with what the server checks by it, built once."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.document = build(spec)
        self.bytes = orjson.dumps(self.document)
        self._validators: dict[tuple[str, str, str], Any] = {}

    def path_pattern(self, name: str) -> str:
        """The regular expression the document gives a path parameter (the same wherever it
        appears), without its anchors: what the router matches."""
        for item in self.document["paths"].values():
            for operation in item.values():
                if not isinstance(operation, dict):
                    continue
                for parameter in operation.get("parameters", []):
                    parameter = _resolve_in(self.document, parameter)
                    if parameter.get("in") == "path" and parameter.get("name") == name:
                        pattern = _resolve_in(self.document, parameter["schema"]).get("pattern")
                        if pattern:
                            return str(pattern).removeprefix("^").removesuffix("$")
        raise LookupError(f"{TEMPLATE}: no path parameter {name!r} with a pattern")

    def converter(self, name: str) -> type[BaseConverter]:
        """A routing converter matching what the document says of the path parameter ``name``."""
        pattern = self.path_pattern(name)

        class _Documented(BaseConverter):
            def __init__(self, url_map: Map) -> None:
                super().__init__(url_map)
                self.regex = pattern

        return _Documented

    def body_validator(self, path: str, method: str, media_type: str = "application/json") -> Any:
        """The validator of an operation's request body of this media type (None when it takes none)."""
        key = (path, method, media_type)
        if key not in self._validators:
            operation = self.document["paths"][path][method]
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get(media_type, {}).get("schema")
            self._validators[key] = None if schema is None else self._validator(schema)
        return self._validators[key]

    def _validator(self, schema: Any) -> Any:
        from segur.mock_portal.formats import validator

        # the schema with the document's components beside it, for its references to resolve
        return validator({**schema, "components": self.document["components"]})

    def file_lists(self, path: str, method: str) -> frozenset[str]:
        """The multipart fields of an operation that take several files (an array)."""
        content = self.document["paths"][path][method].get("requestBody", {}).get("content", {})
        schema = _resolve_in(self.document, content.get("multipart/form-data", {}).get("schema", {}))
        return frozenset(
            name
            for name, item in schema.get("properties", {}).items()
            if _resolve_in(self.document, item).get("type") == "array"
        )

    def check_body(self, body: Any, path: str, method: str, media_type: str = "application/json") -> None:
        """Raise the portal's 400 naming the first fields of ``body`` the document refuses (a
        form's text fields as strings, its files as empty strings: their content is the controls'
        matter)."""
        validator = self.body_validator(path, method.lower(), media_type)
        problems = []
        try:
            if validator is None or validator.is_valid(body):
                return
            for error in validator.iter_errors(body):
                where = "".join(f"/{p}" for p in error.instance_path)
                if error.kind.name == "required":  # the field missing, not the object that lacks it
                    where += f"/{error.kind.property}"
                where = where or "/"
                problems.append({"champ": where, "message": _message(error)})
                if len(problems) == 20:
                    break
        except (TypeError, ValueError, OverflowError) as exc:  # e.g. an integer beyond 64 bits
            beyond = _beyond_64_bits(body)
            named = f" : '{beyond.lstrip('/')}'" if beyond else ""
            raise PortalError(400, "REQUETE_INVALIDE", f"corps de requête illisible ({exc}){named}") from None
        names = ", ".join(sorted({f"'{p['champ'].lstrip('/') or '/'}'" for p in problems}))
        raise PortalError(
            400, "REQUETE_INVALIDE", f"corps de requête non conforme au document OpenAPI : {names}", problems
        )


def _beyond_64_bits(node: Any, where: str = "") -> str | None:
    """Where the first integer a validator cannot hold (beyond 64 bits) sits, as a JSON Pointer."""
    if isinstance(node, bool):
        return None
    if isinstance(node, int):
        return where or "/" if not -(2**63) <= node < 2**64 else None
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in children:
        found = _beyond_64_bits(value, f"{where}/{key}")
        if found:
            return found
    return None


_UNEXPECTED = re.compile(r"Additional properties are not allowed \((.*) (?:was|were) unexpected\)")


def _message(error: Any) -> str:
    from segur.mock_portal.formats import message

    found = _UNEXPECTED.match(error.message)
    if found:
        return f"champ(s) non prévu(s) : {found.group(1)}"
    return message(error)[:300]
