"""Instruction by the ASP's gestionnaire (seed, « logigramme d'instruction »): the moves of
``workflow.json`` with the portal's side effects (the décision d'attribution and its mail, the
payment with its avis, the mails of a regularisation or a rejection), and the avenants."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from segur.mock_portal.controls.hand_checks import line_warnings
from segur.mock_portal.controls.line import read_values
from segur.mock_portal.controls.money import cents, euros
from segur.mock_portal.documents import issued_pdf
from segur.mock_portal.errors import bad_request, conflict, not_found
from segur.mock_portal.store import Row, loads
from segur.mock_portal.workflow import CANCEL, TransitionRefused

from .context import Context
from .records import granted_cents, request_json

#: the largest avenant, in euros (model): keeps the amount within a 64-bit integer of cents
MAX_AVENANT = 1_000_000_000


class Instruction:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def status_key(self, row: Row) -> str:
        key = self.ctx.flows.request.key(row["statut"])
        if key is None:
            raise conflict("STATUT_INCONNU", f"statut « {row['statut']} » inconnu du workflow")
        return key

    def move(self, numero: str, source_label: str, target: str, actor: str, motif: str | None, at: datetime) -> None:
        """A request's new status and its history line (inside the caller's transaction)."""
        label = self.ctx.spec.statuts[target]
        self.ctx.store.set_status(at, numero, label, motif)
        self.ctx.store.add_event(at, numero, source_label, label, actor, motif)

    def warnings(self, numero: str) -> list[dict[str, Any]]:
        """What a gestionnaire would check by hand in the request's pieces and the kit did not find
        (read at the import, or when pieces were sent): warnings, never a code; the suggested
        motifs of an « À modifier »."""
        row = self.ctx.store.request(numero)
        if row is None:
            raise not_found(f"demande {numero}")
        if not self.ctx.spec.hand_checks:
            return []
        data = loads(row["data"])
        values = read_values(data, self.ctx.spec) if isinstance(data, dict) else {}
        found = line_warnings(values, loads(row["constats"]) or {}, self.ctx.spec)
        return [{k: v for k, v in warning.to_json().items() if k != "numLigne"} for warning in found]

    def transition(self, numero: str, target_in: Any, motif: Any) -> dict[str, Any]:
        """Move a request through the instruction workflow, with the portal's side effects."""
        target = self.ctx.flows.request.key(target_in) if isinstance(target_in, str) else None
        if target is None:
            raise bad_request(f"'vers' must be a status key or label: {', '.join(self.ctx.spec.statuts)}")
        if motif is not None and not isinstance(motif, str):
            raise bad_request("'motif' must be text")
        with self.ctx.store.transaction():
            self.apply(numero, target, motif)
        return request_json(self.ctx, numero, None)

    def apply(self, numero: str, target: str, motif: str | None) -> None:
        """One move by the gestionnaire and its side effects (inside the caller's transaction)."""
        ctx, store = self.ctx, self.ctx.store
        row = store.request(numero)
        if row is None:
            raise not_found(f"demande {numero}")
        source = self.status_key(row)
        try:
            moved = ctx.flows.request.move(
                source, target, by="gestionnaire", action="pay" if target == "payee" else None, reason=motif
            )
        except TransitionRefused as refused:
            raise conflict("TRANSITION_REFUSEE", refused.message, {"possibles": refused.allowed}) from None
        if moved.action == CANCEL:
            raise conflict(
                "ANNULATION_SUR_DEMANDE",
                f"« {ctx.spec.statuts[target]} » : une demande n'est annulée que sur la demande d'annulation de "
                "l'éditeur (attestation sur l'honneur) ; décidez-la par POST /admin/requests/{numero}/annulation",
                {"possibles": [t.target for t in ctx.flows.request.plain_moves(source, "gestionnaire")]},
            )
        at = ctx.now()
        self.move(numero, row["statut"], target, "gestionnaire", motif, at)
        editor = store.editor(row["editor_id"])
        assert editor is not None
        label = ctx.spec.statuts[target]
        if target == "decidee":
            content = issued_pdf("Décision d'attribution", self._decision_lines(row), at)
            store.add_document(at, numero, "DECISION_ATTRIBUTION", f"decision-attribution-{numero}.pdf", content)
            store.send_mail(
                at,
                editor["email"],
                f"Demande {numero} : décision d'attribution",
                f"Votre demande de financement {numero} est validée. La décision d'attribution est "
                "disponible dans « Pièces justificatives ».",
                editor["id"],
                numero,
            )
        elif target == "payee":
            amount = self._payment_cents(row)
            store.add_payment(at, numero, row["type_demande"], amount)
            content = issued_pdf(
                "Avis de paiement",
                [
                    f"Demande : {numero} ({row['type_demande'].lower()})",
                    f"Montant versé : {euros(amount)} EUR",
                    f"Date : {at.strftime('%d/%m/%Y')}",
                ],
                at,
            )
            store.add_document(at, numero, "AVIS_PAIEMENT", f"avis-paiement-{numero}.pdf", content)
            store.send_mail(
                at,
                editor["email"],
                f"Demande {numero} : avis de paiement",
                f"Un versement de {euros(amount)} € a été effectué.",
                editor["id"],
                numero,
            )
        elif target in ("aModifier", "attentePieces", "rejetee"):
            store.send_mail(
                at,
                editor["email"],
                f"Demande {numero} : {label}",
                f"Votre demande {numero} passe au statut « {label} ». Motif : {motif}",
                editor["id"],
                numero,
            )

    def _decision_lines(self, row: Row) -> list[str]:
        data = loads(row["data"]) or {}
        fields = read_values(data, self.ctx.spec) if isinstance(data, dict) else {}
        granted = granted_cents(self.ctx, row) or 0
        return [
            f"Demande de financement : {row['numero']} ({row['profil']})",
            f"Bénéficiaire : {fields.get('site_finess') or fields.get('site_siret') or ''}",
            f"Bon de commande : {row['numero_bdc']}",
            f"Montant attribué : {euros(granted)} EUR",
        ]

    def _payment_cents(self, row: Row) -> int:
        granted = granted_cents(self.ctx, row) or 0
        if row["type_demande"] == self.ctx.spec.deposit_types["avance"]:
            return (granted * self.ctx.flows.avance_percent + 50) // 100
        return int(granted - self.ctx.store.paid_cents(row["numero_avance"]))

    # ------------------------------------------------------------------ avenants

    def add_avenant(self, numero: str, montant: Any, motif: Any) -> dict[str, Any]:
        ctx, store = self.ctx, self.ctx.store
        if store.request(numero) is None:
            raise not_found(f"demande {numero}")
        if not isinstance(montant, (int, float)) or isinstance(montant, bool) or abs(montant) > MAX_AVENANT:
            raise bad_request(f"'montant' must be an amount in euros, at most {MAX_AVENANT:,} in absolute value")
        amount = cents(montant)
        if amount is None:
            raise bad_request("'montant' must be an amount in euros with at most two decimals")
        if motif is not None and not isinstance(motif, str):
            raise bad_request("'motif' must be text")
        with store.transaction():
            store.add_avenant(ctx.now(), numero, ctx.flows.avenant.label(ctx.flows.avenant.initial), amount, motif)
        return request_json(ctx, numero, None)

    def avenant_transition(self, avenant_id: int, target_in: Any) -> dict[str, Any]:
        ctx, store = self.ctx, self.ctx.store
        flow = ctx.flows.avenant
        target = flow.key(target_in) if isinstance(target_in, str) else None
        if target is None:
            raise bad_request(f"'vers' must be one of {', '.join(flow.labels)}")
        with store.transaction():
            row = store.avenant(avenant_id)
            if row is None:
                raise not_found(f"avenant {avenant_id}")
            try:
                flow.move(flow.key(row["statut"]) or row["statut"], target, by="gestionnaire")
            except TransitionRefused as refused:
                raise conflict("TRANSITION_REFUSEE", refused.message, {"possibles": refused.allowed}) from None
            store.set_avenant_status(avenant_id, flow.label(target), ctx.now())
            numero = row["numero"]
        return request_json(ctx, numero, None)
