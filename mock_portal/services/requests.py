"""The requests, as their editor and the gestionnaire read them (lists in a stable order, paged,
with filters; a request's detail; its documents), and what an editor does to one of its own:
correct it when it is « À modifier », send the pieces an incomplete one (or one « En attente de
pièces complémentaires ») lacks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from io import BytesIO
from typing import IO, Any

import orjson
from segur.mock_portal.controls import REJECTED, Spec, check_deposit
from segur.mock_portal.controls.attachments import PieceArchive
from segur.mock_portal.controls.hand_checks import hand_roles, merge_facts, piece_text, read_facts
from segur.mock_portal.controls.line import read_values
from segur.mock_portal.controls.money import cents_from_text
from segur.mock_portal.controls.pdf_check import pdf_problem
from segur.mock_portal.controls.writer import complete, write_document
from segur.mock_portal.errors import PortalError, bad_request, conflict, not_found
from segur.mock_portal.store import Excluding, Row, dumps, loads
from segur.mock_portal.workflow import TransitionRefused

from .context import Context
from .deposits import Deposits
from .instruction import MAX_AVENANT, Instruction
from .records import avenant_json, request_json, summary

#: the largest page of an API list
MAX_LIMIT = 10_000
#: the statuses (keys) of an avance an editor may ask an avenant for (model: a change to a decided request)
AVENANT_FROM = ("decidee", "payee")


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
        search: str | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a table, newest first, and the count of all that match; ``without`` leaves
        out statuses (the table of deposited requests does not show the incomplete ones). The page
        follows the request numbered ``after`` or precedes the one numbered ``before`` (the links
        of the page shown), else starts at ``offset``; an unknown number is ignored. ``search``:
        only the requests whose number, reference, order form, FINESS, SIRET or establishment
        holds these words (pages by ``offset``)."""
        labels = self._labels(statut, type_demande, without)
        store = self.ctx.store
        words = (search or "").strip()[:100]
        if words:
            found, total = store.search_requests(editor_id, words, offset=offset, limit=limit, **labels)
            return [summary(r) for r in found], total
        total = store.count_requests(editor_id, **labels)
        after_key = store.request_key(after, editor_id) if after else None
        before_key = store.request_key(before, editor_id) if before and after_key is None else None
        rows = store.requests_page(
            editor_id, offset=offset, limit=limit, after=after_key, before=before_key, total=total, **labels
        )
        return [summary(r) for r in rows], total

    def establishments(self, editor_id: int | None, numeros: Sequence[str]) -> dict[str, dict[str, str]]:
        """The establishment of each request (its name and FINESS géographique, or SIRET), read
        through the spec: what a table shows beside the numbers."""
        spec = self.ctx.spec
        found = {}
        for row in self.ctx.store.requests_where("numero", list(numeros), editor_id=editor_id):
            data = loads(row["data"])
            values = read_values(data, spec) if isinstance(data, dict) else {}
            found[row["numero"]] = {
                "nom": str(values.get("site_name") or ""),
                "finess": str(row["finess_geographique"] or ""),
                "siret": str(row["siret"] or ""),
            }
        return found

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
        received, problems = checked_pieces(files, ctx.spec.limits["maxPieceOctets"])
        missing = set(loads(row["pieces_manquantes"]) or []) - {name for name, _ in received}
        if problems or (transition.source == "incomplete" and missing):
            details = {"pieces": problems, "piecesManquantes": sorted(missing)}
            if not problems:  # readable pieces, but the request still waits for others: its state
                raise conflict("PIECES_MANQUANTES", "pièces encore manquantes", details)
            raise PortalError(422, "PIECES_NON_CONFORMES", "pièces refusées ou encore manquantes", details)
        at = ctx.now()
        words = _piece_words(row, ctx.spec)
        facts = self._read_pieces(row, received)
        with ctx.store.transaction():
            for name, content in received:
                ctx.store.add_document(at, numero, words.get(name, "PIECE"), name, content)
            ctx.store.update_request(numero, pieces_manquantes="[]", constats=dumps(facts))
            Instruction(ctx).move(numero, row["statut"], transition.target, "editeur", None, at)
        return request_json(ctx, numero, editor["id"])

    def _read_pieces(self, row: Row, received: list[tuple[str, bytes]]) -> dict[str, Any]:
        """The request's facts for the checks by hand, with what the pieces sent say (a piece is
        known by the role the request gives its file name)."""
        spec = self.ctx.spec
        facts: dict[str, Any] = loads(row["constats"]) or {}
        wanted = hand_roles(spec)
        if not wanted:
            return facts
        roles = {piece.name: piece.role for piece in read_values(loads(row["data"]) or {}, spec)["pieces"] or []}
        for name, content in received:
            role = roles.get(name)
            if role in wanted and (text := piece_text(content)) is not None:
                facts = merge_facts(facts, role, name, read_facts(text, role, spec))
        return facts

    # ------------------------------------------------------------------ avenants asked by the editor

    def ask_avenant(
        self, editor: Row, numero: str, montant: Any, motif: Any, files: list[tuple[str, IO[bytes]]]
    ) -> dict[str, Any]:
        """An avenant the editor asks for one of its decided avances, with its pieces (model: the
        signed amendment of the order form). Created « Demandé »; when a piece is refused (over
        the size limit, not a readable PDF) it is created incomplete, listed with the incomplete
        requests until its pieces are sent (ASP portal FAQ): the avance's solde is refused until
        its last avenant is « Décidé et payé »."""
        ctx, store, spec = self.ctx, self.ctx.store, self.ctx.spec
        row = store.request(numero, editor["id"])
        if row is None:
            raise not_found(f"demande {numero}")
        key = Instruction(ctx).status_key(row)
        if row["type_demande"] != spec.deposit_types["avance"] or key not in AVENANT_FROM:
            allowed = " ou ".join(f"« {spec.statuts[k]} »" for k in AVENANT_FROM)
            raise conflict(
                "AVENANT_IMPOSSIBLE",
                f"un avenant modifie une demande d'avance {allowed} : la demande {numero} est « {row['statut']} » "
                "(modèle)",
            )
        written = isinstance(montant, str) and AVENANT_AMOUNT.fullmatch(montant.strip()) is not None
        amount = cents_from_text(montant) if isinstance(montant, str) and written else None
        if amount is None or abs(amount) > MAX_AVENANT * 100:
            raise bad_request("'montant': the avenant's amount in euros, two decimals at most (e.g. 1250,50)")
        if motif is not None and not isinstance(motif, str):
            raise bad_request("'motif' must be text")
        if not files:
            raise bad_request("send the avenant's pieces (at least one PDF) as multipart file fields 'pieces'")
        received, problems = checked_pieces(files, spec.limits["maxPieceOctets"])
        flow = ctx.flows.avenant
        incomplete = flow.initial_incomplete
        if problems and incomplete is None:  # a spec whose avenants are never incomplete
            raise PortalError(
                422, "PIECES_NON_CONFORMES", "pièces refusées", {"pieces": problems, "piecesManquantes": []}
            )
        status = incomplete if problems else flow.initial
        assert status is not None
        at = ctx.now()
        with store.transaction():
            avenant_id = store.add_avenant(
                at, numero, flow.label(status), amount, (motif or "").strip() or None, [p["fichier"] for p in problems]
            )
            for name, content in received:
                store.add_document(at, numero, "PIECE_AVENANT", name, content)
            if problems:
                refused = " ; ".join(f"{p['fichier']} : {p['message']}" for p in problems)
                store.send_mail(
                    at,
                    editor["email"],
                    f"Demande {numero} : avenant n° {avenant_id} incomplet",
                    f"L'avenant n° {avenant_id} de la demande {numero} est créé incomplet : {refused}. Envoyez ces "
                    "pièces depuis « Suivi demandes incomplètes » ; tant que le dernier avenant n'est pas "
                    f"« {spec.statuts['avenantPaye']} », la demande de solde est refusée.",
                    editor["id"],
                    numero,
                )
        created = store.avenant(avenant_id)
        assert created is not None
        return avenant_json(created)

    def incomplete_avenants(self, editor_id: int) -> list[dict[str, Any]]:
        """An editor's avenants created incomplete, oldest first (listed with the incomplete requests)."""
        flow = self.ctx.flows.avenant
        if flow.initial_incomplete is None:
            return []
        return [
            avenant_json(row) for row in self.ctx.store.editor_avenants(editor_id, flow.label(flow.initial_incomplete))
        ]

    def send_avenant_pieces(self, editor: Row, avenant_id: int, files: list[tuple[str, IO[bytes]]]) -> dict[str, Any]:
        """The pieces an avenant created incomplete lacks: once each is received, it goes on (« Demandé »)."""
        ctx, store = self.ctx, self.ctx.store
        row = store.avenant(avenant_id)
        if row is None or store.request(row["numero"], editor["id"]) is None:
            raise not_found(f"avenant {avenant_id}")
        flow = ctx.flows.avenant
        try:
            transition = flow.editor_move(flow.key(row["statut"]) or row["statut"], "pieces")
        except TransitionRefused as refused:
            raise conflict("TRANSITION_REFUSEE", refused.message, {"possibles": refused.allowed}) from None
        if not files:
            raise bad_request("send at least one PDF as a multipart file field 'pieces'")
        received, problems = checked_pieces(files, ctx.spec.limits["maxPieceOctets"])
        missing = set(loads(row["pieces_manquantes"]) or []) - {name for name, _ in received}
        if problems or missing:
            details = {"pieces": problems, "piecesManquantes": sorted(missing)}
            raise PortalError(422, "PIECES_NON_CONFORMES", "pièces refusées ou encore manquantes", details)
        at = ctx.now()
        with store.transaction():
            for name, content in received:
                store.add_document(at, row["numero"], "PIECE_AVENANT", name, content)
            store.set_avenant_pieces(avenant_id, [], at)
            store.set_avenant_status(avenant_id, flow.label(transition.target), at)
        return avenant_json(store.avenant(avenant_id) or row)

    # ------------------------------------------------------------------ incomplete requests

    def incomplete_reasons(self, editor_id: int, numeros: Sequence[str]) -> dict[str, list[dict[str, str]]]:
        """Why each incomplete request lacks its pieces, as its import answered it: per request,
        each finding of its line (code, label, and the file it names)."""
        store = self.ctx.store
        rows = store.requests_where("numero", list(numeros), editor_id=editor_id)
        answers: dict[int, dict[int, list[dict[str, Any]]]] = {}
        found: dict[str, list[dict[str, str]]] = {}
        for row in rows:
            deposit_id = row["deposit_id"]
            if deposit_id is None:
                continue
            if deposit_id not in answers:
                deposit = store.deposit(deposit_id, editor_id)
                answer = loads(deposit["answer"]) if deposit is not None else {}
                answers[deposit_id] = {line["numLigne"]: line.get("erreurs", []) for line in answer.get("lignes", [])}
            found[row["numero"]] = [
                {"code": e["code"], "libelle": e["libelle"], "fichier": _named_file(e, row)}
                for e in answers[deposit_id].get(row["num_ligne"], [])
            ]
        return found

    def send_pieces_zip(self, editor: Row, source: IO[bytes]) -> dict[str, Any]:
        """One zip for many incomplete requests: each request whose missing pieces are all in the
        zip, readable, gets them and goes to instruction; the others stay incomplete, each refused
        piece with its reason (the catalogue's label of the attachment rule it breaks)."""
        ctx, store = self.ctx, self.ctx.store
        spec = ctx.spec
        incomplete = spec.statuts["incomplete"]
        completed: list[str] = []
        partial: list[dict[str, Any]] = []
        used: set[str] = set()
        with PieceArchive(source, spec) as archive:
            if archive.problems:
                problem = archive.problems[0]
                raise PortalError(
                    422, "ARCHIVE_REFUSEE", _said(problem.rule, dict(problem.params), spec), {"pieces": []}
                )
            after = None
            at = ctx.now()
            while True:
                rows = store.requests_after(editor["id"], statut=incomplete, after=after, limit=500)
                if not rows:
                    break
                after = (rows[-1]["created_at"], rows[-1]["numero"])
                for row in rows:
                    missing = loads(row["pieces_manquantes"]) or []
                    present = [name for name in missing if name in archive.names]
                    if not present:
                        continue
                    used.update(present)
                    received, refused = [], []
                    for name in present:
                        verdict, content = archive.piece(name)
                        if verdict is None and content is not None:
                            received.append((name, content))
                        else:
                            rule, params = (
                                verdict if verdict is not None else ("attachment-unreadable", {"fichier": name})
                            )
                            refused.append({"fichier": name, "motif": _said(rule, dict(params), spec)})
                    still = sorted(set(missing) - {name for name, _ in received})
                    if refused or still:
                        partial.append({"numeroDemande": row["numero"], "refusees": refused, "manquantes": still})
                        continue
                    row_, transition = self._editor_action(editor, row["numero"], "pieces")
                    words = _piece_words(row_, spec)
                    facts = self._read_pieces(row_, received)
                    with store.transaction():
                        for name, content in received:
                            store.add_document(at, row["numero"], words.get(name, "PIECE"), name, content)
                        store.update_request(row["numero"], pieces_manquantes="[]", constats=dumps(facts))
                        Instruction(ctx).move(row["numero"], row_["statut"], transition.target, "editeur", None, at)
                    completed.append(row["numero"])
                if len(rows) < 500:
                    break
            unused = sorted(archive.names - used)
        return {"completees": completed, "incompletes": partial, "fichiersInutilises": unused}


