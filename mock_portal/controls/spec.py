"""Load a spec set (schemas, codes, calendar, ceilings) from a folder of data.

The controls never hard-code the format: where each logical field sits in a request and how
its value is written (:mod:`~segur.mock_portal.controls.fields`), the attachments' roles, the
statuses, codes, labels, limits and dates come from the spec folder. The default folder ships
with the kit (``fixtures/segur-ms-v1``); ``SEGUR_SPEC`` or an explicit path selects another.
The guide for spec authors, ``fixtures/README.md``, describes every file of a spec folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema_rs
import orjson
from jsonpointer import JsonPointer, JsonPointerException

from segur import SPEC_ENV

from .fields import DOCUMENT_FIELDS, ENUM_KEYS, FIELDS, PIECE_ROLES, FieldDef, Unreadable, make_codec

#: the layout of spec folders this kit reads (``specFormat`` in spec.json)
SPEC_FORMAT = 2
DEFAULT_SPEC_NAME = "segur-ms-v1"
LEVELS = ("file", "line", "attachment")
#: the status keys the kit moves requests through: a spec gives each its label
STATUS_KEYS = (
    "enAttente",
    "incomplete",
    "enCours",
    "aModifier",
    "attentePieces",
    "validee",
    "decidee",
    "payee",
    "rejetee",
    "avenantPaye",
    "annulee",
)
#: the deposit types the kit knows (the choice on the deposit screen): a spec gives each its value
DEPOSIT_TYPE_KEYS = ("avance", "solde")


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
    #: the software programme (e.g. the model's "ms1"): ``segur generate --profile``
    program: str
    couloir: str
    type_logiciel: str
    type_demande: str
    #: the kit's key of the request type ("avance" or "solde")
    deposit_type: str
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


@dataclass(frozen=True)
class AppelAFinancement:
    """An appel à financement (``calendar.json`` ``appelsAFinancement``): the order forms it
    finances are signed from ``opens`` (the publication of its arrêté), and, when signed before
    the software's référencement, at most ``bdc_days_before_dossier`` days before the complete
    proof dossier reached the ANS (None: no such limit)."""

    name: str
    libelle: str
    opens: datetime
    #: the arrêté's date and its publication in the Journal officiel (None when not given)
    arrete: date | None = None
    publication: date | None = None
    bdc_days_before_dossier: int | None = None


@dataclass(frozen=True)
class Ceiling:
    """The ceiling of the Prestation Ségur for a software type and an ESMS category, in cents,
    as the AF publishes it: HT, and TTC at the AF's reference VAT rate (``reference_rate``,
    percent). The requested amount is compared with :meth:`at_rate` of the VAT rate chosen at
    deposit: a basis (HT) that does not move with the editor's VAT rate."""

    ht: int
    ttc: int
    reference_rate: float

    def at_rate(self, rate: float) -> int:
        """The ceiling TTC at ``rate`` percent: HT × (1 + rate), half a cent rounded up (the
        rounding of rule amount-ttc); at the reference rate, the published TTC."""
        return (self.ht * (10000 + round(rate * 100)) + 5000) // 10000


@dataclass(frozen=True)
class Pieces:
    """How a request lists its attachments: the list's place (``path``), where an item gives
    its role word and its file name, the kit's roles mapped to the spec's words, and the roles
    required per deposit type."""

    path: tuple[str, ...]
    role_path: tuple[str, ...]
    file_path: tuple[str, ...]
    roles: dict[str, str]
    words: dict[str, str]
    required: dict[str, tuple[str, ...]]
    #: the two keys when role and file name both sit at the top of the item (read with two lookups)
    flat: tuple[str, str] | None

    def word(self, role: str) -> str:
        return self.roles[role]


class _LazyValidators(dict[str, Any]):
    """A profile's validator is built the first time it is asked for (a check reads one)."""

    def __init__(self, build: Callable[[str], Any], names: list[str]) -> None:
        super().__init__()
        self._build = build
        self._names = names

    def __missing__(self, name: str) -> Any:
        if name not in self._names:
            raise KeyError(name)
        built = self[name] = self._build(name)
        return built


