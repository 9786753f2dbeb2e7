"""The portal's answer to a simulate or an import, as data and as the JSON it returns.

MODEL: the seed gives ``codetraitement`` and ``libelletraitement`` per line plus the ASP
number of the lines that are OK; the other keys follow the ASP's camelCase habits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .spec import Profile, Spec
from .violation import Finding

SIMULATION = "simulation"
IMPORT = "import"
MODES = (SIMULATION, IMPORT)

ACCEPTED = "acceptee"
REJECTED = "rejetee"
INCOMPLETE = "incomplete"

#: gives the next ASP request number for a profile and a deposit time
Numbering = Callable[[Profile, datetime], str]


class SequenceNumbering:
    """ASP numbers from a counter, in the spec's format (``segur check --mode import``)."""

    def __init__(self, spec: Spec, start: int = 1) -> None:
        self.spec = spec
        self.next = start

    def __call__(self, profile: Profile, at: datetime) -> str:
        number = format_number(self.spec, profile, at, self.next)
        self.next += 1
        return number


def format_number(spec: Spec, profile: Profile, at: datetime, sequence: int) -> str:
    year = at.astimezone(spec.timezone).year
    return spec.numbering.format(code=profile.code_numerotation, annee=year, sequence=sequence)


@dataclass(slots=True)
class LineResult:
    number: int
    reference: Any
    findings: list[Finding]
    status: str
    #: the requested amount in cents (None when absent or unreadable)
    amount: int | None = None
    numero_demande: str | None = None


@dataclass
class Answer:
    spec: Spec
    mode: str
    type_demande: str
    at: datetime
    taux_tva: float
    numero_ans: str | None
    profile: Profile | None
    file_findings: list[Finding] = field(default_factory=list)
    lines: list[LineResult] = field(default_factory=list)

    @property
    def file_rejected(self) -> bool:
        return bool(self.file_findings)

    @property
    def all_accepted(self) -> bool:
        return not self.file_rejected and all(line.status == ACCEPTED for line in self.lines)

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)

    def accepted_cents(self) -> int:
        """The amount requested by the accepted lines, in cents (their amounts are valid)."""
        return sum(line.amount for line in self.lines if line.status == ACCEPTED and line.amount is not None)

    def to_json(self) -> dict[str, Any]:
        spec = self.spec
        if self.file_findings:
            code, label = self.file_findings[0].code, self.file_findings[0].label
        else:
            code, label = spec.accepted_code, spec.file_accepted_label
        counts = dict.fromkeys((ACCEPTED, REJECTED, INCOMPLETE), 0)
        for line in self.lines:
            counts[line.status] += 1
        accepted_cents = self.accepted_cents()
        return {
            "mode": self.mode.upper(),
            "statut": "KO" if self.file_rejected else "OK",
            "dateDepot": self.at.astimezone(spec.timezone).isoformat(),
            "specification": {"id": spec.id, "version": spec.version},
            "profil": self.profile.name if self.profile else None,
            "typeDemande": spec.deposit_types[self.type_demande],
            "numeroAns": self.numero_ans,
            "tauxTva": self.taux_tva,
            "codetraitement": code,
            "libelletraitement": label,
            "erreurs": [f.as_json() for f in self.file_findings],
            "lignes": self._lines_json(),
            "recapitulatif": {
                "nombreDemandes": len(self.lines),
                "acceptees": counts[ACCEPTED],
                "rejetees": counts[REJECTED],
                "incompletes": counts[INCOMPLETE],
                "montantDemandeAccepte": round(accepted_cents / 100, 2),
            },
        }

    def _lines_json(self) -> list[dict[str, Any]]:
        """One object per line; the key order is the portal's (``numeroDemande`` and ``statut``
        only on import)."""
        spec = self.spec
        accepted = (spec.accepted_code, spec.codes[spec.accepted_code].label)
        imported = self.mode == IMPORT
        out = []
        for line in self.lines:
            findings = line.findings
            if not findings and not imported:  # an accepted line of a simulation, most of them
                out.append(
                    {
                        "numLigne": line.number,
                        "referenceLigne": line.reference,
                        "codetraitement": accepted[0],
                        "libelletraitement": accepted[1],
                        "erreurs": [],
                    }
                )
                continue
            code, label = (findings[0].code, findings[0].label) if findings else accepted
            item: dict[str, Any] = {
                "numLigne": line.number,
                "referenceLigne": line.reference,
                "codetraitement": code,
                "libelletraitement": label,
            }
            if line.numero_demande is not None:
                item["numeroDemande"] = line.numero_demande
            if imported and line.status != REJECTED:
                item["statut"] = spec.statuts["incomplete" if line.status == INCOMPLETE else "enAttente"]
            item["erreurs"] = [f.as_json() for f in findings]
            out.append(item)
        return out
