"""Producer conformance: what the editor's ``produce`` command writes, checked by the portal's controls.

``produce`` writes into ``{out}`` one or more deposits. A deposit is ``X.json`` (the file the
tool would deposit) with, beside it:

- ``X.zip``: the zip of its pieces (required: the portal's import takes it);
- ``X.deposit.json`` (optional, the kit's ``conformance/deposit.schema.json``): what the tool
  would choose on the deposit screen,
  ``{"typeDemande": "avance"|"solde", "tauxTva": 20, "numeroAns": "...", "dateDepot": "2024-02-01T10:00"}``;
  each key left out is read from the file's first request (the deposit time: the profile's
  default in the calendar); a sidecar off its schema is a problem of every requirement;
- ``X.history.json`` (optional, ``schemas/history.schema.json``): the requests the portal
  already stores that the deposit relies on, e.g. the avances a solde closes.

Each deposit is checked once, in import mode, and every ``bundle`` requirement of
``requirements.csv`` is then a test of its own: it passes when no finding carries one of the
requirement's codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import orjson
from segur.mock_portal.controls import (
    IMPORT,
    Answer,
    Deposit,
    HistoryFileError,
    InMemoryHistory,
    Spec,
    check_deposit,
    read_history,
)
from segur.mock_portal.controls.context import StoredRequest
from segur.mock_portal.controls.line import Line, read_values
from segur.mock_portal.controls.rules import RULE_READS
from segur.mock_portal.controls.spec import resolve

__all__ = ["SIDECARS", "Produced", "Run", "discover", "not_tested_reason"]

#: the rules whose finding means the field's value was not read by the other controls
_SCHEMA_RULES = {"line-format", "line-required", "amount-decimals"}

SIDECARS = (".deposit.json", ".history.json")

#: each deposit-screen choice, with the rule of the controls that reads it (its requirement is
#: the one a wrong choice breaks)
_RULE_OF_CHOICE = {
    "typeDemande": "file-deposit-type",
    "tauxTva": "vat-deposit",
    "numeroAns": "file-ans-not-enrolled",
    "dateDepot": "file-window",
}

#: the format of X.deposit.json: the kit's own contract
DEPOSIT_SCHEMA = Path(__file__).resolve().parent / "deposit.schema.json"


@lru_cache(maxsize=1)
def deposit_choices_validator() -> Any:
    """The validator of X.deposit.json, built once."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(orjson.loads(DEPOSIT_SCHEMA.read_bytes()), validate_formats=True)


#: requirements that a bundle alone cannot settle, with when they can
_NEEDS_SOLDE = {"SEG-S01", "SEG-S02", "SEG-S03"}


