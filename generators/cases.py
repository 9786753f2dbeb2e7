"""The rejection cases kept as data in ``<spec folder>/cases``: build and check them.

Trainers list them (``segur cases list``) and write one out (``segur cases build``); the
tests and ``segur spec check`` run every variant against the controls (they are the golden
cases of the catalogue).

A case is written against **logical fields** and **rule names**, never against the JSON
layout or the code numbers of a format: it names the rule it illustrates (``rule``), a base
(``base``: a deposit type, "avance" or "solde", whose spec example it starts from:
``examples/<profile>.json`` of the spec's first profile of that type, with its
``.history.json`` if any), and variants. Each variant changes the base's requests as logical
values (amounts in cents, dates ISO ``YYYY-MM-DD``, VAT rates in percent, enumerations and
piece roles by the kit's keys, statuses by the spec's status keys) and states the expected
answer by rule name:

A case may instead illustrate a **check by hand** of the gestionnaire (``"check":
"bdc-state-mention"`` in place of ``rule``, :mod:`segur.mock_portal.controls.hand_checks`): its
variants expect what the portal's controls answer (often ``"accepted"``) and the warnings.

- ``"accepted"``: the file and every line accepted;
- ``{"file": "file-json"}``: the whole file rejected for that rule;
- ``{"lines": {"2": "siret-key"}}``: those lines answer that rule first, every other line is
  accepted; ``{"codes": {"2": ["siret-key", "siret-siren"]}}`` fixes the full list of a line.

Variant keys (all optional), applied in this order:

- ``lines``: N lines made from the base's first (distinct references, order forms and sites);
  ``keep``: only these lines of the base (1-based); ``append``: ``[{"copy": 1}, …]`` copies;
- ``set``: ``{"2": {"amount_ttc": 1200001, "mss_indicator": null}}`` logical values (null
  leaves the field out); pieces as ``[["va", "VA-1.pdf"], …]``;
- ``raw``: ``{"2": {"amount_requested": "abc"}}`` a value written as is where the field sits;
  ``third_decimal``: ``{"2": ["amount_requested"]}`` the amount written with a third decimal;
  ``impossible_date``: ``{"2": ["bdc_date"]}`` the 30th of February in the spec's date format;
  ``unknown``: ``{"2": [{"beside": "amount_ht", "name": "remise", "value": 0}]}`` a field the
  format does not have (``beside``: next to that field; absent: at the request's top);
  ``misspell``: ``{"3": ["amount_ttc"]}`` the field's key written in the wrong case;
- ``document``: ``{"drop": ["format_version"], "raw": {"format_version": 1.0}, "extra":
  {"dateGeneration": "…"}, "requests_as_object": true, "bare_list": true, "request_raw":
  {"3": "not an object"}, "requests_first": true}`` the file's envelope;
- ``bytes``: ``{"text"|"hex": …, "encoding": "latin-1", "truncate": N, "prefix_hex": …,
  "suffix_hex": …}`` the file's bytes;
- ``zip``: ``{"remove": [names], "put": {name: {"pdf": {"size": N, "truncate": N,
  "prefix_hex": …}} | {"text": …} | {"hex": …} | {"deflated_zeros": N} | {"pdf_objects": N}},
  "absent": true,
  "sparse": N, "raw_text": …, "extra": N, "duplicate": [names]}``;
- ``history`` (replaces the base's stored requests) and ``history_add``: entries ``{"number",
  "type" ("avance"/"solde"), "status" (a status key), "reference", "bdc", "site_finess",
  "site_siret", "avance", "avenants" (status keys, or workflow.json's avenant keys), "other_editor",
  "profile", "amount" (the amount it requested, in cents)}``; ``history_set``:
  ``{"MS1A2024000001": {"amount": 1199999}}`` changes entries of the base's stored requests, by
  number;
- ``deposit``: ``{"type", "vat", "ans", "at", "corrected_at", "enrolments": [{"ans", "profile"}],
  "mode"}`` (``corrected_at``: the request is a stored one, deposited at ``at`` and corrected by
  its editor at that time);
- ``flaws``: ``{"1": ["bdc-state-mention"]}`` the pieces of those lines written without what
  each check by hand reads (the zip's pieces are otherwise the generators' documents, made from
  the variant's values: they carry what a gestionnaire looks for);
- ``warnings``: ``{"1": ["bdc-state-mention"]}`` the checks by hand that warn on each line, every
  other line none (``{}``: no warning at all); without the key, warnings are not checked.

A case may name a ``programme`` (``"programme": "ms2"``): its base is then the example of that
programme's profile of the base type instead of the first one.
"""