@dataclass(eq=False, repr=False)  # one object per folder loaded (load_spec caches it): compared as itself
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
    pieces: Pieces
    statuts: dict[str, str]
    financed_statuses: frozenset[str]
    #: labels a status key had in earlier versions of the spec (``statutsPrecedents``): the mock
    #: portal renames the requests it stored under them
    previous_statuses: dict[str, tuple[str, ...]]
    numbering: str
    #: every logical field the spec maps, by kit name: where it sits and how it is written
    fields: dict[str, FieldDef]
    #: the fields of the file as a whole (format version, the list of requests)
    document: dict[str, FieldDef]
    #: sets the logical fields of a line from a request (see :func:`compile_reader`)
    read_into: Callable[[Any, Any], None] = field(repr=False)
    codes: dict[str, CodeEntry]
    rule_codes: dict[str, CodeEntry]
    accepted_code: str
    code_pattern: str
    #: rules the controls know that the spec deliberately does not enforce (codes.json "unenforced")
    unenforced: tuple[str, ...]
    file_accepted_label: str
    incomplete_label: str
    timezone: ZoneInfo
    af_openings: dict[str, datetime]
    #: the appels à financement by name, with their arrêtés and order-form limits
    afs: dict[str, AppelAFinancement]
    windows: dict[str, Window]
    mss_from: datetime | None
    mss_profiles: frozenset[str]
    #: the AF ceilings by software type then ESMS category (FINESS category code)
    ceilings: dict[str, dict[str, Ceiling]]
    ceilings_model: bool
    requirements: dict[str, dict[str, str]]
    #: the instruction workflow as data (workflow.json), read by segur.mock_portal.workflow
    workflow: dict[str, Any]
    #: what a gestionnaire checks by hand in the pieces, by check name (files.handChecks; none
    #: when the spec has no such file): the words searched for and the warnings' labels
    hand_checks: dict[str, dict[str, Any]]
    envelope_validator: jsonschema_rs.Validator = field(repr=False)
    history_validator: jsonschema_rs.Validator | None = field(repr=False)
    profile_validators: dict[str, jsonschema_rs.Validator] = field(repr=False)
    schemas: dict[str, Any] = field(repr=False)
    #: the manifest's ``files``: the spec's files by role (codes, calendar, referencement…)
    files: dict[str, Any] = field(repr=False)
    #: the manifest as read (spec.json)
    manifest: dict[str, Any] = field(repr=False)
    #: each appel à financement's label (calendar.json ``libelle``), by its name
    af_labels: dict[str, str] = field(default_factory=dict)
    _referencement: dict[str, Any] | None = field(default=None, repr=False)
    _solution_dates: dict[str, tuple[date | None, date | None]] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return f"<Spec {self.label} at {self.root}>"

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

    def programs(self) -> list[str]:
        """The software programmes the spec's profiles cover, in the spec's order."""
        return list(dict.fromkeys(p.program for p in self.profiles.values()))

    def profile_of(self, program: str, deposit_type: str) -> Profile | None:
        """The profile of ``program`` for the deposit type key ``deposit_type``."""
        return next(
            (p for p in self.profiles.values() if p.program == program and p.deposit_type == deposit_type), None
        )

    def sibling(self, profile: Profile, deposit_type: str) -> Profile | None:
        """The profile of the same software for another deposit type (a solde's avance)."""
        return self.profile_for(profile.couloir, profile.type_logiciel, self.deposit_types.get(deposit_type, ""))

    def type_key(self, type_demande: str) -> str | None:
        """The kit's key ("avance", "solde") of a request type written the spec's way."""
        return next((key for key, value in self.deposit_types.items() if value == type_demande), None)

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

    def code_of(self, rule: str) -> str | None:
        """The code the catalogue binds to ``rule`` (None when the spec does not enforce it)."""
        entry = self.rule_codes.get(rule)
        return entry.code if entry is not None else None

    def pointer(self, name: str) -> str:
        """The JSON Pointer of logical field ``name`` in a request ("" when the spec lacks it)."""
        found = self.fields.get(name)
        return found.pointer if found is not None else ""

    def has(self, name: str) -> bool:
        return name in self.fields

    def status(self, key: str) -> str:
        return self.statuts[key]

    def referencement(self) -> dict[str, Any]:
        """The ANS référentiel the spec ships (``files.referencement``): the ``solutions`` the mock
        knows (its demo account is enrolled for each) and the ``patterns`` any other number of
        the right form follows."""
        if self._referencement is None:
            relative = self.files.get("referencement")
            found: dict[str, Any] = {"solutions": {}, "patterns": []}
            if relative:
                try:
                    found |= orjson.loads((self.root / relative).read_bytes())
                except (OSError, orjson.JSONDecodeError) as exc:
                    raise SpecError(f"{self.root / relative}: unreadable référentiel ({exc})") from None
            self._referencement = found
        return self._referencement

    def af_of(self, profile: str) -> AppelAFinancement | None:
        """The appel à financement of ``profile``'s window (None when it names none)."""
        window = self.windows.get(profile)
        return self.afs.get(window.af) if window is not None else None

    def solution_dates(self, numero_ans: str) -> tuple[date | None, date | None]:
        """When the complete proof dossier of the référentiel's solution ``numero_ans`` reached
        the ANS and when it was referenced (``dateDossierComplet``, ``dateReferencement`` of its
        entry in ``referencement.json``): None for a date not given, or a number not listed."""
        found = self._solution_dates.get(numero_ans)
        if found is None:
            solution = self.referencement().get("solutions", {}).get(numero_ans) or {}
            found = (_iso_day(solution.get("dateDossierComplet")), _iso_day(solution.get("dateReferencement")))
            self._solution_dates[numero_ans] = found
        return found


