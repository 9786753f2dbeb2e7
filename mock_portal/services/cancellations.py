"""Cancellation of a funding request (ANS « FAQ des industriels », MS2): the editor asks the ASP's
support to cancel a request with a signed, reasoned attestation sur l'honneur, and the client's
renunciation when the client had agreed to the order; the gestionnaire cancels the request or
refuses the cancellation, with a mail each time.

Model, where no source fixes the detail: the request is sent from the portal (API and page);
only an avance is cancelled (a solde deposited for it is cancelled with it); it may be asked from
every status that ``workflow.json`` moves to the cancelled status (action ``cancel``); the request
keeps its status until the gestionnaire decides; one request at a time per request.

The status the request takes is the spec's ``annulee`` key; what it means downstream is the
controls': it is not a financed status (the site may be financed again) and a solde of it is
refused (rule ``solde-avance-cancelled``).
"""

from __future__ import annotations

import re
from typing import IO, Any

from segur.mock_portal.errors import PortalError, bad_request, conflict, not_found
from segur.mock_portal.store import Row

from .context import Context
from .instruction import Instruction
from .records import cancellation_json
from .requests import checked_pieces

#: the states of a cancellation request (the mock's API contract, the same for every spec)
ASKED, ACCEPTED, REFUSED = "transmise", "acceptee", "refusee"
#: the natures of its documents
ATTESTATION, RENUNCIATION = "ATTESTATION_ANNULATION", "RENONCIATION_CLIENT"
#: the longest reason kept (a reasoned attestation, not a document)
MAX_MOTIF = 2000


#: a character of a reason that is not blank, as the document's pattern says: Unicode's White_Space
#: and the four separators Python's ``str.isspace`` adds (U+001C to U+001F) are blank
_WORDS = re.compile(r"[^\s\x1c-\x1f]")


def _text(value: Any, name: str, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not _WORDS.search(value)):
        if required:
            raise bad_request(f"'{name}' is required: the reason, in words (an attestation « motivée »)")
        return None
    if not isinstance(value, str):
        raise bad_request(f"'{name}' must be text")
    if len(value) > MAX_MOTIF:
        raise bad_request(f"'{name}': {MAX_MOTIF} characters at most")
    return value.strip()


