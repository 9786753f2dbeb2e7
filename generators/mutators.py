"""Mutators: break a valid deposit so that the portal answers exactly one catalogue code.

A :class:`Scenario` holds everything a deposit is made of, as plain mutable data: the file
(``bundle``), the stored requests (``history``, the JSON form of
``schemas/history.schema.json``), what is chosen at deposit (``deposit``: type, vat, ans,
at, enrolments, mode), how the file's bytes are written (:class:`FilePlan`) and the zip of
attachments (:class:`ZipPlan`). A mutator changes it, minimally and the way an editor's
software might get it wrong, so that :func:`~segur.mock_portal.controls.check_deposit` answers its
code on the lines broken and "0000" on every other line (a file-level code rejects the whole
file; an archive-level attachment code, e.g. an unreadable zip, is reported on every line).

Mutators are registered by **rule name** (``codes.json`` binds rules to codes); they are
exposed by code through the spec, so a renumbered catalogue keeps working::

    scenario = Scenario.from_drawn(drawn, spec)
    broken = mutate(scenario, "2031", [0, 2], spec)
    data, deposit, history, zip_path, mode = materialise(scenario, tmp_path)

Fields are located through the spec's JSON Pointers (``spec.json`` ``fields``).
"""

from __future__ import annotations

import copy
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import orjson
from segur.mock_portal.controls import Deposit, Enrolment, InMemoryHistory, Spec, history_from_json, load_spec
from stdnum import luhn

from .archive import write_zip
from .bundle import replicate
from .pdf import pdf_document, pdf_with_objects
from .provider import ttc_cents

Scope = Literal["file", "line", "archive"]
Apply = Callable[["Scenario", "Sequence[int]", Spec], None]

#: the natures a piece may have in the model's schema (``pieceJointe.nature``)
_PIECE_NATURES = ("BDC", "VA", "FACTURE", "MOM", "ATTESTATION")


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
class Scenario:
    """A deposit as mutable data. ``deposit`` keys: ``type`` ("avance"/"solde"), ``vat``,
    ``ans`` (None: the first line's), ``at`` (a datetime, None: the calendar's default),
    ``enrolments`` (None, or a list of ``{"numeroAns", "couloir", "typeLogiciel"}``) and
    ``mode`` ("simulation"/"import"). ``zip`` None: no zip given (a simulation then checks
    the JSON alone)."""

    bundle: dict[str, Any]
    history: list[dict[str, Any]]
    deposit: dict[str, Any]
    profile: str
    file: FilePlan = field(default_factory=FilePlan)
    zip: ZipPlan | None = None

    @classmethod
    def from_drawn(cls, drawn: Any, spec: Spec | None = None) -> Scenario:
        """A scenario of a valid :class:`~segur.generators.strategies.Drawn` (copied, never shared)."""
        del spec  # the drawn deposit already says all the scenario needs
        return cls(
            bundle=copy.deepcopy(drawn.bundle),
            history=copy.deepcopy(drawn.history),
            deposit={
                "type": drawn.deposit_type,
                "vat": drawn.taux_tva,
                "ans": None,
                "at": None,
                "enrolments": None,
                "mode": "simulation",
            },
            profile=drawn.profile,
        )

    @property
    def lines(self) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = self.bundle["demandes"]
        return lines

    def deposit_time(self, spec: Spec) -> datetime:
        at: datetime | None = self.deposit.get("at")
        if at is not None:
            return at
        return spec.default_deposit_time(self.profile, spec.deposit_types[self.deposit["type"]])

    def piece_names(self, spec: Spec, index: int) -> list[str]:
        """The file names the pieces of line ``index`` reference."""
        pieces = get(self.lines[index], spec, "piecesJointes") or []
        path = spec.piece_fields["nomFichier"]
        return [str(_resolve(piece, path)) for piece in pieces]

    def with_zip(self, spec: Spec) -> ZipPlan:
        """The zip plan, made (every referenced piece a real PDF) if there is none yet."""
        if self.zip is None:
            names = dict.fromkeys(name for index in range(len(self.lines)) for name in self.piece_names(spec, index))
            self.zip = ZipPlan(members=[(name, default_pdf()) for name in names])
        return self.zip


