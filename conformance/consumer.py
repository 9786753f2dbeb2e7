"""Consumer conformance: portal answers for the editor's ``ingest`` command, and what its receipt
must then say.

The answers are real: each is the controls' import answer to a generated deposit broken for one
catalogue code on some lines (the others accepted, with their ASP numbers), or a file rejected
as a whole; the status export is the mock portal's own ``GET /api/requests`` after driving one
request into every status of the workflow. The receipt format is the kit's own
``conformance/receipt.schema.json``.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
from segur.conformance.runner import KitError
from segur.generators.documents import bundle_pieces
from segur.generators.mutators import Scenario, materialise, mutate, mutator_for
from segur.generators.strategies import make_bundle
from segur.mock_portal.controls import Spec, check_deposit
from segur.mock_portal.workflow import CANCEL

__all__ = [
    "AnswerCase",
    "expected_receipt",
    "line_cases",
    "read_receipt",
    "receipt_problems",
    "receipt_validator",
    "status_export",
]

#: the lines (0-based) broken in each answer: the others stay accepted
BROKEN = (1, 3)
SIZE = 5
#: consumer requirement by the code's level in the catalogue
REQUIREMENT_BY_LEVEL = {"line": "SEG-C01", "file": "SEG-C02", "attachment": "SEG-C03"}
STATUS_REQUIREMENT = "SEG-C04"


@dataclass(frozen=True)
class AnswerCase:
    """One answer for ``ingest``: ``name`` (e.g. "2031"), the requirement it serves, the document."""

    name: str
    requirement: str
    document: dict[str, Any]

    def write(self, folder: Path) -> Path:
        path = folder / f"reponse-{self.name}.json"
        path.write_bytes(orjson.dumps(self.document, option=orjson.OPT_INDENT_2))
        return path


def _profile_for(code: str, spec: Spec, wave: str) -> str:
    profiles = mutator_for(code, spec).profiles_in(spec)
    return next((p for p in profiles if spec.profiles[p].program == wave), profiles[0])


def line_cases(spec: Spec, seed: int, wave: str | None = None) -> list[AnswerCase]:
    """An import answer for every code of the catalogue but the accepted one."""
    wave = wave if wave is not None else spec.programs()[0]
    cases = []
    with tempfile.TemporaryDirectory(prefix="segur-answers-") as tmp:
        for code, entry in sorted(spec.codes.items()):
            if code == spec.accepted_code:
                continue
            found = mutator_for(code, spec)
            drawn = make_bundle(
                seed, profile=_profile_for(code, spec, wave), size=max(SIZE, found.min_lines), spec=spec
            )
            scenario = Scenario.from_drawn(drawn, spec)
            scenario.deposit["mode"] = "import"
            scenario.with_zip(spec)
            broken = mutate(scenario, code, BROKEN, spec)
            folder = Path(tmp) / code
            folder.mkdir()
            data, deposit, history, zip_path, mode = materialise(scenario, folder)
            answer = check_deposit(data, deposit, spec=spec, history=history, attachments=zip_path, mode=mode)
            document = answer.to_json()
            codes = {f.code for f in answer.file_findings} | {
                f.code for i in broken if i < len(answer.lines) for f in answer.lines[i].findings
            }
            if code not in codes:  # the generators and the controls disagree: the kit is broken
                raise KitError(f"the generated answer for code {code} does not carry it (got {sorted(codes)})")
            cases.append(AnswerCase(code, REQUIREMENT_BY_LEVEL[entry.level], document))
    return cases


def _paths(spec: Spec) -> dict[str, list[tuple[str, bool]]]:
    """For each request status, the gestionnaire's steps that reach it from a fresh request, each
    with whether the move takes a reason."""
    section = spec.workflow["request"]
    initial = section["initial"]
    found: dict[str, list[tuple[str, bool]]] = {initial: []}
    queue = deque([initial])
    while queue:
        here = queue.popleft()
        for move in section["transitions"]:
            # a cancellation is decided on the editor's request, not moved: the export asks it apart
            if move.get("action") == CANCEL:
                continue
            if move["from"] == here and move["by"] == "gestionnaire" and move["to"] not in found:
                found[move["to"]] = [*found[here], (move["to"], bool(move.get("reason")))]
                queue.append(move["to"])
    return found


def status_export(spec: Spec, seed: int, wave: str | None = None) -> AnswerCase:
    """The mock's own export of the demo editor's requests, one in every status of the workflow
    (an incomplete one included), each with the reason the gestionnaire gave where one is due."""
    from segur.mock_portal import create_app

    paths = _paths(spec)
    profile = spec.profile_of(wave if wave is not None else spec.programs()[0], "avance")
    if profile is None:
        raise KitError(f"the spec {spec.label} has no avance profile for {wave}")
    with tempfile.TemporaryDirectory(prefix="segur-export-") as tmp:
        app = create_app(
            {
                "DATABASE": str(Path(tmp) / "export.sqlite3"),
                "ADMIN_TOKEN": "export",
                "TESTING": True,
                "SPEC_DIR": str(spec.root),
            }
        )
        client = app.test_client()
        admin = {"Authorization": "Bearer export"}
        at = spec.default_deposit_time(profile.name, profile.type_demande)
        client.post("/admin/clock", json={"at": at.isoformat()}, headers=admin)
        token: Any = client.post(
            "/api/login", json={"login": app.config["DEMO_LOGIN"], "password": app.config["DEMO_PASSWORD"]}
        ).json
        editor = {"Authorization": f"Bearer {token['token']}"}
        me: Any = client.get("/api/me", headers=editor).json
        software = profile.type_logiciel
        enrolled = next((e["numeroAns"] for e in me["enrolements"] if e["typeLogiciel"] == software), None)
        if enrolled is None:
            raise KitError(f"the mock's demo editor is enrolled for no {software} software")
        # one request per status the gestionnaire moves to, one cancelled on the editor's request
        # (when the workflow has cancellations), the last one incomplete
        cancelled = _cancellable_from(spec)
        drawn = make_bundle(
            seed, profile=profile.name, size=len(paths) + (cancelled is not None) + 1, spec=spec, numero_ans=enrolled
        )
        last = {name for _role, name in drawn.requests[-1].get("pieces") or []}
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            for name, content in bundle_pieces(drawn.requests, spec, seed=seed):
                if name not in last:  # the last request's pieces are missing: it is created incomplete
                    zipped.writestr(name, content)
        response = client.post(
            "/api/imports",
            data={
                "typeDemande": "avance",
                "tauxTva": f"{drawn.taux_tva:g}",
                "numeroAns": enrolled,
                "fichier": (io.BytesIO(drawn.data()), "depot.json"),
                "pieces": (io.BytesIO(archive.getvalue()), "pieces.zip"),
            },
            headers=editor,
        )
        if response.status_code != 201:
            raise KitError(
                f"the mock portal refused the status export's import: {response.get_data(as_text=True)[:500]}"
            )
        imported: Any = response.json
        numbers = [line.get("numeroDemande") for line in imported["lignes"]]
        steps_of = [paths[key] for key in sorted(paths)]
        if cancelled is not None:
            steps_of.append(paths[cancelled])
        for numero, steps in zip(numbers, steps_of, strict=False):
            for step, reason in steps:
                motif = f"motif de test : {spec.statuts[step]}" if reason else None
                moved = client.post(
                    f"/admin/requests/{numero}/transition", json={"vers": step, "motif": motif}, headers=admin
                )
                if moved.status_code != 200:
                    raise KitError(f"the mock portal refused {numero} → {step}: {moved.get_data(as_text=True)[:300]}")
        if cancelled is not None:
            _cancel(client, editor, admin, numbers[len(paths)])
        document: Any = client.get("/api/requests", headers=editor).json
    statuses = {r["statut"] for r in document["demandes"]}
    wanted = {spec.statuts[key] for key in [*paths, "incomplete", *(["annulee"] if cancelled is not None else [])]}
    if statuses != wanted:
        raise KitError(f"the status export covers {sorted(statuses)}, not every status {sorted(wanted)}")
    return AnswerCase("statuts", STATUS_REQUIREMENT, document)


def _cancellable_from(spec: Spec) -> str | None:
    """A status the gestionnaire reaches from which the workflow lets a request be cancelled (the
    nearest), or None when the workflow cancels nothing."""
    paths = _paths(spec)
    sources = {move["from"] for move in spec.workflow["request"]["transitions"] if move.get("action") == CANCEL}
    reachable = sorted((len(paths[key]), key) for key in sources if key in paths)
    return reachable[0][1] if reachable else None


def _cancel(client: Any, editor: dict[str, str], admin: dict[str, str], numero: str) -> None:
    """Cancel a request as its editor asks it (a signed attestation sur l'honneur) and the gestionnaire accepts."""
    from segur.generators.pdf import pdf_document

    attestation = pdf_document("Attestation sur l'honneur", ["Demande d'annulation de test"])
    asked = client.post(
        f"/api/requests/{numero}/annulation",
        data={
            "motif": "annulation de test",
            "accordClient": "false",
            "attestation": (io.BytesIO(attestation), "a.pdf"),
        },
        headers=editor,
    )
    decided = client.post(f"/admin/requests/{numero}/annulation", json={"decision": "acceptee"}, headers=admin)
    if asked.status_code != 201 or decided.status_code != 200:
        raise KitError(
            f"the mock portal refused to cancel {numero}: {asked.get_data(as_text=True)[:300]} "
            f"{decided.get_data(as_text=True)[:300]}"
        )


def expected_receipt(document: Mapping[str, Any], spec: Spec) -> dict[str, Any]:
    """What a receipt of ``document`` must say."""
    if "lignes" not in document:
        return {
            "demandes": [
                {"numeroDemande": r["numeroDemande"], "statut": r["statut"], "motif": r.get("motif")}
                for r in document["demandes"]
            ]
        }
    incomplete = spec.statuts["incomplete"]
    lines = []
    for line in document["lignes"]:
        if line["codetraitement"] == spec.accepted_code:
            state = "acceptee"
        elif line.get("statut") == incomplete:
            state = "incomplete"
        else:
            state = "rejetee"
        entry = {
            "numLigne": line["numLigne"],
            "referenceLigne": line.get("referenceLigne"),
            "etat": state,
            "codetraitement": line["codetraitement"],
            "libelletraitement": line["libelletraitement"],
        }
        if state != "rejetee":
            entry["numeroDemande"] = line["numeroDemande"]
        lines.append(entry)
    return {
        "fichier": {
            "statut": document["statut"],
            "codetraitement": document["codetraitement"],
            "libelletraitement": document["libelletraitement"],
        },
        "lignes": lines,
    }


#: the receipt's format: the kit's own contract with the editor's tool, the same for every spec
RECEIPT_SCHEMA = Path(__file__).resolve().parent / "receipt.schema.json"


@lru_cache(maxsize=1)
def receipt_validator() -> Any:
    """The receipt's validator, built once."""
    return jsonschema_rs.validator_for(orjson.loads(RECEIPT_SCHEMA.read_bytes()), validate_formats=True)


def read_receipt(receipt_path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The receipt ``ingest`` wrote, or why it cannot be read (missing, not JSON, off its schema)."""
    if not receipt_path.is_file():
        return None, [f"ingest wrote no receipt at {receipt_path}"]
    try:
        receipt = orjson.loads(receipt_path.read_bytes())
    except orjson.JSONDecodeError as exc:
        return None, [f"the receipt is not valid JSON: {exc}"]
    schema_errors = [
        f"{'/'.join(map(str, e.instance_path)) or '/'}: {e.message}" for e in receipt_validator().iter_errors(receipt)
    ]
    if schema_errors:
        return None, [f"the receipt does not follow the kit's receipt.schema.json: {m}" for m in schema_errors[:10]]
    return receipt, []


def receipt_problems(receipt_path: Path, document: Mapping[str, Any], spec: Spec) -> list[str]:
    """How the receipt differs from what ``document`` says (empty: it matches)."""
    receipt, problems = read_receipt(receipt_path)
    if receipt is None:
        return problems
    expected = expected_receipt(document, spec)
    problems = []
    if "demandes" in expected:
        got = {r["numeroDemande"]: r for r in receipt.get("demandes", [])}
        for want in expected["demandes"]:
            have = got.get(want["numeroDemande"])
            if have is None:
                problems.append(f"request {want['numeroDemande']}: missing from the receipt")
                continue
            if have["statut"] != want["statut"]:
                problems.append(
                    f"request {want['numeroDemande']}: statut {have['statut']!r}, the portal says {want['statut']!r}"
                )
            if want["motif"] and have.get("motif") != want["motif"]:
                problems.append(
                    f"request {want['numeroDemande']}: motif {have.get('motif')!r}, the portal says {want['motif']!r}"
                )
        return problems
    if receipt.get("fichier") != expected["fichier"]:
        problems.append(f"fichier: {receipt.get('fichier')!r}, the portal says {expected['fichier']!r}")
    got_lines = {line["numLigne"]: line for line in receipt.get("lignes", [])}
    for want in expected["lignes"]:
        have = got_lines.pop(want["numLigne"], None)
        if have is None:
            problems.append(f"line {want['numLigne']}: missing from the receipt")
            continue
        for key in ("etat", "numeroDemande", "codetraitement", "libelletraitement", "referenceLigne"):
            if key in want and have.get(key) != want[key]:
                problems.append(f"line {want['numLigne']}: {key} {have.get(key)!r}, the portal says {want[key]!r}")
    for extra in sorted(got_lines):
        problems.append(f"line {extra}: in the receipt but not in the answer")
    return problems
