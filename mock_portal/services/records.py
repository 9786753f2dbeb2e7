"""The stored rows as the API and the pages show them (read only): an enrolment, a mail, a
request's summary and its full detail with history, documents, mails, avenants and payments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from segur.mock_portal.errors import not_found
from segur.mock_portal.store import Row, loads

from .context import Context


def enrolment_number(enrolment_id: int) -> str:
    """The number an enrolment is known by everywhere (pages, mails, the account it opens)."""
    return f"ENR-{enrolment_id:06d}"


def account_dossier(ctx: Context, editor_id: int) -> dict[str, Any]:
    """The enrolment form that opened an account (its first enrolment, not a complementary one):
    the company, its address, the people, the bank details the account's documents show."""
    for row in sorted(ctx.store.enrolments_of(editor_id), key=lambda r: r["id"]):
        if not row["complementaire"]:
            found = loads(row["data"])
            return found if isinstance(found, dict) else {}
    return {}


def enrolment_json(ctx: Context, enrolment_id: int, row: Row | None = None) -> dict[str, Any]:
    if row is None:
        row = ctx.store.enrolment(enrolment_id)
    if row is None:
        raise not_found(f"demande d'enrôlement {enrolment_id}")
    pieces = ctx.store.enrolment_pieces(enrolment_id)
    return {
        "id": row["id"],
        "numeroAns": row["numero_ans"],
        "couloir": row["couloir"],
        "typeLogiciel": row["type_logiciel"],
        "siret": row["siret"],
        "statut": row["statut"],
        "motif": row["motif"],
        "complementaire": bool(row["complementaire"]),
        "dateDepot": row["created_at"],
        "dateDecision": row["decided_at"],
        "pieces": [{"nature": p["nature"], "nomFichier": p["filename"], "taille": p["size"]} for p in pieces],
    }


def mail_json(row: Row, reveal: Callable[[str], str] = str) -> dict[str, Any]:
    """A sent mail as the API and the pages show it (``reveal`` opens its sealed secrets)."""
    return {
        "date": row["at"],
        "destinataire": row["destinataire"],
        "objet": row["objet"],
        "corps": reveal(row["corps"]),
        "numeroDemande": row["numero"],
    }


def summary(row: Row) -> dict[str, Any]:
    return {
        "numeroDemande": row["numero"],
        "referenceLigne": row["reference_ligne"],
        "numeroBdc": row["numero_bdc"],
        "typeDemande": row["type_demande"],
        "profil": row["profil"],
        "statut": row["statut"],
        "motif": row["motif"],
        "montantDemande": round((row["montant_cents"] or 0) / 100, 2),
        "numeroDemandeAvance": row["numero_avance"],
        "dateDepot": row["created_at"],
        "dateMaj": row["updated_at"],
        "piecesManquantes": loads(row["pieces_manquantes"]) or [],
    }


def avenant_json(row: Row) -> dict[str, Any]:
    """An avenant as the API and the pages show it."""
    return {
        "id": row["id"],
        "numeroDemande": row["numero"],
        "statut": row["statut"],
        "montant": row["montant_cents"] / 100,
        "motif": row["motif"],
        "piecesManquantes": loads(row["pieces_manquantes"]) or [],
        "date": row["created_at"],
    }


def cancellation_json(row: Row) -> dict[str, Any]:
    """A cancellation request as the API and the pages show it."""
    return {
        "id": row["id"],
        "numeroDemande": row["numero"],
        "etat": row["etat"],
        "motif": row["motif"],
        "accordClient": bool(row["accord_client"]),
        "date": row["created_at"],
        "motifDecision": row["decision_motif"],
        "dateDecision": row["decided_at"],
    }


def granted_cents(ctx: Context, row: Row) -> int | None:
    """The financing granted: the avance's requested amount (a solde closes its avance's)."""
    if row["type_demande"] == ctx.spec.deposit_types["avance"]:
        return int(row["montant_cents"]) if row["montant_cents"] is not None else None
    avance = ctx.store.request(row["numero_avance"]) if row["numero_avance"] else None
    return int(avance["montant_cents"]) if avance is not None and avance["montant_cents"] is not None else None


def request_json(ctx: Context, numero: str, editor_id: int | None) -> dict[str, Any]:
    """A request with everything the portal shows about it (the editor's own with ``editor_id``)."""
    store = ctx.store
    row = store.request(numero, editor_id)
    if row is None:
        raise not_found(f"demande {numero}")
    payments = store.payments_of(numero)
    granted = granted_cents(ctx, row)
    paid = sum(p["montant_cents"] for p in payments)
    return {
        **summary(row),
        "demande": loads(row["data"]),
        "historique": [
            {"date": e["at"], "de": e["from_statut"], "vers": e["to_statut"], "par": e["actor"], "motif": e["motif"]}
            for e in store.events_of(numero)
        ],
        "piecesJustificatives": [
            {
                "id": d["id"],
                "nature": d["nature"],
                "nomFichier": d["filename"],
                "taille": d["size"],
                "date": d["created_at"],
            }
            for d in store.documents_of(numero)
        ],
        "courriels": [
            {
                "date": m["at"],
                "destinataire": m["destinataire"],
                "objet": m["objet"],
                "corps": ctx.settings.sealer.reveal(m["corps"]),
            }
            for m in store.mails_of_request(numero)
        ],
        "avenants": [avenant_json(a) for a in store.avenants_of(numero)],
        "annulations": [cancellation_json(c) for c in store.cancellations_of(numero)],
        "suiviFinancier": {
            "montantAttribue": round(granted / 100, 2) if granted is not None else None,
            "versements": [
                {"nature": p["nature"], "montant": p["montant_cents"] / 100, "date": p["at"]} for p in payments
            ],
            "totalVerse": round(paid / 100, 2),
        },
    }
