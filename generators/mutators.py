"""Mutators: break a valid deposit so that the portal answers exactly one catalogue code.

A :class:`Scenario` holds everything a deposit is made of, as plain mutable data: the requests
as **logical values** (:mod:`segur.mock_portal.controls.fields`: the kit's field names, amounts
in cents, dates as dates), the stored requests (``history``, the JSON form of the kit's history
file), what is chosen at deposit (``deposit``: type, vat, ans, at, enrolments, mode), edits of
the written file that no logical value can express (a value of the wrong form, a field left
out, one the format does not have), how the file's bytes are written (:class:`FilePlan`) and the
zip of attachments (:class:`ZipPlan`). A mutator changes it, minimally and the way an editor's
software might get it wrong, so that :func:`~segur.mock_portal.controls.check_deposit` answers
its code on the lines broken and "0000" on every other line (a file-level code rejects the
whole file; an archive-level attachment code, e.g. an unreadable zip, is reported on every line).

Mutators are registered by **rule name** (``codes.json`` binds rules to codes); they are
exposed by code through the spec, so a renumbered catalogue keeps working. The spec's writer
puts the logical values in its format, so the same mutators break files of any spec::

    scenario = Scenario.from_drawn(drawn, spec)
    broken = mutate(scenario, spec.code_of("amount-ttc"), [0, 2], spec)
    data, deposit, history, zip_path, mode = materialise(scenario, tmp_path)

:func:`flaw` does the same for a check by hand of the gestionnaire (a warning, never a code): the
pieces of the lines given leave out what that check reads.

A mutator that cannot break the spec in force for its rule (a representation that cannot carry
the mistake, a format without the field it needs) raises :class:`NotApplicable`.
"""

from __future__ import annotations

import copy
import dataclasses
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import orjson
from segur.mock_portal.controls import Deposit, Enrolment, InMemoryHistory, Spec, history_from_json
from segur.mock_portal.controls.context import StoredRequest, history_document
from segur.mock_portal.controls.hand_checks import HAND_CHECKS
from segur.mock_portal.controls.spec import parse_pointer, resolve
from segur.mock_portal.controls.writer import put, remove, request_shape
from stdnum import luhn

from .archive import write_zip
from .bundle import replicate
from .documents import bundle_pieces
from .pdf import pdf_document, pdf_with_objects
from .provider import ttc_cents
from .strategies import written_document

Scope = Literal["file", "line", "archive"]
Apply = Callable[["Scenario", "Sequence[int]", Spec], None]
#: the deposit types (the kit's keys) a mutator applies to
AVANCES = ("avance",)
SOLDES = ("solde",)
BOTH = ("avance", "solde")


class NotApplicable(ValueError):
    """The spec in force cannot be broken this way for this rule (said why)."""


# -- the scenario ------------------------------------------------------------------------------


@dataclass
class FilePlan:
    """How the file's bytes are written from the bundle: ``encoding`` (a Python codec, the
    characters it lacks replaced), bytes put before it (``prefix``, e.g. a BOM), and
    ``truncate`` (keep only the first N bytes; negative: drop the last -N)."""

    encoding: str = "utf-8"
    prefix: bytes = b""
    truncate: int | None = None

    def render(self, bundle: Any) -> bytes:
        text = orjson.dumps(bundle).decode("utf-8")
        data = text.encode(self.encoding, errors="replace")
        if self.truncate is not None:
            data = data[: self.truncate]
        return self.prefix + data


@dataclass
class ZipPlan:
    """The zip of attachments as a list of members (name, bytes) written in order (a name may
    appear twice), the names written DEFLATE-compressed (``deflated``, the others stored),
    and what replaces a real archive: ``absent`` (no zip given), ``oversize`` (a sparse file
    of that many bytes), ``raw`` (these bytes, not a zip). An unsafe name is a member too."""

    members: list[tuple[str, bytes]] = field(default_factory=list)
    deflated: set[str] = field(default_factory=set)
    absent: bool = False
    oversize: int | None = None
    raw: bytes | None = None

    def names(self) -> list[str]:
        return [name for name, _ in self.members]

    def put(self, name: str, content: bytes) -> None:
        """Replace the member ``name`` (every copy of it), or add it."""
        if name in self.names():
            self.members = [(n, content if n == name else c) for n, c in self.members]
        else:
            self.members.append((name, content))

    def remove(self, name: str) -> None:
        self.members = [(n, c) for n, c in self.members if n != name]


@dataclass
class Edit:
    """An edit of the written file: ``op`` "set" or "drop" at ``path`` in request ``line`` (or
    in the document when ``line`` is None); "requests-as-object" gives the first request as
    the list of requests."""

    op: str
    line: int | None = None
    path: tuple[str, ...] = ()
    value: Any = None


