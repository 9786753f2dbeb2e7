"""What the web pages share: the blueprint, the editor's and the gestionnaire's sessions, the
per-session CSRF token, the staging folder, rendering, French messages and HTML errors.

The pages are a MODEL of the portal's pages (the seed walks through them; their exact look is
not public). They call the services of :mod:`segur.mock_portal.services`, as the JSON API does: no
control and no workflow rule is written here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as Page

__all__ = ["Page"]  # re-exported: the views' return type (flask's Response or a redirect)

from segur.mock_portal.app import portal
from segur.mock_portal.controls import money
from segur.mock_portal.errors import PortalError
from segur.mock_portal.security import PAGE
from segur.mock_portal.services import Row

blueprint = Blueprint("pages", __name__)

#: what the browser may load: this origin only (no CDN, no external font, no inline script)
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)
#: a staging folder not touched for this long is removed when another one is made
STAGING_MAX_AGE_S = 24 * 3600
PAGE_SIZE = 50
#: the sizes a table's page may have (« Demandes par page »)
PAGE_SIZES = (50, 100, 200)
#: what the pages call each kind of document the portal issues or receives
DOCUMENT_NATURES = {
    "DECISION_ATTRIBUTION": "Décision d'attribution",
    "AVIS_PAIEMENT": "Avis de paiement",
    "PIECE": "Pièce envoyée",
    "PIECE_AVENANT": "Pièce d'un avenant",
    "ATTESTATION_ANNULATION": "Attestation sur l'honneur (annulation)",
    "RENONCIATION_CLIENT": "Renonciation du client",
}
#: what the pages call each role of attachment (the spec maps roles to its own words)
ROLE_LABELS = {
    "order_form": "Bon de commande",
    "va": "Vérification d'aptitude",
    "invoice": "Facture",
    "mom": "Mise en ordre de marche",
    "attestation": "Attestation",
}


#: who made a move in a request's history (the store's actor names), as the pages say it
ACTOR_LABELS = {"editeur": "éditeur", "gestionnaire": "gestionnaire ASP", "import": "import du fichier"}
#: the enrolment pieces (the kit's enrolment contract, the same for every spec), as the pages say them
ENROLMENT_PIECES = {
    "CERTIFICAT_ANS": "Certificat de référencement ANS",
    "KBIS": "Kbis",
    "PIECE_IDENTITE_REPRESENTANT": "Pièce d'identité du représentant légal",
    "PIECE_IDENTITE_DEPOSITAIRE": "Pièce d'identité du dépositaire",
    "MANDAT": "Mandat du représentant légal",
    "CONTRAT_PRESTATION": "Contrat de prestation",
    "RIB": "RIB",
    "ATTESTATION_NON_ASSUJETTISSEMENT_TVA": "Attestation de non-assujettissement à la TVA",
}
#: the kit's deposit type keys, as a table or a summary says them
TYPE_WORDS = {"avance": "Avance", "solde": "Solde"}
#: the types of street of the enrolment form (the values kept, the words shown)
STREET_TYPES = {
    "RUE": "Rue",
    "AVENUE": "Avenue",
    "BOULEVARD": "Boulevard",
    "PLACE": "Place",
    "CHEMIN": "Chemin",
    "ALLEE": "Allée",
    "IMPASSE": "Impasse",
    "QUAI": "Quai",
    "ROUTE": "Route",
    "COURS": "Cours",
    "CHAUSSEE": "Chaussée",
}


def document_natures() -> dict[str, str]:
    """Every document kind the pages may show, with the spec's words for attachment roles."""
    words = current_app.extensions["segur_spec"].pieces.roles
    return {**DOCUMENT_NATURES, **{words[role]: label for role, label in ROLE_LABELS.items() if role in words}}


#: pages that answer an over-large body themselves (the form again, with the error on its field)
TOO_LARGE: dict[str, Callable[[], Page]] = {}


# --------------------------------------------------------------------------- setup


@blueprint.record_once
def _setup(state: BlueprintSetupState) -> None:
    """A session secret shared by every worker and surviving restarts: derived from the portal's
    key (SECRET_KEY, or the key file beside the database: security.portal_key)."""
    app = state.app
    app.secret_key = hmac.new(app.extensions["segur_key"], b"segur-mock-pages-session", hashlib.sha256).hexdigest()
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"


@blueprint.app_context_processor
def _context() -> dict[str, Any]:
    return {
        "csrf_token": csrf_token,
        "page_editor": current_editor,
        "page_gestionnaire": is_gestionnaire,
        "portal_clock": lambda: portal().now(),
        "spec_label": lambda: current_app.extensions["segur_spec"].label,
        # a status label by its key (the spec's words: « En attente PJ », « En attente d'instruction »…)
        "statut": lambda key: current_app.extensions["segur_spec"].statuts.get(key, key),
        "natures": document_natures(),
        "accepted_code": current_app.extensions["segur_spec"].accepted_code,
        "portal_windows": portal_windows,
        "example_ans": example_ans,
        "programmes": programmes,
    }