def _iso_day(text: Any) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


class _Params(dict[str, Any]):
    """Format parameters: a placeholder with no value is left visible, never an error."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def default_spec_dir() -> Path:
    """The spec folder in force: ``$SEGUR_SPEC`` if set, else the one shipped with the kit."""
    env = os.environ.get(SPEC_ENV)
    if env:
        return Path(env)
    return shipped_spec_dir()


def shipped_spec_dir() -> Path:
    """The spec folder shipped with the kit (its model): what a command uses without ``--spec``
    or ``$SEGUR_SPEC``."""
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


# ---------------------------------------------------------------------- JSON Pointers


def parse_pointer(pointer: str) -> tuple[str, ...]:
    """The parts of a JSON Pointer (RFC 6901, ``~1`` and ``~0`` unescaped); ValueError if bad."""
    try:
        return tuple(JsonPointer(pointer).parts)
    except JsonPointerException as exc:
        raise ValueError(str(exc)) from None


def make_pointer(parts: Iterator[Any] | tuple[Any, ...] | list[Any]) -> str:
    """A JSON Pointer from path parts (``~`` and ``/`` escaped)."""
    return str(JsonPointer.from_parts([str(part) for part in parts]).path)


def resolve(value: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` (parsed JSON Pointer) in ``value``, or None where a step is missing."""
    for key in path:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


# ---------------------------------------------------------------------- the compiled reader

#: the attribute a line keeps a field's raw value in, when it is converted on first use
PIECES_SLOT = "_pieces_raw"