@lru_cache(maxsize=4)
def default_pdf(size: int | None = None) -> bytes:
    """A real one-page PDF (of exactly ``size`` bytes when given), made once."""
    return pdf_document("Pièce justificative", ["Pièce justificative de test"], size=size)


# -- fields through the spec's pointers ---------------------------------------------------------


def _resolve(value: Any, path: Sequence[str]) -> Any:
    for part in path:
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
        if value is None:
            return None
    return value


def get(line: dict[str, Any], spec: Spec, name: str) -> Any:
    """The logical field ``name`` of a request (None when absent)."""
    return _resolve(line, spec.fields[name])


def put(line: dict[str, Any], spec: Spec, name: str, value: Any) -> None:
    """Set the logical field ``name`` of a request, making the objects on its way."""
    *parents, last = spec.fields[name]
    target = line
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def drop(line: dict[str, Any], spec: Spec, name: str) -> None:
    """Remove the logical field ``name`` of a request, if present."""
    *parents, last = spec.fields[name]
    target = _resolve(line, parents) if parents else line
    if isinstance(target, dict):
        target.pop(last, None)


def _cents(value: Any) -> int:
    return round(float(value) * 100)


def _euros(amount: int) -> float:
    return amount / 100


def _other_digit(value: str) -> str:
    """The same identifier with its last digit changed: its Luhn key no longer matches."""
    return value[:-1] + str((int(value[-1]) + 1) % 10)


