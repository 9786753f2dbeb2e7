"""Load a spec set (schemas, codes, calendar, ceilings) from a folder of data.

The controls never hard-code the format: field locations, codes, labels, limits and
dates come from the spec folder. The default folder ships with the kit
(``fixtures/segur-ms-v1``); ``SEGUR_SPEC`` or an explicit path selects another one.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema_rs
import orjson

from segur import SPEC_ENV

DEFAULT_SPEC_NAME = "segur-ms-v1"
LEVELS = ("file", "line", "attachment")


class SpecError(Exception):
    """The spec folder is missing, unreadable or inconsistent."""


@dataclass(frozen=True)
class CodeEntry:
    code: str
    level: str
    rule: str | None
    label: str
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    name: str
    couloir: str
    type_logiciel: str
    type_demande: str
    libelle: str
    code_numerotation: str
    schema_path: Path


@dataclass(frozen=True)
class Window:
    profile: str
    af: str
    opens: datetime
    closes: datetime
    default_deposit: datetime


@dataclass
class Spec:
    """A loaded spec set. Build it with :func:`load_spec`; validators are built once."""

    root: Path
    id: str
    version: str
    title: str
    model: bool
    format_versions: tuple[str, ...]
    profiles: dict[str, Profile]
    deposit_types: dict[str, str]
    vat_rates: tuple[float, ...]
    limits: dict[str, int]
    required_pieces: dict[str, tuple[str, ...]]
    statuts: dict[str, str]
    financed_statuses: frozenset[str]
    numbering: str
    fields: dict[str, tuple[str, ...]]
    document_fields: dict[str, tuple[str, ...]]
    #: where an attachment item of a request gives its kind ("nature") and file name ("nomFichier")
    piece_fields: dict[str, tuple[str, ...]]
    #: the keys of "nature" and "nomFichier" when both sit at the top of the item (the usual
    #: flat item, read with two lookups), else None
    piece_keys: tuple[str, str] | None
    #: reads every logical field of a request in one pass (see :func:`compile_extractor`)
    extract: Callable[[dict[str, Any]], dict[str, Any]] = field(repr=False)
    #: the same, into the FIELD_NAMES attributes of a line (see :func:`compile_reader`)
    read_into: Callable[[Any, dict[str, Any]], None] = field(repr=False)
    codes: dict[str, CodeEntry]
    rule_codes: dict[str, CodeEntry]
    accepted_code: str
    file_accepted_label: str
    incomplete_label: str
    timezone: ZoneInfo
    af_openings: dict[str, datetime]
    windows: dict[str, Window]
    mss_from: datetime | None
    mss_profiles: frozenset[str]
    ceilings: dict[str, dict[str, float]]
    ceilings_model: bool
    requirements: dict[str, dict[str, str]]
    #: the instruction workflow as data (workflow.json), read by segur.mock_portal.workflow
    workflow: dict[str, Any]
    envelope_validator: jsonschema_rs.Validator = field(repr=False)
    history_validator: jsonschema_rs.Validator | None = field(repr=False)
    profile_validators: dict[str, jsonschema_rs.Validator] = field(repr=False)
    schemas: dict[str, Any] = field(repr=False)

    @property
    def label(self) -> str:
        return f"{self.id} {self.version}"

    def profile_for(self, couloir: str, type_logiciel: str, type_demande: str) -> Profile | None:
        for profile in self.profiles.values():
            if (profile.couloir, profile.type_logiciel, profile.type_demande) == (
                couloir,
                type_logiciel,
                type_demande,
            ):
                return profile
        return None

    def profiles_of_type(self, type_demande: str) -> list[Profile]:
        return [p for p in self.profiles.values() if p.type_demande == type_demande]

    def default_deposit_time(self, profile: str | None, type_demande: str) -> datetime:
        """The profile's default deposit time, or that of the first profile of the type."""
        if profile and profile in self.windows:
            return self.windows[profile].default_deposit
        for p in self.profiles_of_type(type_demande):
            if p.name in self.windows:
                return self.windows[p.name].default_deposit
        raise SpecError(
            f"{self.root / 'calendar.json'}: no window gives a default deposit time for "
            f"requests of type {type_demande}; add 'defaultDeposit' to a window."
        )

    def local_time(self, text: str) -> datetime:
        """Parse an ISO 8601 time; a naive one is read in the spec's time zone."""
        value = datetime.fromisoformat(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.timezone)
        return value

    def label_for(self, code: str, params: Mapping[str, Any]) -> str:
        return self.codes[code].label.format_map(_Params(params))