def compile_reader(fields: Mapping[str, FieldDef]) -> Callable[[Any, Any], None]:
    """A function ``read_into(line, raw)`` setting every logical field of ``line`` (a
    :class:`~segur.mock_portal.controls.line.Line`) from the request ``raw`` (a dict).

    Reading a request is on the hot path (200 per file): the pointers are compiled into the
    straight-line code a person would write; a missing or non-object step reads as None; a value
    is converted by its field's codec, and one that cannot be read is set to None and recorded
    (``line.invalid``). Keys appear only as ``repr`` literals: a spec cannot inject code.
    """
    temps = {name: f"v{index}" for index, name in enumerate(fields)}
    statements = _field_reads({name: d.path for name, d in fields.items()}, temps)
    namespace: dict[str, Any] = {"Unreadable": Unreadable, "_bad": _record_bad}
    for index, (name, definition) in enumerate(fields.items()):
        temp = temps[name]
        if definition.kind == "pieces":
            statements.append(f"    target.{PIECES_SLOT} = {temp}")
        elif definition.kind == "text":
            statements.append(f"    target.{name} = {temp}")
        else:
            namespace[f"r{index}"] = definition.codec.read
            statements += [
                f"    if {temp} is None:",
                f"        target.{name} = None",
                "    else:",
                "        try:",
                f"            target.{name} = r{index}({temp})",
                "        except Unreadable as e:",
                f"            target.{name} = None",
                f"            _bad(target, {name!r}, e)",
            ]
    for name in FIELDS:
        if name not in fields:
            statements.append(f"    target.{PIECES_SLOT if FIELDS[name].kind == 'pieces' else name} = None")
    source = "\n".join(["def read_into(target, raw):", "    target.invalid = None", *statements])
    exec(compile(source, "<segur field reader>", "exec"), namespace)
    reader: Callable[[Any, Any], None] = namespace["read_into"]
    return reader


def _record_bad(target: Any, name: str, error: Unreadable) -> None:
    if target.invalid is None:
        target.invalid = {}
    target.invalid[name] = error


