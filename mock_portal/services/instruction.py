"""Instruction by the ASP's gestionnaire (seed, « logigramme d'instruction »): the moves of
``workflow.json`` with the portal's side effects (the décision d'attribution and its mail, the
payment with its avis, the mails of a regularisation or a rejection), and the avenants."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from segur.mock_portal.controls.hand_checks import line_warnings
from segur.mock_portal.controls.line import read_values
from segur.mock_portal.controls.money import cents, euros
from segur.mock_portal.documents import Issued, Section, issued_pdf, masked_iban
from segur.mock_portal.errors import bad_request, conflict, not_found
from segur.mock_portal.store import Row, loads
from segur.mock_portal.workflow import CANCEL, TransitionRefused

from .context import Context
from .mails import letter
from .records import account_dossier, granted_cents, request_json

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
            facts = self._facts(row, editor)
            content = issued_pdf(self._decision(row, facts, at), at)
            store.add_document(at, numero, "DECISION_ATTRIBUTION", f"decision-attribution-{numero}.pdf", content)
            store.send_mail(
                at,
                editor["email"],
                f"Demande {numero} : décision d'attribution",
                letter(
                    ctx,
                    f"Votre demande de financement {numero} ({facts['profil']}, établissement {facts['site']}) "
                    f"est validée : un financement de {facts['attribue']} vous est attribué.",
                    "La décision d'attribution est disponible sur le portail, dans l'accordéon « Pièces justificatives » "
                    "de la demande.",
                ),
                editor["id"],
                numero,
            )
        elif target == "payee":
            amount = self._payment_cents(row)
            store.add_payment(at, numero, row["type_demande"], amount)
            facts = self._facts(row, editor)
            sequence = len(store.payments_of(numero))
            content = issued_pdf(self._payment(row, facts, amount, sequence, at), at)
            store.add_document(at, numero, "AVIS_PAIEMENT", f"avis-paiement-{numero}.pdf", content)
            store.send_mail(
                at,
                editor["email"],
                f"Demande {numero} : avis de paiement",
                letter(
                    ctx,
                    f"Un versement de {euros(amount)} € au titre de votre demande {numero} ({facts['profil']}) a été "
                    f"ordonné le {at:%d/%m/%Y} sur le compte {facts['iban']} "
                    f"(référence {payment_reference(numero, sequence)}).",
                    "L'avis de paiement est disponible sur le portail, dans l'accordéon « Suivi financier » de la demande.",
                ),
                editor["id"],
                numero,
            )
        elif target in ("aModifier", "attentePieces", "rejetee"):
            what = {
                "aModifier": "Corrigez la demande depuis sa page sur le portail : elle repassera alors en instruction.",
                "attentePieces": "Envoyez les pièces demandées depuis la page de la demande sur le portail.",
                "rejetee": "Cette décision met fin à l'instruction de la demande.",
            }[target]
            store.send_mail(
                at,
                editor["email"],
                f"Demande {numero} : {label}",
                letter(ctx, f"Votre demande {numero} passe au statut « {label} ». Motif : {motif}", what),
                editor["id"],
                numero,
            )

    def _facts(self, row: Row, editor: Row) -> dict[str, Any]:
        """What the documents and mails say of a request: its establishment, its editor, its amounts."""
        ctx = self.ctx
        spec = ctx.spec
        data = loads(row["data"]) or {}
        fields = read_values(data, spec) if isinstance(data, dict) else {}
        dossier = account_dossier(ctx, editor["id"])
        granted = granted_cents(ctx, row) or 0
        avance = (granted * ctx.flows.avance_percent + 50) // 100
        profile = spec.profiles.get(row["profil"])
        window = spec.windows.get(row["profil"])
        af = window.af if window is not None else ""
        bank = dossier.get("banque") or {}
        address = dossier.get("adresse") or {}
        street = " ".join(
            str(address.get(key, "")).lower() if key == "typeVoie" else str(address.get(key, ""))
            for key in ("numeroVoie", "typeVoie", "libelleVoie")
        ).strip()
        site_street = " ".join(
            str(fields.get(key) or "").lower() if key == "site_street_type" else str(fields.get(key) or "")
            for key in ("site_street_number", "site_street_type", "site_street_name")
        ).strip()
        site_town = f"{fields.get('site_postcode') or ''} {fields.get('site_city') or ''}".strip()
        editor_town = f"{address.get('codePostal', '')} {address.get('commune', '')}".strip()
        return {
            "profil": profile.libelle if profile is not None else row["profil"],
            "af": f"{af} - {spec.af_labels.get(af, af)}" if af else "",
            "programme": "Programme Ségur numérique" + (f" - {spec.af_labels.get(af, af)}" if af else ""),
            "editeur": editor["raison_sociale"] or dossier.get("raisonSociale") or editor["login"],
            "siret": _grouped_siret(editor["siret"]),
            "adresseEditeur": ", ".join(p for p in (street, editor_town) if p),
            "enrolement": editor["numero_enrolement"],
            "site": fields.get("site_name") or "établissement non nommé",
            "finess": fields.get("site_finess") or "",
            "siretSite": fields.get("site_siret") or "",
            "adresseSite": ", ".join(p for p in (site_street, site_town) if p),
            "gestionnaire": fields.get("manager_name") or "",
            "managerFiness": fields.get("manager_finess") or "",
            "bdc": row["numero_bdc"] or "",
            "dateBdc": fields["bdc_date"].strftime("%d/%m/%Y") if fields.get("bdc_date") else "",
            "reference": row["reference_ligne"] or "",
            "ans": row["numero_ans"] or "",
            "depot": _date(row["created_at"], spec),
            "ht": f"{euros(fields['amount_ht'])} €" if fields.get("amount_ht") is not None else "",
            "tva": f"{float(fields['vat_rate']):g} %".replace(".", ",") if fields.get("vat_rate") is not None else "",
            "ttc": f"{euros(fields['amount_ttc'])} €" if fields.get("amount_ttc") is not None else "",
            "attribue": f"{euros(granted)} €",
            "avance": f"{euros(avance)} €",
            "solde": f"{euros(granted - avance)} €",
            "partAvance": ctx.flows.avance_percent,
            "partSolde": 100 - ctx.flows.avance_percent,
            "attribueCents": granted,
            "iban": masked_iban(bank.get("iban", "")) if bank.get("iban") else "non renseigné",
            "bic": bank.get("bic", ""),
        }

    def _parties(self, facts: dict[str, Any]) -> list[Section]:
        editor_rows = [
            ("Raison sociale", facts["editeur"]),
            ("SIRET", facts["siret"]),
            ("N° d'enrôlement", facts["enrolement"]),
            ("Solution référencée ANS", facts["ans"]),
        ]
        if facts["adresseEditeur"]:
            editor_rows.insert(2, ("Adresse", facts["adresseEditeur"]))
        site_rows = [("Établissement", facts["site"]), ("FINESS géographique", facts["finess"])]
        if facts["siretSite"]:
            site_rows.append(("SIRET de l'établissement", facts["siretSite"]))
        if facts["adresseSite"]:
            site_rows.append(("Adresse", facts["adresseSite"]))
        if facts["gestionnaire"] or facts["managerFiness"]:
            site_rows.append(("Organisme gestionnaire", facts["gestionnaire"]))
            site_rows.append(("FINESS juridique", facts["managerFiness"]))
        return [
            Section("Bénéficiaire du financement (éditeur)", editor_rows),
            Section("Établissement bénéficiaire de la prestation Ségur", site_rows),
        ]

    def _decision(self, row: Row, facts: dict[str, Any], at: datetime) -> Issued:
        order = f"{facts['bdc']}, signé le {facts['dateBdc']}" if facts["dateBdc"] else facts["bdc"]
        request_rows = [
            ("N° de demande ASP", row["numero"]),
            ("Profil", facts["profil"]),
            ("Appel à financement", facts["af"]),
            ("Demande déposée le", facts["depot"]),
            ("Bon de commande", order),
            ("Référence de l'éditeur", facts["reference"]),
        ]
        if row["numero_avance"]:
            request_rows.insert(1, ("Demande d'avance soldée", row["numero_avance"]))
        amounts = []
        if facts["ht"]:
            amounts.append(("Prestation Ségur", f"{facts['ht']} HT, TVA {facts['tva']}, {facts['ttc']} TTC"))
        amounts += [
            ("Montant attribué", facts["attribue"]),
            (f"Avance ({facts['partAvance']} %)", f"{facts['avance']}, versée après la présente décision"),
            (
                f"Solde ({facts['partSolde']} %)",
                f"{facts['solde']}, versé après la vérification d'aptitude, sur demande de solde",
            ),
        ]
        return Issued(
            title="Décision d'attribution",
            reference=f"DA-{row['numero']}",
            date=at.astimezone(self.ctx.spec.timezone).strftime("%d/%m/%Y"),
            programme=facts["programme"],
            sections=[
                Section("Demande de financement", request_rows),
                *self._parties(facts),
                Section("Financement attribué", amounts),
            ],
            paragraphs=[
                f"Au vu de la demande de financement {row['numero']} et des pièces justificatives déposées, "
                f"l'ASP attribue à {facts['editeur']} un financement de {facts['attribue']} au titre du programme "
                f"Ségur numérique ({facts['profil']}), pour la prestation Ségur réalisée dans l'établissement "
                f"{facts['site']} (FINESS géographique {facts['finess'] or 'non renseigné'}).",
                f"Le financement est versé en deux fois : {facts['partAvance']} % à titre d'avance, puis "
                f"{facts['partSolde']} % au solde.",
            ],
        )

    def _payment(self, row: Row, facts: dict[str, Any], amount: int, sequence: int, at: datetime) -> Issued:
        avance = row["type_demande"] == self.ctx.spec.deposit_types["avance"]
        share = facts["partAvance"] if avance else facts["partSolde"]
        paid = self.ctx.store.paid_cents(row["numero"] if avance else row["numero_avance"]) + (0 if avance else amount)
        reference = payment_reference(row["numero"], sequence)
        payment_rows = [
            ("Référence du paiement", reference),
            ("Date du paiement", at.astimezone(self.ctx.spec.timezone).strftime("%d/%m/%Y")),
            ("Nature", f"{'Avance' if avance else 'Solde'} ({share} % du montant attribué)"),
            ("Montant du versement", f"{euros(amount)} €"),
            ("Montant attribué", facts["attribue"]),
            ("Total versé à ce jour", f"{euros(paid)} €"),
            ("Reste à verser", f"{euros(max(facts['attribueCents'] - paid, 0))} €"),
        ]
        return Issued(
            title="Avis de paiement",
            reference=reference,
            date=at.astimezone(self.ctx.spec.timezone).strftime("%d/%m/%Y"),
            programme=facts["programme"],
            sections=[
                Section("Paiement", payment_rows),
                Section(
                    "Compte crédité", [("Titulaire", facts["editeur"]), ("IBAN", facts["iban"]), ("BIC", facts["bic"])]
                ),
                Section(
                    "Objet",
                    [
                        ("N° de demande ASP", row["numero"]),
                        ("Profil", facts["profil"]),
                        ("Décision d'attribution", f"DA-{row['numero']}"),
                    ],
                ),
                *self._parties(facts),
            ],
            paragraphs=[
                f"L'ASP a ordonné un virement de {euros(amount)} € au titre de la demande {row['numero']}, "
                f"sur le compte ci-dessus ; bénéficiaire : {facts['editeur']} (SIRET {facts['siret']}).",
            ],
        )

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


def payment_reference(numero: str, sequence: int) -> str:
    """The reference of a request's ``sequence``-th payment (MODEL: « VIR-MS1A2024000001-1 »)."""
    return f"VIR-{numero}-{sequence}"


def _grouped_siret(siret: str) -> str:
    """« 732 829 320 00074 » (the SIREN in threes, then the NIC)."""
    digits = "".join(siret.split())
    if len(digits) != 14:
        return siret
    return f"{digits[0:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}"


def _date(text: str | None, spec: Any) -> str:
    if not text:
        return ""
    return datetime.fromisoformat(text).astimezone(spec.timezone).strftime("%d/%m/%Y %H:%M")
