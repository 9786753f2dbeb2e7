"""Producer conformance: what the editor's ``produce`` command writes, checked by the portal's controls.

``produce`` writes into ``{out}`` one or more deposits. A deposit is ``X.json`` (the file the
tool would deposit) with, beside it:

- ``X.zip``: the zip of its pieces (required: the portal's import takes it);
- ``X.deposit.json`` (optional): what the tool would choose on the deposit screen,
  ``{"typeDemande": "avance"|"solde", "tauxTva": 20, "numeroAns": "...", "dateDepot": "2024-02-01T10:00"}``;
  each key left out is read from the file's first request (the deposit time: the profile's
  default in the calendar);
- ``X.history.json`` (optional, ``schemas/history.schema.json``): the requests the portal
  already stores that the deposit relies on, e.g. the avances a solde closes.

Each deposit is checked once, in import mode, and every ``bundle`` requirement of
``requirements.csv`` is then a test of its own: it passes when no finding carries one of the
requirement's codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
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
from segur.mock_portal.controls.line import read_values
from segur.mock_portal.controls.spec import resolve

__all__ = ["SIDECARS", "Produced", "discover", "not_tested_reason"]

SIDECARS = (".deposit.json", ".history.json")

#: requirements that a bundle alone cannot settle, with when they can
_NEEDS_SOLDE = {"SEG-S01", "SEG-S02", "SEG-S03"}


@dataclass
class Produced:
    """One deposit written by ``produce``."""

    spec: Spec
    path: Path
    problems: list[str] = field(default_factory=list)

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
    def answer(self) -> Answer:
        choices = self.choices
        at = None
        if choices.get("dateDepot"):
            try:
                at = self.spec.local_time(str(choices["dateDepot"]))
            except ValueError:
                self.problems.append(f"dateDepot {choices['dateDepot']!r} is not an ISO 8601 time; the default is used")
        try:
            rate = float(choices["tauxTva"])
        except (TypeError, ValueError):
            rate = -1.0
        deposit = Deposit(
            type_demande=str(choices["typeDemande"]),
            taux_tva=rate,
            at=at,
            numero_ans=choices.get("numeroAns"),
        )
        if deposit.type_demande not in self.spec.deposit_types:
            self.problems.append(
                f"typeDemande {deposit.type_demande!r} is not one of {', '.join(self.spec.deposit_types)}"
            )
            deposit = Deposit(next(iter(self.spec.deposit_types)), rate, at, deposit.numero_ans)
        history = self.history
        kwargs: dict[str, Any] = {"history": history} if history is not None else {}
        return check_deposit(
            self.path.read_bytes(),
            deposit,
            spec=self.spec,
            attachments=self.zip_path if self.zip_path.is_file() else None,
            mode=IMPORT,
            **kwargs,
        )

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