def example_ans() -> str:
    """An ANS number of the spec's référentiel, as a field's example."""
    solutions = current_app.extensions["segur_spec"].referencement().get("solutions", {})
    return next(iter(solutions), "")


def programmes() -> list[str]:
    """The software programmes of the spec's profiles, as their labels name them (« MS1 (DUI) »)."""
    spec = current_app.extensions["segur_spec"]
    return list(dict.fromkeys(p.libelle.split(" — ")[0] for p in spec.profiles.values()))


def portal_windows() -> list[dict[str, str]]:
    """Every profile's deposit window at the portal's clock, in words (« fermé depuis le … »)."""
    from segur.mock_portal.controls.file_rules import window_state

    spec = current_app.extensions["segur_spec"]
    now = portal().now()
    return [
        {"profil": profile.libelle, "etat": window_state(spec.windows[profile.name], now, spec)}
        for profile in spec.profiles.values()
        if profile.name in spec.windows
    ]


@blueprint.app_template_filter("profil")
def profile_label(name: Any) -> str:
    """A profile's name (« ms1-avance ») → its label in the spec (« MS1 (DUI) — demande d'avance »)."""
    found = current_app.extensions["segur_spec"].profiles.get(str(name))
    return found.libelle if found is not None else str(name or "—")


@blueprint.app_template_filter("type_demande")
def type_label(value: Any) -> str:
    """A request type, by the kit's key or written the spec's way (« AVANCE »), → « Avance »."""
    spec = current_app.extensions["segur_spec"]
    key = value if value in spec.deposit_types else spec.type_key(str(value))
    return TYPE_WORDS.get(str(key), str(value or "—"))


@blueprint.app_template_filter("acteur")
def actor_label(value: Any) -> str:
    return ACTOR_LABELS.get(str(value), str(value))


@blueprint.app_template_filter("piece_enrolement")
def enrolment_piece_label(value: Any) -> str:
    return ENROLMENT_PIECES.get(str(value), str(value))


@blueprint.app_template_filter("enrolement")
def enrolment_label(value: Any) -> str:
    """An enrolment's id → the number it is known by everywhere (« ENR-000003 »)."""
    from segur.mock_portal.services.records import enrolment_number

    return enrolment_number(int(value))


