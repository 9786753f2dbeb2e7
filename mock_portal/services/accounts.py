"""Editor accounts: the first start's seed (clock, admin token, the demo editor), the accounts
a validated enrolment opens, login and logout with their sessions, « mon compte ».

Sessions end by the real clock (:func:`segur.mock_portal.security.utc_now`), never by the mock's,
which a trainer moves by years: ``settings.session_ttl`` seconds after login, or at logout. Login
attempts are limited per login and per client address (429 past the limit, whatever the
password); a known and an unknown login cost the same (a decoy hash). The gestionnaire's token is
kept sealed (:class:`~segur.mock_portal.security.Sealer`), never in clear.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from segur.mock_portal import security
from segur.mock_portal.errors import PortalError, bad_request
from segur.mock_portal.store import Row, dumps, new_token

from .context import Context
from .records import enrolment_json, enrolment_number

DEMO_SIRET = "73282932000074"
DEMO_EMAIL = "demo@editeur.example"
#: the meta keys of the gestionnaire's token: sealed (today), in clear (release 0.2.0 to issue 14)
ADMIN_TOKEN_SEALED = "admin_token_sealed"
ADMIN_TOKEN_CLEAR = "admin_token"

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
            token = self._admin_token(admin_token)
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

    def _admin_token(self, configured: str | None) -> str:
        """The gestionnaire's token (inside the seed's transaction): the one configured, else the
        one kept (sealed; or in clear by an earlier release, sealed now), else a new one. It is
        kept sealed, so that a restart or another process on the same database (with the same
        key) answers to the same token, and a copy of the database alone does not give it."""
        store, sealer = self.ctx.store, self.ctx.settings.sealer
        kept = store.meta(ADMIN_TOKEN_SEALED)
        opened = sealer.open(kept) if isinstance(kept, str) else None
        clear = store.meta(ADMIN_TOKEN_CLEAR)
        if clear is not None:
            store.forget_meta(ADMIN_TOKEN_CLEAR)
        token = configured or opened or (clear if isinstance(clear, str) and clear else None) or new_token()
        if token != opened:
            store.set_meta(ADMIN_TOKEN_SEALED, sealer.seal(token))
        return token

    def create_editor(
        self, login: str, password: str, email: str, siret: str, name: str, at: datetime, numero: str
    ) -> int:
        """An account (inside the caller's transaction), with the number of the enrolment that opened it."""
        return self.ctx.store.add_editor(login, security.hash_password(password), email, siret, name, numero, at)

    # ------------------------------------------------------------------ sessions

    def editor_for_token(self, token: str, *, kind: str = security.API) -> Row | None:
        """The editor of a session of ``kind`` still open by the real clock."""
        return self.ctx.store.editor_by_token(token, security.utc_now(), kind)

    def login(
        self, login: Any, password: Any, *, address: str | None = None, kind: str = security.API
    ) -> dict[str, Any]:
        """A session of ``kind`` (the API's, or the web pages') that ends ``settings.session_ttl``
        seconds from now by the real clock. Past the attempts' limits (this login, or this client
        ``address``), 429 before the password is looked at; a failure is counted, a success starts
        the login's count again."""
        if not isinstance(login, str) or not isinstance(password, str):
            raise bad_request("give 'login' and 'password' as text")
        ctx, store = self.ctx, self.ctx.store
        self._check_attempts(login, address)
        editor = store.editor_by_login(login)
        if not security.password_matches(editor["password_hash"] if editor is not None else None, password):
            self._record_failure(login, address)
            raise PortalError(401, "IDENTIFIANTS_INVALIDES", "identifiant ou mot de passe incorrect")
        assert editor is not None
        now = security.utc_now()
        with store.transaction():
            store.clear_login_failures(self._keys(login, None)[0][0])
            store.forget_sessions_ended(now)
            token = store.open_session(
                editor["id"], ctx.now(), expires_at=now + timedelta(seconds=ctx.settings.session_ttl), kind=kind
            )
        return {"token": token, "numeroEnrolement": editor["numero_enrolement"]}

    def logout(self, token: str, *, kind: str = security.API) -> bool:
        """End a session now (False when there was none open)."""
        with self.ctx.store.transaction():
            return self.ctx.store.revoke_session(token, security.utc_now(), kind)

    def _keys(self, login: str, address: str | None) -> list[tuple[str, int]]:
        return self.ctx.settings.policy.keys(login, address)

    def _check_attempts(self, login: str, address: str | None) -> None:
        """429 (``TROP_DE_TENTATIVES``, ``Retry-After``) when this login or this address failed too
        often within the window."""
        policy = self.ctx.settings.policy
        now = security.utc_now()
        since = now - timedelta(seconds=policy.window)
        for key, limit in self._keys(login, address):
            count, oldest = self.ctx.store.login_failures(key, since)
            if count >= limit and oldest is not None:
                retry = max(1, math.ceil((oldest + timedelta(seconds=policy.window) - now).total_seconds()))
                raise PortalError(
                    429,
                    "TROP_DE_TENTATIVES",
                    security.too_many_attempts_message(retry),
                    headers={"Retry-After": str(retry)},
                )

    def _record_failure(self, login: str, address: str | None) -> None:
        store, policy = self.ctx.store, self.ctx.settings.policy
        now = security.utc_now()
        with store.transaction():
            store.forget_login_failures_before(now - timedelta(seconds=policy.window))
            for key, _ in self._keys(login, address):
                store.add_login_failure(key, now)

    # ------------------------------------------------------------------ « mon compte »

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
