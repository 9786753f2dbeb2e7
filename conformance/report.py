"""The certification's verdict: per requirement, passed, failed or not tested (and why), as JSON and
as a coverage table."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NOT_EVALUABLE", "PORTAL_SIDE", "UNEVALUABLE_PREFIX", "Outcomes", "coverage_markdown", "verdict"]

PASSED, FAILED, NOT_TESTED, NOT_EVALUABLE = "passed", "failed", "not tested", "not evaluable"
#: a skip whose reason starts with this means the requirement's rules could not be evaluated on
#: what the tool gave (e.g. dates the controls could not read): « non évaluable », never passed
UNEVALUABLE_PREFIX = "non évaluable"
PORTAL_SIDE = "portal-side requirement: what the portal does, verified by the kit's own tests, not by an editor's tool"


@dataclass
class Outcomes:
    """Test outcomes gathered per requirement during the run."""

    tests: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    def record(self, requirement: str, nodeid: str, outcome: str, reason: str = "") -> None:
        self.tests.setdefault(requirement, []).append((nodeid, outcome, reason))

    def status(self, requirement: str) -> tuple[str, list[str]]:
        found = self.tests.get(requirement, [])
        if any(outcome == FAILED for _, outcome, _ in found):
            return FAILED, [reason for _, outcome, reason in found if outcome == FAILED and reason]
        unevaluable = [reason for _, outcome, reason in found if outcome == NOT_EVALUABLE]
        if unevaluable:
            return NOT_EVALUABLE, list(dict.fromkeys(unevaluable))
        if any(outcome == PASSED for _, outcome, _ in found):
            return PASSED, []
        reasons = list(dict.fromkeys(reason for _, _, reason in found if reason))
        return NOT_TESTED, reasons or ["no test of this run verifies it"]


def verdict(
    requirements: Mapping[str, Mapping[str, str]],
    outcomes: Outcomes,
    *,
    header: Mapping[str, Any],
    kit_errors: Iterable[str],
    partial: bool = False,
) -> dict[str, Any]:
    """The JSON verdict: « non exécuté » when the kit could not run (or no test ran), « non
    conforme » when a requirement failed, « partiel » when nothing failed but some part of the
    suite was not run (not asked for, or its command not declared) or a requirement could not be
    evaluated on what the tool gave (« non évaluable »), else « conforme »."""
    rows = {}
    for rid, row in requirements.items():
        scope = row.get("scope", "")
        if scope == "portal" and rid not in outcomes.tests:
            status, reasons = NOT_TESTED, [PORTAL_SIDE]
        else:
            status, reasons = outcomes.status(rid)
        rows[rid] = {
            "statut": status,
            "perimetre": scope,
            "enonce": row.get("sentence", ""),
            "source": row.get("source", ""),
            "tests": [nodeid for nodeid, _, _ in outcomes.tests.get(rid, [])],
            "raisons": reasons,
        }
    errors = list(kit_errors)
    failed = sorted(rid for rid, row in rows.items() if row["statut"] == FAILED)
    if errors:
        result = "non exécuté"
    elif failed:
        result = "non conforme"
    elif partial or any(row["statut"] == NOT_EVALUABLE for row in rows.values()):
        result = "partiel"
    else:
        result = "conforme"
    return {
        **header,
        "verdict": result,
        "exigencesEnEchec": failed,
        "exigencesNonTestees": [
            {"id": rid, "raisons": row["raisons"]} for rid, row in rows.items() if row["statut"] == NOT_TESTED
        ],
        "exigencesNonEvaluables": [
            {"id": rid, "raisons": row["raisons"]} for rid, row in rows.items() if row["statut"] == NOT_EVALUABLE
        ],
        "erreursDuKit": errors,
        "exigences": rows,
    }


def coverage_markdown(document: Mapping[str, Any]) -> str:
    """The requirement coverage table (Markdown)."""
    tool = document.get("outil", {})
    lines = [
        f"# Certification Ségur numérique : {tool.get('nom', '?')} {tool.get('version') or ''}".rstrip(),
        "",
        f"Verdict : **{document['verdict']}** (kit {document['kit']['version']}, "
        f"spécification {document['specification']['id']} {document['specification']['version']}, "
        f"graine {document['graine']})",
        "",
        "| exigence | périmètre | statut | tests | raison |",
        "|---|---|---|---|---|",
    ]
    for rid, row in document["exigences"].items():
        reason = "; ".join(row["raisons"]).replace("|", "\\|").replace("\n", " ")
        if len(reason) > 160:
            reason = reason[:157] + "…"
        lines.append(f"| {rid} | {row['perimetre']} | {row['statut']} | {len(row['tests'])} | {reason} |")
    counts: dict[str, int] = {}
    for row in document["exigences"].values():
        counts[row["statut"]] = counts.get(row["statut"], 0) + 1
    lines += ["", ", ".join(f"{count} {status}" for status, count in sorted(counts.items())), ""]
    return "\n".join(lines)


def html_cells(requirements: Mapping[str, Mapping[str, str]], ids: Iterable[str]) -> list[str]:
    """The pytest-html cells of a row: requirement, sentence, source."""
    found = list(ids)
    rows = [requirements.get(rid, {}) for rid in found]
    return [
        f'<td class="col-requirement">{html.escape(", ".join(found))}</td>',
        f'<td class="col-sentence">{html.escape(" / ".join(r.get("sentence", "") for r in rows))}</td>',
        f'<td class="col-source">{html.escape(" / ".join(r.get("source", "") for r in rows))}</td>',
    ]
