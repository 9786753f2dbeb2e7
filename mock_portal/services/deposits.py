"""Deposits (seed, slides 15 to 20): « Simuler » runs the automatic controls and stores nothing;
« Importer » runs them again and stores, in one transaction, the deposit with its answer and the
accepted and incomplete lines as requests; « Terminer » closes a deposit whose status is OK.

The walk goes one way: the view calls this service, which asks the controls for the answer and
the store to keep it; once the lines are stored, the ``IMPORTED`` event lets another area (the
test scenarios) act on them, inside the same transaction.
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import IO, Any

import orjson
from segur.mock_portal.controls import (
    IMPORT,
    INCOMPLETE,
    SIMULATION,
    Answer,
    Deposit,
    Enrolment,
    check_deposit,
    history_from_json,
)
from segur.mock_portal.controls.answer import format_number
from segur.mock_portal.controls.attachments import PieceArchive, attachment_report
from segur.mock_portal.controls.file_rules import window_state
from segur.mock_portal.controls.hand_checks import facts_of, hand_roles
from segur.mock_portal.controls.line import Line, read_values
from segur.mock_portal.controls.spec import Profile, resolve
from segur.mock_portal.errors import bad_request, conflict, not_found
from segur.mock_portal.store import Row, StoredHistory, dumps, loads

from .context import IMPORTED, Context

#: the longest text a stored answer keeps of one value (a reference, a label that quotes the
#: file): far above any value the spec admits, it keeps a stored answer bounded whatever the
#: file held (the answer sent back at once is the controls' own, whole)
STORED_TEXT_MAX = 1000
#: the most findings a stored answer keeps per line and for the file
STORED_FINDINGS_MAX = 50


@dataclass(frozen=True)
class Sandbox:
    """A rejection case's own world (the « Cas de rejet » page): its deposit is checked against the
    stored requests the case assumes (its ``historique.json``: ``history``, else none) and the
    enrolments it assumes (``enrolments``: (ANS number, couloir, software type) each; None: the
    depositor enrolled for the file's ANS number), at the case's date when chosen (``at``, ISO;
    None: the mock's clock). Never against the account's other requests, nor against what other
    cases imported: a case answers the same whatever was played before it. An import in a
    sandbox still stores its lines in the account, as any import."""

    history: dict[str, Any] | None = None
    enrolments: tuple[tuple[str, str, str], ...] | None = None
    at: str | None = None
    #: the case is a stored request corrected by its editor at this time (ISO), deposited at ``at``
    corrected_at: str | None = None


class Deposits:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _world(self, editor: Row, deposit: Deposit, sandbox: Sandbox | None) -> tuple[Deposit, Any]:
        """The deposit and the stored requests the controls see: the account's, or a case's own."""
        if sandbox is None:
            return deposit, self.history(editor)
        spec = self.ctx.spec
        enrolments = None
        if sandbox.enrolments is not None:
            enrolments = tuple(Enrolment(*enrolment) for enrolment in sandbox.enrolments)
        at = spec.local_time(sandbox.at) if sandbox.at else deposit.at
        history = history_from_json(sandbox.history or {}, spec)
        corrected = spec.local_time(sandbox.corrected_at) if sandbox.corrected_at else None
        return replace(deposit, enrolments=enrolments, at=at, corrected_at=corrected), history

    def deposit(self, editor: Row, type_demande: Any, numero_ans: Any, taux_tva: Any) -> Deposit:
        """What the deposit screen chose (type, VAT rate, ANS number), checked, at the mock's time."""
        spec = self.ctx.spec
        if type_demande not in spec.deposit_types:
            raise bad_request(f"'typeDemande' must be one of {', '.join(spec.deposit_types)}")
        try:
            rate = float(taux_tva)
        except (TypeError, ValueError):
            rate = -1.0
        if rate not in spec.vat_rates:
            raise bad_request(f"'tauxTva' must be one of {', '.join(f'{r:g}' for r in spec.vat_rates)}")
        validated = self.ctx.flows.enrolment.label("validee")
        enrolments = tuple(
            Enrolment(r["numero_ans"], r["couloir"], r["type_logiciel"])
            for r in self.ctx.store.enrolments_of(editor["id"])
            if r["statut"] == validated
        )
        if numero_ans in (None, ""):
            if len({e.numero_ans for e in enrolments}) > 1:
                # the account's state makes the deposit ambiguous, not the form: a conflict
                raise conflict(
                    "CHOIX_ANS_REQUIS", "you are enrolled for several ANS numbers: choose one with 'numeroAns'"
                )
            numero_ans = enrolments[0].numero_ans if enrolments else None
        elif not isinstance(numero_ans, str):
            raise bad_request("'numeroAns' must be text")
        return Deposit(type_demande, rate, self.ctx.now(), numero_ans, enrolments)

    def windows(self, editor: Row) -> list[dict[str, Any]]:
        """The deposit windows of the profiles an editor is enrolled for, at the mock's time: each
        profile's label, whether it is open, and its state in words (« fermé depuis le … »)."""
        spec, now = self.ctx.spec, self.ctx.now()
        validated = self.ctx.flows.enrolment.label("validee")
        enrolled = {
            (r["couloir"], r["type_logiciel"])
            for r in self.ctx.store.enrolments_of(editor["id"])
            if r["statut"] == validated
        }
        found = []
        for profile in spec.profiles.values():
            window = spec.windows.get(profile.name)
            if window is None or (profile.couloir, profile.type_logiciel) not in enrolled:
                continue
            found.append(
                {
                    "profil": profile.libelle,
                    "typeDemande": profile.deposit_type,
                    "ouvert": window.opens <= now < window.closes,
                    "etat": window_state(window, now, spec),
                }
            )
        return found

    def history(self, editor: Row) -> StoredHistory:
        return StoredHistory(self.ctx.store, editor["id"], self.ctx.spec.statuts["rejetee"])

    def simulate(
        self,
        editor: Row,
        data: bytes,
        type_demande: Any,
        numero_ans: Any,
        taux_tva: Any,
        *,
        sandbox: Sandbox | None = None,
    ) -> dict[str, Any]:
        """Simuler: the automatic controls in real time on the JSON; nothing is stored."""
        deposit, history = self._world(editor, self.deposit(editor, type_demande, numero_ans, taux_tva), sandbox)
        with collector_paused():
            answer = check_deposit(data, deposit, spec=self.ctx.spec, history=history, mode=SIMULATION)
            return answer.to_json()

    def import_deposit(
        self,
        editor: Row,
        data: bytes,
        attachments: IO[bytes] | None,
        type_demande: Any,
        numero_ans: Any,
        taux_tva: Any,
        *,
        sandbox: Sandbox | None = None,
    ) -> dict[str, Any]:
        """Importer: the same controls; the accepted lines (and the incomplete ones) stored in one transaction."""
        ctx, store = self.ctx, self.ctx.store
        deposit = self.deposit(editor, type_demande, numero_ans, taux_tva)
        # The zip (up to 200 MB) is read before the transaction: it does not depend on what is
        # stored, and the write lock is then held only for the controls and the inserts.
        # the text of the pieces a gestionnaire checks by hand is read in the same pass
        report = attachment_report(data, attachments, ctx.spec, read_roles=hand_roles(ctx.spec))
        with store.transaction():
            with collector_paused():
                deposit, history = self._world(editor, deposit, sandbox)
                answer = check_deposit(
                    data,
                    deposit,
                    spec=ctx.spec,
                    history=history,
                    attachments=report,
                    mode=IMPORT,
                    numbering=self._numbering,
                )
                body = answer.to_json()
            now = ctx.now()
            deposit_id = store.add_deposit(
                editor_id=editor["id"],
                type_demande=deposit.type_demande,
                numero_ans=answer.numero_ans,
                taux_tva=deposit.taux_tva,
                at=answer.at.isoformat(),
                statut=body["statut"],
                answer=dumps(stored_answer(body)),
                file_sha256=hashlib.sha256(data).hexdigest(),
                created_at=now.isoformat(),
            )
            if not answer.file_rejected:
                rows = self.request_rows(editor["id"], deposit_id, answer, data, now, report.texts)
                store.add_requests(rows, "import")
                self._keep_pieces(rows, answer, attachments, now)
                ctx.events.publish(IMPORTED, numeros=[row["numero"] for row in rows])
        return {"depot": deposit_id, **body}

    def _numbering(self, profile: Profile, at: datetime) -> str:
        year = at.astimezone(self.ctx.spec.timezone).year
        sequence = self.ctx.store.next_sequence(f"{profile.code_numerotation}{year}")
        return format_number(self.ctx.spec, profile, at, sequence)

    def request_rows(
        self,
        editor_id: int,
        deposit_id: int,
        answer: Answer,
        data: bytes,
        at: datetime,
        texts: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """The rows an import stores: one per numbered line (accepted or incomplete), in the file's
        order, each with what its pieces said for the checks by hand (``texts``: file name → text)."""
        spec = self.ctx.spec
        profile = answer.profile
        assert profile is not None
        requests = resolve(orjson.loads(data), spec.document["requests"].path)
        stamp = at.isoformat()
        rows = []
        for result in answer.lines:
            if result.numero_demande is None:
                continue
            raw = requests[result.number - 1]
            fields = read_values(raw, spec)
            status = "incomplete" if result.status == INCOMPLETE else "enAttente"
            rows.append(
                {
                    "numero": result.numero_demande,
                    "editor_id": editor_id,
                    "deposit_id": deposit_id,
                    "num_ligne": result.number,
                    "reference_ligne": fields["line_reference"],
                    "numero_bdc": fields["bdc_number"],
                    "type_demande": profile.type_demande,
                    "couloir": profile.couloir,
                    "type_logiciel": profile.type_logiciel,
                    "profil": profile.name,
                    "numero_ans": fields["ans_number"],
                    "finess_geographique": fields["site_finess"],
                    "siret": fields["site_siret"],
                    "numero_avance": fields["avance_number"],
                    "statut": spec.statuts[status],
                    "motif": None,
                    "montant_cents": fields["amount_requested"],
                    "data": dumps(raw),
                    "pieces_manquantes": dumps(sorted(set(self._missing_pieces(result, raw)))),
                    "constats": dumps(facts_of(((p.role, p.name) for p in fields["pieces"] or []), texts or {}, spec)),
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        return rows

    def _keep_pieces(
        self, rows: list[dict[str, Any]], answer: Answer, attachments: IO[bytes] | None, at: datetime
    ) -> None:
        """The pieces each stored request names that came readable in the zip, kept with it (its
        « Pièces justificatives », where the editor and the gestionnaire find them): read one at
        a time from the zip the controls judged, inside the import's transaction."""
        if attachments is None or not rows:
            return
        spec, store = self.ctx.spec, self.ctx.store
        refused = {line.number: {f.params.get("fichier") for f in line.findings} for line in answer.lines}
        try:
            attachments.seek(0)
        except (AttributeError, OSError):
            return
        with PieceArchive(attachments, spec) as archive:
            if archive.problems:
                return
            for row in rows:
                for piece in Line(0, orjson.loads(row["data"]), spec).pieces:
                    if piece.name in refused.get(row["num_ligne"], set()):
                        continue
                    content = archive.content(piece.name)
                    if content is not None:
                        store.add_document(at, row["numero"], piece.word or "PIECE", piece.name, content)

    def _missing_pieces(self, result: Any, raw: Any) -> list[str]:
        """The files an incomplete request still needs: those named by its attachment codes, or all
        its pieces when the zip as a whole failed (absent, unreadable, refused)."""
        named = [f.params["fichier"] for f in result.findings if f.params.get("fichier")]
        if len(named) == len(result.findings):
            return named
        names = [piece.name for piece in Line(0, raw, self.ctx.spec).pieces]
        return [*named, *names]

    def terminate(self, editor: Row, deposit_id: int) -> dict[str, Any]:
        """Terminer: closes a deposit whose import status is OK."""
        store = self.ctx.store
        with store.transaction():
            row = store.deposit(deposit_id, editor["id"])
            if row is None:
                raise not_found(f"dépôt {deposit_id}")
            if row["statut"] != "OK":
                raise conflict(
                    "DEPOT_KO", "un dépôt rejeté ne peut pas être terminé : corrigez le fichier et importez-le"
                )
            store.terminate_deposit(deposit_id)
        return self.deposit_json(editor, deposit_id)

    def listing(
        self, editor: Row, *, sha256: str | None, after: int | None, limit: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One's imports, oldest first, each with its choices, its file's digest, its verdict and
        its lines' codes (the answer itself: ``GET /api/imports/{depot}``); the next page's start."""
        if sha256 is not None and not _SHA256.fullmatch(sha256):
            raise bad_request("'sha256' must be the 64 hexadecimal digits of a file's SHA-256")
        rows = self.ctx.store.deposits_page(editor["id"], sha256=sha256, after=after, limit=limit + 1)
        listed = []
        for row in rows[:limit]:
            answer = loads(row["answer"])
            lines = answer.get("lignes", [])
            codes: dict[str, int] = {}
            for line in lines:
                codes[line["codetraitement"]] = codes.get(line["codetraitement"], 0) + 1
            listed.append(
                {
                    "depot": row["id"],
                    "date": row["created_at"],
                    "typeDemande": row["type_demande"],
                    "tauxTva": row["taux_tva"],
                    "numeroAns": row["numero_ans"],
                    "sha256": row["file_sha256"],
                    "statut": row["statut"],
                    "codetraitement": answer.get("codetraitement"),
                    "libelletraitement": answer.get("libelletraitement"),
                    "termine": bool(row["termine"]),
                    "nombreLignes": len(lines),
                    "codes": dict(sorted(codes.items())),
                }
            )
        following = rows[limit - 1]["id"] if len(rows) > limit else None
        return listed, following

    def deposit_json(self, editor: Row, deposit_id: int) -> dict[str, Any]:
        row = self.ctx.store.deposit(deposit_id, editor["id"])
        if row is None:
            raise not_found(f"dépôt {deposit_id}")
        return {"depot": row["id"], "termine": bool(row["termine"]), **loads(row["answer"])}


_SHA256 = re.compile("[0-9a-f]{64}")


def stored_answer(body: dict[str, Any]) -> dict[str, Any]:
    """The answer as an import keeps it: whole, unless the file made it quote more than the spec
    admits; then each text is cut at STORED_TEXT_MAX characters (ending in « … ») and each list of
    findings at STORED_FINDINGS_MAX, and ``tronquee`` says so."""
    cut = False

    def text(value: Any) -> Any:
        nonlocal cut
        if isinstance(value, str) and len(value) > STORED_TEXT_MAX:
            cut = True
            return value[: STORED_TEXT_MAX - 1] + "…"
        if isinstance(value, (dict, list)):
            cut = True  # only a string is expected here: anything else is left out
            return None
        return value

    def findings(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        nonlocal cut
        if len(items) > STORED_FINDINGS_MAX:
            cut = True
        return [{k: text(v) for k, v in item.items()} for item in items[:STORED_FINDINGS_MAX]]

    if not _oversized(body):
        return body
    lines = [{k: (findings(v) if k == "erreurs" else text(v)) for k, v in line.items()} for line in body["lignes"]]
    kept = {
        **body,
        "libelletraitement": text(body["libelletraitement"]),
        "erreurs": findings(body["erreurs"]),
        "lignes": lines,
    }
    if cut:
        kept["tronquee"] = True
    return kept


def _oversized(body: dict[str, Any]) -> bool:
    """True when a text of the answer is longer than STORED_TEXT_MAX, or a list of findings longer
    than STORED_FINDINGS_MAX (one pass over the lines; most answers have neither)."""
    if len(body["erreurs"]) > STORED_FINDINGS_MAX or len(str(body["libelletraitement"])) > STORED_TEXT_MAX:
        return True
    for item in body["erreurs"]:
        if any(
            not isinstance(v, (str, int, float)) or (isinstance(v, str) and len(v) > STORED_TEXT_MAX)
            for v in item.values()
            if v is not None
        ):
            return True
    for line in body["lignes"]:
        reference = line.get("referenceLigne")
        if reference is not None and (not isinstance(reference, str) or len(reference) > STORED_TEXT_MAX):
            return True
        if len(str(line.get("libelletraitement", ""))) > STORED_TEXT_MAX:
            return True
        errors = line.get("erreurs", [])
        if len(errors) > STORED_FINDINGS_MAX:
            return True
        for item in errors:
            if any(isinstance(v, str) and len(v) > STORED_TEXT_MAX for v in item.values()):
                return True
    return False


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while the controls answer a file.

    The controls allocate thousands of containers (the parsed file, a line object per request,
    the answer) that stay referenced until the answer is built and form no cycle: the collector,
    triggered by the count of allocations, would only traverse them, several times per file
    (about 6 % of a simulate of 200 requests). Reference counting still frees them; whatever
    the collector would have found is found when it resumes, at the end. With threads, the
    first to pause it resumes it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