from __future__ import annotations

import dataclasses
import warnings
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from segur.generators.archive import write_zip
from segur.generators.bundle import replicate
from segur.generators.bundle_writer import replay_command
from segur.generators.documents import bundle_pieces
from segur.generators.pdf import pdf_document, pdf_with_objects
from segur.mock_portal.controls import (
    ACCEPTED,
    Answer,
    Deposit,
    Enrolment,
    InMemoryHistory,
    Spec,
    StoredRequest,
    check_deposit,
    history_from_json,
)
from segur.mock_portal.controls.attachments import attachment_report
from segur.mock_portal.controls.context import history_document
from segur.mock_portal.controls.hand_checks import HandWarning, deposit_warnings, hand_roles
from segur.mock_portal.controls.line import read_values
from segur.mock_portal.controls.spec import resolve
from segur.mock_portal.controls.writer import complete, put, remove, write_document, write_request

_PDF_CACHE: dict[tuple[str, int | None], bytes] = {}


class CaseError(ValueError):
    """A case file that cannot be built with the spec in force; the message says where and why."""


def case_files(spec: Spec) -> list[Path]:
    return sorted((spec.root / "cases").glob("*.json"))


def load_case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = orjson.loads(path.read_bytes())
    return case


#: what ``segur cases list`` shows in place of a code for a case of a check by hand
WARNING_CASE = "avertissement"


def case_code(case: dict[str, Any], spec: Spec) -> str:
    """The catalogue code of the rule a case illustrates (its rule name when the spec lacks it;
    :data:`WARNING_CASE` for a case of a check by hand)."""
    rule = case.get("rule")
    if rule is None:
        return WARNING_CASE
    return spec.code_of(rule) or rule


def case_subject(case: dict[str, Any]) -> str:
    """The rule a case illustrates, or its check by hand."""
    return str(case.get("rule") or case["check"])


def variants(spec: Spec) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(test id, case, variant) for every variant of every case file."""
    out = []
    for path in case_files(spec):
        case = load_case(path)
        for variant in case["variants"]:
            out.append((f"{path.stem}: {variant['name']}", case, variant))
    return out


def _pdf(name: str, size: int | None = None) -> bytes:
    key = (name, size)
    if key not in _PDF_CACHE:
        _PDF_CACHE[key] = pdf_document(f"Pièce {name}", ["Pièce justificative de test"], size=size, seed=len(name))
    return _PDF_CACHE[key]


@dataclass
class Built:
    """A variant made concrete: the file's bytes, the deposit, the stored requests, the zip."""

    data: bytes
    deposit: Deposit
    history_doc: dict[str, Any]
    zip_path: Path | None
    mode: str
    spec: Spec

    @property
    def history(self) -> InMemoryHistory:
        return history_from_json(self.history_doc, self.spec)


def base_profile(case: dict[str, Any], spec: Spec) -> str:
    kind = case["base"]
    programme = case.get("programme")
    if programme is not None:
        found = spec.profile_of(programme, kind)
        if found is None:
            raise CaseError(f"programme {programme!r}: the spec has no {kind} profile of that programme")
        return found.name
    found = next((p for p in spec.profiles.values() if p.deposit_type == kind), None)
    if found is None:
        raise CaseError(f"base {kind!r}: the spec has no profile of that deposit type")
    return found.name


def _logical(value: Any, name: str, spec: Spec) -> Any:
    """A case's JSON value as the logical value of field ``name``."""
    if value is None:
        return None
    kind = spec.fields[name].kind if name in spec.fields else None
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if kind == "pieces":
        return [tuple(piece) for piece in value]
    return value


def _base_requests(profile: str, spec: Spec) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    examples = spec.root / "examples"
    path = examples / f"{profile}.json"
    if not path.is_file():
        raise CaseError(f"{path}: the cases' base of profile {profile} is missing")
    document = orjson.loads(path.read_bytes())
    raws = resolve(document, spec.document["requests"].path)
    requests = []
    for raw in raws:
        values = read_values(raw, spec)
        values["pieces"] = [(piece.role, piece.name) for piece in values.get("pieces") or []]
        requests.append({k: v for k, v in values.items() if v is not None and v != []})
    history_path = examples / f"{profile}.history.json"
    history = orjson.loads(history_path.read_bytes()).get("demandes", []) if history_path.is_file() else []
    extra = {key: value for key, value in document.items() if key not in write_document([], spec)}
    return requests, extra, history