def _luhn_number(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _profile_of(scenario: Scenario, spec: Spec) -> Any:
    return spec.profiles[scenario.profile]


def _ceiling_cents(scenario: Scenario, spec: Spec, line: dict[str, Any]) -> int | None:
    ceiling = spec.ceilings.get(_profile_of(scenario, spec).type_logiciel, {}).get(get(line, spec, "categorieEsms"))
    return None if ceiling is None else round(ceiling * 100)


def _set_amounts(line: dict[str, Any], spec: Spec, ht: int, requested: int | None = None) -> None:
    """Set HT (and the order form's Ségur HT), TTC (and a solde's invoice) consistently."""
    rate = float(get(line, spec, "tauxTva"))
    ttc = ttc_cents(ht, rate)
    put(line, spec, "montantHt", _euros(ht))
    put(line, spec, "montantSegurHt", _euros(ht))
    put(line, spec, "montantTtc", _euros(ttc))
    if get(line, spec, "montantFacture") is not None:
        put(line, spec, "montantFacture", _euros(ttc))
    if requested is not None:
        put(line, spec, "montantDemande", _euros(requested))


def _history_number(scenario: Scenario, spec: Spec, type_key: str, serial: int) -> str:
    """A stored request's ASP number of the scenario's software, in the spec's format."""
    profile = _profile_of(scenario, spec)
    type_code = spec.deposit_types[type_key]
    found = spec.profile_for(profile.couloir, profile.type_logiciel, type_code) or profile
    year = scenario.deposit_time(spec).astimezone(spec.timezone).year
    return spec.numbering.format(code=found.code_numerotation, annee=year, sequence=900000 + serial)


def _stored(scenario: Scenario, spec: Spec, type_key: str, serial: int, **fields: Any) -> dict[str, Any]:
    profile = _profile_of(scenario, spec)
    return {
        "numeroDemande": _history_number(scenario, spec, type_key, serial),
        "typeDemande": spec.deposit_types[type_key],
        "couloir": profile.couloir,
        "typeLogiciel": profile.type_logiciel,
        "statut": spec.statuts.get("enAttente", "En attente d'instruction"),
        **fields,
    }


def _avance_entry(scenario: Scenario, spec: Spec, index: int) -> dict[str, Any]:
    numero = get(scenario.lines[index], spec, "numeroDemandeAvance")
    for entry in scenario.history:
        if entry.get("numeroDemande") == numero:
            return entry
    raise ValueError(f"line {index + 1}: no stored avance {numero!r} in the scenario's history")


# -- the registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutator:
    """How to break a scenario for one rule. ``scope``: "file" (the whole file rejected),
    "line" (the lines given), "archive" (the zip as a whole: every line). ``profiles``: the
    profiles it applies to, the first the default. ``clean_first``: the first line must stay
    valid (a duplicate needs an earlier line to copy). ``min_lines``: lines the file needs."""

    rule: str
    apply: Apply
    scope: Scope = "line"
    profiles: tuple[str, ...] = ("ms1-avance", "ms2-avance", "ms1-solde", "ms2-solde")
    clean_first: bool = False
    min_lines: int = 1
    needs_zip: bool = False

    def __call__(self, scenario: Scenario, lines: Sequence[int], spec: Spec) -> tuple[int, ...]:
        return _apply(self, scenario, lines, spec)


#: mutators by rule name (the catalogue's ``rule``)
RULE_MUTATORS: dict[str, Mutator] = {}

AVANCES = ("ms1-avance", "ms2-avance")
SOLDES = ("ms1-solde", "ms2-solde")


def mutator(
    rule: str,
    *,
    scope: Scope = "line",
    profiles: tuple[str, ...] = ("ms1-avance", "ms2-avance", "ms1-solde", "ms2-solde"),
    clean_first: bool = False,
    min_lines: int = 1,
    needs_zip: bool = False,
) -> Callable[[Apply], Apply]:
    def register(function: Apply) -> Apply:
        RULE_MUTATORS[rule] = Mutator(rule, function, scope, profiles, clean_first, min_lines, needs_zip)
        return function

    return register


def mutators(spec: Spec) -> dict[str, Mutator]:
    """The mutators by catalogue code, through the rules ``spec``'s catalogue binds."""
    return {code: RULE_MUTATORS[entry.rule] for code, entry in spec.codes.items() if entry.rule in RULE_MUTATORS}


def mutator_for(code: str, spec: Spec) -> Mutator:
    entry = spec.codes.get(code)
    if entry is None:
        raise LookupError(f"code {code} is not in the catalogue {spec.root / 'codes.json'}")
    if entry.rule is None or entry.rule not in RULE_MUTATORS:
        raise LookupError(f"no mutator for code {code} (rule {entry.rule!r})")
    return RULE_MUTATORS[entry.rule]


def _apply(found: Mutator, scenario: Scenario, lines: Sequence[int], spec: Spec) -> tuple[int, ...]:
    count = len(scenario.lines)
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
    if scenario.profile not in found.profiles:
        raise ValueError(f"{found.rule}: applies to profiles {', '.join(found.profiles)}, not {scenario.profile}")
    if found.needs_zip:
        scenario.deposit["mode"] = "import"
        scenario.with_zip(spec)
    found.apply(scenario, chosen, spec)
    return chosen


def mutate(scenario: Scenario, code: str, lines: Sequence[int], spec: Spec) -> tuple[int, ...]:
    """Break ``scenario`` in place for catalogue ``code`` on ``lines`` (0-based; ignored, and
    every line taken, for file-level and zip-wide codes). Returns the lines that now answer
    ``code``."""
    return _apply(mutator_for(code, spec), scenario, lines, spec)


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
        enrolments=tuple(Enrolment(e["numeroAns"], e["couloir"], e["typeLogiciel"]) for e in enrolments)
        if enrolments is not None
        else None,
    )
    history = history_from_json({"demandes": scenario.history})
    return scenario.file.render(scenario.bundle), built, history, _write_zip(scenario.zip, out_dir), deposit["mode"]


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


# -- file level (1001-1013) ----------------------------------------------------------------------