def attachment(filename: str) -> dict[str, str]:
    """The headers of a download named ``filename`` (a name an editor chose: quoted safely, with
    its UTF-8 form for the browsers that read it)."""
    from urllib.parse import quote

    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename) or "piece.pdf"
    return {"Content-Disposition": f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"}


@blueprint.app_template_filter("voie")
def street_type(value: Any) -> str:
    """A type of street kept as a code (« ALLEE ») → as written in an address (« allée »)."""
    text = str(value or "")
    return STREET_TYPES.get(text.upper(), text).lower() if text.isupper() else text


@blueprint.app_template_filter("euros")
def euros(value: Any) -> str:
    """12000.5 → « 12 000,50 € » (French grouping, two decimals)."""
    if value is None:
        return "—"
    amount = money.cents(value) if not isinstance(value, bool) else None
    if amount is None:  # an amount the API gives with more decimals: rounded to the cent to be shown
        amount = round(float(value) * 100)
    return f"{money.euros(amount)}\u00a0€"


@blueprint.app_template_filter("date_fr")
def date_fr(value: Any, seconds: bool = False) -> str:
    """An ISO time → « 01/02/2024 10:00 » in the spec's time zone."""
    if not value:
        return "—"
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(current_app.extensions["segur_spec"].timezone)
    return moment.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


@blueprint.app_template_filter("taux")
def taux(value: Any) -> str:
    """20.0 → « 20 % », 5.5 → « 5,5 % »."""
    return f"{float(value):g}".replace(".", ",") + "\u00a0%"


@blueprint.app_template_filter("octets")
def octets(value: Any) -> str:
    size = int(value or 0)
    if size < 1000:
        return f"{size} o"
    if size < 1_000_000:
        return f"{size / 1000:.0f} Ko"
    return f"{size / 1_000_000:.1f} Mo".replace(".", ",")


@blueprint.after_request
def _headers(response: Page) -> Page:
    return secure_headers(response)


def secure_headers(response: Page) -> Page:
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- CSRF


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


@blueprint.before_request
def _check_csrf() -> Page | None:
    if request.method != "POST":
        return None
    expected = session.get("csrf")
    sent = request.form.get("_csrf", "")
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        return page_error(
            400,
            "Formulaire expiré",
            "Le jeton de sécurité du formulaire est absent ou périmé (session expirée ou page ouverte "
            "depuis un autre onglet). Revenez à la page précédente, rechargez-la et recommencez.",
        )
    return None


# --------------------------------------------------------------------------- sessions


def current_editor() -> Row | None:
    """The editor signed in on this browser: the cookie keeps a session of the pages (the API
    does not take it), which ends as the API's sessions do."""
    token = session.get("editeur")
    if not isinstance(token, str):
        return None
    if "page_editor" not in g:
        g.page_editor = portal().accounts.editor_for_token(token, kind=PAGE)
    found: Row | None = g.page_editor
    return found


class LoginRequired(Exception):
    """Raised by a page that needs a session; answered by a redirect to the login page."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(endpoint)
        self.endpoint = endpoint


def require_editor() -> Row:
    found = current_editor()
    if found is None:
        raise LoginRequired("pages.connexion")
    return found


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_gestionnaire() -> bool:
    stored = session.get("gestionnaire")
    if not isinstance(stored, str):
        return False
    return hmac.compare_digest(stored, _digest(str(current_app.config["ADMIN_TOKEN"])))


def open_gestionnaire(token: str) -> bool:
    if not hmac.compare_digest(token.strip().encode(), str(current_app.config["ADMIN_TOKEN"]).encode()):
        return False
    session["gestionnaire"] = _digest(token.strip())
    return True


def require_gestionnaire() -> None:
    if not is_gestionnaire():
        raise LoginRequired("pages.gestion_connexion")


@blueprint.errorhandler(LoginRequired)
def _login_required(error: LoginRequired) -> Page:
    return redirect(url_for(error.endpoint, suite=request.full_path.rstrip("?")))


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to after login (never another site)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


# --------------------------------------------------------------------------- staging folder


def staging_root() -> Path:
    """Where a browser session's files wait (enrolment draft, a case's files): shared by every
    worker of the same database; PAGES_DIR overrides it."""
    configured = current_app.config.get("PAGES_DIR")
    if configured:
        return Path(configured)
    database = str(current_app.config["DATABASE"])
    if "://" not in database:  # a file: the same whatever the path it is named by
        database = str(Path(database).resolve())
    digest = hashlib.sha256(database.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"segur-mock-pages-{digest}"


def session_folder(create: bool = True) -> Path | None:
    key = session.get("dossier")
    if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", key):
        if not create:
            return None
        key = session["dossier"] = secrets.token_urlsafe(18)
    root = staging_root()
    folder = root / key
    if create and not folder.exists():
        # the drafts hold enrolment pieces (identity documents, bank details): the owner's only
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        _prune(root, keep=folder)
    return folder


def _prune(root: Path, keep: Path) -> None:
    cutoff = time.time() - STAGING_MAX_AGE_S
    for child in root.iterdir():
        try:
            if child != keep and child.is_dir() and child.stat().st_mtime < cutoff:
                shutil.rmtree(child, ignore_errors=True)
        except OSError:
            continue


# --------------------------------------------------------------------------- rendering and errors


def render(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status, mimetype="text/html")


def page_error(status: int, title: str, message: str) -> Response:
    return render("erreur.html", status, titre=title, message=message)


@blueprint.errorhandler(PortalError)
def _portal_error(error: PortalError) -> Page:
    if error.status == 404:
        return page_error(404, "Page introuvable", f"{french(error.message)}.")
    return page_error(error.status, "Action impossible", french(error.message))


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Page:
    status = error.code or 500
    if status == 413 and request.endpoint in TOO_LARGE:
        return TOO_LARGE[request.endpoint]()
    if status == 413:
        from segur.mock_portal.limits import too_large_message

        message = too_large_message()
        return page_error(413, "Envoi trop volumineux", f"{message[:1].upper()}{message[1:]}. Rien n'a été enregistré.")
    if status == 404:
        return page_error(404, "Page introuvable", "Cette page n'existe pas ou ne vous est pas accessible.")
    if status == 405:
        page = page_error(405, "Action impossible", "Cette page ne s'utilise pas ainsi : revenez au menu.")
        allow = dict(error.get_headers()).get("Allow")
        if allow:
            page.headers["Allow"] = allow
        return page
    return page_error(status, "Requête invalide", "La requête n'a pas pu être traitée : revenez en arrière.")


@blueprint.app_errorhandler(404)
@blueprint.app_errorhandler(405)
def _routing_error(error: HTTPException) -> Page:
    """An unknown page or method, outside any blueprint: a French page for a browser away from the
    API; JSON, as the API answers it, for everyone else."""
    api = request.path.startswith(("/api/", "/admin/")) or request.path in ("/openapi.json", "/health")
    if not api and request.accept_mimetypes.accept_html:
        return secure_headers(_http_error(error))
    from segur.mock_portal import app as factory

    return factory._http_error(error)


@blueprint.errorhandler(Exception)
def _unexpected(error: Exception) -> Page:
    current_app.logger.exception("unexpected error on page %s %s", request.method, request.path)
    return page_error(
        500,
        "Erreur interne",
        "Une erreur interne du portail simulé a empêché l'action ; rien n'a été perdu de ce qui était déjà "
        "enregistré. Réessayez, ou signalez-la avec l'heure affichée en bas de page.",
    )


# --------------------------------------------------------------------------- French messages

#: messages of the portal's services (some in English, for the API's users) as the pages say them
_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"^(.*) demande un motif \(field 'motif' is required for this move\)$", r"\1 demande un motif : saisissez-le."),
    (r"^(.*) refusé pour editor ; (.*)$", r"\1 refusé pour l'éditeur ; \2"),
    (r"^(.*) refusé pour gestionnaire ; (.*)$", r"\1 refusé pour le gestionnaire ; \2"),
    (r"^'typeDemande' must be one of .*", "Choisissez le type de demande : avance ou solde."),
    (r"^'tauxTva' must be one of (.*)", "Choisissez l'un des taux de TVA proposés."),
    (
        r"^you are enrolled for several ANS numbers.*",
        "Vous êtes enrôlé pour plusieurs numéros ANS : choisissez celui du dépôt.",
    ),
    (r"^'numeroAns' must be text", "Choisissez le numéro ANS du dépôt."),
    (r"^'vers' must be .*", "Choisissez un statut proposé."),
    (r"^'motif' must be text", "Le motif doit être un texte."),
    (r"^the corrected request is expected as a JSON object", "La demande corrigée doit être un objet JSON."),
    (r"^send at least one PDF.*", "Joignez au moins une pièce (PDF)."),
    (
        r"^'montant' must be an amount in euros with at most two decimals",
        "Le montant doit être en euros, avec deux décimales au plus.",
    ),
    (r"^'montant' must be an amount in euros.*", "Le montant doit être un nombre d'euros raisonnable."),
    (r"^'at': .* is not an ISO 8601 time.*", "Date et heure non reconnues (exemple : 28/02/2024 13:59)."),
    (
        r"^'montant': the avenant's amount.*",
        "Saisissez le montant de l'avenant en euros, deux décimales au plus (par exemple 1 250,50).",
    ),
    (r"^send the avenant's pieces.*", "Joignez les pièces de l'avenant (PDF)."),
    (r"^'motif' is required: .*", "Donnez le motif : l'attestation sur l'honneur est motivée."),
    (r"^'motif': (\d+) characters at most", r"Le motif tient en \1 caractères au plus."),
    (r"^'accordClient' must be .*", "Dites si le client avait donné son accord."),
    (r"^'attestation' \(a file\) is required.*", "Joignez l'attestation sur l'honneur signée (PDF)."),
    (r"^'renonciation' \(a file\) is required.*", "Le client avait donné son accord : joignez sa renonciation (PDF)."),
    (r"^'decision' must be .*", "Choisissez d'annuler la demande ou de refuser l'annulation."),
    (
        r"^'(at|advance)': the mock's clock must stay within the years (\d+) to (\d+)",
        r"L'horloge doit rester entre \2 et \3.",
    ),
)

_SCHEMA_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"^(.*) demande un motif \(field 'motif' is required for this move\)$", r"\1 demande un motif : saisissez-le."),
    (r"^(.*) refusé pour editor ; (.*)$", r"\1 refusé pour l'éditeur ; \2"),
    (r"^(.*) refusé pour gestionnaire ; (.*)$", r"\1 refusé pour le gestionnaire ; \2"),
    (r'^".*" is a required property$', "Ce champ est obligatoire."),
    (r"^.* is shorter than 1 character$", "Ce champ est obligatoire."),
    (r"^.* is shorter than (\d+) characters$", r"Au moins \1 caractères."),
    (r"^.* is longer than (\d+) characters?$", r"Au plus \1 caractères."),
    (r'^.* is not a "email"$', "Adresse électronique invalide."),
    (r"^.* does not match .*", "Format invalide."),
    (r"^.* is not one of .*", "Choisissez l'une des valeurs proposées."),
    (r"^true was expected$", "Cochez cette case pour continuer."),
)


def french(message: str) -> str:
    for pattern, replacement in _MESSAGES:
        if re.match(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


def french_schema(message: str) -> str:
    """A message of the enrolment schema's validator, as a field's error."""
    for pattern, replacement in _SCHEMA_MESSAGES:
        if re.match(pattern, message):
            return re.sub(pattern, replacement, message)
    return message[:1].upper() + message[1:]


def page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def page_size() -> int:
    """The table's page size asked for (``taille``), one of PAGE_SIZES, else the default."""
    try:
        size = int(request.args.get("taille", PAGE_SIZE))
    except ValueError:
        return PAGE_SIZE
    return size if size in PAGE_SIZES else PAGE_SIZE
