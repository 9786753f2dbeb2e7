"""The rejection cases kept as data in ``fixtures/<spec>/cases``: build and check them.

Trainers list them (``segur cases list``) and write one out (``segur cases build``); the
tests run every variant against the controls (they are the golden cases of the catalogue).

A case file names a catalogue code and a base example (``examples/<base>.json``, its
``.history.json`` if any). Each variant patches the base (RFC 6902), may replicate its
first line, alter the zip or the deposit, and states the expected answer:

- ``"accepted"``: the file and every line get "0000";
- ``{"file": "1003"}``: the whole file is rejected with that code;
- ``{"lines": {"2": "2011"}}``: those lines get that codetraitement, every other "0000";
  ``{"codes": {"2": ["2011", "2012"]}}`` also fixes the full list of codes of a line.

Variant keys (all optional): ``patch``, ``replicate`` (N lines from line 1),
``raw`` ({"text": ...} or {"hex": ...}: the file's bytes), ``zip`` ({"remove": [names],
"put": {name: {"pdf": {"size": N}} | {"text": "..."} | {"hex": "..."} | {"deflated_zeros": N}
| {"pdf_objects": N}},
"absent": true, "sparse": N, "raw_text": "..."}), ``history`` (entries replacing the base
history) and ``history_add`` (entries added to it), ``deposit`` ({"type", "vat", "ans",
"at", "enrolments", "mode"}).

More ``raw`` keys, to damage the (patched) bundle's own bytes rather than write them out:
``"encoding"`` (a Python codec, e.g. "latin-1": the JSON text encoded in it instead of
UTF-8), ``"truncate"`` (keep only the first N bytes), ``"prefix_hex"`` / ``"suffix_hex"``
(bytes added before / after, e.g. "efbbbf" for a UTF-8 BOM); the last three also apply to
"text" and "hex". More ``zip`` keys: in ``put``, ``"pdf": {"truncate": N}`` (the first N
bytes of the PDF, cut mid-file) and ``"pdf": {"prefix_hex": "..."}`` (bytes before its
``%PDF-`` header); ``"extra": N`` (N more small unreferenced members, ``annexe-0001.txt``...);
``"duplicate": [names]`` (each name written a second time).
"""

from __future__ import annotations

import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonpatch
import orjson
from segur.generators.archive import write_zip
from segur.generators.bundle import replicate
from segur.generators.bundle_writer import replay_command
from segur.generators.pdf import pdf_document, pdf_with_objects
from segur.mock_portal.controls import (
    ACCEPTED,
    Answer,
    Deposit,
    Enrolment,
    InMemoryHistory,
    Spec,
    check_deposit,
    history_from_json,
)

_PDF_CACHE: dict[tuple[str, int | None], bytes] = {}


def case_files(spec: Spec) -> list[Path]:
    return sorted((spec.root / "cases").glob("*.json"))


def load_case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = orjson.loads(path.read_bytes())
    return case


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

    @property
    def history(self) -> InMemoryHistory:
        return history_from_json(self.history_doc)


def build(case: dict[str, Any], variant: dict[str, Any], spec: Spec, tmp: Path) -> Built:
    """The file bytes, deposit, history, zip (written under ``tmp``) and mode of a variant."""
    examples = spec.root / "examples"
    base = case["base"]
    bundle = orjson.loads((examples / f"{base}.json").read_bytes())
    if "replicate" in variant:
        bundle = replicate(bundle, variant["replicate"])
    if "patch" in variant:
        bundle = jsonpatch.apply_patch(bundle, variant["patch"])
    data = _file_bytes(bundle, variant.get("raw", {}))
    history_doc: dict[str, Any] = {"demandes": []}
    history_path = examples / f"{base}.history.json"
    if history_path.exists():
        history_doc = orjson.loads(history_path.read_bytes())
    if "history" in variant:
        history_doc = {"demandes": variant["history"]}
    history_doc["demandes"] = history_doc["demandes"] + variant.get("history_add", [])
    deposit_spec = {**case.get("deposit", {}), **variant.get("deposit", {})}
    mode = deposit_spec.get("mode", "simulation")
    deposit = Deposit(
        type_demande=deposit_spec.get("type", base.split("-")[1]),
        taux_tva=deposit_spec.get("vat", 20),
        at=spec.local_time(deposit_spec["at"]) if "at" in deposit_spec else None,
        numero_ans=deposit_spec.get("ans"),
        enrolments=tuple(Enrolment(e["numeroAns"], e["couloir"], e["typeLogiciel"]) for e in deposit_spec["enrolments"])
        if "enrolments" in deposit_spec
        else None,
    )
    return Built(data, deposit, history_doc, _zip(bundle, variant.get("zip", {}), tmp), mode)