def _requests(case: dict[str, Any], variant: dict[str, Any], spec: Spec, profile: str) -> list[dict[str, Any]]:
    requests, _, _ = _base_requests(profile, spec)
    if "lines" in variant:
        requests = replicate(requests[0], variant["lines"], words=spec.pieces.roles)
    if "keep" in variant:
        requests = [requests[n - 1] for n in variant["keep"]]
    for added in variant.get("append", []):
        requests.append(dict(requests[added["copy"] - 1]))
    for number, values in variant.get("set", {}).items():
        line = requests[int(number) - 1]
        for name, value in values.items():
            if name not in spec.fields:
                raise CaseError(f"set: {name!r} is not a logical field the spec maps")
            if value is None:
                line.pop(name, None)
            else:
                line[name] = _logical(value, name, spec)
    return requests


def _edit_requests(written: list[Any], variant: dict[str, Any], spec: Spec) -> None:
    for number, values in variant.get("raw", {}).items():
        for name, value in values.items():
            put(written[int(number) - 1], spec.fields[name].path, value)
    for number, names in variant.get("third_decimal", {}).items():
        line = written[int(number) - 1]
        for name in names:
            definition = spec.fields[name]
            current = definition.codec.read(resolve(line, definition.path))
            raw = definition.codec.with_third_decimal(current)
            if raw is None:
                raise CaseError(f"third_decimal: {name} is written as {definition.codec.describe()}")
            put(line, definition.path, raw)
    for number, names in variant.get("impossible_date", {}).items():
        line = written[int(number) - 1]
        for name in names:
            definition = spec.fields[name]
            year = definition.codec.read(resolve(line, definition.path)).year
            put(line, definition.path, definition.codec.impossible(year))  # type: ignore[attr-defined]
    for number, extras in variant.get("unknown", {}).items():
        line = written[int(number) - 1]
        for extra in extras:
            beside = extra.get("beside")
            parent = spec.fields[beside].path[:-1] if beside else ()
            put(line, (*parent, extra["name"]), extra.get("value"))
    for number, names in variant.get("misspell", {}).items():
        line = written[int(number) - 1]
        for name in names:
            path = spec.fields[name].path
            value = resolve(line, path)
            remove(line, path)
            key = path[-1]
            put(line, (*path[:-1], key.upper() if key != key.upper() else key.lower()), value)


def _document(case: dict[str, Any], variant: dict[str, Any], spec: Spec, profile: str) -> Any:
    requests = _requests(case, variant, spec, profile)
    _, extra, _ = _base_requests(profile, spec)
    written = [write_request(values, spec) for values in requests]
    _edit_requests(written, variant, spec)
    document: Any = {**extra, **write_document(written, spec)}
    complete(document, profile, spec)
    ops = variant.get("document", {})
    listed = spec.document["requests"].path
    for name in ops.get("drop", []):
        remove(document, spec.document[name].path)
    for name, value in ops.get("raw", {}).items():
        put(document, spec.document[name].path, value)
    for number, value in ops.get("request_raw", {}).items():
        resolve(document, listed)[int(number) - 1] = value
    for key, value in ops.get("extra", {}).items():
        document[key] = value
    if ops.get("requests_first"):
        first = listed[0]
        document = {first: document.pop(first), **document}
    if ops.get("requests_as_object"):
        put(document, listed, resolve(document, listed)[0])
    if ops.get("bare_list"):
        document = resolve(document, listed)
    return document


def _stored(entry: dict[str, Any], spec: Spec, profile: str) -> dict[str, Any]:
    kind = entry.get("type", "avance")
    found = spec.profiles.get(entry.get("profile", "")) or spec.sibling(spec.profiles[profile], kind)
    if found is None:
        raise CaseError(f"history: the spec has no {kind} profile beside {profile}")
    return StoredRequest(
        numero_demande=entry["number"],
        type_demande=spec.deposit_types[kind],
        couloir=found.couloir,
        type_logiciel=found.type_logiciel,
        statut=spec.statuts[entry.get("status", "enAttente")],
        reference_ligne=entry.get("reference"),
        numero_bdc=entry.get("bdc"),
        finess_geographique=entry.get("site_finess"),
        siret=entry.get("site_siret"),
        numero_demande_avance=entry.get("avance"),
        avenants=tuple(_avenant_label(key, spec) for key in entry.get("avenants", [])),
        own=not entry.get("other_editor", False),
        montant_demande=entry.get("amount"),
    ).to_json()


