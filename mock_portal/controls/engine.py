"""Run the portal's automatic controls on a deposit, as the logigramme de dépôt does.

1. control of the file as a whole; a failure rejects the whole file;
2. otherwise a technical control of each request: code "0000", or every code it breaks;
3. on import, the accepted lines get an ASP number; when only attachments fail, the
   request is created incomplete (it gets a number too).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from . import file_rules, history_rules, line_rules  # noqa: F401  (register the controls)
from .answer import ACCEPTED, IMPORT, INCOMPLETE, MODES, REJECTED, Answer, LineResult, Numbering, SequenceNumbering
from .context import EMPTY_HISTORY, Deposit, History
from .line import CheckContext, Line
from .registry import LINE_CONTROLS
from .schema_rules import violations as schema_violations
from .spec import Spec, SpecError, load_spec
from .violation import Finding, Violation

if TYPE_CHECKING:  # the zip's controls are imported when a zip is checked: a JSON-only check never pays for them
    from . import attachments as _attachments

_NOT_GIVEN: Any = object()


def check_deposit(
    data: bytes,
    deposit: Deposit,
    *,
    spec: Spec | None = None,
    history: History = EMPTY_HISTORY,
    attachments: _attachments.ZipSource | _attachments.AttachmentReport | None = _NOT_GIVEN,
    mode: str = "simulation",
    numbering: Numbering | None = None,
) -> Answer:
    """The portal's answer to ``data`` (the JSON file's bytes) deposited as ``deposit``.

    ``attachments`` is the zip (a path or a binary file); left out in a simulation, the
    attachments are not checked, as the portal's Simuler works on the JSON alone. On an
    import, a missing zip is reported on every line. An :class:`AttachmentReport` made
    ahead by ``attachment_report`` on the same bytes stands for the zip. ``numbering`` gives ASP numbers on
    import (default: a counter from 1).
    """
    spec = spec if spec is not None else load_spec()
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if deposit.type_demande not in spec.deposit_types:
        raise ValueError(f"type of request must be one of {sorted(spec.deposit_types)}, not {deposit.type_demande!r}")
    if float(deposit.taux_tva) not in spec.vat_rates:
        rates = ", ".join(f"{r:g}" for r in spec.vat_rates)
        raise ValueError(f"VAT rate must be one of {rates}, not {deposit.taux_tva!r}")
    stage = file_rules.read_file(data, deposit, spec)
    answer = Answer(
        spec=spec,
        mode=mode,
        type_demande=deposit.type_demande,
        at=stage.at,
        taux_tva=float(deposit.taux_tva),
        numero_ans=stage.numero_ans,
        profile=stage.profile,
    )
    if stage.violations:
        answer.file_findings = _findings(stage.violations, spec)
        if answer.file_findings:
            return answer
    profile = stage.profile
    if profile is None:
        raise SpecError(
            f"{spec.root / 'codes.json'}: the catalogue must bind the rules file-mixed-profile "
            "and file-unknown-profile, or files of unknown profile cannot be answered"
        )
    lines = stage.lines
    by_line: dict[int, list[Violation]] = defaultdict(list)
    for violation in _schema(stage.document, profile.name, spec, lines):
        by_line[violation.line or 0].append(violation)
    prepare = getattr(history, "prepare", None)
    matched = None
    if prepare is not None:  # a stored history may fetch what the lines can match in one go
        matched = prepare(
            references={v for line in lines if isinstance(v := line.line_reference, str)},
            bdcs={v for line in lines if isinstance(v := line.bdc_number, str)},
            beneficiaries={key for line in lines for key in line.beneficiaries},
            avances={v for line in lines if isinstance(v := line.avance_number, str)},
        )
    ctx = CheckContext(
        spec,
        profile,
        stage.at,
        float(deposit.taux_tva),
        stage.numero_ans or "",
        history,
        matched is not False,
        deposit.corrected_at,
    )
    enforced = spec.rule_codes
    for registered in LINE_CONTROLS:
        if any(rule in enforced for rule in registered.rules):
            for violation in registered.function(lines, ctx):
                by_line[violation.line or 0].append(violation)
    zip_source = None if attachments is _NOT_GIVEN else attachments
    if zip_source is not None or mode == IMPORT:
        from . import attachments as _attachments
    if zip_source is not None and isinstance(zip_source, _attachments.AttachmentReport):
        # checked ahead on the same bytes; a line whose piece list failed the schema names no
        # piece here, so its per-piece findings are dropped as a direct check would not make them
        for violation in zip_source.violations:
            line_index = violation.line or 0
            if violation.pointer and not lines[line_index].pieces:  # a per-piece finding
                continue
            by_line[line_index].append(violation)
    elif zip_source is not None or mode == IMPORT:
        for violation in _attachments.check_attachments(zip_source, lines, spec):
            by_line[violation.line or 0].append(violation)
    numbering = numbering or (SequenceNumbering(spec) if mode == IMPORT else None)
    numbered = numbering if mode == IMPORT else None
    results = answer.lines
    for line in lines:
        violations = by_line.get(line.index)
        findings = _findings(violations, spec) if violations else []
        if not findings:  # most lines of most files: nothing to resolve
            status = ACCEPTED
        elif all(f.level == "attachment" for f in findings):
            status = INCOMPLETE
        else:
            status = REJECTED
        result = LineResult(line.index + 1, line.line_reference, findings, status, line.amount_requested)
        if numbered is not None and status != REJECTED:
            result.numero_demande = numbered(profile, stage.at)
        results.append(result)
    return answer


def _schema(document: Any, profile: str, spec: Spec, lines: list[Line]) -> Iterable[Violation]:
    """Schema violations of each request; re-reads the fields the schema found bad."""
    validator = spec.profile_validators[profile]
    if validator.is_valid(document):  # the common case, and faster than collecting errors
        return []
    errors = list(validator.iter_errors(document))
    prefix = len(spec.document["requests"].path)
    per_line: dict[int, list[Any]] = defaultdict(list)
    outside: list[Any] = []
    for error in errors:
        where = error.instance_path
        position = where[prefix] if len(where) > prefix else None
        if isinstance(position, int):
            per_line[position].append(error)
        else:
            outside.append(error)
    found: list[Violation] = []
    for index, line_errors in per_line.items():
        bad: set[tuple[str, ...]] = set()
        for field_path, violation, spoils in schema_violations(line_errors, prefix + 1):
            found.append(replace(violation, line=index))
            if spoils:
                bad.add(field_path)
        if bad:
            lines[index] = Line(index, lines[index].raw, spec, bad)
    for error in outside:  # the envelope passed, so this is the profile schema being stricter
        for _, violation, _spoils in schema_violations([error], 0):
            found.extend(replace(violation, line=line.index) for line in lines)
    return found


def _findings(violations: Iterable[Violation], spec: Spec) -> list[Finding]:
    """Resolve violations against the catalogue, drop rules it does not enforce, sort stably."""
    if not violations:
        return []
    findings = []
    for order, violation in enumerate(violations):
        entry = spec.rule_codes.get(violation.rule)
        if entry is None:
            continue
        params = {"champ": violation.pointer or "/", **violation.params}
        finding = Finding(entry.code, entry.level, spec.label_for(entry.code, params), violation.pointer, params)
        findings.append((entry.code, violation.pointer, order, finding))
    findings.sort(key=lambda item: item[:3])
    return [item[3] for item in findings]


__all__ = ["ACCEPTED", "INCOMPLETE", "REJECTED", "check_deposit"]