class _Params(dict[str, Any]):
    """Format parameters: a placeholder with no value is left visible, never an error."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def default_spec_dir() -> Path:
    """The spec folder in force: ``$SEGUR_SPEC`` if set, else the one shipped with the kit."""
    env = os.environ.get(SPEC_ENV)
    if env:
        return Path(env)
    import segur

    package = Path(segur.__file__).resolve().parent
    # installed, the spec sits in segur/fixtures/; in a checkout, in fixtures/ beside segur/
    for candidate in (package / "fixtures" / DEFAULT_SPEC_NAME, package.parent / "fixtures" / DEFAULT_SPEC_NAME):
        if (candidate / "spec.json").is_file():
            return candidate
    raise SpecError(
        f"the default spec folder {DEFAULT_SPEC_NAME} was not found in {package / 'fixtures'}; reinstall the kit "
        f"(pip install segur-conformance-kit) or set {SPEC_ENV} to a spec folder"
    )


def load_spec(path: str | os.PathLike[str] | None = None) -> Spec:
    """Load (once per folder) the spec set at ``path`` or the default one."""
    root = Path(path) if path is not None else default_spec_dir()
    return _load_cached(root.resolve())


@lru_cache(maxsize=8)
def _load_cached(root: Path) -> Spec:
    spec = _Loader(root).load()
    from .registry import known_rules  # the controls register themselves on import

    unknown = sorted(set(spec.rule_codes) - known_rules())
    if unknown:
        raise SpecError(
            f"{root / 'codes.json'}: rules {unknown} are bound to codes but no control raises them; "
            f"known rules: {', '.join(sorted(known_rules()))}"
        )
    return spec


#: the logical fields the controls read; a spec maps each to a JSON Pointer in a request
#: (spec.json, "fields"). A field the spec does not map reads as absent.
FIELD_NAMES = (
    "referenceLigne",
    "typeDemande",
    "couloir",
    "typeLogiciel",
    "numeroAns",
    "numeroBdc",
    "dateBdc",
    "montantSegurHt",
    "finessJuridique",
    "siren",
    "finessGeographique",
    "siret",
    "categorieEsms",
    "montantHt",
    "tauxTva",
    "montantTtc",
    "montantDemande",
    "piecesJointes",
    "numeroDemandeAvance",
    "dateVa",
    "dateFacture",
    "montantFacture",
    "indicateurMss",
    "adresseMss",
)


def resolve(value: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` (parsed JSON Pointer) in ``value``, or None where a step is missing."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def compile_extractor(fields: dict[str, tuple[str, ...]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function that reads every logical field of a request (a dict) in one pass.

    Reading a request is on the hot path (200 per file), so the pointers are compiled into
    the straight-line code a person would write; a missing or non-object step reads as
    None. Keys appear only as ``repr`` literals, so a spec cannot inject code.
    """
    names = {logical: f"v{index}" for index, logical in enumerate(fields)}
    body = ", ".join(f"{name!r}: {names.get(name, 'None')}" for name in dict.fromkeys([*FIELD_NAMES, *fields]))
    extract: Callable[[dict[str, Any]], dict[str, Any]] = _compiled(
        "extract(raw)", [*_field_reads(fields, names), f"    return {{{body}}}"]
    )
    return extract