class Cancellations:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _cancel_move(self, row: Row) -> Any:
        """The workflow's cancellation move from the request's status, or 409 with the reason."""
        ctx = self.ctx
        source = Instruction(ctx).status_key(row)
        move = ctx.flows.request.cancellable(source)
        if move is None:
            raise conflict(
                "ANNULATION_IMPOSSIBLE",
                f"une demande au statut « {row['statut']} » ne peut pas être annulée",
            )
        return move

    def pending(self, numero: str) -> Row | None:
        found = [row for row in self.ctx.store.cancellations_of(numero) if row["etat"] == ASKED]
        return found[-1] if found else None

    def of_request(self, numero: str) -> list[dict[str, Any]]:
        """A request's cancellation requests, oldest first."""
        return [cancellation_json(row) for row in self.ctx.store.cancellations_of(numero)]

    def ask(
        self,
        editor: Row,
        numero: str,
        motif: Any,
        client_agreed: Any,
        attestation: tuple[str, IO[bytes]] | None,
        renunciation: tuple[str, IO[bytes]] | None,
    ) -> dict[str, Any]:
        """The editor's request to cancel one of its avances, with the signed attestation sur
        l'honneur (and the client's renunciation when the client had agreed)."""
        ctx, store, spec = self.ctx, self.ctx.store, self.ctx.spec
        row = store.request(numero, editor["id"])
        if row is None:
            raise not_found(f"demande {numero}")
        if row["type_demande"] != spec.deposit_types["avance"]:
            raise conflict(
                "ANNULATION_IMPOSSIBLE",
                f"la demande {numero} est une demande de solde : demandez l'annulation de sa demande d'avance "
                f"{row['numero_avance']}, le solde est annulé avec elle (modèle)",
            )
        self._cancel_move(row)
        reason = _text(motif, "motif", required=True)
        if not isinstance(client_agreed, bool):
            raise bad_request("'accordClient' must be true or false: did the client agree to the order?")
        if attestation is None:
            raise bad_request(
                "'attestation' (a file) is required: the attestation sur l'honneur, signed, giving the reason"
            )
        if client_agreed and renunciation is None:
            raise PortalError(
                422,
                "RENONCIATION_REQUISE",
                "'renonciation' (a file) is required when the client had agreed: its renunciation",
            )
        sent = [(attestation[0], attestation[1], ATTESTATION)]
        if renunciation is not None:
            sent.append((renunciation[0], renunciation[1], RENUNCIATION))
        received, problems = checked_pieces([(name, stream) for name, stream, _ in sent], spec.limits["maxPieceOctets"])
        if problems:
            raise PortalError(
                422, "PIECES_NON_CONFORMES", "pièces refusées", {"pieces": problems, "piecesManquantes": []}
            )
        natures = [nature for name, _, nature in sent if name in {n for n, _ in received}]
        at = ctx.now()
        with store.transaction():
            if self.pending(numero) is not None:
                raise conflict("ANNULATION_EN_COURS", f"une demande d'annulation de {numero} attend déjà sa décision")
            cancellation_id = store.add_cancellation(
                numero=numero,
                editor_id=editor["id"],
                motif=reason,
                accord_client=int(client_agreed),
                etat=ASKED,
                created_at=at.isoformat(),
            )
            for (name, content), nature in zip(received, natures, strict=True):
                store.add_document(at, numero, nature, name, content)
            store.send_mail(
                at,
                editor["email"],
                f"Demande {numero} : demande d'annulation reçue",
                f"Votre demande d'annulation de la demande {numero} (n° {cancellation_id}) est transmise au "
                f"gestionnaire avec votre attestation sur l'honneur. Motif : {reason}",
                editor["id"],
                numero,
            )
        found = store.cancellation(cancellation_id)
        assert found is not None
        return cancellation_json(found)

    def listing(self, etat: Any, *, after: int | None, limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """Cancellation requests in the order of their numbers (``etat``: of one state)."""
        if etat is not None and etat not in (ASKED, ACCEPTED, REFUSED):
            raise bad_request(f"'etat' must be one of {ASKED}, {ACCEPTED}, {REFUSED}")
        rows = self.ctx.store.cancellations_page(etat, after=after, limit=limit + 1)
        following = rows[limit - 1]["id"] if len(rows) > limit else None
        return [cancellation_json(row) for row in rows[:limit]], following

    def decide(self, numero: str, decision: Any, motif: Any) -> dict[str, Any]:
        """The gestionnaire's decision on a request's pending cancellation: ``acceptee`` cancels the
        avance (and its solde deposited, not rejected), ``refusee`` (a motif required) keeps it."""
        ctx, store, spec = self.ctx, self.ctx.store, self.ctx.spec
        if decision not in (ACCEPTED, REFUSED):
            raise bad_request(f"'decision' must be {ACCEPTED} (cancel the request) or {REFUSED}")
        reason = _text(motif, "motif", required=decision == REFUSED)
        with store.transaction():
            row = store.request(numero)
            if row is None:
                raise not_found(f"demande {numero}")
            pending = self.pending(numero)
            if pending is None:
                raise conflict("AUCUNE_ANNULATION", f"aucune demande d'annulation de {numero} n'attend de décision")
            editor = store.editor(row["editor_id"])
            assert editor is not None
            at = ctx.now()
            if decision == REFUSED:
                store.decide_cancellation(pending["id"], REFUSED, reason, at)
                store.send_mail(
                    at,
                    editor["email"],
                    f"Demande {numero} : annulation refusée",
                    f"Votre demande d'annulation de la demande {numero} est refusée ; la demande reste au statut "
                    f"« {row['statut']} ». Motif : {reason}",
                    editor["id"],
                    numero,
                )
                return cancellation_json(
                    {**pending, "etat": REFUSED, "decision_motif": reason, "decided_at": at.isoformat()}
                )
            self._cancel_move(row)
            cancelled = [row]
            solde = self._live_solde(row)
            if solde is not None:
                self._cancel_move(solde)
                cancelled.append(solde)
            store.decide_cancellation(pending["id"], ACCEPTED, reason, at)
            label = spec.statuts["annulee"]
            why = f"annulation à la demande de l'éditeur : {pending['motif']}"
            for request in cancelled:
                Instruction(ctx).move(request["numero"], request["statut"], "annulee", "gestionnaire", why, at)
            also = f" avec sa demande de solde {solde['numero']}" if solde is not None else ""
            store.send_mail(
                at,
                editor["email"],
                f"Demande {numero} : {label}",
                f"Votre demande {numero}{also} passe au statut « {label} », comme vous l'avez demandé. Son "
                "établissement n'est plus compté comme financé ; l'avance annulée ne peut plus être soldée."
                + (f" Précision du gestionnaire : {reason}" if reason else ""),
                editor["id"],
                numero,
            )
        return cancellation_json({**pending, "etat": ACCEPTED, "decision_motif": reason, "decided_at": at.isoformat()})

    def _live_solde(self, avance: Row) -> Row | None:
        """The solde deposited for an avance and not rejected nor already cancelled."""
        spec, store = self.ctx.spec, self.ctx.store
        gone = {spec.statuts["rejetee"], spec.statuts["annulee"]}
        for row in store.requests_where("numero_avance", [avance["numero"]], editor_id=avance["editor_id"]):
            if row["statut"] not in gone:
                return row
        return None