def _field_reads(fields: Mapping[str, tuple[str, ...]], targets: Mapping[str, str]) -> list[str]:
    """Statements reading each field's raw value into its target (a local variable).

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
        statements.append("    if type(raw) is not dict:")
        statements.append("        raw = {}")
        read((), "raw", "    ")
    return statements


# ---------------------------------------------------------------------- the loader


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest: dict[str, Any] = {}

    def _read_json(self, relative: str) -> Any:
        path = self.root / relative
        try:
            return orjson.loads(path.read_bytes())
        except FileNotFoundError:
            raise SpecError(f"{path}: file not found; a spec folder needs it (see spec.json)") from None
        except orjson.JSONDecodeError as exc:
            raise SpecError(f"{path}: not valid JSON ({exc})") from None

    def _need(self, data: Mapping[str, Any], key: str, where: str) -> Any:
        if not isinstance(data, Mapping) or key not in data:
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
        self.manifest = manifest
        layout = manifest.get("specFormat")
        if layout != SPEC_FORMAT:
            raise SpecError(
                f"{self.root / 'spec.json'}: specFormat {layout!r}; this kit reads spec folders of specFormat "
                f"{SPEC_FORMAT} (see the guide for spec authors, fixtures/README.md; `segur spec new DIR` writes one to start from)"
            )
        files = self._need(manifest, "files", "spec.json")
        schemas, registry = self._schemas(files, manifest)
        codes_file = self._need(files, "codes", "spec.json")
        codes_doc = self._read_json(codes_file)
        codes, rule_codes, pattern = self._codes(codes_doc, codes_file)
        calendar_file = self._need(files, "calendar", "spec.json")
        calendar = self._read_json(calendar_file)
        try:
            tz = ZoneInfo(self._need(calendar, "timezone", calendar_file))
        except ZoneInfoNotFoundError:
            raise SpecError(f"{self.root / calendar_file}: unknown time zone {calendar['timezone']!r}") from None
        afs = {
            name: self._af(name, af, tz, calendar_file) for name, af in calendar.get("appelsAFinancement", {}).items()
        }
        af_openings = {name: af.opens for name, af in afs.items()}
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
        deposit_types = self._deposit_types(manifest)
        profiles = self._profiles(manifest, deposit_types)
        unknown = sorted(set(windows) - set(profiles))
        if unknown:
            raise SpecError(f"{self.root / calendar_file}: windows for unknown profiles {unknown}")

        def build(name: str) -> jsonschema_rs.Validator:
            path = profiles[name].schema_path
            return self._validator(schemas[str(path)], path, registry)

        envelope_path = self.root / self._need(files, "envelope", "spec.json")
        fields = self._logical(manifest, "fields", FIELDS)
        document = self._logical(manifest.get("document", {}), "fields", DOCUMENT_FIELDS, where="document")
        for required in ("requests",):
            if required not in document:
                raise SpecError(
                    f"{self.root / 'spec.json'}: document.fields.{required}: where the file lists its requests "
                    "(a JSON Pointer) is required"
                )
        statuts = dict(self._need(manifest, "statuts", "spec.json"))
        missing = [key for key in STATUS_KEYS if key not in statuts]
        if missing:
            raise SpecError(
                f"{self.root / 'spec.json'}: statuts lacks the key(s) {', '.join(missing)}; the kit needs a label "
                f"for each of {', '.join(STATUS_KEYS)}"
            )
        previous = manifest.get("statutsPrecedents", {})
        if not isinstance(previous, Mapping) or any(
            key not in statuts or not isinstance(labels, list) or not all(isinstance(x, str) for x in labels)
            for key, labels in previous.items()
            if not key.startswith("$")
        ):
            raise SpecError(
                f"{self.root / 'spec.json'}: statutsPrecedents maps status keys of 'statuts' to the lists of "
                'labels they had before (e.g. {"incomplete": ["Incomplète"]})'
            )
        previous_statuses = {k: tuple(v) for k, v in previous.items() if not k.startswith("$")}
        clash = sorted({x for v in previous_statuses.values() for x in v} & set(statuts.values()))
        if clash:
            raise SpecError(f"{self.root / 'spec.json'}: statutsPrecedents names current labels {clash}")
        financed = self._need(manifest, "statutsFinances", "spec.json")
        unknown_status = [key for key in financed if key not in statuts]
        if unknown_status:
            raise SpecError(f"{self.root / 'spec.json'}: statutsFinances names unknown status keys {unknown_status}")
        return Spec(
            root=self.root,
            id=str(self._need(manifest, "id", "spec.json")),
            version=str(self._need(manifest, "version", "spec.json")),
            title=str(manifest.get("title", "")),
            model=bool(manifest.get("model", False)),
            format_versions=tuple(str(v) for v in self._need(manifest, "formatVersions", "spec.json")),
            profiles=profiles,
            deposit_types=deposit_types,
            vat_rates=tuple(float(v) for v in self._need(manifest, "vatRates", "spec.json")),
            limits={k: v for k, v in self._need(manifest, "limits", "spec.json").items() if isinstance(v, int)},
            pieces=self._pieces(manifest, fields, deposit_types),
            statuts=statuts,
            financed_statuses=frozenset(statuts[s] for s in financed),
            previous_statuses=previous_statuses,
            numbering=str(self._need(manifest, "numerotation", "spec.json")),
            fields=fields,
            document=document,
            read_into=compile_reader(fields),
            codes=codes,
            rule_codes=rule_codes,
            accepted_code=str(self._need(codes_doc, "acceptedCode", codes_file)),
            code_pattern=pattern,
            unenforced=tuple(str(rule) for rule in codes_doc.get("unenforced", [])),
            file_accepted_label=str(codes_doc.get("fileAcceptedLabel", "")),
            incomplete_label=str(codes_doc.get("incompleteLabel", "")),
            timezone=tz,
            af_openings=af_openings,
            afs=afs,
            af_labels={
                str(name): str(af.get("libelle", name)) for name, af in calendar.get("appelsAFinancement", {}).items()
            },
            windows=windows,
            mss_from=self._time(tz, mss["obligatoireA"], calendar_file) if "obligatoireA" in mss else None,
            mss_profiles=frozenset(mss.get("profiles", [])),
            ceilings=self._ceilings(ceilings_doc, ceilings_file),
            ceilings_model=bool(ceilings_doc.get("model", False)),
            requirements=self._requirements(files.get("requirements")),
            workflow=self._read_json(files["workflow"]) if files.get("workflow") else {},
            hand_checks=self._hand_checks(files.get("handChecks")),
            envelope_validator=self._validator(schemas[str(envelope_path)], envelope_path, registry),
            profile_validators=_LazyValidators(build, list(profiles)),
            history_validator=self._standalone(files.get("history")),
            schemas=schemas,
            files=dict(files),
            manifest=manifest,
        )

    def _af(self, name: str, raw: Any, tz: ZoneInfo, where: str) -> AppelAFinancement:
        place = f"{self.root / where}: appelsAFinancement.{name}"
        if not isinstance(raw, Mapping):
            raise SpecError(f"{place}: expected an object with 'ouverture'")
        days: dict[str, date | None] = {}
        for key in ("arrete", "publication"):
            text = raw.get(key)
            try:
                days[key] = date.fromisoformat(text) if text is not None else None
            except (TypeError, ValueError):
                raise SpecError(f"{place}.{key}: {text!r} is not an ISO date (expected e.g. 2022-02-12)") from None
        limit = raw.get("delaiBdcAvantDossierJours")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
            raise SpecError(f"{place}.delaiBdcAvantDossierJours: {limit!r} is not a whole number of days")
        return AppelAFinancement(
            name=name,
            libelle=str(raw.get("libelle", name)),
            opens=self._time(tz, self._need(raw, "ouverture", where), where),
            arrete=days["arrete"],
            publication=days["publication"],
            bdc_days_before_dossier=limit,
        )

    def _ceilings(self, doc: Any, where: str) -> dict[str, dict[str, Ceiling]]:
        """``plafonds``: software type → ESMS category → ``{"ht": euros, "ttc": euros}``, the AF's
        figures with two decimals; ``tvaReference`` (percent, default 20): the VAT rate of the TTC."""
        from .money import cents

        reference = doc.get("tvaReference", 20) if isinstance(doc, Mapping) else 20
        if not isinstance(reference, (int, float)) or isinstance(reference, bool) or not 0 <= reference < 100:
            raise SpecError(f"{self.root / where}: tvaReference {reference!r} is not a VAT rate in percent (e.g. 20)")
        out: dict[str, dict[str, Ceiling]] = {}
        for software, table in (doc.get("plafonds", {}) if isinstance(doc, Mapping) else {}).items():
            if not isinstance(table, Mapping):
                raise SpecError(f"{self.root / where}: plafonds.{software}: expected an object of ESMS categories")
            out[software] = {}
            for category, figures in table.items():
                place = f"{self.root / where}: plafonds.{software}.{category}"
                if not isinstance(figures, Mapping) or "ht" not in figures or "ttc" not in figures:
                    raise SpecError(
                        f'{place}: expected {{"ht": euros, "ttc": euros}}, the AF\'s ceiling HT and TTC '
                        f"(at {reference:g} % VAT) with two decimals, not {figures!r}"
                    )
                ht, ttc = cents(figures["ht"]), cents(figures["ttc"])
                if ht is None or ttc is None or ht <= 0 or ttc <= 0:
                    raise SpecError(f"{place}: ht and ttc must be positive amounts in euros with two decimals at most")
                out[software][str(category)] = Ceiling(ht, ttc, float(reference))
        return out

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

    def _codes(self, doc: Mapping[str, Any], where: str) -> tuple[dict[str, CodeEntry], dict[str, CodeEntry], str]:
        codes: dict[str, CodeEntry] = {}
        rules: dict[str, CodeEntry] = {}
        retired = {str(code) for code in doc.get("retired", [])}
        pattern = str(doc.get("codePattern", r"^[0-9]{4}$"))
        try:
            matcher = re.compile(pattern)
        except re.error as exc:
            raise SpecError(
                f"{self.root / where}: codePattern {pattern!r} is not a regular expression ({exc})"
            ) from None
        accepted = str(self._need(doc, "acceptedCode", where))
        for raw in self._need(doc, "codes", where):
            code = str(raw.get("code", ""))
            if not matcher.fullmatch(code) and code != accepted:
                raise SpecError(
                    f"{self.root / where}: code {code!r} does not match the catalogue's codePattern {pattern}"
                )
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
        if accepted not in codes:
            raise SpecError(f"{self.root / where}: the acceptedCode {accepted} has no entry in 'codes' (its label)")
        return codes, rules, pattern

    def _deposit_types(self, manifest: Mapping[str, Any]) -> dict[str, str]:
        types = dict(self._need(manifest, "depositTypes", "spec.json"))
        missing = [key for key in DEPOSIT_TYPE_KEYS if key not in types]
        if missing:
            raise SpecError(
                f"{self.root / 'spec.json'}: depositTypes lacks {', '.join(missing)}; it maps the kit's keys "
                f"{', '.join(DEPOSIT_TYPE_KEYS)} to the spec's request types"
            )
        return {key: str(value) for key, value in types.items()}

    def _profiles(self, manifest: Mapping[str, Any], deposit_types: Mapping[str, str]) -> dict[str, Profile]:
        profiles = {}
        keys = {value: key for key, value in deposit_types.items()}
        for name, raw in self._need(manifest, "profiles", "spec.json").items():
            type_demande = str(self._need(raw, "typeDemande", "spec.json"))
            if type_demande not in keys:
                raise SpecError(
                    f"{self.root / 'spec.json'}: profile {name}: typeDemande {type_demande!r} is not a value of "
                    f"depositTypes ({', '.join(keys)})"
                )
            profiles[name] = Profile(
                name=name,
                program=str(raw.get("programme", name.split("-", 1)[0])),
                couloir=str(self._need(raw, "couloir", "spec.json")),
                type_logiciel=str(self._need(raw, "typeLogiciel", "spec.json")),
                type_demande=type_demande,
                deposit_type=keys[type_demande],
                libelle=str(raw.get("libelle", name)),
                code_numerotation=str(raw.get("codeNumerotation", name.upper())),
                schema_path=self.root / self._need(raw, "schema", "spec.json"),
            )
        return profiles

    def _logical(
        self,
        container: Mapping[str, Any],
        key: str,
        known: Mapping[str, Any],
        *,
        where: str = "",
    ) -> dict[str, FieldDef]:
        prefix = f"{where}.{key}" if where else key
        raw_fields = container.get(key, {}) if isinstance(container, Mapping) else {}
        if not isinstance(raw_fields, Mapping):
            raise SpecError(f"{self.root / 'spec.json'}: {prefix} must be an object of logical fields")
        formats = self._formats()
        out: dict[str, FieldDef] = {}
        for name, declared in raw_fields.items():
            if name.startswith("$"):  # $comment
                continue
            place = f"{self.root / 'spec.json'}: {prefix}.{name}"
            if name not in known:
                raise SpecError(f"{place}: not a logical field of the kit; known: {', '.join(known)}")
            if isinstance(declared, str):
                declared = {"pointer": declared}
            if not isinstance(declared, Mapping) or not isinstance(declared.get("pointer"), str):
                raise SpecError(f'{place}: expected {{"pointer": "/…", "type": …}}')
            kind = known[name].kind
            stated = declared.get("type", kind)
            if stated == "list" and kind == "pieces":
                stated = kind
            if stated != kind:
                raise SpecError(f"{place}: type {stated!r}, but the kit reads this field as {kind!r}")
            try:
                path = parse_pointer(declared["pointer"])
                if not path:
                    raise ValueError("the pointer names the whole request")
                codec = make_codec(kind, declared, formats)
            except ValueError as exc:
                raise SpecError(f"{place}: {exc}") from None
            if kind == "enum":
                unknown = sorted(set(declared["values"]) - set(ENUM_KEYS.get(name, ())))
                if unknown:
                    raise SpecError(
                        f"{place}: values {unknown} are not keys the kit knows for {name} "
                        f"({', '.join(ENUM_KEYS.get(name, ()))})"
                    )
            out[name] = FieldDef(name, kind, path, make_pointer(path), codec)
        return out

    def _formats(self) -> dict[str, Any]:
        formats = self.manifest.get("formats", {})
        return dict(formats) if isinstance(formats, Mapping) else {}

    def _pieces(
        self, manifest: Mapping[str, Any], fields: Mapping[str, FieldDef], deposit_types: Mapping[str, str]
    ) -> Pieces:
        raw = manifest.get("pieces", {})
        where = f"{self.root / 'spec.json'}: pieces"
        declared = manifest.get("fields", {}).get("pieces") if isinstance(manifest.get("fields"), Mapping) else None
        if "pieces" not in fields or not isinstance(declared, Mapping):
            return Pieces((), ("role",), ("file",), {}, {}, {}, None)
        try:
            role_path = parse_pointer(str(self._need(declared, "role", "spec.json")))
            file_path = parse_pointer(str(self._need(declared, "file", "spec.json")))
        except ValueError as exc:
            raise SpecError(f"{self.root / 'spec.json'}: fields.pieces: {exc}") from None
        roles = dict(raw.get("roles", {}))
        unknown = sorted(set(roles) - set(PIECE_ROLES))
        if unknown:
            raise SpecError(f"{where}.roles: {unknown} are not roles the kit knows ({', '.join(PIECE_ROLES)})")
        required: dict[str, tuple[str, ...]] = {}
        for type_key, listed in raw.get("required", {}).items():
            if type_key not in deposit_types:
                raise SpecError(f"{where}.required: {type_key!r} is not a key of depositTypes")
            missing = [role for role in listed if role not in roles]
            if missing:
                raise SpecError(f"{where}.required.{type_key}: roles {missing} have no word in pieces.roles")
            required[type_key] = tuple(listed)
        flat = (role_path[0], file_path[0]) if len(role_path) == 1 and len(file_path) == 1 else None
        return Pieces(
            fields["pieces"].path,
            role_path,
            file_path,
            {role: str(word) for role, word in roles.items()},
            {str(word): role for role, word in roles.items()},
            required,
            flat,
        )

    def _hand_checks(self, relative: Any) -> dict[str, dict[str, Any]]:
        """The checks by hand (files.handChecks): each a check the kit knows, with its keys."""
        from .hand_catalogue import HAND_CHECKS

        if not relative:
            return {}
        document = self._read_json(str(relative))
        where = self.root / str(relative)
        checks = document.get("checks") if isinstance(document, Mapping) else None
        if not isinstance(checks, Mapping):
            raise SpecError(f"{where}: expected an object with 'checks' (check name → its words and label)")
        out: dict[str, dict[str, Any]] = {}
        for name, entry in checks.items():
            if name not in HAND_CHECKS:
                raise SpecError(f"{where}: checks.{name}: not a check the kit knows ({', '.join(HAND_CHECKS)})")
            if not isinstance(entry, Mapping):
                raise SpecError(f"{where}: checks.{name}: expected an object")
            for key in ("label", *HAND_CHECKS[name].keys):
                value = entry.get(key)
                empty = value is None or value == "" or value == [] or value == {}
                if empty or not isinstance(value, (str, list, dict)):
                    raise SpecError(f"{where}: checks.{name}.{key}: missing or empty (see fixtures/README.md)")
                if isinstance(value, list) and not all(isinstance(item, str) and item.strip() for item in value):
                    raise SpecError(f"{where}: checks.{name}.{key}: expected a list of non-empty texts")
            unknown = sorted(set(entry.get("values", {})) - set(ENUM_KEYS.get("mss_indicator", ())))
            if name == "va-mss-indicator" and unknown:
                raise SpecError(f"{where}: checks.{name}.values: {unknown} are not the kit's keys case_1, case_2")
            out[str(name)] = dict(entry)
        return out

    def _requirements(self, relative: str | None) -> dict[str, dict[str, str]]:
        if not relative:
            return {}
        import csv  # a table the conformance reports read, not the checks

        path = self.root / relative
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                return {row["id"]: row for row in csv.DictReader(handle)}
        except (OSError, KeyError) as exc:
            raise SpecError(
                f"{path}: unreadable requirements table ({exc}); expected a CSV with an 'id' column"
            ) from None
