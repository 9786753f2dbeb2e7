"""Editor accounts: the first start's seed (clock, admin token, the demo editor), the accounts
a validated enrolment opens, login and its session token, « mon compte »."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from segur.mock_portal.errors import PortalError, bad_request
from segur.mock_portal.store import Row, dumps, new_token
from werkzeug.security import check_password_hash, generate_password_hash

from .context import Context
from .records import enrolment_json, enrolment_number

DEMO_SIRET = "73282932000074"
DEMO_EMAIL = "demo@editeur.example"
#: the demo editor's enrolment form, as a deposited one is kept (the kit's enrolment contract):
#: what the gestionnaire's card and the documents show of it (MODEL values)
DEMO_DOSSIER: dict[str, Any] = {
    "siret": DEMO_SIRET,
    "raisonSociale": "Éditeur de démonstration",
    "nomCommercial": "Démo Logiciels",
    "adresse": {
        "numeroVoie": "12",
        "typeVoie": "RUE",
        "libelleVoie": "de la Santé",
        "codePostal": "75013",
        "commune": "Paris",
    },
    "representant": {
        "nom": "Martin",
        "prenom": "Camille",
        "email": DEMO_EMAIL,
        "emailConfirmation": DEMO_EMAIL,
        "telephone": "01 40 00 00 00",
    },
    "banque": {"iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"},
    "regimeTva": "TTC",
}


class Accounts:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def seed(
        self, demo_login: str, demo_password: str, admin_token: str | None, solutions: dict[str, dict[str, Any]]
    ) -> dict[str, str]:
        """First start (or after a reset): the clock, the admin token and one enrolled demo editor
        (``solutions``: the référencement of the demo's ANS numbers). At every start, the requests
        stored under a status label the spec has renamed take the new one."""
        ctx, store = self.ctx, self.ctx.store
        with store.transaction():
            # labels the spec gave its statuses before (spec.json statutsPrecedents): the requests
            # stored under them take today's label
            for key, labels in ctx.spec.previous_statuses.items():
                for label in labels:
                    store.rename_status(label, ctx.spec.statuts[key])
            if store.meta("clock") is None:
                start = ctx.spec.default_deposit_time(None, ctx.spec.deposit_types["avance"])
                store.set_meta("clock", {"frozen": start.isoformat()})
                ctx.forget_clock()
            token = admin_token or store.meta("admin_token") or new_token()
            store.set_meta("admin_token", token)
            if store.editor_by_login(demo_login) is None:
                at = ctx.now()
                validated = ctx.flows.enrolment.label("validee")
                enrolments = [
                    store.add_enrolment(
                        editor_id=None,
                        numero_ans=numero,
                        couloir=solution["couloir"],
                        type_logiciel=solution["typeLogiciel"],
                        siret=DEMO_SIRET,
                        email=DEMO_EMAIL,
                        statut=validated,
                        data=dumps(DEMO_DOSSIER if index == 0 else {}),
                        complementaire=int(index > 0),
                        created_at=at.isoformat(),
                    )
                    for index, (numero, solution) in enumerate(solutions.items())
                ]
                # the account bears the number of the enrolment that opened it
                number = enrolment_number(enrolments[0]) if enrolments else "ENR-DEMO"
                editor_id = self.create_editor(
                    demo_login, demo_password, DEMO_EMAIL, DEMO_SIRET, DEMO_DOSSIER["raisonSociale"], at, number
                )
                for enrolment_id in enrolments:
                    store.decide_enrolment(enrolment_id, validated, None, editor_id, at)
        return {"login": demo_login, "password": demo_password, "admin_token": token}

    def create_editor(
        self, login: str, password: str, email: str, siret: str, name: str, at: datetime, numero: str
    ) -> int:
        """An account (inside the caller's transaction), with the number of the enrolment that opened it."""
        return self.ctx.store.add_editor(login, generate_password_hash(password), email, siret, name, numero, at)

    def editor_for_token(self, token: str) -> Row | None:
        return self.ctx.store.editor_by_token(token, self.ctx.now())

    def login(self, login: Any, password: Any) -> dict[str, Any]:
        if not isinstance(login, str) or not isinstance(password, str):
            raise bad_request("give 'login' and 'password' as text")
        store = self.ctx.store
        editor = store.editor_by_login(login)
        if editor is None or not check_password_hash(editor["password_hash"], password):
            raise PortalError(401, "IDENTIFIANTS_INVALIDES", "identifiant ou mot de passe incorrect")
        with store.transaction():
            token = store.open_session(editor["id"], self.ctx.now())
        return {"token": token, "numeroEnrolement": editor["numero_enrolement"]}

    def me(self, editor: Row) -> dict[str, Any]:
        ctx = self.ctx
        return {
            "login": editor["login"],
            "email": editor["email"],
            "siret": editor["siret"],
            "raisonSociale": editor["raison_sociale"],
            "numeroEnrolement": editor["numero_enrolement"],
            "enrolements": [enrolment_json(ctx, r["id"], r) for r in ctx.store.enrolments_of(editor["id"])],
            "demandesIncompletes": ctx.store.count_requests(editor["id"], statut=ctx.spec.statuts["incomplete"]),
        }

    def solutions_of(self, login: str) -> list[str]:
        """The ANS numbers an account is enrolled for (any status), none for an unknown login."""
        editor = self.ctx.store.editor_by_login(login)
        return [r["numero_ans"] for r in self.ctx.store.enrolments_of(editor["id"])] if editor is not None else []

    def validated_enrolments(self, editor: Row) -> list[Row]:
        validated = self.ctx.flows.enrolment.label("validee")
        return [r for r in self.ctx.store.enrolments_of(editor["id"]) if r["statut"] == validated]