#: an avenant's amount as the editor writes it (the document's pattern of ``montant``): groups of
#: three digits, below a billion, two decimals at most, « € » or « EUR » after it
AVENANT_AMOUNT = re.compile(
    "^[+-]?[0-9]{1,3}(?:[ \u00a0\u202f\u2009]?[0-9]{3}){0,2}(?:[.,][0-9]{1,2})?(?: ?(?:€|EUR))?$"
)


def checked_pieces(
    files: list[tuple[str, IO[bytes]]], limit: int
) -> tuple[list[tuple[str, bytes]], list[dict[str, str]]]:
    """The pieces sent that are readable PDFs of ``limit`` bytes at most, and why each other one is refused."""
    received: list[tuple[str, bytes]] = []
    problems = []
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
    return received, problems


def _piece_words(row: Row, spec: Spec) -> dict[str, str]:
    """The spec's word of each piece a stored request names, by file name."""
    from segur.mock_portal.controls.line import Line

    data = loads(row["data"])
    return {piece.name: piece.word for piece in Line(0, data, spec).pieces} if isinstance(data, dict) else {}


def _named_file(finding: dict[str, Any], row: Row) -> str:
    """The file an import's finding is about: the one its label quotes among the request's
    missing pieces, else ''."""
    for name in loads(row["pieces_manquantes"]) or []:
        if name in str(finding.get("libelle", "")):
            return str(name)
    return ""


def _said(rule: str, params: dict[str, Any], spec: Spec) -> str:
    """A rule's verdict in the catalogue's words (a French sentence when the spec lacks the rule)."""
    code = spec.code_of(rule)
    if code is not None:
        return f"{code} — {spec.label_for(code, params)}"
    kind = "archive zip refusée" if rule.startswith("zip-") else "pièce refusée"
    detail = params.get("detail") or (f"{params['taille']} octets" if "taille" in params else "")
    return f"{kind} : {params.get('fichier', '')} {detail}".strip()


def _type_key(spec: Spec, code: str) -> str:
    return next(k for k, v in spec.deposit_types.items() if v == code)


def _rate(body: Any, spec: Spec) -> float:
    rate = read_values(body, spec).get("vat_rate") if isinstance(body, dict) else None
    return float(rate) if isinstance(rate, (int, float)) and float(rate) in spec.vat_rates else spec.vat_rates[-1]