def _avenant_label(key: str, spec: Spec) -> str:
    """An avenant's status in a case: a request status key, or one of workflow.json's avenant keys."""
    label = spec.statuts.get(key) or spec.workflow.get("avenant", {}).get("statuts", {}).get(key)
    if label is None:
        raise CaseError(
            f"history: avenant status {key!r} is neither a status key nor one of workflow.json's avenant keys"
        )
    return str(label)


def _file_bytes(document: Any, raw: dict[str, Any]) -> bytes:
    data: bytes
    if "text" in raw:
        data = raw["text"].encode("utf-8")
    elif "hex" in raw:
        data = bytes.fromhex(raw["hex"])
    else:
        data = orjson.dumps(document).decode("utf-8").encode(raw.get("encoding", "utf-8"))
    if "truncate" in raw:
        data = data[: raw["truncate"]]
    return bytes.fromhex(raw.get("prefix_hex", "")) + data + bytes.fromhex(raw.get("suffix_hex", ""))


def build(case: dict[str, Any], variant: dict[str, Any], spec: Spec, tmp: Path) -> Built:
    """The file bytes, deposit, history, zip (written under ``tmp``) and mode of a variant."""
    profile = base_profile(case, spec)
    document = _document(case, variant, spec, profile)
    data = _file_bytes(document, variant.get("bytes", {}))
    _, _, base_history = _base_requests(profile, spec)
    entries = [dict(entry) for entry in base_history]
    for number, changes in variant.get("history_set", {}).items():
        entry = next((e for e in entries if e.get("numeroDemande") == number), None)
        if entry is None:
            raise CaseError(f"history_set: the base stores no request {number!r}")
        stored = history_from_json({"demandes": [entry]}, spec).requests[0]
        replaced = dataclasses.replace(stored, montant_demande=changes.get("amount", stored.montant_demande)).to_json()
        entry.clear()
        entry.update(replaced)
    if "history" in variant:
        entries = [_stored(entry, spec, profile) for entry in variant["history"]]
    entries = entries + [_stored(entry, spec, profile) for entry in variant.get("history_add", [])]
    chosen = {**case.get("deposit", {}), **variant.get("deposit", {})}
    mode = chosen.get("mode", "simulation")
    enrolments = None
    if "enrolments" in chosen:
        enrolments = []
        for enrolment in chosen["enrolments"]:
            found = spec.profiles.get(enrolment.get("profile", profile))
            if found is None:
                raise CaseError(f"deposit.enrolments: the spec has no profile {enrolment.get('profile')!r}")
            enrolments.append(Enrolment(enrolment["ans"], found.couloir, found.type_logiciel))
    deposit = Deposit(
        type_demande=chosen.get("type", case["base"]),
        taux_tva=chosen.get("vat", 20),
        at=spec.local_time(chosen["at"]) if "at" in chosen else None,
        numero_ans=chosen.get("ans"),
        enrolments=tuple(enrolments) if enrolments is not None else None,
        corrected_at=spec.local_time(chosen["corrected_at"]) if "corrected_at" in chosen else None,
    )
    requests = _requests(case, variant, spec, profile)
    flaws = {int(number) - 1: frozenset(checks) for number, checks in variant.get("flaws", {}).items()}
    unknown = sorted({c for checks in flaws.values() for c in checks} - set(spec.hand_checks))
    if unknown:
        raise CaseError(f"flaws: {unknown} are not checks by hand of the spec ({', '.join(spec.hand_checks)})")
    zipped = _zip(requests, variant.get("zip", {}), tmp, spec, flaws)
    return Built(data, deposit, history_document(entries), zipped, mode, spec)