@mutator("file-encoding", scope="file")
def _file_encoding(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The file saved in Latin-1 (Windows' habit) with an accented commune."""
    site = scenario.lines[0]["etablissement"]
    site["adresse"]["commune"] = "Saint-André-les-Vergers"
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
    *_, key = spec.document_fields["demandes"]
    scenario.bundle[key] = scenario.lines[0]


@mutator("file-empty", scope="file")
def _file_empty(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    *_, key = spec.document_fields["demandes"]
    scenario.bundle[key] = []


@mutator("file-too-many", scope="file")
def _file_too_many(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """One request more than the limit (distinct requests made from the first)."""
    scenario.bundle.update(replicate(scenario.bundle, spec.limits["maxDemandes"] + 1))


def _other_software(scenario: Scenario, spec: Spec) -> str:
    profile = _profile_of(scenario, spec)
    for other in spec.profiles.values():
        if other.couloir == profile.couloir and other.type_logiciel != profile.type_logiciel:
            return other.type_logiciel
    raise ValueError(f"the spec has no other software type than {profile.type_logiciel} in {profile.couloir}")


@mutator("file-mixed-profile", scope="file")
def _file_mixed(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The last request for the other software type (MS1 and MS2 in one file)."""
    if len(scenario.lines) == 1:
        scenario.lines.append(replicate(scenario.bundle, 1, prefix="MIX")["demandes"][0])
    put(scenario.lines[-1], spec, "typeLogiciel", _other_software(scenario, spec))


@mutator("file-deposit-type", scope="file")
def _file_deposit_type(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The other request type chosen on the deposit screen."""
    scenario.deposit["type"] = next(key for key in spec.deposit_types if key != scenario.deposit["type"])


def _ans(scenario: Scenario, spec: Spec) -> str:
    return str(get(scenario.lines[0], spec, "numeroAns"))


@mutator("file-ans-not-enrolled", scope="file")
def _file_ans_not_enrolled(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The depositor is enrolled for another solution only."""
    profile = _profile_of(scenario, spec)
    other = _other_ans(_ans(scenario, spec))
    scenario.deposit["enrolments"] = [
        {"numeroAns": other, "couloir": profile.couloir, "typeLogiciel": profile.type_logiciel}
    ]


@mutator("file-ans-profile", scope="file")
def _file_ans_profile(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The ANS number the file carries is enrolled for the other software type."""
    profile = _profile_of(scenario, spec)
    scenario.deposit["enrolments"] = [
        {"numeroAns": _ans(scenario, spec), "couloir": profile.couloir, "typeLogiciel": _other_software(scenario, spec)}
    ]


@mutator("file-window", scope="file")
def _file_window(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Deposited the minute the window closes."""
    scenario.deposit["at"] = spec.windows[scenario.profile].closes


@mutator("file-unknown-profile", scope="file")
def _file_unknown_profile(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Every request of a corridor the portal does not take (hospitals' HOP)."""
    for line in scenario.lines:
        put(line, spec, "couloir", "HOP")


@mutator("file-depth", scope="file")
def _file_depth(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A field of lists within lists, one level deeper than the spec allows (the file, a list of
    requests and a request are three levels)."""
    nested: Any = []
    for _ in range(spec.limits["maxProfondeur"] - 3):
        nested = [nested]
    scenario.lines[0]["annexe"] = nested


@mutator("file-format-version", scope="file")
def _file_format_version(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A format version the portal does not know yet (next major)."""
    major = max(int(v.split(".")[0]) for v in spec.format_versions if v.split(".")[0].isdigit())
    *_, key = spec.document_fields["versionFormat"]
    scenario.bundle[key] = f"{major + 1}.0"


def _other_ans(numero: str) -> str:
    head, _, tail = numero.rpartition("-")
    if tail.isdigit():
        return f"{head}-{(int(tail) + 1) % 10 ** len(tail):0{len(tail)}d}"
    return numero + "-2"


# -- line level: schema (2001-2003) --------------------------------------------------------------


@mutator("line-required")
def _line_required(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The order form's signature date left out."""
    for i in lines:
        drop(scenario.lines[i], spec, "dateBdc")


@mutator("line-format")
def _line_format(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The order form signed on 30 February (a date that does not exist)."""
    for i in lines:
        line = scenario.lines[i]
        year = _day(get(line, spec, "dateBdc")).year
        put(line, spec, "dateBdc", f"{year}-02-30")


@mutator("line-unknown-field")
def _line_unknown_field(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A free comment the format does not have."""
    for i in lines:
        scenario.lines[i]["commentaire"] = "À traiter en priorité"


# -- line level: identifiers (2010-2014) --------------------------------------------------------


@mutator("siren-key")
def _siren_key(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A typo in the SIREN's last digit."""
    for i in lines:
        line = scenario.lines[i]
        put(line, spec, "siren", _other_digit(get(line, spec, "siren")))


@mutator("siret-key", profiles=AVANCES)
def _siret_key(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A typo in the SIRET's last digit (a site given by FINESS only gets a mistyped SIRET)."""
    for i in lines:
        line = scenario.lines[i]
        siret = get(line, spec, "siret")
        if siret is None:
            siret = _luhn_number(f"{get(line, spec, 'siren')}{9000 + i % 1000:04d}")
        put(line, spec, "siret", _other_digit(siret))


@mutator("siret-siren", profiles=AVANCES)
def _siret_siren(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The site's SIRET is under another SIREN than its organisme's (a valid one)."""
    for i in lines:
        line = scenario.lines[i]
        siren = str(get(line, spec, "siren"))
        other = _luhn_number(f"{(int(siren[:8]) + 1) % 10**8:08d}")
        siret = get(line, spec, "siret")
        nic = siret[9:13] if siret is not None else f"{9000 + i % 1000:04d}"
        put(line, spec, "siret", _luhn_number(other + nic))


@mutator("finess-key", profiles=AVANCES)
def _finess_key(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A typo in the last digit of the site's FINESS (the legal entity's when the site has none)."""
    for i in lines:
        line = scenario.lines[i]
        name = "finessGeographique" if get(line, spec, "finessGeographique") is not None else "finessJuridique"
        put(line, spec, name, _other_digit(get(line, spec, name)))


@mutator("site-identifier", profiles=AVANCES)
def _site_identifier(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Neither FINESS géographique nor SIRET for the site."""
    for i in lines:
        drop(scenario.lines[i], spec, "finessGeographique")
        drop(scenario.lines[i], spec, "siret")


# -- line level: dates (2020-2022) --------------------------------------------------------------


@mutator("date-future")
def _date_future(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Dated the day after the deposit: a solde's invoice, an avance's order form."""
    tomorrow = (scenario.deposit_time(spec).astimezone(spec.timezone).date() + timedelta(days=1)).isoformat()
    for i in lines:
        line = scenario.lines[i]
        put(line, spec, "dateFacture" if get(line, spec, "dateFacture") is not None else "dateBdc", tomorrow)


@mutator("bdc-before-af")
def _bdc_before_af(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The order form signed the day before the appel à financement opened."""
    window = spec.windows[scenario.profile]
    opening = spec.af_openings[window.af].astimezone(spec.timezone).date()
    for i in lines:
        put(scenario.lines[i], spec, "dateBdc", (opening - timedelta(days=1)).isoformat())


@mutator("va-before-bdc", profiles=SOLDES)
def _va_before_bdc(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The VA dated the day before the order form was signed."""
    for i in lines:
        line = scenario.lines[i]
        put(line, spec, "dateVa", (_day(get(line, spec, "dateBdc")) - timedelta(days=1)).isoformat())


# -- line level: amounts (2030-2037) ------------------------------------------------------------


@mutator("amount-decimals")
def _amount_decimals(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The requested amount with a third decimal (a computed amount not rounded)."""
    for i in lines:
        line = scenario.lines[i]
        put(line, spec, "montantDemande", round(_cents(get(line, spec, "montantDemande")) / 100 - 0.001, 3))


@mutator("amount-ttc")
def _amount_ttc(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """TTC one cent above HT × (1 + VAT)."""
    for i in lines:
        line = scenario.lines[i]
        put(line, spec, "montantTtc", _euros(_cents(get(line, spec, "montantTtc")) + 1))


@mutator("amount-requested-positive")
def _amount_requested_positive(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Nothing requested (0 €)."""
    for i in lines:
        put(scenario.lines[i], spec, "montantDemande", 0)


@mutator("amount-ceiling")
def _amount_ceiling(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """One cent requested over the ceiling; the order's HT raised so that TTC covers it."""
    for i in lines:
        line = scenario.lines[i]
        ceiling = _ceiling_cents(scenario, spec, line)
        if ceiling is None:
            raise ValueError(f"line {i + 1}: its ESMS category has no ceiling")
        rate = float(get(line, spec, "tauxTva"))
        ht = max(_cents(get(line, spec, "montantHt")), (ceiling + 1) * 10000 // (10000 + round(rate * 100)))
        while ttc_cents(ht, rate) < ceiling + 1:
            ht += 1
        _set_amounts(line, spec, ht, ceiling + 1)


@mutator("bdc-segur-amount")
def _bdc_segur_amount(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The order form shows no Ségur amount (0)."""
    for i in lines:
        put(scenario.lines[i], spec, "montantSegurHt", 0)


@mutator("amount-requested-over-ttc")
def _amount_requested_over_ttc(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """One cent requested over the order's TTC (HT lowered, if need be, to stay under the ceiling)."""
    for i in lines:
        line = scenario.lines[i]
        ceiling = _ceiling_cents(scenario, spec, line)
        rate = float(get(line, spec, "tauxTva"))
        ht = _cents(get(line, spec, "montantHt"))
        if ceiling is not None:
            while ht > 1 and ttc_cents(ht, rate) + 1 > ceiling:
                ht = min(ht - 1, (ceiling - 1) * 10000 // (10000 + round(rate * 100)))
        _set_amounts(line, spec, ht, ttc_cents(ht, rate) + 1)


@mutator("vat-deposit")
def _vat_deposit(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Another VAT rate than the one chosen at deposit (TTC and requested amount follow it)."""
    deposit_rate = float(scenario.deposit["vat"])
    for i in lines:
        line = scenario.lines[i]
        rate = next(r for r in spec.vat_rates if r != deposit_rate and r != float(get(line, spec, "tauxTva")))
        put(line, spec, "tauxTva", int(rate) if float(rate).is_integer() else rate)
        ht = _cents(get(line, spec, "montantHt"))
        requested = min(_cents(get(line, spec, "montantDemande")), ttc_cents(ht, rate))
        _set_amounts(line, spec, ht, requested)


@mutator("esms-category")
def _esms_category(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A FINESS category the appel à financement does not cover for this software."""
    eligible = set(spec.ceilings.get(_profile_of(scenario, spec).type_logiciel, {}))
    category = next(f"{n:03d}" for n in range(355, 1000) if f"{n:03d}" not in eligible)
    for i in lines:
        put(scenario.lines[i], spec, "categorieEsms", category)


# -- line level: duplicates and what is stored (2040-2051) --------------------------------------


@mutator("dup-ref-file", clean_first=True, min_lines=2)
def _dup_ref_file(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The first line's reference reused."""
    for i in lines:
        put(scenario.lines[i], spec, "referenceLigne", get(scenario.lines[0], spec, "referenceLigne"))


@mutator("dup-bdc-file", profiles=AVANCES, clean_first=True, min_lines=2)
def _dup_bdc_file(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The first line's order form given again."""
    for i in lines:
        put(scenario.lines[i], spec, "numeroBdc", get(scenario.lines[0], spec, "numeroBdc"))


@mutator("dup-ref-deposited")
def _dup_ref_deposited(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The reference already used by a request stored « En attente d'instruction »."""
    type_key = scenario.deposit["type"]
    for i in lines:
        reference = get(scenario.lines[i], spec, "referenceLigne")
        scenario.history.append(_stored(scenario, spec, type_key, i, referenceLigne=reference))


@mutator("dup-bdc-deposited")
def _dup_bdc_deposited(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The order form already deposited, for the same request type."""
    type_key = scenario.deposit["type"]
    for i in lines:
        bdc = get(scenario.lines[i], spec, "numeroBdc")
        scenario.history.append(_stored(scenario, spec, type_key, 500 + i, numeroBdc=bdc))


@mutator("beneficiary-financed", profiles=AVANCES)
def _beneficiary_financed(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The site already financed through another editor's request (« Validée »)."""
    financed = spec.statuts.get("validee", "Validée")
    for i in lines:
        line = scenario.lines[i]
        site = {k: v for k in ("finessGeographique", "siret") if (v := get(line, spec, k)) is not None}
        scenario.history.append(_stored(scenario, spec, "avance", 700 + i, statut=financed, autreEditeur=True, **site))


@mutator("beneficiary-dup-file", profiles=AVANCES, clean_first=True, min_lines=2)
def _beneficiary_dup_file(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The first line's site (and organisme) requested again."""
    first = scenario.lines[0]
    for i in lines:
        line = scenario.lines[i]
        for name in ("finessGeographique", "siret"):
            value = get(first, spec, name)
            if value is None:
                drop(line, spec, name)
            else:
                put(line, spec, name, value)
        for name in ("siren", "finessJuridique"):
            put(line, spec, name, get(first, spec, name))


@mutator("ans-line")
def _ans_line(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """Another ANS number than the one chosen at deposit (the file's own)."""
    numero = _ans(scenario, spec)
    scenario.deposit["ans"] = numero
    for i in lines:
        put(scenario.lines[i], spec, "numeroAns", _other_ans(numero))


@mutator("required-attachment")
def _required_attachment(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The last required piece labelled as another kind (e.g. the BDC sent as an ATTESTATION)."""
    type_code = spec.deposit_types[scenario.deposit["type"]]
    required = spec.required_pieces.get(type_code, ())
    every_required = {n for natures in spec.required_pieces.values() for n in natures}
    spare = next(n for n in reversed(_PIECE_NATURES) if n not in every_required)
    nature_path = spec.piece_fields["nature"]
    for i in lines:
        pieces = get(scenario.lines[i], spec, "piecesJointes")
        for piece in reversed(pieces):
            if _resolve(piece, nature_path) == required[-1]:
                *parents, last = nature_path
                (_resolve(piece, parents) if parents else piece)[last] = spare
                break


# -- line level: soldes (2060-2067) -------------------------------------------------------------


@mutator("solde-avance-unknown", profiles=SOLDES)
def _solde_avance_unknown(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A typo in the avance's number: no stored avance has it."""
    known = {e.get("numeroDemande") for e in scenario.history} | {
        get(line, spec, "numeroDemandeAvance") for line in scenario.lines
    }
    for i in lines:
        line = scenario.lines[i]
        numero = str(get(line, spec, "numeroDemandeAvance"))
        head, tail = numero[:-6], numero[-6:]
        step = 1
        candidate = numero
        while candidate in known:
            candidate = f"{head}{(int(tail) + step * 7919) % 10**6:06d}"
            step += 1
        known.add(candidate)
        put(line, spec, "numeroDemandeAvance", candidate)


@mutator("solde-avance-not-paid", profiles=SOLDES)
def _solde_avance_not_paid(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The avance is still « En cours »."""
    for i in lines:
        _avance_entry(scenario, spec, i)["statut"] = spec.statuts.get("enCours", "En cours")


@mutator("solde-avenant-not-paid", profiles=SOLDES)
def _solde_avenant_not_paid(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The avance's last avenant is still « En attente d'instruction »."""
    for i in lines:
        entry = _avance_entry(scenario, spec, i)
        entry["avenants"] = [*entry.get("avenants", []), spec.statuts.get("enAttente", "En attente d'instruction")]


@mutator("invoice-zero", profiles=SOLDES)
def _invoice_zero(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """An invoice of 0 €."""
    for i in lines:
        put(scenario.lines[i], spec, "montantFacture", 0)


@mutator("mss-missing", profiles=SOLDES)
def _mss_missing(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """No MSS deployment indicator, deposited once it is due."""
    if spec.mss_from is not None and scenario.deposit_time(spec) < spec.mss_from:
        scenario.deposit["at"] = spec.mss_from
    *holder_path, _ = spec.fields["indicateurMss"]  # the whole MSS block, left out
    for i in lines:
        line = scenario.lines[i]
        if holder_path:
            *parents, last = holder_path
            holder = _resolve(line, parents) if parents else line
            if isinstance(holder, dict):
                holder.pop(last, None)
        drop(line, spec, "indicateurMss")
        drop(line, spec, "adresseMss")


@mutator("mss-address", profiles=SOLDES)
def _mss_address(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The indicator given without the client's MSSanté address."""
    for i in lines:
        drop(scenario.lines[i], spec, "adresseMss")


@mutator("solde-avance-mismatch", profiles=SOLDES)
def _solde_avance_mismatch(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """The solde names another order form than its avance's."""
    used = {get(line, spec, "numeroBdc") for line in scenario.lines}
    for i in lines:
        line = scenario.lines[i]
        numero = f"{get(line, spec, 'numeroBdc')}-B"
        while numero in used:
            numero += "B"
        used.add(numero)
        put(line, spec, "numeroBdc", numero)


@mutator("solde-duplicate", profiles=SOLDES)
def _solde_duplicate(scenario: Scenario, lines: Sequence[int], spec: Spec) -> None:
    """A solde already deposited for the same avance."""
    for i in lines:
        avance = get(scenario.lines[i], spec, "numeroDemandeAvance")
        scenario.history.append(_stored(scenario, spec, "solde", 300 + i, numeroDemandeAvance=avance))


# -- attachments (3001-3009) --------------------------------------------------------------------


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
    content = _costly_pdf(spec.limits["maxOperationsPdfPiece"])
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


#: mutators by catalogue code, for the default spec
MUTATORS: dict[str, Callable[[Scenario, Sequence[int], Spec], tuple[int, ...]]] = dict(mutators(load_spec()))