@dataclass
class Produced:
    """One deposit written by ``produce``."""

    spec: Spec
    path: Path
    #: problems of the deposit as a whole (it cannot be read as the tool meant): every requirement's
    problems: list[str] = field(default_factory=list)
    #: problems of the deposit screen's choices (X.deposit.json), by the requirement they break
    choice_problems: dict[str, list[str]] = field(default_factory=dict)

    def _choice_problem(self, key: str, problem: str) -> None:
        """A problem of the choice ``key``: it breaks the requirement of the rule that reads it."""
        rule = _RULE_OF_CHOICE.get(key)
        code = self.spec.code_of(rule) if rule else None
        requirements = self.spec.codes[code].requirements if code else ()
        if not requirements:
            self.problems.append(problem)
        for requirement in requirements:
            self.choice_problems.setdefault(requirement, []).append(problem)

    def notes(self, requirement: str) -> list[str]:
        """The problems ``requirement`` reports for this deposit."""
        return [*self.problems, *self.choice_problems.get(requirement, [])]

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def zip_path(self) -> Path:
        return self.path.with_suffix(".zip")

    @property
    def history_path(self) -> Path:
        return self.path.with_name(self.path.stem + ".history.json")

    @cached_property
    def choices(self) -> dict[str, Any]:
        """What the tool would choose at deposit: its sidecar, then the file's first request."""
        sidecar = self.path.with_name(self.path.stem + ".deposit.json")
        chosen: dict[str, Any] = {}
        if sidecar.is_file():
            try:
                loaded = orjson.loads(sidecar.read_bytes())
            except orjson.JSONDecodeError as exc:
                self.problems.append(f"{sidecar.name}: not valid JSON ({exc}); it is ignored")
                loaded = {}
            for error in deposit_choices_validator().iter_errors(loaded):
                key = str(error.instance_path[0]) if error.instance_path else ""
                where = "/".join(map(str, error.instance_path)) or "(the object)"
                self._choice_problem(
                    key, f"{sidecar.name}: {where}: {error.message} (the kit's deposit.schema.json); it is ignored"
                )
                if isinstance(loaded, dict):
                    loaded.pop(key, None)
            if isinstance(loaded, dict):
                chosen.update(loaded)
        try:
            document = orjson.loads(self.path.read_bytes())
            lines = resolve(document, self.spec.document["requests"].path)
            first = read_values(lines[0], self.spec) if isinstance(lines, list) and lines else {}
        except orjson.JSONDecodeError:
            first = {}
        kind = self.spec.type_key(str(first.get("request_type")))
        chosen.setdefault("typeDemande", kind or next(iter(self.spec.deposit_types)))
        rate = first.get("vat_rate")
        chosen.setdefault("tauxTva", rate if rate is not None else self.spec.vat_rates[-1])
        chosen.setdefault("numeroAns", first.get("ans_number"))
        return chosen

    @property
    def is_solde(self) -> bool:
        return bool(self.choices["typeDemande"] == "solde")

    @cached_property
    def history(self) -> InMemoryHistory | None:
        if not self.history_path.is_file():
            return None
        try:
            return read_history(self.history_path.read_bytes(), self.spec, self.history_path.name)
        except HistoryFileError as exc:
            self.problems.append(f"{exc}; the deposit is checked without stored requests")
            return None

    @cached_property
    def deposit(self) -> Deposit:
        """The deposit screen's choices (the sidecar's, else read from the file)."""
        choices = self.choices
        at = None
        if choices.get("dateDepot"):
            try:
                at = self.spec.local_time(str(choices["dateDepot"]))
            except ValueError:
                self._choice_problem(
                    "dateDepot", f"dateDepot {choices['dateDepot']!r} is not an ISO 8601 time; the default is used"
                )
        try:
            rate = float(choices["tauxTva"])
        except (TypeError, ValueError):
            rate = -1.0
        if rate not in self.spec.vat_rates:
            self._choice_problem(
                "tauxTva",
                f"tauxTva {choices['tauxTva']!r} is not a VAT rate of the deposit screen "
                f"({', '.join(f'{r:g}' for r in self.spec.vat_rates)}); {self.spec.vat_rates[-1]:g} is used",
            )
            rate = self.spec.vat_rates[-1]
        deposit = Deposit(
            type_demande=str(choices["typeDemande"]),
            taux_tva=rate,
            at=at,
            numero_ans=choices.get("numeroAns"),
        )
        if deposit.type_demande not in self.spec.deposit_types:
            self._choice_problem(
                "typeDemande",
                f"typeDemande {deposit.type_demande!r} is not one of {', '.join(self.spec.deposit_types)}",
            )
            deposit = Deposit(next(iter(self.spec.deposit_types)), rate, at, deposit.numero_ans)
        return deposit

    @cached_property
    def answer(self) -> Answer:
        history = self.history
        kwargs: dict[str, Any] = {"history": history} if history is not None else {}
        return check_deposit(
            self.path.read_bytes(),
            self.deposit,
            spec=self.spec,
            attachments=self.zip_path if self.zip_path.is_file() else None,
            mode=IMPORT,
            **kwargs,
        )

    @cached_property
    def lines(self) -> list[Line]:
        """The requests of the file as the controls read them (empty when it is not readable)."""
        try:
            requests = resolve(orjson.loads(self.path.read_bytes()), self.spec.document["requests"].path)
        except orjson.JSONDecodeError:
            return []
        return [Line(index, raw, self.spec) for index, raw in enumerate(requests)] if isinstance(requests, list) else []

    def unevaluable(self, requirement: str) -> list[str]:
        """The lines where a rule of ``requirement`` could not be evaluated: a field it reads is in
        the file but could not be read (an unreadable value, or one the schema refused)."""
        rules = {entry.rule for entry in self.spec.codes.values() if requirement in entry.requirements and entry.rule}
        fields = sorted({name for rule in rules for name in RULE_READS.get(rule, ()) if name in self.spec.fields})
        if not fields or self.answer.file_rejected:
            return []
        out = []
        for line, result in zip(self.lines, self.answer.lines, strict=False):
            spoiled = {f.pointer for f in result.findings if self.spec.codes[f.code].rule in _SCHEMA_RULES}
            bad = [
                name
                for name in fields
                if (line.invalid and name in line.invalid)
                or (self.spec.pointer(name) in spoiled and line.present(name, self.spec))
            ]
            if bad:
                where = ", ".join(self.spec.pointer(name) for name in bad)
                out.append(f"line {line.number} ({line.line_reference}): {where} unreadable")
        return out

    def findings(self, requirement: str) -> list[str]:
        """Each finding of the answer that breaks ``requirement``, as a readable line."""
        answer = self.answer
        out = []
        for finding in answer.file_findings:
            if requirement in self.spec.codes[finding.code].requirements:
                out.append(f"file: {finding.code} {finding.label} (at {finding.pointer or '/'})")
        for line in answer.lines:
            for finding in line.findings:
                if requirement in self.spec.codes[finding.code].requirements:
                    out.append(
                        f"line {line.number} ({line.reference}): {finding.code} {finding.label}"
                        f" (at {finding.pointer or '/'})"
                    )
        return out