def compile_reader(fields: dict[str, tuple[str, ...]]) -> Callable[[Any, dict[str, Any]], None]:
    """As :func:`compile_extractor`, a function ``read_into(target, raw)`` that sets the
    :data:`FIELD_NAMES` attributes of ``target`` (a :class:`~segur.mock_portal.controls.line.Line`)
    instead of building a dict: 200 requests per file. The attribute names are those of
    FIELD_NAMES, never the spec's."""
    mapped = {logical: path for logical, path in fields.items() if logical in FIELD_NAMES}
    unmapped = [f"    target.{name} = None" for name in FIELD_NAMES if name not in mapped]
    statements = [
        *_field_reads(mapped, {logical: f"target.{logical}" for logical in mapped}),
        *unmapped,
        "    return None",
    ]
    read_into: Callable[[Any, dict[str, Any]], None] = _compiled("read_into(target, raw)", statements)
    return read_into


def _field_reads(fields: dict[str, tuple[str, ...]], targets: dict[str, str]) -> list[str]:
    """Statements reading each logical field into its target (a variable or an attribute).

    Each object on the way is read once; under an absent or non-object step, the fields are
    set to None without being looked up (a request of one profile lacks the objects of the
    others, e.g. an avance has no invoice).
    """
    leaves: dict[tuple[str, ...], list[tuple[str, str]]] = {}  # container path: (key, target)
    for logical, path in fields.items():
        for depth in range(len(path)):
            leaves.setdefault(path[:depth], [])
        leaves[path[:-1]].append((path[-1], targets[logical]))
    statements: list[str] = []

    def under(path: tuple[str, ...]) -> list[str]:
        return [target for container, found in leaves.items() if container[: len(path)] == path for _, target in found]

    def read(path: tuple[str, ...], source: str, indent: str) -> None:
        for key, target in leaves[path]:
            statements.append(f"{indent}{target} = {source}.get({key!r})")
        for child in (c for c in leaves if len(c) == len(path) + 1 and c[: len(path)] == path):
            local = f"c{len(statements)}"
            statements.append(f"{indent}{local} = {source}.get({child[-1]!r})")
            statements.append(f"{indent}if type({local}) is dict:")
            read(child, local, indent + "    ")
            statements.append(f"{indent}else:")
            statements.append(f"{indent}    {' = '.join(under(child))} = None")

    if fields:
        read((), "raw", "    ")
    return statements


def _compiled(signature: str, statements: list[str]) -> Any:
    source = "\n".join([f"def {signature}:", *statements])
    namespace: dict[str, Any] = {}
    exec(compile(source, "<segur field extractor>", "exec"), namespace)
    return namespace[signature.partition("(")[0]]


