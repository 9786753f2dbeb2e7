"""Enrolment (seed, slides 21 to 40): the référencement and SIRET look-ups, the form checked
and stored with its pieces, the acknowledgement, the gestionnaire's decision (an account and its
credentials by mail, or the reason of a rejection), the complementary enrolment."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

import orjson
from segur.mock_portal.controls.pdf_check import pdf_budget, pdf_problem
from segur.mock_portal.errors import PortalError, conflict, not_found
from segur.mock_portal.store import Row, dumps, loads, new_token
from segur.mock_portal.workflow import TransitionRefused
from stdnum import bic, iban
from stdnum.fr import siret as siret_number

from .accounts import Accounts
from .context import Context
from .mails import letter
from .records import account_dossier, enrolment_json, enrolment_number

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@cache
def _json_file(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def _validator(path: Path) -> Any:
    """The enrolment schema's validator, built once per process, with the formats it names (IBAN,
    BIC, SIRET: :mod:`segur.mock_portal.formats`); its messages never copy the value at fault."""
    from segur.mock_portal.formats import schema_validator

    return schema_validator(path)


#: the keys of a référentiel entry that the controls read and « Rechercher » does not show
_CONTROL_DATES = frozenset({"dateDossierComplet", "dateReferencement"})


class Enrolment:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ------------------------------------------------------------------ référentiel

    def spec_files(self) -> dict[str, Any]:
        files: dict[str, Any] = _json_file(self.ctx.spec.root / "spec.json").get("files", {})
        return files

    def _referentiel(self) -> dict[str, Any]:
        relative = self.spec_files().get("referencement")
        if not relative:
            return {"solutions": {}, "patterns": []}
        data: dict[str, Any] = _json_file(self.ctx.spec.root / relative)
        return data

    def lookup_ans(self, numero: str) -> dict[str, Any] | None:
        """The portal's « Rechercher »: corridor, software type and DSR of an ANS number."""
        referentiel = self._referentiel()
        if numero in referentiel["solutions"]:
            # what « Rechercher » fills in; the référencement dates are the controls' (order-form dates)
            shown = {k: v for k, v in referentiel["solutions"][numero].items() if k not in _CONTROL_DATES}
            return {"numeroAns": numero, **shown}
        for rule in referentiel["patterns"]:
            if re.fullmatch(rule["pattern"], numero):
                return {"numeroAns": numero, **{k: v for k, v in rule.items() if k != "pattern"}}
        return None

    def lookup_siret(self, siret: str) -> dict[str, Any] | None:
        """The structure step's « Rechercher » (seed, slide 29): None for a SIRET whose key is wrong.

        MODEL: the mock has no company register (the real portal reads the Bodacc); it knows the
        dénomination and address of the structures already enrolled, else leaves them to type."""
        if not siret_number.is_valid(siret):
            return None
        data = self.ctx.store.latest_enrolment_data(siret) or {}
        name = data.get("raisonSociale") or self.ctx.store.editor_name_by_siret(siret)
        return {"siret": siret, "raisonSociale": name, "adresse": data.get("adresse")}

    def lookup_bank(self, iban_text: str, bic_text: str) -> dict[str, Any]:
        """The bank step (seed, slide 34): the IBAN and BIC checked as :meth:`enrol` checks them, and
        the domiciliation derived from them (MODEL: the bank and country codes, no bank directory)."""
        problems = []
        if not iban.is_valid(iban_text):
            problems.append({"champ": "/banque/iban", "message": "IBAN invalide"})
        if not bic.is_valid(bic_text):
            problems.append({"champ": "/banque/bic", "message": "BIC invalide"})
        domiciliation = None
        if not problems:
            compact = bic.compact(bic_text)
            branch = compact[8:11]
            office = "agence principale" if branch in ("", "XXX") else f"agence {branch}"
            domiciliation = f"Établissement {compact[:4]}, pays {compact[4:6]}, {office}"
        return {"problemes": problems, "domiciliation": domiciliation}

    # ------------------------------------------------------------------ deposit of an enrolment

    def enrol(self, form: Any, *, editor: Row | None = None) -> dict[str, Any]:
        """Deposit an enrolment (or, with ``editor``, a complementary one): checked, stored, acknowledged."""
        problems = self._problems(form, complementary=editor is not None)
        if problems:
            raise PortalError(422, "ENROLEMENT_INVALIDE", "demande d'enrôlement incomplète ou invalide", problems)
        solution = self.lookup_ans(form["numeroAns"])
        assert solution is not None  # checked above
        ctx, store = self.ctx, self.ctx.store
        at = ctx.now()
        with store.transaction():
            if editor is not None and store.has_enrolment(
                editor["id"], form["numeroAns"], ctx.flows.enrolment.label("rejetee")
            ):
                raise conflict("DEJA_ENROLE", f"vous êtes déjà enrôlé (ou en cours) pour {form['numeroAns']}")
            email = editor["email"] if editor is not None else _filer(form)["email"]
            stored = {k: v for k, v in form.items() if k not in ("pieces", "captcha")}
            enrolment_id = store.add_enrolment(
                editor_id=editor["id"] if editor is not None else None,
                numero_ans=form["numeroAns"],
                couloir=solution["couloir"],
                type_logiciel=solution["typeLogiciel"],
                siret=editor["siret"] if editor is not None else form["siret"],
                email=email,
                statut=ctx.flows.enrolment.label("deposee"),
                data=dumps(stored),
                complementaire=int(editor is not None),
                created_at=at.isoformat(),
            )
            for piece in form.get("pieces", []):
                store.add_enrolment_piece(
                    enrolment_id, piece["nature"], piece["nomFichier"], base64.b64decode(piece["contenu"])
                )
            store.send_mail(
                at,
                email,
                "Accusé de réception de votre demande d'enrôlement",
                letter(
                    ctx,
                    f"Votre demande d'enrôlement n° {enrolment_number(enrolment_id)} pour la solution "
                    f"{form['numeroAns']} a bien été reçue le {at:%d/%m/%Y à %H:%M}. Elle va être instruite par "
                    "le service gestion de l'ASP ; vous recevrez un courriel à chaque étape.",
                ),
                editor["id"] if editor is not None else None,
            )
        return enrolment_json(ctx, enrolment_id)

    def problems(self, form: Any) -> list[dict[str, str]]:
        """What :meth:`enrol` would refuse in ``form``, nothing stored: the pages show it step by step."""
        return self._problems(form, complementary=False)

    def _problems(self, form: Any, *, complementary: bool) -> list[dict[str, str]]:
        problems: list[dict[str, str]] = []

        def bad(field: str, message: str) -> None:
            problems.append({"champ": field, "message": message})

        if not isinstance(form, dict):
            return [{"champ": "/", "message": "un objet JSON est attendu"}]
        if complementary:
            if not isinstance(form.get("numeroAns"), str):
                bad("/numeroAns", "numéro de référencement ANS obligatoire")
            self._pieces_problems(form.get("pieces"), {"CERTIFICAT_ANS"}, bad)
            if isinstance(form.get("numeroAns"), str) and self.lookup_ans(form["numeroAns"]) is None:
                bad("/numeroAns", f"numéro de référencement ANS {form['numeroAns']} inconnu du référentiel")
            return problems
        relative = self.spec_files().get("enrolment")
        if relative:
            from segur.mock_portal.formats import message

            for error in _validator(self.ctx.spec.root / relative).iter_errors(form):
                where = "".join(f"/{p}" for p in error.instance_path) or "/"
                bad(where, message(error))
        # the portal's own checks run in the same round, on the fields the schema let through: an
        # editor reads every problem of the form at once (a field the schema refused is not judged
        # twice); the enrolment schema names the formats, a copy of it that does not is checked all
        # the same
        flagged = {p["champ"] for p in problems}

        def text(*path: str) -> str | None:
            value: Any = form
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            return value if isinstance(value, str) and "/" + "/".join(path) not in flagged else None

        numero = text("numeroAns")
        if numero is not None and self.lookup_ans(numero) is None:
            bad("/numeroAns", f"numéro de référencement ANS {numero} inconnu du référentiel")
        siret = text("siret")
        if siret is not None and not siret_number.is_valid(siret):
            bad("/siret", "SIRET invalide (clé de contrôle)")
        iban_text, bic_text = text("banque", "iban"), text("banque", "bic")
        if iban_text is not None and not iban.is_valid(iban_text):
            bad("/banque/iban", "IBAN invalide")
        if bic_text is not None and not bic.is_valid(bic_text):
            bad("/banque/bic", "BIC invalide")
        for who in ("representant", "tiersDeclarant"):
            email, confirmation = text(who, "email"), text(who, "emailConfirmation")
            if email is not None and not _EMAIL.match(email):
                bad(f"/{who}/email", "adresse électronique invalide")
            if email is not None and confirmation is not None and email != confirmation:
                bad(f"/{who}/emailConfirmation", "la confirmation ne reprend pas l'adresse électronique")
        required = {"CERTIFICAT_ANS", "PIECE_IDENTITE_REPRESENTANT", "RIB"}
        if form.get("denominationModifiee"):
            required.add("KBIS")
        if form.get("regimeTva") == "HT":
            required.add("ATTESTATION_NON_ASSUJETTISSEMENT_TVA")
        third = form.get("tiersDeclarant")
        if isinstance(third, dict):
            required.add("PIECE_IDENTITE_DEPOSITAIRE")
            required.add("CONTRAT_PRESTATION" if third.get("qualite") == "centreDeGestion" else "MANDAT")
        if "/pieces" not in flagged:
            self._pieces_problems(form.get("pieces"), required, bad)
        return problems

    def _pieces_problems(self, pieces: Any, required: set[str], bad: Callable[[str, str], None]) -> None:
        if not isinstance(pieces, list):
            bad("/pieces", "liste des pièces attendue")
            return
        limit = self.ctx.spec.limits["maxPieceOctets"]
        natures: set[Any] = set()
        # the pieces of one enrolment are read within one budget (pdf_check.py), or the request's
        with pdf_budget(self.ctx.spec.limits):
            self._read_pieces(pieces, limit, natures, bad)
        for nature in sorted(required - natures):
            bad("/pieces", f"pièce obligatoire manquante : {nature}")

    def _read_pieces(self, pieces: list[Any], limit: int, natures: set[Any], bad: Callable[[str, str], None]) -> None:
        for index, piece in enumerate(pieces):
            if not isinstance(piece, dict) or not all(
                isinstance(piece.get(key), str) for key in ("nature", "nomFichier", "contenu")
            ):
                bad(f"/pieces/{index}", "pièce attendue : nature, nomFichier, contenu (PDF en base64)")
                continue
            natures.add(piece.get("nature"))
            try:
                content = base64.b64decode(piece["contenu"], validate=True)
            except (binascii.Error, ValueError):
                bad(f"/pieces/{index}/contenu", "contenu non encodé en base64")
                continue
            if len(content) > limit:
                bad(f"/pieces/{index}/contenu", f"pièce de {len(content)} octets, {limit} au maximum")
                continue
            problem = pdf_problem(BytesIO(content))
            if problem:
                bad(f"/pieces/{index}/contenu", f"PDF illisible : {problem}")

    # ------------------------------------------------------------------ the gestionnaire's decision

    def decide(self, enrolment_id: int, target: str, motif: str | None) -> dict[str, Any]:
        """The gestionnaire validates (account, number, credentials by mail) or rejects (reason by mail)."""
        ctx, store = self.ctx, self.ctx.store
        flow = ctx.flows.enrolment
        at = ctx.now()
        with store.transaction():
            row = store.enrolment(enrolment_id)
            if row is None:
                raise not_found(f"demande d'enrôlement {enrolment_id}")
            source = flow.key(row["statut"]) or row["statut"]
            try:
                flow.move(source, target, by="gestionnaire", reason=motif)
            except TransitionRefused as refused:
                raise conflict("TRANSITION_REFUSEE", refused.message, {"possibles": refused.allowed}) from None
            editor_id = row["editor_id"]
            if target == "validee" and editor_id is None:
                editor_id = self._open_account(row, enrolment_id, at)
            elif target == "validee":
                store.send_mail(
                    at,
                    row["email"],
                    "Validation de votre enrôlement complémentaire",
                    letter(
                        ctx,
                        f"Votre demande d'enrôlement complémentaire n° {enrolment_number(enrolment_id)} est validée : "
                        f"la solution {row['numero_ans']} est ajoutée à votre espace. Vous pouvez déposer ses "
                        "demandes de financement.",
                    ),
                    editor_id,
                )
            elif target == "rejetee":
                store.send_mail(
                    at,
                    row["email"],
                    "Rejet de votre demande d'enrôlement",
                    letter(
                        ctx,
                        f"Votre demande d'enrôlement n° {enrolment_number(enrolment_id)} pour la solution "
                        f"{row['numero_ans']} est rejetée. Motif : {motif}",
                        "Vous pouvez déposer une nouvelle demande d'enrôlement une fois le motif levé.",
                    ),
                    editor_id,
                )
            store.decide_enrolment(enrolment_id, flow.label(target), motif, editor_id, at)
        return enrolment_json(ctx, enrolment_id)

    def _open_account(self, row: Row, enrolment_id: int, at: Any) -> int:
        """A first enrolment validated: the existing ASP account gets the solution, or a new
        account is made and its number, login and password are mailed."""
        store = self.ctx.store
        existing = store.editor_by_email(row["email"])
        if existing is not None:
            store.send_mail(
                at,
                row["email"],
                "Extension de votre habilitation au portail Ségur numérique",
                letter(
                    self.ctx,
                    f"Votre demande d'enrôlement n° {enrolment_number(enrolment_id)} est validée : votre compte ASP "
                    f"existant donne désormais accès à la solution {row['numero_ans']}.",
                ),
                existing["id"],
            )
            return int(existing["id"])
        data = loads(row["data"]) or {}
        login = f"ed{store.meta('seq:enrolement') or 0:05d}{enrolment_id}"
        password = new_token()[:16]
        editor_id = Accounts(self.ctx).create_editor(
            login,
            password,
            row["email"],
            row["siret"],
            data.get("raisonSociale", ""),
            at,
            enrolment_number(enrolment_id),
        )
        editor = store.editor(editor_id)
        assert editor is not None
        store.send_mail(
            at,
            row["email"],
            "Validation de votre demande d'enrôlement",
            letter(
                self.ctx,
                f"Votre enrôlement est validé sous le numéro {editor['numero_enrolement']}, associé au SIRET "
                f"{row['siret']}, pour la solution {row['numero_ans']}.",
                "Votre identifiant et votre mot de passe vous parviennent dans deux courriels séparés.",
            ),
            editor_id,
        )
        store.send_mail(
            at,
            row["email"],
            "Votre identifiant",
            letter(self.ctx, f"Identifiant : {login}", "Le mot de passe vous parvient dans un autre courriel."),
            editor_id,
        )
        store.send_mail(
            at,
            row["email"],
            "Votre mot de passe",
            letter(
                self.ctx,
                # kept sealed: the gestionnaire's outbox and the editor's mails open it
                f"Mot de passe : {self.ctx.settings.sealer.seal(password)}",
                "Connectez-vous avec l'identifiant reçu dans un autre courriel.",
            ),
            editor_id,
        )
        return editor_id

    # ------------------------------------------------------------------ the gestionnaire's card

    def dossier(self, enrolment_id: int) -> dict[str, Any]:
        """What the gestionnaire instructs: the enrolment with its number, the form as deposited
        (the company, its address, the people, the bank details, the VAT regime; a complementary
        enrolment shows its account's company) and its pieces, each with its id to download it."""
        store = self.ctx.store
        row = store.enrolment(enrolment_id)
        if row is None:
            raise not_found(f"demande d'enrôlement {enrolment_id}")
        data = loads(row["data"]) or {}
        if not data.get("raisonSociale") and row["editor_id"] is not None:  # a complementary enrolment
            editor = store.editor(row["editor_id"])
            first = account_dossier(self.ctx, row["editor_id"])
            name = first.get("raisonSociale") or (editor["raison_sociale"] if editor is not None else None)
            data = {**first, **data, "raisonSociale": name}
        bank = data.get("banque") or {}
        return {
            **enrolment_json(self.ctx, enrolment_id, row),
            "numero": enrolment_number(enrolment_id),
            "email": row["email"],
            "dossier": data,
            "domiciliation": self.lookup_bank(bank["iban"], bank["bic"])["domiciliation"]
            if bank.get("iban") and bank.get("bic")
            else None,
            "pieces": [
                {"id": p["id"], "nature": p["nature"], "nomFichier": p["filename"], "taille": p["size"]}
                for p in store.enrolment_pieces(enrolment_id)
            ],
        }

    def piece(self, enrolment_id: int, piece_id: int) -> tuple[str, bytes]:
        """An enrolment piece's file name and content (the gestionnaire opens it from the card)."""
        found = self.ctx.store.enrolment_piece(enrolment_id, piece_id)
        if found is None:
            raise not_found(f"pièce {piece_id} de la demande d'enrôlement {enrolment_id}")
        return found["filename"], bytes(found["content"])

    # ------------------------------------------------------------------ lists

    def listing(
        self, statut: str | None, *, newest_first: bool, after: int | None = None, limit: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Enrolments (those with a status key or label), with their email, in the order of their numbers."""
        label = self.ctx.flows.enrolment.labels.get(statut, statut) if statut else None
        rows = self.ctx.store.enrolments_page(label, newest_first=newest_first, after=after, limit=limit, offset=offset)
        return [{**enrolment_json(self.ctx, r["id"], r), "email": r["email"]} for r in rows]

    def count(self) -> int:
        return self.ctx.store.count_enrolments()

    def pending_count(self) -> int:
        """Enrolments the gestionnaire has still to decide."""
        flow = self.ctx.flows.enrolment
        return self.ctx.store.count_enrolments(not_in=[flow.label("validee"), flow.label("rejetee")])


def _filer(form: Any) -> Any:
    """Who receives the mails: the dépositaire for a third-party filing, else the representative."""
    return form.get("tiersDeclarant") or form["representant"]