@dataclass
class Scenario:
    """A deposit as mutable data. ``requests``: logical values per line. ``deposit`` keys:
    ``type`` ("avance"/"solde"), ``vat``, ``ans`` (None: the first line's), ``at`` (a datetime,
    None: the calendar's default), ``enrolments`` (None, or a list of ``{"numeroAns",
    "couloir", "typeLogiciel"}``) and ``mode`` ("simulation"/"import"). ``zip`` None: no zip
    given (a simulation then checks the JSON alone)."""

    requests: list[dict[str, Any]]
    history: list[StoredRequest]
    deposit: dict[str, Any]
    profile: str
    spec: Spec = field(repr=False)
    format_version: str | None = None
    edits: list[Edit] = field(default_factory=list)
    file: FilePlan = field(default_factory=FilePlan)
    zip: ZipPlan | None = None
    #: by line (0-based), the checks by hand whose words its pieces leave out (:func:`flaw`)
    flaws: dict[int, set[str]] = field(default_factory=dict)

    @classmethod
    def from_drawn(cls, drawn: Any, spec: Spec | None = None) -> Scenario:
        """A scenario of a valid :class:`~segur.generators.strategies.Drawn` (copied, never shared)."""
        return cls(
            requests=copy.deepcopy(drawn.requests),
            history=list(history_from_json(history_document(drawn.history)).requests),
            deposit={
                "type": drawn.deposit_type,
                "vat": drawn.taux_tva,
                "ans": None,
                "at": None,
                "enrolments": None,
                "mode": "simulation",
            },
            profile=drawn.profile,
            spec=spec if spec is not None else drawn.spec,
        )

    @property
    def lines(self) -> list[dict[str, Any]]:
        """The same as ``requests``."""
        return self.requests

    def document(self) -> Any:
        """The file's document in the spec's format, edits applied."""
        spec = self.spec
        document: Any = written_document(self.requests, self.profile, spec)
        if self.format_version is not None and "format_version" in spec.document:
            put(document, spec.document["format_version"].path, self.format_version)
        listed = spec.document["requests"].path
        for edit in self.edits:
            if edit.op == "requests-as-object":
                put(document, listed, resolve(document, listed)[0])
                continue
            target = document if edit.line is None else resolve(document, listed)[edit.line]
            if edit.op == "set":
                put(target, edit.path, edit.value)
            elif edit.op == "drop":
                remove(target, edit.path)
        return document

    def data(self) -> bytes:
        """The file's bytes as deposited."""
        return self.file.render(self.document())

    def history_document(self) -> dict[str, Any]:
        """The stored requests as the kit's history file."""
        return history_document(stored.to_json() for stored in self.history)

    def deposit_time(self, spec: Spec) -> datetime:
        at: datetime | None = self.deposit.get("at")
        if at is not None:
            return at
        return spec.default_deposit_time(self.profile, spec.deposit_types[self.deposit["type"]])

    def piece_names(self, spec: Spec, index: int) -> list[str]:
        """The file names the pieces of line ``index`` reference."""
        return [name for _role, name in self.requests[index].get("pieces") or []]

    def with_zip(self, spec: Spec) -> ZipPlan:
        """The zip plan, made if there is none yet: every referenced piece the generators'
        document of its line (carrying what the spec's checks by hand look for)."""
        if self.zip is None:
            self.zip = ZipPlan(members=list(bundle_pieces(self.requests, spec, flaws=self._flaws())))
        return self.zip

    def _flaws(self) -> dict[int, frozenset[str]]:
        return {index: frozenset(checks) for index, checks in self.flaws.items()}


@lru_cache(maxsize=4)
def default_pdf(size: int | None = None) -> bytes:
    """A real one-page PDF (of exactly ``size`` bytes when given), made once."""
    return pdf_document("Pièce justificative", ["Pièce justificative de test"], size=size)


# -- helpers --------------------------------------------------------------------------------------


def _other_digit(value: str) -> str:
    """The same identifier with its last digit changed: its Luhn key no longer matches."""
    return value[:-1] + str((int(value[-1]) + 1) % 10)