def _zip(
    requests: list[dict[str, Any]], plan: dict[str, Any], tmp: Path, spec: Spec, flaws: dict[int, frozenset[str]]
) -> Path | None:
    if plan.get("absent"):
        return None
    path = tmp / "pieces.zip"
    if "sparse" in plan:
        with path.open("wb") as handle:
            handle.truncate(plan["sparse"])
        return path
    if "raw_text" in plan:
        path.write_bytes(plan["raw_text"].encode())
        return path
    removed = set(plan.get("remove", []))
    pieces = bundle_pieces([{**values, "pieces": values.get("pieces") or []} for values in requests], spec, flaws=flaws)
    members: dict[str, bytes] = {name: content for name, content in pieces if name not in removed}
    deflated: dict[str, int] = {}
    for name, content in plan.get("put", {}).items():
        if "pdf" in content:
            pdf = _pdf(name, content["pdf"].get("size"))
            if "truncate" in content["pdf"]:
                pdf = pdf[: content["pdf"]["truncate"]]
            members[name] = bytes.fromhex(content["pdf"].get("prefix_hex", "")) + pdf
        elif "text" in content:
            members[name] = content["text"].encode()
        elif "hex" in content:
            members[name] = bytes.fromhex(content["hex"])
        elif "deflated_zeros" in content:
            deflated[name] = content["deflated_zeros"]
        elif "pdf_objects" in content:
            members[name] = pdf_with_objects(content["pdf_objects"])
    for number in range(1, plan.get("extra", 0) + 1):
        members[f"annexe-{number:04d}.txt"] = b"annexe"
    write_zip(path, members.items(), compression=zipfile.ZIP_STORED)
    if deflated:
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, size in deflated.items():
                archive.writestr(name, bytes(size))
    for name in plan.get("duplicate", []):
        with zipfile.ZipFile(path, "a") as archive, warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Duplicate name", UserWarning)  # the point of the variant
            archive.writestr(name, members.get(name, _pdf(name)))
    return path


def run(case: dict[str, Any], variant: dict[str, Any], spec: Spec, tmp: Path) -> Answer:
    return run_with_warnings(case, variant, spec, tmp)[0]


def run_with_warnings(
    case: dict[str, Any], variant: dict[str, Any], spec: Spec, tmp: Path
) -> tuple[Answer, list[HandWarning]]:
    """The portal's answer to a variant and the warnings of the checks by hand on its pieces (the
    zip read once for both)."""
    built = build(case, variant, spec, tmp)
    return _check(built, spec)


def _check(built: Built, spec: Spec) -> tuple[Answer, list[HandWarning]]:
    report = None
    if built.zip_path is not None:
        report = attachment_report(built.data, built.zip_path, spec, read_roles=hand_roles(spec))
    answer = check_deposit(
        built.data,
        built.deposit,
        spec=spec,
        history=built.history,
        attachments=report if report is not None else built.zip_path,
        mode=built.mode,
    )
    found = deposit_warnings(built.data, report.texts, spec) if report is not None else []
    return answer, found


def warning_mismatches(found: list[HandWarning], variant: dict[str, Any]) -> list[str]:
    """What differs between the warnings found and those a variant states (none when it states none)."""
    if "warnings" not in variant:
        return []
    wanted = {int(number): sorted(checks) for number, checks in variant["warnings"].items() if checks}
    received: dict[int, list[str]] = {}
    for warning in found:
        received.setdefault(warning.line + 1, []).append(warning.check)
    received = {number: sorted(checks) for number, checks in received.items()}
    if received == wanted:
        return []
    messages: dict[int, list[str]] = {}
    for warning in found:
        messages.setdefault(warning.line + 1, []).append(warning.message)
    return [f"Warnings: Expected: {wanted}. Received: {received} {messages}"]


def find_case(spec: Spec, name: str) -> dict[str, Any]:
    """A case by its name (the file name without .json), its rule, or its code: when several
    cases illustrate that rule (a code's own case and trainer cases), the first in name order."""
    paths = {path.stem: path for path in case_files(spec)}
    if name in paths:
        return {"name": name, **load_case(paths[name])}
    matching = sorted(
        stem
        for stem, path in paths.items()
        if name in (case_subject(load_case(path)), case_code(load_case(path), spec))
    )
    if matching:
        return {"name": matching[0], **load_case(paths[matching[0]])}
    known = ", ".join(sorted(paths))
    raise LookupError(f"no rejection case named {name!r}; known cases: {known}")


