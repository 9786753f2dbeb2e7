"""The mails the portal sent: an editor's (« Courriels automatiquement envoyés ») and the
outbox the gestionnaire reads, newest or oldest first, paged by their numbers."""

from __future__ import annotations

from typing import Any

from .context import Context
from .records import mail_json

#: who signs the portal's mails (MODEL: the real mails' wording is not public)
SIGNATURE = "Le service gestion Ségur numérique\nAgence de Services et de Paiement (ASP)"


def letter(ctx: Context, *paragraphs: str) -> str:
    """A mail's body as the portal writes it: a greeting, the paragraphs, a signature, the
    portal's address, and the mention that a test portal's mail has no value."""
    where = (
        f"Portail Ségur numérique (simulé) : {ctx.portal_url}" if ctx.portal_url else "Portail Ségur numérique (simulé)"
    )
    return "\n\n".join(
        [
            "Bonjour,",
            *paragraphs,
            f"Cordialement,\n{SIGNATURE}",
            f"{where}\nCourriel d'un portail de test, sans valeur officielle ; merci de ne pas y répondre.",
        ]
    )


class Mails:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def of_editor(self, editor_id: int, *, after: int | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """The mails sent to an editor, oldest first, after the mail numbered ``after``."""
        rows = self.ctx.store.mails_page(editor_id, newest_first=False, after=after, limit=limit)
        return [{"id": r["id"], **mail_json(r, self.ctx.settings.sealer.reveal)} for r in rows]

    def outbox(
        self, *, newest_first: bool = True, after: int | None = None, limit: int = 200, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Every mail sent by the portal (the gestionnaire's view of the outbox)."""
        rows = self.ctx.store.mails_page(None, newest_first=newest_first, after=after, limit=limit, offset=offset)
        return [{"id": r["id"], **mail_json(r, self.ctx.settings.sealer.reveal)} for r in rows]

    def count(self) -> int:
        return self.ctx.store.count_mails()