def discover(out: Path, spec: Spec) -> list[Produced]:
    """The deposits in ``out``, in name order (sidecars are not deposits)."""
    found = []
    for path in sorted(out.glob("*.json")):
        if path.name.endswith(SIDECARS):
            continue
        found.append(Produced(spec, path))
    return found


def not_tested_reason(produced: Produced, requirement: str) -> str | None:
    """Why ``requirement`` cannot be settled on this deposit (None: it can)."""
    if requirement in _NEEDS_SOLDE and not produced.is_solde:
        return "the deposit holds avances: the solde requirements do not apply to it"
    if requirement == "SEG-S01" and produced.history is None:
        return (
            f"a solde's prerequisites need the avances it closes: write {produced.history_path.name} "
            "(schemas/history.schema.json) beside the deposit"
        )
    if requirement == "SEG-F07" and not produced.choices.get("dateDepot"):
        return (
            "the deposit time is the tool's to choose: give dateDepot in "
            f"{produced.path.stem}.deposit.json to check it against the windows (the deposit suite checks them live)"
        )
    return None  # a missing zip is no reason: the import answers 3008 (SEG-P04) and the test fails


class Run:
    """The deposits of one ``produce`` run, checked together as the portal would receive them one
    after the other: a line reference or an order form (of the same request type) already in an
    earlier deposit of the run is refused by the portal (the controls say it, with the deposit and
    line it repeats), and a beneficiary site is financed once per software type across the run."""

    def __init__(self, produced: list[Produced], spec: Spec) -> None:
        self.produced = produced
        self.spec = spec

    @cached_property
    def _findings(self) -> dict[str, list[str]]:
        """Requirement → problems found only across deposits."""
        spec = self.spec
        found: dict[str, list[str]] = {}
        stored: list[StoredRequest] = []
        sites: dict[tuple[str, str], str] = {}
        pending = spec.statuts["enAttente"]
        for produced in self.produced:
            if produced.answer.file_rejected or not produced.lines:
                continue
            own = list(produced.history.requests) if produced.history is not None else []
            history = InMemoryHistory([*own, *stored], rejected_status=spec.statuts["rejetee"])
            crossed = check_deposit(
                produced.path.read_bytes(),
                produced.deposit,
                spec=spec,
                history=history,
                attachments=None,
                mode=produced.answer.mode,
            )
            alone = {(line.number, f.code) for line in produced.answer.lines for f in line.findings}
            for line in crossed.lines:
                for finding in line.findings:
                    # the zip is not read again here: only what the earlier deposits change counts
                    if (line.number, finding.code) in alone or spec.codes[finding.code].level != "line":
                        continue
                    for requirement in spec.codes[finding.code].requirements:
                        found.setdefault(requirement, []).append(
                            f"{produced.path.name} line {line.number} ({line.reference}): {finding.code} {finding.label}"
                        )
            for values, result in zip(produced.lines, produced.answer.lines, strict=False):
                if result.findings and result.status == "rejetee":
                    continue
                where = f"{produced.path.name}, ligne {values.number}"
                stored.append(
                    StoredRequest(
                        numero_demande=where,
                        type_demande=str(values.request_type or ""),
                        couloir=str(values.corridor or ""),
                        type_logiciel=str(values.software_type or ""),
                        statut=pending,
                        reference_ligne=values.line_reference,
                        numero_bdc=values.bdc_number,
                        finess_geographique=values.site_finess,
                        siret=values.site_siret,
                        numero_demande_avance=values.avance_number,
                    )
                )
                if produced.is_solde:
                    continue
                for key in values.beneficiaries:
                    first = sites.setdefault((key, str(values.software_type)), where)
                    if first != where and not first.startswith(f"{produced.path.name},"):
                        code = spec.code_of("beneficiary-dup-file")
                        for requirement in spec.codes[code].requirements if code else ():
                            found.setdefault(requirement, []).append(
                                f"{where} ({values.line_reference}): the site {key} is already requested in {first}; "
                                "a beneficiary is financed once per software type"
                            )
                        break
        return found

    def findings(self, requirement: str) -> list[str]:
        """The problems of ``requirement`` that only show across the run's deposits."""
        return self._findings.get(requirement, [])