def write_case(spec: Spec, case: dict[str, Any], index: int, out: Path) -> dict[str, Any]:
    """Write one variant of a case into ``out``: the JSON file as deposited, its zip, the stored
    requests it assumes, and the portal's expected answer with the deposit to reproduce it."""
    variants_ = case["variants"]
    if not 0 <= index < len(variants_):
        raise LookupError(f"case {case['name']} has variants 1 to {len(variants_)}, not {index + 1}")
    variant = variants_[index]
    out.mkdir(parents=True, exist_ok=True)
    built = build(case, variant, spec, out)
    (out / "depot.json").write_bytes(built.data)
    stored = bool(built.history.requests)
    if stored:
        (out / "historique.json").write_bytes(orjson.dumps(built.history_doc, option=orjson.OPT_INDENT_2))
    answer, found = _check(built, spec)
    command = replay_command(
        "depot.json",
        built.deposit,
        answer.at.isoformat(),
        built.mode,
        spec,
        zip_name=built.zip_path.name if built.zip_path is not None else None,
        history_name="historique.json" if stored else None,
    )
    manifest = {
        "cas": case["name"],
        "code": case_code(case, spec),
        "regle": case.get("rule"),
        "controleManuel": case.get("check"),
        "titre": case["title"],
        "description": case.get("description", ""),
        "variante": {"numero": index + 1, "nom": variant["name"], "attendu": expected_codes(variant["expect"], spec)},
        "specification": {"id": spec.id, "version": spec.version},
        "commande": command,
        "reponseAttendue": answer.to_json(),
        "avertissementsAttendus": [warning.to_json() for warning in found],
    }
    (out / "attendu.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest


def expected_codes(expect: Any, spec: Spec) -> Any:
    """A variant's expectation with the spec's codes in place of rule names."""
    if expect == "accepted":
        return expect
    code = spec.code_of
    if "file" in expect:
        return {"file": code(expect["file"]) or expect["file"]}
    out: dict[str, Any] = {"lines": {k: code(v) or v for k, v in expect.get("lines", {}).items()}}
    if "codes" in expect:
        out["codes"] = {k: [code(r) or r for r in v] for k, v in expect["codes"].items()}
    return out


def mismatches(answer: Answer, expect: Any, spec: Spec | None = None) -> list[str]:
    """What differs between the answer and the expectation, as 'Expected/Received' lines."""
    spec = spec if spec is not None else answer.spec
    accepted = spec.accepted_code
    wanted_codes = expected_codes(expect, spec)
    problems = []
    file_code = answer.file_findings[0].code if answer.file_findings else accepted
    received = {line.number: (line.findings[0].code if line.findings else accepted) for line in answer.lines}
    if expect == "accepted":
        if file_code != accepted or any(line.status != ACCEPTED for line in answer.lines):
            problems.append(f"Expected: every line {accepted}. Received: file {file_code}, lines {received}")
        return problems
    if "file" in wanted_codes:
        if file_code != wanted_codes["file"]:
            problems.append(f"Expected: file {wanted_codes['file']}. Received: file {file_code} {answer.file_findings}")
        return problems
    if file_code != accepted:
        problems.append(f"Expected: file accepted. Received: file {file_code} {answer.file_findings}")
        return problems
    wanted = {int(k): v for k, v in wanted_codes.get("lines", {}).items()}
    for number, code in received.items():
        want = wanted.get(number, accepted)
        if code != want:
            problems.append(f"Line {number}: Expected: {want}. Received: {code} {answer.lines[number - 1].findings}")
    for number, codes in wanted_codes.get("codes", {}).items():
        got = [f.code for f in answer.lines[int(number) - 1].findings]
        if got != codes:
            problems.append(f"Line {number} codes: Expected: {codes}. Received: {got}")
    missing = set(wanted) - set(received)
    if missing:
        problems.append(f"Expected lines {sorted(missing)} in the answer. Received only {sorted(received)}")
    return problems


def case_rules(case: dict[str, Any]) -> set[str]:
    """Every rule a case's expectations name."""
    rules = {case["rule"]} if case.get("rule") else set()
    for variant in case["variants"]:
        expect = variant["expect"]
        if isinstance(expect, dict):
            rules |= {expect["file"]} if "file" in expect else set()
            rules |= set(expect.get("lines", {}).values())
            rules |= {rule for codes in expect.get("codes", {}).values() for rule in codes}
    return rules
