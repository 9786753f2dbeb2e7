"""What the portal does, step by step (seed, DOMAIN.md), over the store: the Flask views and
the admin API call these; nothing here knows HTTP."""

from __future__ import annotations

import base64
import binascii
import gc
import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from io import BytesIO
from typing import IO, Any

import orjson
from segur.mock_portal import security
from segur.mock_portal.controls import (
    IMPORT,
    INCOMPLETE,
    REJECTED,
    SIMULATION,
    Answer,
    Deposit,
    Enrolment,
    Spec,
    check_deposit,
)
from segur.mock_portal.controls.answer import format_number
from segur.mock_portal.controls.attachments import attachment_report, pdf_problem
from segur.mock_portal.controls.money import cents, euros
from segur.mock_portal.controls.spec import Profile, resolve
from segur.mock_portal.documents import issued_pdf
from segur.mock_portal.errors import PortalError, bad_request, conflict, not_found
from segur.mock_portal.store import SqliteHistory, Store, dumps, loads, new_token
from segur.mock_portal.workflow import TransitionRefused, Workflows, workflows
from stdnum import bic, iban
from stdnum.fr import siret as siret_number
from werkzeug.security import generate_password_hash

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: the largest avenant, in euros (model): keeps the amount within SQLite's integers, in cents
MAX_AVENANT = 1_000_000_000
#: the years the mock's clock may show: far from datetime's limits, so that no later
#: computation on the clock overflows
CLOCK_YEARS = (2000, 2099)


