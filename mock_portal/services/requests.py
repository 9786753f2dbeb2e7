"""The requests, as their editor and the gestionnaire read them (lists in a stable order, paged,
with filters; a request's detail; its documents), and what an editor does to one of its own:
correct it when it is « À modifier », send the pieces an incomplete one (or one « En attente de
pièces complémentaires ») lacks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from io import BytesIO
from typing import IO, Any

import orjson
from segur.mock_portal.controls import REJECTED, Spec, check_deposit
from segur.mock_portal.controls.line import read_values
from segur.mock_portal.controls.pdf_check import pdf_budget, pdf_problem
from segur.mock_portal.controls.writer import complete, write_document
from segur.mock_portal.errors import PortalError, bad_request, conflict, not_found
from segur.mock_portal.store import Excluding, Row, dumps, loads
from segur.mock_portal.workflow import TransitionRefused

from .context import Context
from .deposits import Deposits
from .instruction import Instruction
from .records import request_json, summary

#: the largest page of an API list
MAX_LIMIT = 10_000


class Requests:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ------------------------------------------------------------------ lists

    def _labels(self, statut: str | None, type_demande: str | None, without: Sequence[str]) -> dict[str, Any]:
        spec = self.ctx.spec
        return {
            "statut": spec.statuts.get(statut, statut) if statut else None,
            "type_demande": spec.deposit_types.get(type_demande, type_demande) if type_demande else None,
            "without": [spec.statuts.get(key, key) for key in without],
        }

    def listing(
        self,
        editor_id: int | None,
        statut: str | None,
        type_demande: str | None,
        *,
        after: str | None = None,
        limit: int = 1000,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Requests in the order of their deposit (then their number), ``limit`` at most, from after
        the request numbered ``after``; and the number to continue from (None at the end)."""
        if not 1 <= limit <= MAX_LIMIT:
            raise bad_request(f"'limit' must be a whole number from 1 to {MAX_LIMIT}")
        key = None
        if after is not None:
            key = self.ctx.store.request_key(after, editor_id) if after else None
            if key is None:
                message = f"'apres': no request {after!r} in this list (give the last 'numeroDemande' read)"
                raise PortalError(404, "INTROUVABLE", message)
        labels = self._labels(statut, type_demande, ())
        rows = self.ctx.store.requests_after(
            editor_id, statut=labels["statut"], type_demande=labels["type_demande"], after=key, limit=limit + 1
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return [summary(r) for r in rows], (rows[-1]["numero"] if more else None)

    def page(
        self,
        editor_id: int | None,
        *,
        statut: str | None = None,
        type_demande: str | None = None,
        without: tuple[str, ...] = (),
        offset: int = 0,
        limit: int = 50,
        after: str | None = None,
        before: str | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a table, newest first, and the count of all that match; ``without`` leaves
        out statuses (the table of deposited requests does not show the incomplete ones). The page
        follows the request numbered ``after`` or precedes the one numbered ``before`` (the links
        of the page shown), else starts at ``offset``; an unknown number is ignored."""
        labels = self._labels(statut, type_demande, without)
        store = self.ctx.store
        total = store.count_requests(editor_id, **labels)
        after_key = store.request_key(after, editor_id) if after else None
        before_key = store.request_key(before, editor_id) if before and after_key is None else None
        rows = store.requests_page(
            editor_id, offset=offset, limit=limit, after=after_key, before=before_key, total=total, **labels
        )
        return [summary(r) for r in rows], total

    def status_counts(self, editor_id: int | None) -> dict[str, int]:
        """How many requests have each status label (an editor's, or everyone's)."""
        return self.ctx.store.status_counts(editor_id)

    def detail(self, numero: str, editor_id: int | None) -> dict[str, Any]:
        return request_json(self.ctx, numero, editor_id)

    def document(self, numero: str, document_id: int, editor_id: int | None) -> tuple[str, bytes]:
        store = self.ctx.store
        if store.request(numero, editor_id) is None:
            raise not_found(f"demande {numero}")
        row = store.document(numero, document_id)
        if row is None or row["content"] is None:
            raise not_found(f"document {document_id}")
        return row["filename"], bytes(row["content"])

    # ------------------------------------------------------------------ the editor's actions

    def _editor_action(self, editor: Row, numero: str, action: str) -> tuple[Row, Any]:
        """The editor's own request and the move its action makes, or 404 / 409 with the reason."""
        row = self.ctx.store.request(numero, editor["id"])
        if row is None:
            raise not_found(f"demande {numero}")
        try:
            return row, self.ctx.flows.request.editor_move(Instruction(self.ctx).status_key(row), action)
        except TransitionRefused as refused:
            raise conflict("TRANSITION_REFUSEE", refused.message, {"possibles": refused.allowed}) from None

    def modify(self, editor: Row, numero: str, body: Any) -> dict[str, Any]:
        """An « À modifier » request corrected by the editor: line controls again, then back to « En cours »."""
        ctx = self.ctx
        row, transition = self._editor_action(editor, numero, "modify")
        if not isinstance(body, dict):
            raise bad_request("the corrected request is expected as a JSON object")
        document = write_document([body], ctx.spec)  # the line in the spec's own envelope
        complete(document, row["profil"], ctx.spec, requests=False)  # what the profile's envelope requires
        deposits = Deposits(ctx)
        history = Excluding(deposits.history(editor), numero)
        deposit = deposits.deposit(
            editor, _type_key(ctx.spec, row["type_demande"]), row["numero_ans"], _rate(body, ctx.spec)
        )
        # A deposited request may be modified after its window closed (seed, slide 4): it is
        # checked as of its deposit time, except for the rules judged at the correction time (the
        # MSS indicator of a solde corrected from its obligation date, ASP FAQ).
        deposit = replace(deposit, at=datetime.fromisoformat(row["created_at"]), corrected_at=ctx.now())
        answer = check_deposit(orjson.dumps(document), deposit, spec=ctx.spec, history=history)
        result = answer.to_json()
        if answer.file_rejected or answer.lines[0].status == REJECTED:
            raise PortalError(422, "DEMANDE_NON_CONFORME", "la demande modifiée ne passe pas les contrôles", result)
        at = ctx.now()
        with ctx.store.transaction():
            fields = read_values(body, ctx.spec)
            ctx.store.update_request(
                numero,
                data=dumps(body),
                reference_ligne=fields["line_reference"],
                numero_bdc=fields["bdc_number"],
                montant_cents=fields["amount_requested"],
                updated_at=at.isoformat(),
            )
            Instruction(ctx).move(numero, row["statut"], transition.target, "editeur", None, at)
        return request_json(ctx, numero, editor["id"])

    def send_pieces(self, editor: Row, numero: str, files: list[tuple[str, IO[bytes]]]) -> dict[str, Any]:
        """Pieces sent for an incomplete request or one « En attente de pièces complémentaires »."""
        ctx = self.ctx
        row, transition = self._editor_action(editor, numero, "pieces")
        if not files:
            raise bad_request("send at least one PDF as a multipart file field 'pieces'")
        limit = ctx.spec.limits["maxPieceOctets"]
        received: list[tuple[str, bytes]] = []
        problems = []
        with pdf_budget(ctx.spec.limits):  # the pieces of one sending share one budget (pdf_check.py)
            for name, stream in files:
                content = stream.read(limit + 1)
                if len(content) > limit:
                    problems.append({"fichier": name, "message": f"plus de {limit} octets"})
                    continue
                problem = pdf_problem(BytesIO(content))
                if problem:
                    problems.append({"fichier": name, "message": f"PDF illisible : {problem}"})
                    continue
                received.append((name, content))
        missing = set(loads(row["pieces_manquantes"]) or []) - {name for name, _ in received}
        if problems or (transition.source == "incomplete" and missing):
            details = {"pieces": problems, "piecesManquantes": sorted(missing)}
            if not problems:  # readable pieces, but the request still waits for others: its state
                raise conflict("PIECES_MANQUANTES", "pièces encore manquantes", details)
            raise PortalError(422, "PIECES_NON_CONFORMES", "pièces refusées ou encore manquantes", details)
        at = ctx.now()
        with ctx.store.transaction():
            for name, content in received:
                ctx.store.add_document(at, numero, "PIECE", name, content)
            ctx.store.update_request(numero, pieces_manquantes="[]")
            Instruction(ctx).move(numero, row["statut"], transition.target, "editeur", None, at)
        return request_json(ctx, numero, editor["id"])


def _type_key(spec: Spec, code: str) -> str:
    return next(k for k, v in spec.deposit_types.items() if v == code)


def _rate(body: Any, spec: Spec) -> float:
    rate = read_values(body, spec).get("vat_rate") if isinstance(body, dict) else None
    return float(rate) if isinstance(rate, (int, float)) and float(rate) in spec.vat_rates else spec.vat_rates[-1]