def _luhn_number(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def _profile_of(scenario: Scenario, spec: Spec) -> Any:
    return spec.profiles[scenario.profile]


def _need(spec: Spec, rule: str, *names: str) -> None:
    missing = [name for name in names if name not in spec.fields]
    if missing:
        raise NotApplicable(f"{rule}: the spec {spec.label} has no field {', '.join(missing)}")


def _ceiling_cents(scenario: Scenario, spec: Spec, line: dict[str, Any]) -> int | None:
    """The line's ceiling at the VAT rate chosen at deposit (HT × (1 + rate)), in cents."""
    ceiling = spec.ceilings.get(_profile_of(scenario, spec).type_logiciel, {}).get(str(line.get("site_category")))
    return None if ceiling is None else ceiling.at_rate(float(scenario.deposit["vat"]))


def _avance_covers(scenario: Scenario, index: int) -> None:
    """The stored avance a solde line closes declared at least what the line now requests (a
    mutator that raises a solde's amount breaks its own rule, not solde-over-avance)."""
    line = scenario.requests[index]
    numero, requested = line.get("avance_number"), line.get("amount_requested")
    if numero is None or not isinstance(requested, int):
        return
    for position, stored in enumerate(scenario.history):
        if (
            stored.numero_demande == numero
            and stored.montant_demande is not None
            and stored.montant_demande < requested
        ):
            scenario.history[position] = dataclasses.replace(stored, montant_demande=requested)


def _set_amounts(line: dict[str, Any], ht: int, requested: int | None = None) -> None:
    """Set HT (and the order form's Ségur HT), TTC (and a solde's invoice) consistently."""
    ttc = ttc_cents(ht, float(line["vat_rate"]))
    line["amount_ht"] = ht
    line["bdc_segur_amount"] = ht
    line["amount_ttc"] = ttc
    if line.get("invoice_amount") is not None:
        line["invoice_amount"] = ttc
    if requested is not None:
        line["amount_requested"] = requested


def _history_number(scenario: Scenario, spec: Spec, type_key: str, serial: int) -> str:
    """A stored request's ASP number of the scenario's software, in the spec's format."""
    found = spec.sibling(_profile_of(scenario, spec), type_key) or _profile_of(scenario, spec)
    year = scenario.deposit_time(spec).astimezone(spec.timezone).year
    return spec.numbering.format(code=found.code_numerotation, annee=year, sequence=900000 + serial)


def _stored(scenario: Scenario, spec: Spec, type_key: str, serial: int, **values: Any) -> StoredRequest:
    profile = _profile_of(scenario, spec)
    return StoredRequest(
        numero_demande=_history_number(scenario, spec, type_key, serial),
        type_demande=spec.deposit_types[type_key],
        couloir=profile.couloir,
        type_logiciel=profile.type_logiciel,
        statut=values.pop("statut", spec.statuts["enAttente"]),
        **values,
    )


def _replace_avance(scenario: Scenario, index: int, **changes: Any) -> None:
    """Change the stored avance line ``index`` closes."""
    numero = scenario.requests[index].get("avance_number")
    for position, stored in enumerate(scenario.history):
        if stored.numero_demande == numero:
            scenario.history[position] = dataclasses.replace(stored, **changes)
            return
    raise ValueError(f"line {index + 1}: no stored avance {numero!r} in the scenario's history")


# -- the registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutator:
    """How to break a scenario for one rule. ``scope``: "file" (the whole file rejected),
    "line" (the lines given), "archive" (the zip as a whole: every line). ``types``: the
    deposit types (the kit's keys) it applies to, the first the default. ``clean_first``: the
    first line must stay valid (a duplicate needs an earlier line to copy). ``min_lines``:
    lines the file needs."""

    rule: str
    apply: Apply
    scope: Scope = "line"
    types: tuple[str, ...] = BOTH
    clean_first: bool = False
    min_lines: int = 1
    needs_zip: bool = False
    doc: str = ""

    def __call__(self, scenario: Scenario, lines: Sequence[int], spec: Spec) -> tuple[int, ...]:
        return _apply(self, scenario, lines, spec)

    def profiles_in(self, spec: Spec) -> tuple[str, ...]:
        """The spec's profiles this mutator applies to, those of its first type first."""
        return tuple(p.name for kind in self.types for p in spec.profiles.values() if p.deposit_type == kind)


#: mutators by rule name (the catalogue's ``rule``)
RULE_MUTATORS: dict[str, Mutator] = {}


def mutator(
    rule: str,
    *,
    scope: Scope = "line",
    types: tuple[str, ...] = BOTH,
    clean_first: bool = False,
    min_lines: int = 1,
    needs_zip: bool = False,
) -> Callable[[Apply], Apply]:
    def register(function: Apply) -> Apply:
        doc = (function.__doc__ or "").strip()
        RULE_MUTATORS[rule] = Mutator(rule, function, scope, types, clean_first, min_lines, needs_zip, doc)
        return function

    return register


def mutators(spec: Spec) -> dict[str, Mutator]:
    """The mutators by catalogue code, through the rules ``spec``'s catalogue binds."""
    return {code: RULE_MUTATORS[entry.rule] for code, entry in spec.codes.items() if entry.rule in RULE_MUTATORS}


def mutator_for(code: str, spec: Spec) -> Mutator:
    """The mutator of a catalogue code (or of a rule name)."""
    entry = spec.codes.get(code) or spec.rule_codes.get(code)
    if entry is None:
        raise LookupError(f"code {code} is not in the catalogue {spec.root / 'codes.json'}")
    if entry.rule is None or entry.rule not in RULE_MUTATORS:
        raise LookupError(f"no mutator for code {entry.code} (rule {entry.rule!r})")
    return RULE_MUTATORS[entry.rule]


def _apply(found: Mutator, scenario: Scenario, lines: Sequence[int], spec: Spec) -> tuple[int, ...]:
    count = len(scenario.requests)
    if found.scope != "line":
        chosen: tuple[int, ...] = tuple(range(count))
    else:
        chosen = tuple(sorted(set(lines)))
        if not chosen:
            raise ValueError(f"{found.rule}: give at least one line to break")
        if chosen[0] < 0 or chosen[-1] >= count:
            raise ValueError(f"{found.rule}: lines are 0-based indexes below {count}, not {list(chosen)}")
        if found.clean_first and chosen[0] == 0:
            raise ValueError(f"{found.rule}: the first line must stay valid (the broken lines copy it)")
    if count < found.min_lines:
        raise ValueError(f"{found.rule}: needs a file of at least {found.min_lines} lines, not {count}")
    if spec.profiles[scenario.profile].deposit_type not in found.types:
        raise ValueError(
            f"{found.rule}: applies to {', '.join(found.types)} requests, not to {scenario.profile}; "
            f"profiles: {', '.join(found.profiles_in(spec))}"
        )
    if found.needs_zip:
        scenario.deposit["mode"] = "import"
        scenario.with_zip(spec)
    found.apply(scenario, chosen, spec)
    return chosen


def mutate(scenario: Scenario, code: str, lines: Sequence[int], spec: Spec) -> tuple[int, ...]:
    """Break ``scenario`` in place for catalogue ``code`` (or a rule name) on ``lines`` (0-based;
    ignored, and every line taken, for file-level and zip-wide codes). Returns the lines that
    now answer ``code``."""
    return _apply(mutator_for(code, spec), scenario, lines, spec)


def flaw(scenario: Scenario, check: str, lines: Sequence[int], spec: Spec) -> tuple[int, ...]:
    """Write the pieces of ``lines`` (0-based) without what the check by hand ``check`` reads
    (the State's mention, the signature block, the VA's signer on the invoice…): the portal's
    controls still accept them, a gestionnaire would send them back « À modifier », the kit
    warns. Returns the lines flawed; ValueError when a line has no piece the check reads."""
    if check not in spec.hand_checks:
        known = ", ".join(spec.hand_checks) or "none"
        raise LookupError(f"{check!r} is not a check by hand of the spec {spec.label} ({known})")
    roles = set(HAND_CHECKS[check].roles)
    chosen = tuple(sorted(set(lines)))
    if not chosen or chosen[0] < 0 or chosen[-1] >= len(scenario.requests):
        raise ValueError(f"{check}: lines are 0-based indexes below {len(scenario.requests)}, not {list(lines)}")
    for index in chosen:
        held = {role for role, _name in scenario.requests[index].get("pieces") or []}
        if not roles <= held:
            raise ValueError(
                f"{check}: line {index + 1} has no piece of role {', '.join(sorted(roles - held))} to flaw "
                f"(it reads the pieces of {', '.join(sorted(roles))})"
            )
    plan = scenario.with_zip(spec)
    for index in chosen:
        scenario.flaws.setdefault(index, set()).add(check)
    flaws = scenario._flaws()
    for name, content in bundle_pieces(scenario.requests, spec, flaws=flaws):
        if name in {piece for index in chosen for piece in scenario.piece_names(spec, index)}:
            plan.put(name, content)
    return chosen


def materialise(scenario: Scenario, out_dir: Path) -> tuple[bytes, Deposit, InMemoryHistory, Path | None, str]:
    """The deposit ready for ``check_deposit``: the file's bytes, the :class:`Deposit`, the
    stored requests, the zip (written under ``out_dir``; None when none is given) and the mode."""
    deposit = scenario.deposit
    enrolments = deposit.get("enrolments")
    built = Deposit(
        type_demande=deposit["type"],
        taux_tva=deposit["vat"],
        at=deposit.get("at"),
        numero_ans=deposit.get("ans"),
        enrolments=tuple(Enrolment(*enrolment) for enrolment in enrolments) if enrolments is not None else None,
        corrected_at=deposit.get("corrected_at"),
    )
    history = InMemoryHistory(scenario.history, rejected_status=scenario.spec.statuts.get("rejetee"))
    return scenario.data(), built, history, _write_zip(scenario.zip, out_dir), deposit["mode"]


def _write_zip(plan: ZipPlan | None, out_dir: Path) -> Path | None:
    if plan is None or plan.absent:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "pieces.zip"
    if plan.oversize is not None:
        with path.open("wb") as handle:
            handle.truncate(plan.oversize)  # sparse: nothing written on most file systems
        return path
    if plan.raw is not None:
        path.write_bytes(plan.raw)
        return path
    first: dict[str, bytes] = {}
    rest: list[tuple[str, bytes, int]] = []
    for name, content in plan.members:  # the first copy of each stored name, then the others in order
        if name in plan.deflated:
            rest.append((name, content, zipfile.ZIP_DEFLATED))
        elif name in first:
            rest.append((name, content, zipfile.ZIP_STORED))
        else:
            first[name] = content
    write_zip(path, first.items(), compression=zipfile.ZIP_STORED)
    if rest:
        with zipfile.ZipFile(path, "a") as archive, warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Duplicate name", UserWarning)  # a broken zip on purpose
            for name, content, compression in rest:
                info = zipfile.ZipInfo(name, date_time=(2024, 1, 15, 9, 0, 0))
                info.compress_type = compression
                info.external_attr = 0o644 << 16
                archive.writestr(info, content)
    return path


# -- file level ------------------------------------------------------------------------------------


@mutator("file-encoding", scope="file")
def _file_encoding(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The file saved in Latin-1 (Windows' habit) with an accented name in it."""
    name = next((n for n in ("site_city", "site_name", "manager_name", "software_name") if n in spec.fields), None)
    if name is None:
        raise NotApplicable("file-encoding: the spec maps no free-text field to put an accent in")
    scenario.requests[0][name] = "Saint-André-les-Vergers"
    scenario.file.encoding = "latin-1"


@mutator("file-bom", scope="file")
def _file_bom(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A UTF-8 byte order mark before the JSON (Notepad's habit)."""
    scenario.file.prefix = b"\xef\xbb\xbf"


@mutator("file-json", scope="file")
def _file_json(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The file cut before its closing brace (an interrupted upload)."""
    scenario.file.truncate = -1


@mutator("file-structure", scope="file")
def _file_structure(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The requests given as one object, not a list."""
    scenario.edits.append(Edit("requests-as-object"))


@mutator("file-empty", scope="file")
def _file_empty(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A file with no request."""
    scenario.requests.clear()


@mutator("file-too-many", scope="file")
def _file_too_many(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """One request more than the limit (distinct requests made from the first)."""
    first = scenario.requests[0]
    scenario.requests[:] = replicate(first, spec.limits["maxDemandes"] + 1, words=spec.pieces.roles)


def _other_software(scenario: Scenario, spec: Spec) -> str:
    profile = _profile_of(scenario, spec)
    for other in spec.profiles.values():
        if other.couloir == profile.couloir and other.type_logiciel != profile.type_logiciel:
            return other.type_logiciel
    raise NotApplicable(f"the spec has no other software type than {profile.type_logiciel} in {profile.couloir}")


@mutator("file-mixed-profile", scope="file")
def _file_mixed(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The last request for the other software type (two programmes in one file)."""
    _need(spec, "file-mixed-profile", "software_type")
    if len(scenario.requests) == 1:
        scenario.requests += replicate(scenario.requests[0], 1, prefix="MIX", words=spec.pieces.roles)
    scenario.requests[-1]["software_type"] = _other_software(scenario, spec)


@mutator("file-deposit-type", scope="file")
def _file_deposit_type(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The other request type chosen on the deposit screen."""
    scenario.deposit["type"] = next(key for key in spec.deposit_types if key != scenario.deposit["type"])


def _ans(scenario: Scenario) -> str:
    return str(scenario.requests[0]["ans_number"])


@mutator("file-ans-not-enrolled", scope="file")
def _file_ans_not_enrolled(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The depositor is enrolled for another solution only."""
    profile = _profile_of(scenario, spec)
    scenario.deposit["enrolments"] = [(_other_ans(_ans(scenario)), profile.couloir, profile.type_logiciel)]


@mutator("file-ans-profile", scope="file")
def _file_ans_profile(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The ANS number the file carries is enrolled for the other software type."""
    profile = _profile_of(scenario, spec)
    scenario.deposit["enrolments"] = [(_ans(scenario), profile.couloir, _other_software(scenario, spec))]


@mutator("file-window", scope="file")
def _file_window(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Deposited the minute the window closes."""
    scenario.deposit["at"] = spec.windows[scenario.profile].closes


@mutator("file-unknown-profile", scope="file")
def _file_unknown_profile(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Every request of a corridor the portal does not take (another corridor's name)."""
    _need(spec, "file-unknown-profile", "corridor")
    known = {p.couloir for p in spec.profiles.values()}
    other = next(f"{c}X" for c in ("HOP", "OFF", "RAD", "BIO") if f"{c}X" not in known)
    for line in scenario.requests:
        line["corridor"] = other


@mutator("file-depth", scope="file")
def _file_depth(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A field the format does not have, of lists within lists, in the first request: its file
    nests one level deeper than the spec allows (the file, its list of requests and a request are
    three levels at least: the first request's path from the root tells)."""
    from segur.mock_portal.controls.depth import DEFAULT_MAX_DEPTH

    maximum = int(spec.limits.get("maxProfondeur", DEFAULT_MAX_DEPTH))
    above = len(parse_pointer(spec.document["requests"].pointer)) + 2  # the root, the path, the list and the request
    nested: Any = []
    for _ in range(max(0, maximum - above)):
        nested = [nested]
    scenario.edits.append(Edit("set", 0, ("annexeImbriquee",), nested))


@mutator("file-format-version", scope="file")
def _file_format_version(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A format version the portal does not know yet (next major)."""
    if "format_version" not in spec.document:
        raise NotApplicable("file-format-version: the spec's files carry no format version")
    majors = [int(v.split(".")[0]) for v in spec.format_versions if v.split(".")[0].isdigit()]
    scenario.format_version = f"{max(majors, default=0) + 1}.0"


def _other_ans(numero: str) -> str:
    head, _, tail = numero.rpartition("-")
    if tail.isdigit():
        return f"{head}-{(int(tail) + 1) % 10 ** len(tail):0{len(tail)}d}"
    return numero + "-2"


# -- line level: the schema ------------------------------------------------------------------------


def _required_field(scenario: Scenario, spec: Spec) -> tuple[str, ...]:
    """A field the schema requires of every request and the kit writes (the order form's date
    when the spec requires it)."""
    required, _ = request_shape(scenario.profile, spec)
    mapped = {definition.path: name for name, definition in spec.fields.items()}
    preferred = [spec.fields[n].path for n in ("bdc_date", "bdc_number", "line_reference") if n in spec.fields]
    for path in [*preferred, *required]:
        if path in required and path in mapped:
            return path
    if required:
        return required[-1]
    raise NotApplicable("line-required: the schema requires no field of a request")


@mutator("line-required")
def _line_required(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A field the format requires left out (the order form's signature date)."""
    path = _required_field(scenario, spec)
    for i in lines:
        scenario.edits.append(Edit("drop", i, path))


@mutator("line-format")
def _line_format(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The order form signed on 30 February (a date that does not exist)."""
    _need(spec, "line-format", "bdc_date")
    definition = spec.fields["bdc_date"]
    for i in lines:
        year = scenario.requests[i]["bdc_date"].year
        scenario.edits.append(Edit("set", i, definition.path, definition.codec.impossible(year)))  # type: ignore[attr-defined]


@mutator("line-unknown-field")
def _line_unknown_field(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A free comment the format does not have."""
    _, closed = request_shape(scenario.profile, spec)
    if not closed:
        raise NotApplicable("line-unknown-field: the schema lets a request carry fields it does not list")
    where = min(closed, key=len)
    for i in lines:
        scenario.edits.append(Edit("set", i, (*where, "commentaireLibre"), "À traiter en priorité"))


# -- line level: identifiers ---------------------------------------------------------------------


@mutator("siren-key")
def _siren_key(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A typo in the SIREN's last digit."""
    _need(spec, "siren-key", "manager_siren")
    for i in lines:
        line = scenario.requests[i]
        line["manager_siren"] = _other_digit(line["manager_siren"])


@mutator("siret-key", types=AVANCES)
def _siret_key(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A typo in the SIRET's last digit (a site given by FINESS only gets a mistyped SIRET)."""
    _need(spec, "siret-key", "site_siret")
    for i in lines:
        line = scenario.requests[i]
        siret = line.get("site_siret")
        if siret is None:
            siret = _luhn_number(f"{line['manager_siren']}{9000 + i % 1000:04d}")
        line["site_siret"] = _other_digit(siret)


@mutator("siret-siren", types=AVANCES)
def _siret_siren(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The site's SIRET is under another SIREN than its organisme's (a valid one)."""
    _need(spec, "siret-siren", "site_siret", "manager_siren")
    for i in lines:
        line = scenario.requests[i]
        siren = str(line["manager_siren"])
        other = _luhn_number(f"{(int(siren[:8]) + 1) % 10**8:08d}")
        siret = line.get("site_siret")
        nic = siret[9:13] if siret is not None else f"{9000 + i % 1000:04d}"
        line["site_siret"] = _luhn_number(other + nic)


@mutator("finess-key", types=AVANCES)
def _finess_key(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A typo in the last digit of the site's FINESS (the legal entity's when the site has none)."""
    for i in lines:
        line = scenario.requests[i]
        name = (
            "site_finess" if line.get("site_finess") is not None and "site_finess" in spec.fields else "manager_finess"
        )
        _need(spec, "finess-key", name)
        line[name] = _other_digit(line[name])


@mutator("site-identifier", types=AVANCES)
def _site_identifier(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Neither FINESS géographique nor SIRET for the site."""
    for i in lines:
        scenario.requests[i].pop("site_finess", None)
        scenario.requests[i].pop("site_siret", None)


# -- line level: dates ---------------------------------------------------------------------------


@mutator("date-future")
def _date_future(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Dated the day after the deposit: a solde's invoice, an avance's order form."""
    tomorrow = scenario.deposit_time(spec).astimezone(spec.timezone).date() + timedelta(days=1)
    for i in lines:
        line = scenario.requests[i]
        name = "invoice_date" if line.get("invoice_date") is not None and "invoice_date" in spec.fields else "bdc_date"
        _need(spec, "date-future", name)
        line[name] = tomorrow


@mutator("bdc-before-af")
def _bdc_before_af(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The order form signed the day before the appel à financement opened (the eve of its
    arrêté's publication)."""
    _need(spec, "bdc-before-af", "bdc_date")
    window = spec.windows[scenario.profile]
    opening = spec.af_openings[window.af].astimezone(spec.timezone).date()
    for i in lines:
        scenario.requests[i]["bdc_date"] = opening - timedelta(days=1)


@mutator("bdc-after-window", types=SOLDES)
def _bdc_after_window(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The solde's order form dated the day after its avance window closed (its VA and invoice
    follow it): an order signed too late for the programme."""
    _need(spec, "bdc-after-window", "bdc_date")
    profile = _profile_of(scenario, spec)
    avance = spec.sibling(profile, "avance") or profile
    closes = spec.windows[avance.name].closes.astimezone(spec.timezone).date()
    late = closes + timedelta(days=1)
    if scenario.deposit_time(spec).astimezone(spec.timezone).date() < late:
        raise ValueError(f"bdc-after-window: a solde deposited after {late:%d/%m/%Y} is needed")
    for i in lines:
        line = scenario.requests[i]
        line["bdc_date"] = late
        for name in ("va_date", "invoice_date"):
            if line.get(name) is not None and line[name] < late:
                line[name] = late


def _late_solution(scenario: Scenario, spec: Spec) -> tuple[str, Any, Any]:
    """An ANS number of the référentiel for the scenario's software whose dossier dates leave
    room for an order form refused by bdc-before-referencement: (number, earliest day allowed,
    the AF's opening day)."""
    profile = _profile_of(scenario, spec)
    af = spec.af_of(profile.name)
    if af is None or af.bdc_days_before_dossier is None:
        raise NotApplicable(f"bdc-before-referencement: the AF of {profile.name} sets no limit in days")
    opening = af.opens.astimezone(spec.timezone).date()
    for numero, solution in spec.referencement().get("solutions", {}).items():
        if (solution.get("couloir"), solution.get("typeLogiciel")) != (profile.couloir, profile.type_logiciel):
            continue
        dossier, referenced = spec.solution_dates(numero)
        if dossier is None:
            continue
        earliest = dossier - timedelta(days=af.bdc_days_before_dossier)
        too_early = earliest - timedelta(days=1)
        if too_early >= opening and (referenced is None or too_early < referenced):
            return numero, earliest, opening
    raise NotApplicable(
        f"bdc-before-referencement: no solution of the référentiel for {profile.type_logiciel} has a dossier date "
        "leaving room for an order form signed too early after the AF opened"
    )


@mutator("bdc-before-referencement", types=AVANCES)
def _bdc_before_referencement(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A software referenced late: the file is deposited under its ANS number, and the order form
    is signed the day before the earliest day its complete proof dossier allows (the other lines
    signed no earlier than that day)."""
    _need(spec, "bdc-before-referencement", "bdc_date", "ans_number")
    numero, earliest, _opening = _late_solution(scenario, spec)
    if scenario.deposit_time(spec).astimezone(spec.timezone).date() < earliest:
        raise ValueError(f"bdc-before-referencement: a deposit after {earliest:%d/%m/%Y} is needed")
    scenario.deposit["ans"] = numero
    chosen = set(lines)
    for i, line in enumerate(scenario.requests):
        line["ans_number"] = numero
        line["bdc_date"] = earliest - timedelta(days=1) if i in chosen else max(line["bdc_date"], earliest)


@mutator("va-before-bdc", types=SOLDES)
def _va_before_bdc(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The VA dated the day before the order form was signed."""
    _need(spec, "va-before-bdc", "va_date", "bdc_date")
    for i in lines:
        line = scenario.requests[i]
        line["va_date"] = line["bdc_date"] - timedelta(days=1)


# -- line level: amounts -------------------------------------------------------------------------


@mutator("amount-decimals")
def _amount_decimals(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The requested amount with a third decimal (a computed amount not rounded)."""
    _need(spec, "amount-decimals", "amount_requested")
    definition = spec.fields["amount_requested"]
    for i in lines:
        raw = definition.codec.with_third_decimal(scenario.requests[i]["amount_requested"])
        if raw is None:
            raise NotApplicable(f"amount-decimals: amounts of this spec are {definition.codec.describe()}")
        scenario.edits.append(Edit("set", i, definition.path, raw))


@mutator("amount-ttc")
def _amount_ttc(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """TTC one cent above HT × (1 + VAT)."""
    for i in lines:
        scenario.requests[i]["amount_ttc"] += 1


@mutator("amount-requested-positive")
def _amount_requested_positive(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Nothing requested (0 €)."""
    for i in lines:
        scenario.requests[i]["amount_requested"] = 0


@mutator("amount-ceiling")
def _amount_ceiling(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """One cent requested over the ceiling; the order's HT raised so that TTC covers it."""
    for i in lines:
        line = scenario.requests[i]
        ceiling = _ceiling_cents(scenario, spec, line)
        if ceiling is None:
            raise ValueError(f"line {i + 1}: its ESMS category has no ceiling")
        rate = float(line["vat_rate"])
        ht = max(line["amount_ht"], (ceiling + 1) * 10000 // (10000 + round(rate * 100)))
        while ttc_cents(ht, rate) < ceiling + 1:
            ht += 1
        _set_amounts(line, ht, ceiling + 1)
        _avance_covers(scenario, i)


@mutator("bdc-segur-amount")
def _bdc_segur_amount(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The order form shows no Ségur amount (0)."""
    _need(spec, "bdc-segur-amount", "bdc_segur_amount")
    for i in lines:
        scenario.requests[i]["bdc_segur_amount"] = 0


@mutator("amount-requested-over-ttc")
def _amount_requested_over_ttc(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """One cent requested over the order's TTC (HT lowered, if need be, to stay under the ceiling)."""
    for i in lines:
        line = scenario.requests[i]
        ceiling = _ceiling_cents(scenario, spec, line)
        rate = float(line["vat_rate"])
        ht = line["amount_ht"]
        if ceiling is not None:
            while ht > 1 and ttc_cents(ht, rate) + 1 > ceiling:
                ht = min(ht - 1, (ceiling - 1) * 10000 // (10000 + round(rate * 100)))
        _set_amounts(line, ht, ttc_cents(ht, rate) + 1)
        _avance_covers(scenario, i)


@mutator("vat-deposit")
def _vat_deposit(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Another VAT rate than the one chosen at deposit (TTC and requested amount follow it)."""
    deposit_rate = float(scenario.deposit["vat"])
    for i in lines:
        line = scenario.requests[i]
        rate = next(r for r in spec.vat_rates if r not in (deposit_rate, float(line["vat_rate"])))
        line["vat_rate"] = float(rate)
        requested = min(line["amount_requested"], ttc_cents(line["amount_ht"], rate))
        _set_amounts(line, line["amount_ht"], requested)


@mutator("esms-category")
def _esms_category(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A FINESS category the appel à financement does not cover for this software."""
    _need(spec, "esms-category", "site_category")
    eligible = set(spec.ceilings.get(_profile_of(scenario, spec).type_logiciel, {}))
    category = next(f"{n:03d}" for n in range(355, 1000) if f"{n:03d}" not in eligible)
    for i in lines:
        scenario.requests[i]["site_category"] = category


# -- line level: duplicates and what is stored ---------------------------------------------------


@mutator("dup-ref-file", clean_first=True, min_lines=2)
def _dup_ref_file(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The first line's reference reused."""
    for i in lines:
        scenario.requests[i]["line_reference"] = scenario.requests[0]["line_reference"]


@mutator("dup-bdc-file", types=AVANCES, clean_first=True, min_lines=2)
def _dup_bdc_file(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The first line's order form given again."""
    for i in lines:
        scenario.requests[i]["bdc_number"] = scenario.requests[0]["bdc_number"]


@mutator("dup-ref-deposited")
def _dup_ref_deposited(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The reference already used by a request stored « En attente d'instruction »."""
    type_key = scenario.deposit["type"]
    for i in lines:
        reference = scenario.requests[i]["line_reference"]
        scenario.history.append(_stored(scenario, spec, type_key, i, reference_ligne=reference))


@mutator("dup-bdc-deposited")
def _dup_bdc_deposited(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The order form already deposited, for the same request type."""
    type_key = scenario.deposit["type"]
    for i in lines:
        bdc = scenario.requests[i]["bdc_number"]
        scenario.history.append(_stored(scenario, spec, type_key, 500 + i, numero_bdc=bdc))


@mutator("beneficiary-financed", types=AVANCES)
def _beneficiary_financed(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The site already financed through another editor's request (« Validée »)."""
    financed = spec.statuts["validee"]
    for i in lines:
        line = scenario.requests[i]
        scenario.history.append(
            _stored(
                scenario,
                spec,
                "avance",
                700 + i,
                statut=financed,
                own=False,
                finess_geographique=line.get("site_finess"),
                siret=line.get("site_siret"),
            )
        )


@mutator("beneficiary-dup-file", types=AVANCES, clean_first=True, min_lines=2)
def _beneficiary_dup_file(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The first line's site (and organisme) requested again."""
    first = scenario.requests[0]
    for i in lines:
        line = scenario.requests[i]
        for name in ("site_finess", "site_siret", "manager_siren", "manager_finess"):
            if first.get(name) is None:
                line.pop(name, None)
            else:
                line[name] = first[name]


@mutator("ans-line")
def _ans_line(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Another ANS number than the one chosen at deposit (the file's own)."""
    numero = _ans(scenario)
    scenario.deposit["ans"] = numero
    for i in lines:
        scenario.requests[i]["ans_number"] = _other_ans(numero)


@mutator("required-attachment")
def _required_attachment(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The last required piece labelled as another kind (e.g. the order form sent as an attestation)."""
    required = spec.pieces.required.get(scenario.deposit["type"], ())
    every_required = {role for roles in spec.pieces.required.values() for role in roles}
    spare = next((role for role in reversed(list(spec.pieces.roles)) if role not in every_required), None)
    if spare is None or not required:
        raise NotApplicable("required-attachment: the spec has no role of piece that no request type requires")
    for i in lines:
        pieces = list(scenario.requests[i].get("pieces") or [])
        for position in range(len(pieces) - 1, -1, -1):
            if pieces[position][0] == required[-1]:
                pieces[position] = (spare, pieces[position][1])
                break
        scenario.requests[i]["pieces"] = pieces


# -- line level: soldes --------------------------------------------------------------------------


@mutator("solde-avance-unknown", types=SOLDES)
def _solde_avance_unknown(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A typo in the avance's number: no stored avance has it."""
    known = {stored.numero_demande for stored in scenario.history} | {
        line.get("avance_number") for line in scenario.requests
    }
    for i in lines:
        line = scenario.requests[i]
        numero = str(line["avance_number"])
        head, tail = numero[:-6], numero[-6:]
        step = 1
        candidate = numero
        while candidate in known:
            candidate = f"{head}{(int(tail) + step * 7919) % 10**6:06d}"
            step += 1
        known.add(candidate)
        line["avance_number"] = candidate


@mutator("solde-avance-not-paid", types=SOLDES)
def _solde_avance_not_paid(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The avance is still « En cours »."""
    for i in lines:
        _replace_avance(scenario, i, statut=spec.statuts["enCours"])


@mutator("solde-avance-cancelled", types=SOLDES)
def _solde_avance_cancelled(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The avance was cancelled at the editor's request (the ASP's support, an attestation sur
    l'honneur), yet the solde still names it."""
    for i in lines:
        _replace_avance(scenario, i, statut=spec.statuts["annulee"])


@mutator("solde-avenant-not-paid", types=SOLDES)
def _solde_avenant_not_paid(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The avance's last avenant is still « En attente d'instruction »."""
    for i in lines:
        numero = scenario.requests[i].get("avance_number")
        stored = next(s for s in scenario.history if s.numero_demande == numero)
        _replace_avance(scenario, i, avenants=(*stored.avenants, spec.statuts["enAttente"]))


@mutator("invoice-zero", types=SOLDES)
def _invoice_zero(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """An invoice of 0 €."""
    _need(spec, "invoice-zero", "invoice_amount")
    for i in lines:
        scenario.requests[i]["invoice_amount"] = 0


@mutator("mss-missing", types=SOLDES)
def _mss_missing(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """No MSS deployment indicator, deposited once it is due."""
    if spec.mss_from is not None and scenario.deposit_time(spec) < spec.mss_from:
        scenario.deposit["at"] = spec.mss_from
    for i in lines:
        scenario.requests[i].pop("mss_indicator", None)
        scenario.requests[i].pop("mss_address", None)


@mutator("mss-address", types=SOLDES)
def _mss_address(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The indicator given without the client's MSSanté address."""
    for i in lines:
        scenario.requests[i].pop("mss_address", None)


@mutator("solde-avance-mismatch", types=SOLDES)
def _solde_avance_mismatch(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The solde names another order form than its avance's."""
    _need(spec, "solde-avance-mismatch", "bdc_number")
    used = {line.get("bdc_number") for line in scenario.requests}
    for i in lines:
        line = scenario.requests[i]
        numero = f"{line['bdc_number']}-B"
        while numero in used:
            numero += "B"
        used.add(numero)
        line["bdc_number"] = numero


@mutator("solde-over-avance", types=SOLDES)
def _solde_over_avance(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The avance declared one cent less than the solde now reports (the prestation grew between
    the order and the invoice)."""
    for i in lines:
        requested = scenario.requests[i]["amount_requested"]
        _replace_avance(scenario, i, montant_demande=requested - 1)


@mutator("solde-duplicate", types=SOLDES)
def _solde_duplicate(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A solde already deposited for the same avance."""
    for i in lines:
        avance = scenario.requests[i]["avance_number"]
        scenario.history.append(_stored(scenario, spec, "solde", 300 + i, numero_demande_avance=avance))


# -- attachments --------------------------------------------------------------------------------


def _zip(scenario: Scenario, spec: Spec) -> ZipPlan:
    return scenario.with_zip(spec)


@mutator("attachment-missing", needs_zip=True)
def _attachment_missing(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The line's pieces left out of the zip."""
    plan = _zip(scenario, spec)
    for i in lines:
        for name in scenario.piece_names(spec, i):
            plan.remove(name)


@mutator("attachment-too-large", needs_zip=True)
def _attachment_too_large(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The line's first piece one byte over the limit (a scan at too high a resolution)."""
    plan = _zip(scenario, spec)
    for i in lines:
        plan.put(scenario.piece_names(spec, i)[0], default_pdf(spec.limits["maxPieceOctets"] + 1))


@mutator("attachment-unreadable", needs_zip=True)
def _attachment_unreadable(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The line's first piece a text file named .pdf."""
    plan = _zip(scenario, spec)
    for i in lines:
        name = scenario.piece_names(spec, i)[0]
        plan.put(name, f"Bon de commande {name}\n".encode())


@mutator("attachment-budget", needs_zip=True)
def _attachment_budget(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The line's first piece a PDF whose reading takes more work than a piece may (tens of
    thousands of empty objects and a cross-reference table that points wrong)."""
    plan = _zip(scenario, spec)
    from segur.mock_portal.controls.pdf_check import DEFAULT_LIMITS

    key = "maxOperationsPdfPiece"
    content = _costly_pdf(int(spec.limits.get(key, DEFAULT_LIMITS[key])))
    for i in lines:
        plan.put(scenario.piece_names(spec, i)[0], content)


@lru_cache(maxsize=2)
def _costly_pdf(operations: int) -> bytes:
    return pdf_with_objects(operations // 4)  # a reader spends about eight operations per object


@mutator("zip-too-large", scope="archive", needs_zip=True)
def _zip_too_large(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A zip one byte over the limit."""
    _zip(scenario, spec).oversize = spec.limits["maxZipOctets"] + 1


@mutator("zip-unreadable", scope="archive", needs_zip=True)
def _zip_unreadable(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A list of file names sent instead of the zip."""
    plan = _zip(scenario, spec)
    plan.raw = (";".join(plan.names()) + "\n").encode()


@mutator("zip-unsafe-name", scope="archive", needs_zip=True)
def _zip_unsafe_name(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A member whose name climbs out of the folder (``../``)."""
    _zip(scenario, spec).members.append(("../annexe.pdf", default_pdf()))


@mutator("zip-bomb", scope="archive", needs_zip=True)
def _zip_bomb(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A member of zeros compressing far beyond the allowed ratio."""
    plan = _zip(scenario, spec)
    size = max(1 << 20, 1 << 17)
    plan.members.append(("annexe.bin", bytes(size)))
    plan.deflated.add("annexe.bin")


@mutator("zip-absent", scope="archive", needs_zip=True)
def _zip_absent(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """An import without its zip."""
    _zip(scenario, spec).absent = True


@mutator("zip-duplicate-name", scope="archive", needs_zip=True)
def _zip_duplicate_name(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The first piece written twice in the zip."""
    plan = _zip(scenario, spec)
    name, content = plan.members[0]
    plan.members.append((name, content))