@dataclass
class Portal:
    """The portal over one store connection, with the mock's clock."""

    store: Store
    spec: Spec
    flows: Workflows
    #: seals the secrets the outbox must show (a new editor's password): security.Sealer
    sealer: Any = None

    # ------------------------------------------------------------------ clock

    def now(self) -> datetime:
        """The mock's time: frozen at a moment, or the real time shifted by an offset."""
        clock = self.store.meta("clock") or {}
        if "frozen" in clock:
            return datetime.fromisoformat(clock["frozen"])
        return datetime.now(self.spec.timezone) + timedelta(seconds=float(clock.get("offset", 0)))

    def set_clock(self, *, at: str | None = None, advance: float | None = None, real: bool = False) -> datetime:
        with self.store.transaction():
            if real:
                self.store.set_meta("clock", {"offset": 0})
            elif at is not None:
                try:
                    moment = self.spec.local_time(at)
                except ValueError:
                    raise bad_request(f"'at': {at!r} is not an ISO 8601 time (e.g. 2024-02-28T13:59)") from None
                _check_clock(moment, "at")
                self.store.set_meta("clock", {"frozen": moment.isoformat()})
            elif advance is not None:
                clock = self.store.meta("clock") or {}
                if "frozen" in clock:
                    moment = datetime.fromisoformat(clock["frozen"]) + timedelta(seconds=advance)
                    _check_clock(moment, "advance")
                    self.store.set_meta("clock", {"frozen": moment.isoformat()})
                else:
                    offset = float(clock.get("offset", 0)) + advance
                    _check_clock(datetime.now(self.spec.timezone) + timedelta(seconds=offset), "advance")
                    self.store.set_meta("clock", {"offset": offset})
            else:
                raise bad_request("give 'at' (ISO time), 'advance' (seconds) or 'real': true")
        return self.now()

    # ------------------------------------------------------------------ seeding

    def seed(self, demo_login: str, demo_password: str, admin_token: str | None) -> dict[str, str]:
        """First start (or after a reset): the clock, the admin token and one enrolled demo editor."""
        with self.store.transaction():
            if self.store.meta("clock") is None:
                start = self.spec.default_deposit_time(None, self.spec.deposit_types["avance"])
                self.store.set_meta("clock", {"frozen": start.isoformat()})
            # the admin token is never stored: configured (SEGUR_ADMIN_TOKEN), or new at each start
            token = admin_token or new_token()
            self.store.forget_meta("admin_token")  # kept in clear by earlier versions
            if self.store.editor_by_login(demo_login) is None:
                at = self.now()
                editor_id = self._create_editor(
                    demo_login, demo_password, "demo@editeur.example", "73282932000074", "Éditeur de démonstration", at
                )
                for numero in ("ANS-MS1-DUI-0042", "ANS-MS2-DPE-0107"):
                    solution = self.lookup_ans(numero)
                    if solution is None:
                        continue
                    self.store.db.execute(
                        "INSERT INTO enrolments(editor_id, numero_ans, couloir, type_logiciel, siret, email, statut, "
                        "data, created_at, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?, ?)",
                        (
                            editor_id,
                            numero,
                            solution["couloir"],
                            solution["typeLogiciel"],
                            "73282932000074",
                            "demo@editeur.example",
                            self.flows.enrolment.label("validee"),
                            at.isoformat(),
                            at.isoformat(),
                        ),
                    )
        return {"login": demo_login, "password": demo_password, "admin_token": token}

    def _create_editor(self, login: str, password: str, email: str, siret: str, name: str, at: datetime) -> int:
        numero = f"ENR-{self.store.next_sequence('enrolement'):06d}"
        cursor = self.store.db.execute(
            "INSERT INTO editors(login, password_hash, email, siret, raison_sociale, numero_enrolement, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (login, generate_password_hash(password), email, siret, name, numero, at.isoformat()),
        )
        return int(cursor.lastrowid or 0)

    # ------------------------------------------------------------------ référencement and enrolment

    def _referentiel(self) -> dict[str, Any]:
        relative = self.spec_files().get("referencement")
        if not relative:
            return {"solutions": {}, "patterns": []}
        data: dict[str, Any] = orjson.loads((self.spec.root / relative).read_bytes())
        return data

    def spec_files(self) -> dict[str, Any]:
        manifest: dict[str, Any] = orjson.loads((self.spec.root / "spec.json").read_bytes())
        files: dict[str, Any] = manifest.get("files", {})
        return files

    def lookup_ans(self, numero: str) -> dict[str, Any] | None:
        """The portal's « Rechercher »: corridor, software type and DSR of an ANS number."""
        referentiel = self._referentiel()
        if numero in referentiel["solutions"]:
            return {"numeroAns": numero, **referentiel["solutions"][numero]}
        for rule in referentiel["patterns"]:
            if re.fullmatch(rule["pattern"], numero):
                return {"numeroAns": numero, **{k: v for k, v in rule.items() if k != "pattern"}}
        return None

    def enrol(self, form: Any, *, editor: sqlite3.Row | None = None) -> dict[str, Any]:
        """Deposit an enrolment (or, with ``editor``, a complementary one): checked, stored, acknowledged."""
        problems = self._enrolment_problems(form, complementary=editor is not None)
        if problems:
            raise PortalError(422, "ENROLEMENT_INVALIDE", "demande d'enrôlement incomplète ou invalide", problems)
        solution = self.lookup_ans(form["numeroAns"])
        assert solution is not None  # checked above
        at = self.now()
        with self.store.transaction() as db:
            if editor is not None:
                taken = db.execute(
                    "SELECT 1 FROM enrolments WHERE editor_id = ? AND numero_ans = ? AND statut != ?",
                    (editor["id"], form["numeroAns"], self.flows.enrolment.label("rejetee")),
                ).fetchone()
                if taken:
                    raise conflict("DEJA_ENROLE", f"vous êtes déjà enrôlé (ou en cours) pour {form['numeroAns']}")
            email = editor["email"] if editor is not None else self._filer(form)["email"]
            stored = {k: v for k, v in form.items() if k not in ("pieces", "captcha")}
            cursor = db.execute(
                "INSERT INTO enrolments(editor_id, numero_ans, couloir, type_logiciel, siret, email, statut, data, "
                "complementaire, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    editor["id"] if editor is not None else None,
                    form["numeroAns"],
                    solution["couloir"],
                    solution["typeLogiciel"],
                    editor["siret"] if editor is not None else form["siret"],
                    email,
                    self.flows.enrolment.label("deposee"),
                    dumps(stored),
                    int(editor is not None),
                    at.isoformat(),
                ),
            )
            enrolment_id = int(cursor.lastrowid or 0)
            for piece in form.get("pieces", []):
                content = base64.b64decode(piece["contenu"])
                db.execute(
                    "INSERT INTO enrolment_pieces(enrolment_id, nature, filename, size, sha256, content) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        enrolment_id,
                        piece["nature"],
                        piece["nomFichier"],
                        len(content),
                        hashlib.sha256(content).hexdigest(),
                        content,
                    ),
                )
            self.store.send_mail(
                at,
                email,
                "Accusé de réception de votre demande d'enrôlement",
                f"Votre demande d'enrôlement n° {enrolment_id} pour la solution {form['numeroAns']} "
                "a bien été reçue. Elle va être instruite par l'ASP.",
                editor["id"] if editor is not None else None,
            )
        return self.enrolment_json(enrolment_id)

    def _filer(self, form: Any) -> Any:
        """Who receives the mails: the dépositaire for a third-party filing, else the representative."""
        return form.get("tiersDeclarant") or form["representant"]

    def _enrolment_problems(self, form: Any, *, complementary: bool) -> list[dict[str, str]]:
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
        validator = self._enrolment_validator()
        if validator is not None:
            from segur.mock_portal.formats import message

            structure = False
            for error in validator.iter_errors(form):
                where = "".join(f"/{p}" for p in error.instance_path) or "/"
                bad(where, message(error))
                structure = structure or error.kind.name != "format"
            if structure:  # only a format wrong (IBAN, SIRET…): the other rules can still be told
                return problems
        if self.lookup_ans(form["numeroAns"]) is None:
            bad("/numeroAns", f"numéro de référencement ANS {form['numeroAns']} inconnu du référentiel")
        for who in ("representant", "tiersDeclarant"):
            person = form.get(who)
            if not person:
                continue
            if not _EMAIL.match(person["email"]):
                bad(f"/{who}/email", "adresse électronique invalide")
            if person["email"] != person["emailConfirmation"]:
                bad(f"/{who}/emailConfirmation", "la confirmation ne reprend pas l'adresse électronique")
        required = {"CERTIFICAT_ANS", "PIECE_IDENTITE_REPRESENTANT", "RIB"}
        if form.get("denominationModifiee"):
            required.add("KBIS")
        if form["regimeTva"] == "HT":
            required.add("ATTESTATION_NON_ASSUJETTISSEMENT_TVA")
        third = form.get("tiersDeclarant")
        if third:
            required.add("PIECE_IDENTITE_DEPOSITAIRE")
            required.add("CONTRAT_PRESTATION" if third.get("qualite") == "centreDeGestion" else "MANDAT")
        self._pieces_problems(form["pieces"], required, bad)
        return problems

    def _enrolment_validator(self) -> Any:
        relative = self.spec_files().get("enrolment")
        if not relative:
            return None
        from segur.mock_portal.formats import schema_validator

        return schema_validator(self.spec.root / relative)  # built once; its messages never echo the input

    def _pieces_problems(self, pieces: Any, required: set[str], bad: Callable[[str, str], None]) -> None:
        if not isinstance(pieces, list):
            bad("/pieces", "liste des pièces attendue")
            return
        natures = set()
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
            if len(content) > self.spec.limits["maxPieceOctets"]:
                bad(
                    f"/pieces/{index}/contenu",
                    f"pièce de {len(content)} octets, {self.spec.limits['maxPieceOctets']} au maximum",
                )
                continue
            problem = pdf_problem(BytesIO(content))
            if problem:
                bad(f"/pieces/{index}/contenu", f"PDF illisible : {problem}")
        for nature in sorted(required - natures):
            bad("/pieces", f"pièce obligatoire manquante : {nature}")

    def enrolment_json(self, enrolment_id: int) -> dict[str, Any]:
        row = self.store.db.execute("SELECT * FROM enrolments WHERE id = ?", (enrolment_id,)).fetchone()
        if row is None:
            raise not_found(f"demande d'enrôlement {enrolment_id}")
        pieces = self.store.db.execute(
            "SELECT nature, filename, size FROM enrolment_pieces WHERE enrolment_id = ? ORDER BY id", (enrolment_id,)
        ).fetchall()
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

    def decide_enrolment(self, enrolment_id: int, target: str, motif: str | None) -> dict[str, Any]:
        """The gestionnaire validates (account, number, credentials by mail) or rejects (reason by mail)."""
        flow = self.flows.enrolment
        at = self.now()
        with self.store.transaction() as db:
            row = db.execute("SELECT * FROM enrolments WHERE id = ?", (enrolment_id,)).fetchone()
            if row is None:
                raise not_found(f"demande d'enrôlement {enrolment_id}")
            source = flow.key(row["statut"]) or row["statut"]
            try:
                flow.move(source, target, by="gestionnaire", reason=motif)
            except TransitionRefused as refused:
                raise conflict("TRANSITION_REFUSEE", refused.message, {"possibles": refused.allowed}) from None
            editor_id = row["editor_id"]
            if target == "validee" and editor_id is None:
                data = loads(row["data"]) or {}
                existing = db.execute("SELECT * FROM editors WHERE email = ?", (row["email"],)).fetchone()
                if existing is not None:
                    editor_id = existing["id"]
                    self.store.send_mail(
                        at,
                        row["email"],
                        "Extension de votre habilitation au portail Ségur numérique",
                        f"Votre compte ASP existant donne désormais accès à la solution {row['numero_ans']}.",
                        editor_id,
                    )
                else:
                    login = f"ed{self.store.meta('seq:enrolement') or 0:05d}{enrolment_id}"
                    password = new_token()[:16]
                    editor_id = self._create_editor(
                        login, password, row["email"], row["siret"], data.get("raisonSociale", ""), at
                    )
                    editor = self.store.editor(editor_id)
                    assert editor is not None
                    self.store.send_mail(
                        at,
                        row["email"],
                        "Validation de votre demande d'enrôlement",
                        f"Votre enrôlement est validé sous le numéro {editor['numero_enrolement']}, "
                        f"associé au SIRET {row['siret']}.",
                        editor_id,
                    )
                    self.store.send_mail(at, row["email"], "Votre identifiant", f"Identifiant : {login}", editor_id)
                    self.store.send_mail(
                        at, row["email"], "Votre mot de passe", f"Mot de passe : {self._sealed(password)}", editor_id
                    )
            elif target == "validee":
                self.store.send_mail(
                    at,
                    row["email"],
                    "Validation de votre enrôlement complémentaire",
                    f"La solution {row['numero_ans']} est ajoutée à votre espace.",
                    editor_id,
                )
            elif target == "rejetee":
                self.store.send_mail(
                    at,
                    row["email"],
                    "Rejet de votre demande d'enrôlement",
                    f"Votre demande d'enrôlement est rejetée. Motif : {motif}",
                    editor_id,
                )
            db.execute(
                "UPDATE enrolments SET statut = ?, motif = ?, editor_id = ?, decided_at = ? WHERE id = ?",
                (flow.label(target), motif, editor_id, at.isoformat(), enrolment_id),
            )
        return self.enrolment_json(enrolment_id)

    # ------------------------------------------------------------------ login

    def login(
        self, login: Any, password: Any, *, ttl: float = security.SESSION_TTL, kind: str = security.API
    ) -> dict[str, Any]:
        """A session of ``kind`` (the API's, or the web pages') that ends ``ttl`` seconds from now
        by the real clock; a known and an unknown login cost the same."""
        if not isinstance(login, str) or not isinstance(password, str):
            raise bad_request("give 'login' and 'password' as text")
        editor = self.store.editor_by_login(login)
        if not security.password_matches(editor["password_hash"] if editor is not None else None, password):
            raise PortalError(401, "IDENTIFIANTS_INVALIDES", "identifiant ou mot de passe incorrect")
        assert editor is not None
        now = security.utc_now()
        with self.store.transaction():
            self.store.forget_sessions_ended(security.stamp(now))
            token = self.store.open_session(
                editor["id"], self.now(), expires_at=security.stamp(now + timedelta(seconds=ttl)), kind=kind
            )
        return {"token": token, "numeroEnrolement": editor["numero_enrolement"]}

    def logout(self, token: str, *, kind: str = security.API) -> bool:
        """End a session now (False when there was none open)."""
        with self.store.transaction():
            return self.store.close_session(token, kind=kind)

    def editor_of(self, token: str, *, kind: str = security.API) -> sqlite3.Row | None:
        """The editor of an open session."""
        return self.store.editor_by_token(token, now=security.stamp(security.utc_now()), kind=kind)

    def _sealed(self, secret: str) -> str:
        return str(self.sealer.seal(secret)) if self.sealer is not None else secret

    def _revealed(self, text: str) -> str:
        return str(self.sealer.reveal(text)) if self.sealer is not None else text

    def me(self, editor: sqlite3.Row) -> dict[str, Any]:
        return {
            "login": editor["login"],
            "email": editor["email"],
            "siret": editor["siret"],
            "raisonSociale": editor["raison_sociale"],
            "numeroEnrolement": editor["numero_enrolement"],
            "enrolements": [self.enrolment_json(r["id"]) for r in self.store.enrolments_of(editor["id"])],
            "demandesIncompletes": self.store.db.execute(
                "SELECT COUNT(*) FROM requests WHERE editor_id = ? AND statut = ?",
                (editor["id"], self.spec.statuts["incomplete"]),
            ).fetchone()[0],
        }

    # ------------------------------------------------------------------ simulate and import

    def _deposit(self, editor: sqlite3.Row, type_demande: Any, numero_ans: Any, taux_tva: Any) -> Deposit:
        if type_demande not in self.spec.deposit_types:
            raise bad_request(f"'typeDemande' must be one of {', '.join(self.spec.deposit_types)}")
        try:
            rate = float(taux_tva)
        except (TypeError, ValueError):
            rate = -1.0
        if rate not in self.spec.vat_rates:
            raise bad_request(f"'tauxTva' must be one of {', '.join(f'{r:g}' for r in self.spec.vat_rates)}")
        validated = self.flows.enrolment.label("validee")
        enrolments = tuple(
            Enrolment(r["numero_ans"], r["couloir"], r["type_logiciel"])
            for r in self.store.enrolments_of(editor["id"])
            if r["statut"] == validated
        )
        if numero_ans in (None, ""):
            if len({e.numero_ans for e in enrolments}) > 1:
                # the account's state makes the deposit ambiguous, not the form: a conflict
                raise conflict("CHOIX_ANS_REQUIS", "you are enrolled for several ANS numbers: choose one with 'numeroAns'")
            numero_ans = enrolments[0].numero_ans if enrolments else None
        elif not isinstance(numero_ans, str):
            raise bad_request("'numeroAns' must be text")
        return Deposit(type_demande, rate, self.now(), numero_ans, enrolments)

    def simulate(
        self, editor: sqlite3.Row, data: bytes, type_demande: Any, numero_ans: Any, taux_tva: Any
    ) -> dict[str, Any]:
        """Simuler: the automatic controls in real time on the JSON; nothing is stored."""
        deposit = self._deposit(editor, type_demande, numero_ans, taux_tva)
        history = SqliteHistory(self.store, editor["id"], self.spec.statuts["rejetee"])
        with _collector_paused():
            return check_deposit(data, deposit, spec=self.spec, history=history, mode=SIMULATION).to_json()

    def import_deposit(
        self,
        editor: sqlite3.Row,
        data: bytes,
        attachments: IO[bytes] | None,
        type_demande: Any,
        numero_ans: Any,
        taux_tva: Any,
    ) -> dict[str, Any]:
        """Importer: the same controls; the accepted lines (and the incomplete ones) stored in one transaction."""
        deposit = self._deposit(editor, type_demande, numero_ans, taux_tva)
        # The zip (up to 200 MB) is read before the transaction: it does not depend on what is
        # stored, and the write lock is then held only for the controls and the inserts.
        report = attachment_report(data, attachments, self.spec)
        with self.store.transaction():
            history = SqliteHistory(self.store, editor["id"], self.spec.statuts["rejetee"])
            with _collector_paused():
                answer = check_deposit(
                    data,
                    deposit,
                    spec=self.spec,
                    history=history,
                    attachments=report,
                    mode=IMPORT,
                    numbering=self._numbering,
                )
                body = answer.to_json()
            cursor = self.store.db.execute(
                "INSERT INTO deposits(editor_id, type_demande, numero_ans, taux_tva, at, statut, answer, file_sha256, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    editor["id"],
                    deposit.type_demande,
                    answer.numero_ans,
                    deposit.taux_tva,
                    answer.at.isoformat(),
                    body["statut"],
                    dumps(body),
                    hashlib.sha256(data).hexdigest(),
                    self.now().isoformat(),
                ),
            )
            deposit_id = int(cursor.lastrowid or 0)
            if not answer.file_rejected:
                self._store_lines(editor, deposit_id, answer, data)
                self._run_scenarios(
                    "after_import", [line.numero_demande for line in answer.lines if line.numero_demande]
                )
        return {"depot": deposit_id, **body}

    def _numbering(self, profile: Profile, at: datetime) -> str:
        year = at.astimezone(self.spec.timezone).year
        sequence = self.store.next_sequence(f"{profile.code_numerotation}{year}")
        return format_number(self.spec, profile, at, sequence)

    def _store_lines(self, editor: sqlite3.Row, deposit_id: int, answer: Answer, data: bytes) -> None:
        assert answer.profile is not None
        requests = orjson.loads(data)
        for part in self.spec.document_fields["demandes"]:
            requests = requests[part]
        at = self.now()
        for result in answer.lines:
            if result.numero_demande is None:
                continue
            raw = requests[result.number - 1]
            fields = self.spec.extract(raw)
            status = "incomplete" if result.status == INCOMPLETE else "enAttente"
            missing = self._missing_pieces(result, raw)
            self.store.db.execute(
                "INSERT INTO requests(numero, editor_id, deposit_id, num_ligne, reference_ligne, numero_bdc, type_demande, "
                "couloir, type_logiciel, profil, numero_ans, finess_geographique, siret, numero_avance, statut, "
                "montant_cents, data, pieces_manquantes, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    result.numero_demande,
                    editor["id"],
                    deposit_id,
                    result.number,
                    fields["referenceLigne"],
                    fields["numeroBdc"],
                    answer.profile.type_demande,
                    answer.profile.couloir,
                    answer.profile.type_logiciel,
                    answer.profile.name,
                    fields["numeroAns"],
                    fields["finessGeographique"],
                    fields["siret"],
                    fields["numeroDemandeAvance"],
                    self.spec.statuts[status],
                    cents(fields["montantDemande"]),
                    dumps(raw),
                    dumps(sorted(set(missing))),
                    at.isoformat(),
                    at.isoformat(),
                ),
            )
            self.store.add_event(at, result.numero_demande, None, self.spec.statuts[status], "import", None)

    def _missing_pieces(self, result: Any, raw: Any) -> list[str]:
        """The files an incomplete request still needs: those named by its attachment codes, or all
        its pieces when the zip as a whole failed (absent, unreadable, refused)."""
        named = [f.params["fichier"] for f in result.findings if f.params.get("fichier")]
        if len(named) == len(result.findings):
            return named
        pieces = self.spec.extract(raw).get("piecesJointes") or []
        file_path = self.spec.piece_fields.get("nomFichier", ("nomFichier",))
        names = [resolve(p, file_path) for p in pieces]
        return [*named, *(n for n in names if isinstance(n, str))]

    def terminate(self, editor: sqlite3.Row, deposit_id: int) -> dict[str, Any]:
        """Terminer: closes a deposit whose import status is OK."""
        with self.store.transaction() as db:
            row = db.execute(
                "SELECT * FROM deposits WHERE id = ? AND editor_id = ?", (deposit_id, editor["id"])
            ).fetchone()
            if row is None:
                raise not_found(f"dépôt {deposit_id}")
            if row["statut"] != "OK":
                raise conflict(
                    "DEPOT_KO", "un dépôt rejeté ne peut pas être terminé : corrigez le fichier et importez-le"
                )
            db.execute("UPDATE deposits SET termine = 1 WHERE id = ?", (deposit_id,))
        return self.deposit_json(editor, deposit_id)

    def deposit_json(self, editor: sqlite3.Row, deposit_id: int) -> dict[str, Any]:
        row = self.store.db.execute(
            "SELECT * FROM deposits WHERE id = ? AND editor_id = ?", (deposit_id, editor["id"])
        ).fetchone()
        if row is None:
            raise not_found(f"dépôt {deposit_id}")
        return {"depot": row["id"], "termine": bool(row["termine"]), **loads(row["answer"])}

    # ------------------------------------------------------------------ requests

    def list_requests(
        self, editor_id: int | None, statut: str | None, type_demande: str | None
    ) -> list[dict[str, Any]]:
        sql = "SELECT * FROM requests WHERE 1 = 1"
        args: list[Any] = []
        if editor_id is not None:
            sql += " AND editor_id = ?"
            args.append(editor_id)
        if statut:
            label = self.spec.statuts.get(statut, statut)
            sql += " AND statut = ?"
            args.append(label)
        if type_demande:
            sql += " AND type_demande = ?"
            args.append(self.spec.deposit_types.get(type_demande, type_demande))
        rows = self.store.db.execute(sql + " ORDER BY created_at, numero", args).fetchall()
        return [self._summary(r) for r in rows]

    def _summary(self, row: sqlite3.Row) -> dict[str, Any]:
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

    def request_json(self, numero: str, editor_id: int | None) -> dict[str, Any]:
        row = self.store.request(numero, editor_id)
        if row is None:
            raise not_found(f"demande {numero}")
        db = self.store.db
        events = db.execute("SELECT * FROM request_events WHERE numero = ? ORDER BY id", (numero,)).fetchall()
        documents = db.execute(
            "SELECT id, nature, filename, size, created_at FROM documents WHERE numero = ? ORDER BY id", (numero,)
        ).fetchall()
        mails = db.execute("SELECT * FROM mails WHERE numero = ? ORDER BY id", (numero,)).fetchall()
        payments = db.execute("SELECT * FROM payments WHERE numero = ? ORDER BY id", (numero,)).fetchall()
        avenants = db.execute("SELECT * FROM avenants WHERE numero = ? ORDER BY id", (numero,)).fetchall()
        granted = self._granted_cents(row)
        paid = sum(p["montant_cents"] for p in payments)
        return {
            **self._summary(row),
            "demande": loads(row["data"]),
            "historique": [
                {
                    "date": e["at"],
                    "de": e["from_statut"],
                    "vers": e["to_statut"],
                    "par": e["actor"],
                    "motif": e["motif"],
                }
                for e in events
            ],
            "piecesJustificatives": [
                {
                    "id": d["id"],
                    "nature": d["nature"],
                    "nomFichier": d["filename"],
                    "taille": d["size"],
                    "date": d["created_at"],
                }
                for d in documents
            ],
            "courriels": [
                {"date": m["at"], "destinataire": m["destinataire"], "objet": m["objet"], "corps": m["corps"]}
                for m in mails
            ],
            "avenants": [
                {"id": a["id"], "statut": a["statut"], "montant": a["montant_cents"] / 100, "motif": a["motif"]}
                for a in avenants
            ],
            "suiviFinancier": {
                "montantAttribue": round(granted / 100, 2) if granted is not None else None,
                "versements": [
                    {"nature": p["nature"], "montant": p["montant_cents"] / 100, "date": p["at"]} for p in payments
                ],
                "totalVerse": round(paid / 100, 2),
            },
        }

    def document(self, numero: str, document_id: int, editor_id: int | None) -> tuple[str, bytes]:
        if self.store.request(numero, editor_id) is None:
            raise not_found(f"demande {numero}")
        row = self.store.db.execute(
            "SELECT filename, content FROM documents WHERE id = ? AND numero = ?", (document_id, numero)
        ).fetchone()
        if row is None or row["content"] is None:
            raise not_found(f"document {document_id}")
        return row["filename"], bytes(row["content"])

    def _key(self, row: sqlite3.Row) -> str:
        key = self.flows.request.key(row["statut"])
        if key is None:
            raise conflict("STATUT_INCONNU", f"statut « {row['statut']} » inconnu du workflow")
        return key

    def _editor_action(self, editor: sqlite3.Row, numero: str, action: str) -> tuple[sqlite3.Row, Any]:
        """The editor's own request and the move its action makes, or 404 / 409 with the reason."""
        row = self.store.request(numero, editor["id"])
        if row is None:
            raise not_found(f"demande {numero}")
        try:
            return row, self.flows.request.editor_move(self._key(row), action)
        except TransitionRefused as refused:
            raise conflict("TRANSITION_REFUSEE", refused.message, {"possibles": refused.allowed}) from None

    def modify(self, editor: sqlite3.Row, numero: str, body: Any) -> dict[str, Any]:
        """An « À modifier » request corrected by the editor: line controls again, then back to « En cours »."""
        row, transition = self._editor_action(editor, numero, "modify")
        if not isinstance(body, dict):
            raise bad_request("the corrected request is expected as a JSON object")
        document = {"versionFormat": self.spec.format_versions[0], "demandes": [body]}
        history = _Excluding(SqliteHistory(self.store, editor["id"], self.spec.statuts["rejetee"]), numero)
        deposit = self._deposit(
            editor, _type_key(self.spec, row["type_demande"]), row["numero_ans"], _rate(body, self.spec)
        )
        # A deposited request may be modified after its window closed (seed, slide 4): it is
        # checked as of its deposit time.
        deposit = replace(deposit, at=datetime.fromisoformat(row["created_at"]))
        answer = check_deposit(orjson.dumps(document), deposit, spec=self.spec, history=history)
        result = answer.to_json()
        if answer.file_rejected or answer.lines[0].status == REJECTED:
            raise PortalError(422, "DEMANDE_NON_CONFORME", "la demande modifiée ne passe pas les contrôles", result)
        at = self.now()
        with self.store.transaction() as db:
            fields = self.spec.extract(body)
            db.execute(
                "UPDATE requests SET data = ?, reference_ligne = ?, numero_bdc = ?, montant_cents = ?, updated_at = ? "
                "WHERE numero = ?",
                (
                    dumps(body),
                    fields["referenceLigne"],
                    fields["numeroBdc"],
                    cents(fields["montantDemande"]),
                    at.isoformat(),
                    numero,
                ),
            )
            self._move(numero, row["statut"], transition.target, "editeur", None, at)
        return self.request_json(numero, editor["id"])

    def send_pieces(self, editor: sqlite3.Row, numero: str, files: list[tuple[str, IO[bytes]]]) -> dict[str, Any]:
        """Pieces sent for an incomplete request or one « En attente de pièces complémentaires »."""
        row, transition = self._editor_action(editor, numero, "pieces")
        if not files:
            raise bad_request("send at least one PDF as a multipart file field 'pieces'")
        limit = self.spec.limits["maxPieceOctets"]
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
        missing = set(loads(row["pieces_manquantes"]) or []) - {name for name, _ in received}
        if problems or (transition.source == "incomplete" and missing):
            details = {"pieces": problems, "piecesManquantes": sorted(missing)}
            if not problems:  # readable pieces, but the request still waits for others: its state
                raise conflict("PIECES_MANQUANTES", "pièces encore manquantes", details)
            raise PortalError(422, "PIECES_NON_CONFORMES", "pièces refusées ou encore manquantes", details)
        at = self.now()
        with self.store.transaction():
            for name, content in received:
                self.store.add_document(at, numero, "PIECE", name, content)
            self.store.db.execute("UPDATE requests SET pieces_manquantes = '[]' WHERE numero = ?", (numero,))
            self._move(numero, row["statut"], transition.target, "editeur", None, at)
        return self.request_json(numero, editor["id"])

    # ------------------------------------------------------------------ instruction (gestionnaire)

    def _move(self, numero: str, source_label: str, target: str, actor: str, motif: str | None, at: datetime) -> None:
        label = self.spec.statuts[target]
        self.store.set_status(at, numero, label, motif)
        self.store.add_event(at, numero, source_label, label, actor, motif)

    def transition(self, numero: str, target_in: Any, motif: Any) -> dict[str, Any]:
        """Move a request through the instruction workflow, with the portal's side effects."""
        target = self.flows.request.key(target_in) if isinstance(target_in, str) else None
        if target is None:
            raise bad_request(f"'vers' must be a status key or label: {', '.join(self.spec.statuts)}")
        if motif is not None and not isinstance(motif, str):
            raise bad_request("'motif' must be text")
        with self.store.transaction():
            self._transition(numero, target, motif)
        return self.request_json(numero, None)

    def _transition(self, numero: str, target: str, motif: str | None) -> None:
        row = self.store.request(numero)
        if row is None:
            raise not_found(f"demande {numero}")
        try:
            self.flows.request.move(
                self._key(row), target, by="gestionnaire", action="pay" if target == "payee" else None, reason=motif
            )
        except TransitionRefused as refused:
            raise conflict("TRANSITION_REFUSEE", refused.message, {"possibles": refused.allowed}) from None
        at = self.now()
        self._move(numero, row["statut"], target, "gestionnaire", motif, at)
        editor = self.store.editor(row["editor_id"])
        assert editor is not None
        label = self.spec.statuts[target]
        if target == "decidee":
            content = issued_pdf("Décision d'attribution", self._decision_lines(row), at)
            self.store.add_document(at, numero, "DECISION_ATTRIBUTION", f"decision-attribution-{numero}.pdf", content)
            self.store.send_mail(
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
            self.store.db.execute(
                "INSERT INTO payments(numero, nature, montant_cents, at) VALUES (?, ?, ?, ?)",
                (numero, row["type_demande"], amount, at.isoformat()),
            )
            content = issued_pdf(
                "Avis de paiement",
                [
                    f"Demande : {numero} ({row['type_demande'].lower()})",
                    f"Montant versé : {euros(amount)} EUR",
                    f"Date : {at.strftime('%d/%m/%Y')}",
                ],
                at,
            )
            self.store.add_document(at, numero, "AVIS_PAIEMENT", f"avis-paiement-{numero}.pdf", content)
            self.store.send_mail(
                at,
                editor["email"],
                f"Demande {numero} : avis de paiement",
                f"Un versement de {euros(amount)} € a été effectué.",
                editor["id"],
                numero,
            )
        elif target in ("aModifier", "attentePieces", "rejetee"):
            self.store.send_mail(
                at,
                editor["email"],
                f"Demande {numero} : {label}",
                f"Votre demande {numero} passe au statut « {label} ». Motif : {motif}",
                editor["id"],
                numero,
            )

    def _decision_lines(self, row: sqlite3.Row) -> list[str]:
        data = loads(row["data"]) or {}
        fields = self.spec.extract(data) if isinstance(data, dict) else {}
        granted = self._granted_cents(row) or 0
        return [
            f"Demande de financement : {row['numero']} ({row['profil']})",
            f"Bénéficiaire : {fields.get('finessGeographique') or fields.get('siret') or ''}",
            f"Bon de commande : {row['numero_bdc']}",
            f"Montant attribué : {euros(granted)} EUR",
        ]

    def _granted_cents(self, row: sqlite3.Row) -> int | None:
        """The financing granted: the avance's requested amount (a solde closes its avance's)."""
        if row["type_demande"] == self.spec.deposit_types["avance"]:
            return int(row["montant_cents"]) if row["montant_cents"] is not None else None
        avance = self.store.request(row["numero_avance"]) if row["numero_avance"] else None
        return int(avance["montant_cents"]) if avance is not None and avance["montant_cents"] is not None else None

    def _payment_cents(self, row: sqlite3.Row) -> int:
        granted = self._granted_cents(row) or 0
        if row["type_demande"] == self.spec.deposit_types["avance"]:
            return (granted * self.flows.avance_percent + 50) // 100
        paid = self.store.db.execute(
            "SELECT COALESCE(SUM(montant_cents), 0) FROM payments WHERE numero = ?", (row["numero_avance"],)
        ).fetchone()[0]
        return int(granted - paid)

    def add_avenant(self, numero: str, montant: Any, motif: Any) -> dict[str, Any]:
        row = self.store.request(numero)
        if row is None:
            raise not_found(f"demande {numero}")
        if not isinstance(montant, (int, float)) or isinstance(montant, bool) or abs(montant) > MAX_AVENANT:
            raise bad_request(f"'montant' must be an amount in euros, at most {MAX_AVENANT:,} in absolute value")
        if cents(montant) is None:
            raise bad_request("'montant' must be an amount in euros with at most two decimals")
        if motif is not None and not isinstance(motif, str):
            raise bad_request("'motif' must be text")
        at = self.now()
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO avenants(numero, statut, montant_cents, motif, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    numero,
                    self.flows.avenant.label(self.flows.avenant.initial),
                    cents(montant),
                    motif,
                    at.isoformat(),
                    at.isoformat(),
                ),
            )
        return self.request_json(numero, None)

    def avenant_transition(self, avenant_id: int, target_in: Any) -> dict[str, Any]:
        flow = self.flows.avenant
        target = flow.key(target_in) if isinstance(target_in, str) else None
        if target is None:
            raise bad_request(f"'vers' must be one of {', '.join(flow.labels)}")
        with self.store.transaction() as db:
            row = db.execute("SELECT * FROM avenants WHERE id = ?", (avenant_id,)).fetchone()
            if row is None:
                raise not_found(f"avenant {avenant_id}")
            try:
                flow.move(flow.key(row["statut"]) or row["statut"], target, by="gestionnaire")
            except TransitionRefused as refused:
                raise conflict("TRANSITION_REFUSEE", refused.message, {"possibles": refused.allowed}) from None
            db.execute(
                "UPDATE avenants SET statut = ?, updated_at = ? WHERE id = ?",
                (flow.label(target), self.now().isoformat(), avenant_id),
            )
            numero = row["numero"]
        return self.request_json(numero, None)

    # ------------------------------------------------------------------ scenarios

    def _run_scenarios(self, trigger: str, numeros: list[str]) -> None:
        """Scripted instruction after an event (inside its transaction)."""
        rows = self.store.db.execute(
            "SELECT * FROM scenarios WHERE trigger = ? AND (remaining IS NULL OR remaining > 0) ORDER BY id", (trigger,)
        ).fetchall()
        for scenario in rows:
            action = loads(scenario["action"])
            targets = numeros
            if action.get("ligne") is not None:
                index = int(action["ligne"]) - 1
                targets = [numeros[index]] if 0 <= index < len(numeros) else []
            for numero in targets:
                for step in action["etapes"]:
                    row = self.store.request(numero)
                    if row is None or row["statut"] == self.spec.statuts["incomplete"]:
                        break
                    self._transition(numero, step, action.get("motif"))
            if scenario["remaining"] is not None:
                self.store.db.execute("UPDATE scenarios SET remaining = remaining - 1 WHERE id = ?", (scenario["id"],))

    # ------------------------------------------------------------------ read-only helpers of the web pages

    def enrolment_problems(self, form: Any) -> list[dict[str, str]]:
        """What :meth:`enrol` would refuse in ``form``, nothing stored: the pages show it step by step."""
        return self._enrolment_problems(form, complementary=False)

    def lookup_siret(self, siret: str) -> dict[str, Any] | None:
        """The structure step's « Rechercher » (seed, slide 29): None for a SIRET whose key is wrong.

        MODEL: the mock has no company register (the real portal reads the Bodacc); it knows the
        dénomination and address of the structures already enrolled, else leaves them to type."""
        if not siret_number.is_valid(siret):
            return None
        known = self.store.db.execute(
            "SELECT data FROM enrolments WHERE siret = ? AND complementaire = 0 ORDER BY id DESC LIMIT 1", (siret,)
        ).fetchone()
        data = (loads(known["data"]) or {}) if known else {}
        editor = self.store.db.execute(
            "SELECT raison_sociale FROM editors WHERE siret = ? LIMIT 1", (siret,)
        ).fetchone()
        name = data.get("raisonSociale") or (editor["raison_sociale"] if editor else None)
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
            domiciliation = f"Établissement {compact[:4]}, pays {compact[4:6]}, agence {compact[8:11] or 'XXX'}"
        return {"problemes": problems, "domiciliation": domiciliation}

    def requests_page(
        self,
        editor_id: int | None,
        *,
        statut: str | None = None,
        type_demande: str | None = None,
        without: tuple[str, ...] = (),
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of :meth:`list_requests`, newest first, and the count of all that match; ``without``
        leaves out statuses (the table of deposited requests does not show the incomplete ones)."""
        where = "WHERE 1 = 1"
        args: list[Any] = []
        if editor_id is not None:
            where += " AND editor_id = ?"
            args.append(editor_id)
        if statut:
            where += " AND statut = ?"
            args.append(self.spec.statuts.get(statut, statut))
        if type_demande:
            where += " AND type_demande = ?"
            args.append(self.spec.deposit_types.get(type_demande, type_demande))
        for key in without:
            where += " AND statut != ?"
            args.append(self.spec.statuts.get(key, key))
        total = int(self.store.db.execute(f"SELECT COUNT(*) FROM requests {where}", args).fetchone()[0])
        rows = self.store.db.execute(
            f"SELECT * FROM requests {where} ORDER BY created_at DESC, numero DESC LIMIT ? OFFSET ?",
            [*args, max(1, limit), max(0, offset)],
        ).fetchall()
        return [self._summary(r) for r in rows], total

    def status_counts(self, editor_id: int | None) -> dict[str, int]:
        """How many requests have each status label (an editor's, or everyone's)."""
        rows = self.store.db.execute(
            "SELECT statut, COUNT(*) AS n FROM requests WHERE (? IS NULL OR editor_id = ?) GROUP BY statut",
            (editor_id, editor_id),
        ).fetchall()
        return {r["statut"]: int(r["n"]) for r in rows}

    def outbox(self, limit: int = 200) -> list[dict[str, Any]]:
        """The latest mails sent by the portal, newest first (the gestionnaire's view of the outbox)."""
        rows = self.store.db.execute("SELECT * FROM mails ORDER BY id DESC LIMIT ?", (max(1, limit),)).fetchall()
        return [{"id": r["id"], **mail_json(r, self._revealed)} for r in rows]

    def mails_of(self, editor_id: int) -> list[dict[str, Any]]:
        """The mails sent to an editor, oldest first."""
        rows = self.store.db.execute("SELECT * FROM mails WHERE editor_id = ? ORDER BY id", (editor_id,)).fetchall()
        return [mail_json(r, self._revealed) for r in rows]

    def reset(self, demo_login: str, demo_password: str, admin_token: str | None) -> dict[str, str]:
        """Erase every state, then seed again as at first start (the admin API's and the
        gestionnaire page's reset)."""
        self.store.reset()
        return self.seed(demo_login, demo_password, admin_token)

    def enrolments_list(self, statut: str | None = None) -> list[dict[str, Any]]:
        """Every enrolment (or those with a status key or label), newest first, with its email."""
        label = self.flows.enrolment.labels.get(statut, statut) if statut else None
        rows = self.store.db.execute(
            "SELECT id, email FROM enrolments WHERE (? IS NULL OR statut = ?) ORDER BY id DESC", (label, label)
        ).fetchall()
        return [{**self.enrolment_json(r["id"]), "email": r["email"]} for r in rows]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while the controls answer a file.

    The controls allocate thousands of containers (the parsed file, a line object per request,
    the answer) that stay referenced until the answer is built and form no cycle: the collector,
    triggered by the count of allocations, would only traverse them, several times per file
    (about 6 % of a simulate of 200 requests). Reference counting still frees them; whatever
    the collector would have found is found when it resumes, at the end. With threads, the
    first to pause it resumes it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_clock(moment: datetime, field: str) -> None:
    if not CLOCK_YEARS[0] <= moment.year <= CLOCK_YEARS[1]:
        if field == "advance":  # where the clock would go depends on where it is: a conflict
            raise conflict(
                "HORLOGE_HORS_LIMITES",
                f"'{field}': the mock's clock must stay within the years {CLOCK_YEARS[0]} to {CLOCK_YEARS[1]}",
            )
        raise bad_request(
            f"'{field}': the mock's clock must stay within the years {CLOCK_YEARS[0]} to {CLOCK_YEARS[1]}"
        )


def _type_key(spec: Spec, code: str) -> str:
    return next(k for k, v in spec.deposit_types.items() if v == code)


def _rate(body: Any, spec: Spec) -> float:
    rate = spec.extract(body).get("tauxTva") if isinstance(body, dict) else None
    return float(rate) if isinstance(rate, (int, float)) and float(rate) in spec.vat_rates else spec.vat_rates[-1]


class _Excluding:
    """A history that does not see one request (a modified request is not its own duplicate)."""

    def __init__(self, inner: SqliteHistory, numero: str) -> None:
        self.inner = inner
        self.numero = numero

    def _keep(self, found: Any) -> Any:
        return None if found is not None and found.numero_demande == self.numero else found

    def by_reference(self, reference: str) -> Any:
        return self._keep(self.inner.by_reference(reference))

    def by_bdc(self, numero_bdc: str, type_demande: str) -> Any:
        return self._keep(self.inner.by_bdc(numero_bdc, type_demande))

    def financed(self, beneficiaries: tuple[str, ...], type_logiciel: str, statuses: frozenset[str]) -> Any:
        return self._keep(self.inner.financed(beneficiaries, type_logiciel, statuses))

    def get(self, numero_demande: str) -> Any:
        return self.inner.get(numero_demande)

    def solde_of(self, numero_avance: str) -> Any:
        return self._keep(self.inner.solde_of(numero_avance))


def mail_json(row: sqlite3.Row, reveal: Callable[[str], str] = str) -> dict[str, Any]:
    """A sent mail as the API and the pages show it (``reveal`` opens its sealed secrets)."""
    return {
        "date": row["at"],
        "destinataire": row["destinataire"],
        "objet": row["objet"],
        "corps": reveal(row["corps"]),
        "numeroDemande": row["numero"],
    }


def portal_for(store: Store, spec: Spec, flows: Workflows | None = None, sealer: Any = None) -> Portal:
    return Portal(store, spec, flows if flows is not None else workflows(spec), sealer)
