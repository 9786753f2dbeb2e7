"""Controls of the file as a whole: encoding, JSON, structure, count, profile, enrolment, window.

Any violation here rejects the whole file for non-conformity: no line is then checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from .context import Deposit
from .depth import DEFAULT_MAX_DEPTH, DEPTH_ERROR, too_deep
from .line import Line
from .reasons import json_reason
from .registry import engine_rules
from .schema_rules import detail_fr, pointer
from .spec import Profile, Spec, Window, resolve
from .violation import Violation

engine_rules(
    "file-depth",
    "file-encoding",
    "file-bom",
    "file-json",
    "file-structure",
    "file-format-version",
    "file-empty",
    "file-too-many",
    "file-mixed-profile",
    "file-deposit-type",
    "file-unknown-profile",
    "file-ans-not-enrolled",
    "file-ans-profile",
    "file-window",
)

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


@dataclass
class FileStage:
    """What reading the file as a whole gives the line controls, or why it was rejected."""

    at: datetime
    numero_ans: str | None
    document: Any = None
    requests: list[Any] = field(default_factory=list)
    #: each request with its logical fields, read once here and checked by the line controls
    lines: list[Line] = field(default_factory=list)
    profile: Profile | None = None
    violations: list[Violation] = field(default_factory=list)


def _fmt(moment: datetime, spec: Spec) -> str:
    return moment.astimezone(spec.timezone).strftime("%d/%m/%Y %H:%M")


def window_state(window: Window, at: datetime, spec: Spec) -> str:
    """A window at ``at``, in words: « ouvert jusqu'au 28/02/2024 à 14:00 », « fermé depuis le
    28/02/2024 à 14:00 » (the closing time is already closed) or « pas encore ouvert
    (ouverture le … à …) »."""

    def said(moment: datetime) -> str:
        return moment.astimezone(spec.timezone).strftime("%d/%m/%Y à %H:%M")

    if at >= window.closes:
        return f"fermé depuis le {said(window.closes)}"
    if at < window.opens:
        return f"pas encore ouvert (ouverture le {said(window.opens)})"
    return f"ouvert jusqu'au {said(window.closes)}"


def read_file(data: bytes, deposit: Deposit, spec: Spec) -> FileStage:
    """Run the file-level controls, stopping where the file can no longer be read."""
    type_code = spec.deposit_types[deposit.type_demande]
    stage = FileStage(at=deposit.at or spec.default_deposit_time(None, type_code), numero_ans=deposit.numero_ans)
    out = stage.violations
    if data.startswith(_BOMS):
        out.append(Violation("file-bom"))
        return stage
    maximum = spec.limits.get("maxProfondeur", DEFAULT_MAX_DEPTH)
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            out.append(Violation("file-encoding", "", {"position": bad.start + 1}))
        else:
            if DEPTH_ERROR in exc.msg:  # orjson stops at 1024 levels
                out.append(Violation("file-depth", "", {"profondeur": "plus de 1024", "maximum": maximum}))
            else:
                out.append(Violation("file-json", "", {"detail": json_reason(exc.msg, exc.lineno, exc.colno)}))
        return stage
    depth = too_deep(document, maximum)
    if depth is not None:  # before any schema or control walks it: their recursion is bounded
        out.append(Violation("file-depth", "", {"profondeur": f"au moins {depth}", "maximum": maximum}))
        return stage
    stage.document = document
    for error in spec.envelope_validator.iter_errors(document):
        out.append(
            Violation(
                "file-structure",
                pointer(error.instance_path),
                {"champ": pointer(error.instance_path) or "/", "detail": _structure_detail(error)},
            )
        )
    if out:
        return stage
    listed = spec.document["requests"]
    requests = resolve(document, listed.path)
    if not isinstance(requests, list):  # an envelope schema that does not say the requests are a list
        out.append(
            Violation(
                "file-structure", listed.pointer, {"champ": listed.pointer, "detail": "liste de demandes attendue"}
            )
        )
        return stage
    stage.requests = requests
    version_field = spec.document.get("format_version")
    if version_field is not None:
        version = resolve(document, version_field.path)
        if version not in spec.format_versions:
            out.append(
                Violation(
                    "file-format-version",
                    version_field.pointer,
                    {"version": version, "attendu": ", ".join(spec.format_versions)},
                )
            )
    count, maximum = len(requests), spec.limits["maxDemandes"]
    if count == 0:
        out.append(Violation("file-empty", listed.pointer))
        return stage
    if count > maximum:
        out.append(Violation("file-too-many", listed.pointer, {"nombre": count, "maximum": maximum}))
    stage.lines = [Line(index, raw, spec) for index, raw in enumerate(requests)]
    stage.profile = _profile(stage.lines, type_code, spec, out)
    if stage.numero_ans is None:
        first = stage.lines[0].ans_number
        stage.numero_ans = first if isinstance(first, str) else None
    if stage.profile is None:
        return stage
    if deposit.at is None:
        stage.at = spec.default_deposit_time(stage.profile.name, type_code)
    _enrolment(deposit, stage, out)
    window = spec.windows.get(stage.profile.name)
    if window is not None and not window.opens <= stage.at < window.closes:
        out.append(
            Violation(
                "file-window",
                "",
                {
                    "typeDemande": deposit.type_demande,
                    "profil": stage.profile.libelle,
                    "ouverture": _fmt(window.opens, spec),
                    "fermeture": _fmt(window.closes, spec),
                    "dateDepot": _fmt(stage.at, spec),
                    "etatGuichet": window_state(window, stage.at, spec),
                },
            )
        )
    return stage


def _structure_detail(error: Any) -> str:
    if error.kind.name == "required":
        return f"champ {error.kind.property} absent"
    if error.kind.name == "additionalProperties":
        return "champ(s) non prévu(s) : " + ", ".join(error.kind.unexpected)
    return detail_fr(error)


def _profile(lines: list[Line], type_code: str, spec: Spec, out: list[Violation]) -> Profile | None:
    pairs: set[tuple[str, str]] = set()
    types: set[str] = set()
    for line in lines:
        couloir, logiciel = line.corridor, line.software_type
        if isinstance(couloir, str) and isinstance(logiciel, str):
            pairs.add((couloir, logiciel))
        kind = line.request_type
        if isinstance(kind, str):
            types.add(kind)
    if types and types != {type_code}:
        out.append(
            Violation("file-deposit-type", "", {"typeDepot": type_code, "typeContenu": ", ".join(sorted(types))})
        )
    if len(pairs) > 1:
        found = ", ".join(f"{c}/{t}" for c, t in sorted(pairs))
        out.append(Violation("file-mixed-profile", "", {"trouves": found}))
        return None
    couloir, logiciel = next(iter(pairs)) if pairs else ("(absent)", "(absent)")
    profile = spec.profile_for(couloir, logiciel, type_code)
    if profile is None:
        out.append(Violation("file-unknown-profile", "", {"couloirFichier": couloir, "logicielFichier": logiciel}))
    return profile


def _enrolment(deposit: Deposit, stage: FileStage, out: list[Violation]) -> None:
    if deposit.enrolments is None or stage.profile is None:
        return
    ans = stage.numero_ans or ""
    matching = [e for e in deposit.enrolments if e.numero_ans == ans]
    if not matching:
        out.append(Violation("file-ans-not-enrolled", "", {"numeroAns": ans or "(aucun)"}))
        return
    profile = stage.profile
    if not any((e.couloir, e.type_logiciel) == (profile.couloir, profile.type_logiciel) for e in matching):
        enrolled = ", ".join(f"{e.couloir}/{e.type_logiciel}" for e in matching)
        out.append(
            Violation(
                "file-ans-profile",
                "",
                {
                    "numeroAns": ans,
                    "profilAns": enrolled,
                    "profilFichier": f"{profile.couloir}/{profile.type_logiciel}",
                },
            )
        )