def _flat_keys(nature: tuple[str, ...], file_name: tuple[str, ...]) -> tuple[str, str] | None:
    return (nature[0], file_name[0]) if len(nature) == 1 and len(file_name) == 1 else None


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _read_json(self, relative: str) -> Any:
        path = self.root / relative
        try:
            return orjson.loads(path.read_bytes())
        except FileNotFoundError:
            raise SpecError(f"{path}: file not found; a spec folder needs it (see spec.json)") from None
        except orjson.JSONDecodeError as exc:
            raise SpecError(f"{path}: not valid JSON ({exc})") from None

    def _need(self, data: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in data:
            raise SpecError(f"{self.root / where}: missing key '{key}'")
        return data[key]

    def _time(self, tz: ZoneInfo, text: Any, where: str) -> datetime:
        try:
            value = datetime.fromisoformat(str(text))
        except ValueError:
            raise SpecError(
                f"{self.root / where}: '{text}' is not an ISO 8601 time (expected e.g. 2024-02-28T14:00)"
            ) from None
        return value if value.tzinfo else value.replace(tzinfo=tz)

    def load(self) -> Spec:
        if not (self.root / "spec.json").is_file():
            raise SpecError(f"{self.root}: not a spec folder (expected a spec.json manifest in it)")
        manifest = self._read_json("spec.json")
        files = self._need(manifest, "files", "spec.json")
        schemas, registry = self._schemas(files, manifest)
        codes_doc = self._read_json(self._need(files, "codes", "spec.json"))
        codes, rule_codes = self._codes(codes_doc, files["codes"])
        calendar_file = self._need(files, "calendar", "spec.json")
        calendar = self._read_json(calendar_file)
        try:
            tz = ZoneInfo(self._need(calendar, "timezone", calendar_file))
        except ZoneInfoNotFoundError:
            raise SpecError(f"{self.root / calendar_file}: unknown time zone {calendar['timezone']!r}") from None
        af_openings = {
            name: self._time(tz, self._need(af, "ouverture", calendar_file), calendar_file)
            for name, af in calendar.get("appelsAFinancement", {}).items()
        }
        windows = {}
        for name, window in self._need(calendar, "windows", calendar_file).items():
            windows[name] = Window(
                profile=name,
                af=window.get("af", ""),
                opens=self._time(tz, self._need(window, "ouverture", calendar_file), calendar_file),
                closes=self._time(tz, self._need(window, "fermeture", calendar_file), calendar_file),
                default_deposit=self._time(tz, self._need(window, "defaultDeposit", calendar_file), calendar_file),
            )
        mss = calendar.get("deploiementMss") or {}
        ceilings_file = self._need(files, "ceilings", "spec.json")
        ceilings_doc = self._read_json(ceilings_file)
        profiles = self._profiles(manifest)
        unknown = sorted(set(windows) - set(profiles))
        if unknown:
            raise SpecError(f"{self.root / calendar_file}: windows for unknown profiles {unknown}")
        validators = {
            name: self._validator(schemas[str(p.schema_path)], p.schema_path, registry) for name, p in profiles.items()
        }
        envelope_path = self.root / self._need(files, "envelope", "spec.json")
        piece_fields = self._fields(self._need(manifest, "pieceFields", "spec.json"))
        return Spec(
            root=self.root,
            id=str(self._need(manifest, "id", "spec.json")),
            version=str(self._need(manifest, "version", "spec.json")),
            title=str(manifest.get("title", "")),
            model=bool(manifest.get("model", False)),
            format_versions=tuple(self._need(manifest, "formatVersions", "spec.json")),
            profiles=profiles,
            deposit_types=dict(self._need(manifest, "depositTypes", "spec.json")),
            vat_rates=tuple(float(v) for v in self._need(manifest, "vatRates", "spec.json")),
            limits={k: v for k, v in self._need(manifest, "limits", "spec.json").items() if isinstance(v, int)},
            required_pieces={k: tuple(v) for k, v in manifest.get("piecesObligatoires", {}).items()},
            statuts=dict(self._need(manifest, "statuts", "spec.json")),
            financed_statuses=frozenset(
                manifest["statuts"][s] for s in self._need(manifest, "statutsFinances", "spec.json")
            ),
            numbering=str(self._need(manifest, "numerotation", "spec.json")),
            fields=self._fields(self._need(manifest, "fields", "spec.json")),
            document_fields=self._fields(self._need(manifest, "document", "spec.json")),
            piece_fields=piece_fields,
            piece_keys=_flat_keys(
                piece_fields.get("nature", ("nature",)), piece_fields.get("nomFichier", ("nomFichier",))
            ),
            extract=compile_extractor(self._fields(manifest["fields"])),
            read_into=compile_reader(self._fields(manifest["fields"])),
            codes=codes,
            rule_codes=rule_codes,
            accepted_code=str(self._need(codes_doc, "acceptedCode", files["codes"])),
            file_accepted_label=str(codes_doc.get("fileAcceptedLabel", "")),
            incomplete_label=str(codes_doc.get("incompleteLabel", "")),
            timezone=tz,
            af_openings=af_openings,
            windows=windows,
            mss_from=self._time(tz, mss["obligatoireA"], calendar_file) if "obligatoireA" in mss else None,
            mss_profiles=frozenset(mss.get("profiles", [])),
            ceilings={k: {c: float(a) for c, a in v.items()} for k, v in ceilings_doc.get("plafonds", {}).items()},
            ceilings_model=bool(ceilings_doc.get("model", False)),
            requirements=self._requirements(files.get("requirements")),
            workflow=self._read_json(files["workflow"]) if files.get("workflow") else {},
            envelope_validator=self._validator(schemas[str(envelope_path)], envelope_path, registry),
            profile_validators=validators,
            history_validator=self._standalone(files.get("history")),
            schemas=schemas,
        )

    def _schemas(
        self, files: Mapping[str, Any], manifest: Mapping[str, Any]
    ) -> tuple[dict[str, Any], jsonschema_rs.Registry]:
        relatives = [files["envelope"], *files.get("shared", [])]
        relatives += [p["schema"] for p in self._need(manifest, "profiles", "spec.json").values()]
        schemas: dict[str, Any] = {}
        resources = []
        for relative in relatives:
            path = self.root / relative
            schema = self._read_json(relative)
            schemas[str(path)] = schema
            resources.append((str(schema.get("$id") or path.resolve().as_uri()), schema))
        try:
            registry = jsonschema_rs.Registry(resources)
        except Exception as exc:  # the binding raises several types for bad schemas
            raise SpecError(f"{self.root}: the schemas do not load together ({exc})") from None
        return schemas, registry

    def _validator(self, schema: Any, path: Path, registry: jsonschema_rs.Registry) -> jsonschema_rs.Validator:
        try:
            return jsonschema_rs.validator_for(
                schema,
                registry=registry,
                validate_formats=True,
                base_uri=None if "$id" in schema else path.resolve().as_uri(),
            )
        except Exception as exc:  # ValidationError, ReferencingError, ValueError
            raise SpecError(f"{path}: not a usable JSON Schema ({exc})") from None

    def _standalone(self, relative: str | None) -> jsonschema_rs.Validator | None:
        if not relative:
            return None
        path = self.root / relative
        return self._validator(self._read_json(relative), path, jsonschema_rs.Registry([]))

    def _codes(self, doc: Mapping[str, Any], where: str) -> tuple[dict[str, CodeEntry], dict[str, CodeEntry]]:
        codes: dict[str, CodeEntry] = {}
        rules: dict[str, CodeEntry] = {}
        retired = set(doc.get("retired", []))
        for raw in self._need(doc, "codes", where):
            code = str(raw.get("code", ""))
            if len(code) != 4 or not code.isdigit():
                raise SpecError(f"{self.root / where}: code {code!r} is not 4 digits")
            if code in codes or code in retired:
                raise SpecError(f"{self.root / where}: code {code} is used twice (codes are never reused)")
            level = raw.get("level")
            if level not in LEVELS:
                raise SpecError(f"{self.root / where}: code {code} has level {level!r}, expected one of {LEVELS}")
            entry = CodeEntry(
                code, level, raw.get("rule"), str(raw.get("label", "")), tuple(raw.get("requirements", []))
            )
            codes[code] = entry
            if entry.rule:
                if entry.rule in rules:
                    raise SpecError(f"{self.root / where}: rule {entry.rule!r} is bound to two codes")
                rules[entry.rule] = entry
        return codes, rules

    def _profiles(self, manifest: Mapping[str, Any]) -> dict[str, Profile]:
        profiles = {}
        for name, raw in manifest["profiles"].items():
            profiles[name] = Profile(
                name=name,
                couloir=str(self._need(raw, "couloir", "spec.json")),
                type_logiciel=str(self._need(raw, "typeLogiciel", "spec.json")),
                type_demande=str(self._need(raw, "typeDemande", "spec.json")),
                libelle=str(raw.get("libelle", name)),
                code_numerotation=str(raw.get("codeNumerotation", name.upper())),
                schema_path=self.root / raw["schema"],
            )
        return profiles

    def _fields(self, raw: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
        fields = {}
        for name, pointer in raw.items():
            if not pointer.startswith("/"):
                raise SpecError(f"{self.root / 'spec.json'}: field {name!r}: {pointer!r} is not a JSON Pointer")
            fields[name] = tuple(part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/"))
        return fields

    def _requirements(self, relative: str | None) -> dict[str, dict[str, str]]:
        if not relative:
            return {}
        path = self.root / relative
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                return {row["id"]: row for row in csv.DictReader(handle)}
        except (OSError, KeyError) as exc:
            raise SpecError(
                f"{path}: unreadable requirements table ({exc}); expected a CSV with an 'id' column"
            ) from None