def _file_bytes(bundle: Any, raw: dict[str, Any]) -> bytes:
    data: bytes
    if "text" in raw:
        data = raw["text"].encode("utf-8")
    elif "hex" in raw:
        data = bytes.fromhex(raw["hex"])
    else:
        data = orjson.dumps(bundle).decode("utf-8").encode(raw.get("encoding", "utf-8"))
    if "truncate" in raw:
        data = data[: raw["truncate"]]
    return bytes.fromhex(raw.get("prefix_hex", "")) + data + bytes.fromhex(raw.get("suffix_hex", ""))


def _zip(bundle: Any, plan: dict[str, Any], tmp: Path) -> Path | None:
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
    names: list[str] = []
    if isinstance(bundle, dict):
        for line in bundle.get("demandes", []):
            for piece in line.get("piecesJointes", []) if isinstance(line, dict) else []:
                if isinstance(piece, dict) and isinstance(piece.get("nomFichier"), str):
                    names.append(piece["nomFichier"])
    removed = set(plan.get("remove", []))
    members: dict[str, bytes] = {n: _pdf(n) for n in dict.fromkeys(names) if n not in removed}
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
    built = build(case, variant, spec, tmp)
    return check_deposit(
        built.data, built.deposit, spec=spec, history=built.history, attachments=built.zip_path, mode=built.mode
    )


def find_case(spec: Spec, name: str) -> dict[str, Any]:
    """A case by its name (the file name without .json) or its code, if only one case has it."""
    paths = {path.stem: path for path in case_files(spec)}
    if name in paths:
        return {"name": name, **load_case(paths[name])}
    by_code = [stem for stem in paths if stem.split("-", 1)[0] == name]
    if len(by_code) == 1:
        return {"name": by_code[0], **load_case(paths[by_code[0]])}
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
    if built.history_doc["demandes"]:
        (out / "historique.json").write_bytes(orjson.dumps(built.history_doc, option=orjson.OPT_INDENT_2))
    answer = check_deposit(
        built.data, built.deposit, spec=spec, history=built.history, attachments=built.zip_path, mode=built.mode
    )
    command = replay_command(
        "depot.json",
        built.deposit,
        answer.at.isoformat(),
        built.mode,
        spec,
        zip_name=built.zip_path.name if built.zip_path is not None else None,
        history_name="historique.json" if built.history_doc["demandes"] else None,
    )
    manifest = {
        "cas": case["name"],
        "code": case["code"],
        "titre": case["title"],
        "description": case.get("description", ""),
        "variante": {"numero": index + 1, "nom": variant["name"], "attendu": variant["expect"]},
        "specification": {"id": spec.id, "version": spec.version},
        "commande": command,
        "reponseAttendue": answer.to_json(),
    }
    (out / "attendu.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest


def mismatches(answer: Answer, expect: Any) -> list[str]:
    """What differs between the answer and the expectation, as 'Expected/Received' lines."""
    problems = []
    file_code = answer.file_findings[0].code if answer.file_findings else "0000"
    received = {line.number: (line.findings[0].code if line.findings else "0000") for line in answer.lines}
    if expect == "accepted":
        if file_code != "0000" or any(line.status != ACCEPTED for line in answer.lines):
            problems.append(f"Expected: every line 0000. Received: file {file_code}, lines {received}")
        return problems
    if "file" in expect:
        if file_code != expect["file"]:
            problems.append(f"Expected: file {expect['file']}. Received: file {file_code} {answer.file_findings}")
        return problems
    if file_code != "0000":
        problems.append(f"Expected: file accepted. Received: file {file_code} {answer.file_findings}")
        return problems
    wanted = {int(k): v for k, v in expect.get("lines", {}).items()}
    for number, code in received.items():
        want = wanted.get(number, "0000")
        if code != want:
            problems.append(f"Line {number}: Expected: {want}. Received: {code} {answer.lines[number - 1].findings}")
    for number, codes in expect.get("codes", {}).items():
        got = [f.code for f in answer.lines[int(number) - 1].findings]
        if got != codes:
            problems.append(f"Line {number} codes: Expected: {codes}. Received: {got}")
    missing = set(wanted) - set(received)
    if missing:
        problems.append(f"Expected lines {sorted(missing)} in the answer. Received only {sorted(received)}")
    return problems
