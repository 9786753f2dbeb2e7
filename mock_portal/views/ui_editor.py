"""The editor's pages: login, home, « Demande de financement » (Simuler, Importer, Terminer), the
deposited requests, the incomplete ones, a request with its accordions, complementary enrolment.

Seed, slides 15 to 20: the tab « Demande de financement », the VAT rate, the JSON file,
« Simuler » (a recap on success), « Importer », the import status « OK » then « Terminer »; a
request's accordions « Pièces justificatives », « Courriels automatiquement envoyés », « Suivi
financier ». Every action is a call of :mod:`segur.mock_portal.services`, as the JSON API makes it.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson
from flask import flash, redirect, request, session, url_for
from segur.mock_portal.app import portal
from segur.mock_portal.controls.depth import DEFAULT_MAX_DEPTH, too_deep
from segur.mock_portal.errors import PortalError
from segur.mock_portal.limits import read_deposit_file
from segur.mock_portal.security import PAGE
from segur.mock_portal.services import Row
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from ._common import pdf_download
from .ui_common import (
    PAGE_SIZES,
    TOO_LARGE,
    Page,
    blueprint,
    french,
    page_number,
    page_size,
    render,
    require_editor,
    safe_next,
    session_folder,
)

TYPE_LABELS = {"avance": "Demande d'avance (30 %)", "solde": "Demande de solde (70 %)"}
#: statuses the table of deposited requests filters on (incomplete requests are listed apart)
HIDDEN_FROM_TABLE = ("incomplete",)


# --------------------------------------------------------------------------- login


@blueprint.route("/connexion", methods=["GET", "POST"])
def connexion() -> Page:
    errors: dict[str, list[str]] = {}
    login = ""
    if request.method == "POST":
        login = request.form.get("identifiant", "").strip()
        password = request.form.get("motDePasse", "")
        if not login:
            errors["identifiant"] = ["Saisissez votre identifiant."]
        if not password:
            errors["motDePasse"] = ["Saisissez votre mot de passe."]
        if not errors:
            try:
                result = portal().accounts.login(login, password, address=request.remote_addr, kind=PAGE)
            except PortalError as error:
                message = french(error.message) if error.status == 429 else "Identifiant ou mot de passe incorrect."
                errors["_connexion"] = [message[:1].upper() + message[1:] + ("." if error.status == 429 else "")]
            else:
                session.pop("csrf", None)  # a new token once signed in
                session["editeur"] = result["token"]
                return redirect(safe_next(request.args.get("suite"), url_for("pages.espace")))
    return render("connexion.html", 422 if errors else 200, errors=errors, identifiant=login)


@blueprint.post("/deconnexion")
def deconnexion() -> Page:
    token = session.pop("editeur", None)
    if isinstance(token, str):
        portal().accounts.logout(token, kind=PAGE)  # the session ends on the server, not only in the browser
    session.pop("depot_prepare", None)
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("ui.home"))


# --------------------------------------------------------------------------- home


@blueprint.get("/espace")
def espace() -> Page:
    editor = require_editor()
    me = portal().accounts.me(editor)
    return render("espace/accueil.html", me=me)


@blueprint.route("/espace/enrolement-complementaire", methods=["GET", "POST"])
def enrolement_complementaire() -> Page:
    """Another ANS-referenced solution, from the editor's space (seed, slide 5 « Nota »)."""
    editor = require_editor()
    errors: dict[str, list[str]] = {}
    numero = request.values.get("numeroAns", "").strip()
    found = portal().enrolment.lookup_ans(numero) if numero else None
    if request.method == "POST" and request.form.get("action") == "rechercher":
        if found is None:
            errors["numeroAns"] = [f"Numéro de référencement ANS {numero or '(vide)'} inconnu du référentiel."]
    elif request.method == "POST":
        certificate = _upload("certificat")
        form: dict[str, Any] = {"numeroAns": numero, "pieces": []}
        if certificate is not None:
            form["pieces"].append(
                {
                    "nature": "CERTIFICAT_ANS",
                    "nomFichier": certificate[0],
                    "contenu": base64.b64encode(certificate[1]).decode(),
                }
            )
        try:
            result = portal().enrolment.enrol(form, editor=editor)
        except PortalError as error:
            for problem in error.details or [{"champ": "/", "message": error.message}]:
                field = "numeroAns" if problem["champ"].startswith("/numeroAns") else "certificat"
                if error.code == "DEJA_ENROLE":
                    field = "numeroAns"
                message = problem["message"]
                if message.startswith("pièce obligatoire manquante"):
                    message = "Déposez le certificat de référencement délivré par l'ANS (PDF)."
                errors.setdefault(field, []).append(french(message[:1].upper() + message[1:]))
        else:
            flash(
                f"Demande d'enrôlement complémentaire n° {result['id']} déposée pour {result['numeroAns']} : "
                "un accusé de réception vous est envoyé ; l'ASP va l'instruire.",
                "succes",
            )
            return redirect(url_for("pages.espace"))
    return render(
        "espace/enrolement_complementaire.html",
        422 if errors else 200,
        errors=errors,
        numero=numero,
        solution=found,
    )


# --------------------------------------------------------------------------- « Demande de financement »


def _enrolled(editor: Row) -> list[Row]:
    return portal().accounts.validated_enrolments(editor)


def _choices(editor: Row) -> dict[str, Any]:
    spec = portal().spec
    return {
        "taux": [(f"{rate:g}", f"{rate:g}".replace(".", ",") + " %") for rate in spec.vat_rates],
        "types": [(key, TYPE_LABELS.get(key, key)) for key in spec.deposit_types],
        "numeros": [
            (r["numero_ans"], f"{r['numero_ans']} — {r['couloir']} {r['type_logiciel']}") for r in _enrolled(editor)
        ],
    }


def prepared() -> dict[str, Any] | None:
    """The deposit a case prepared for this session (its files in the session's folder)."""
    found = session.get("depot_prepare")
    folder = session_folder(create=False)
    if not isinstance(found, dict) or folder is None or not (folder / "cas" / "depot.json").is_file():
        return None
    return found


def _upload(name: str) -> tuple[str, bytes] | None:
    upload: FileStorage | None = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    return upload.filename, upload.read()


@contextlib.contextmanager
def _attachments(staged: dict[str, Any] | None) -> Iterator[tuple[str | None, IO[bytes] | None]]:
    upload: FileStorage | None = request.files.get("pieces")
    if upload is not None and upload.filename:
        yield upload.filename, upload.stream
        return
    folder = session_folder(create=False)
    if staged is not None and staged.get("pieces") and folder is not None:
        path: Path = folder / "cas" / staged["pieces"]
        if path.is_file():
            with path.open("rb") as stream:
                yield staged["pieces"], stream
            return
    yield None, None


def _deposit_errors(error: PortalError) -> dict[str, list[str]]:
    message = error.message
    if "'fichier'" in message:
        field = "fichier"
    elif "'typeDemande'" in message:
        field = "typeDemande"
    elif "'tauxTva'" in message:
        field = "tauxTva"
    elif "ANS" in message or "numeroAns" in message:
        field = "numeroAns"
    else:
        field = "_depot"
    return {field: [french(message)]}


def _too_large() -> Page:
    """The deposit form again, when the files sent exceed the portal's limit (nothing stored)."""
    editor = require_editor()
    errors = {
        "pieces": [
            "Envoi trop volumineux : l'archive des pièces ne doit pas dépasser 200 Mo "
            "(3 Mo par pièce). Rien n'a été enregistré."
        ]
    }
    return render("espace/depot.html", 413, errors=errors, values={}, prepare=prepared(), **_choices(editor))


@blueprint.route("/espace/demande-de-financement", methods=["GET", "POST"])
def depot() -> Page:
    editor = require_editor()
    staged = prepared()
    choices = _choices(editor)
    values = {
        "tauxTva": staged.get("tauxTva", "") if staged else "",
        "typeDemande": staged.get("typeDemande", "") if staged else "",
        "numeroAns": staged.get("numeroAns", "") if staged else "",
    }
    if len(choices["numeros"]) == 1:
        values["numeroAns"] = choices["numeros"][0][0]
    if request.method == "GET":
        return render("espace/depot.html", errors={}, values=values, prepare=staged, **choices)
    try:
        return _deposit(editor, staged, choices, values)
    except RequestEntityTooLarge:
        return _too_large()


def _deposit(editor: Row, staged: dict[str, Any] | None, choices: dict[str, Any], values: dict[str, str]) -> Page:
    form = request.form
    for key in values:
        if key in form:
            values[key] = form.get(key, "").strip()
    action = form.get("action", "simuler")
    errors: dict[str, list[str]] = {}
    upload: FileStorage | None = request.files.get("fichier")
    data: bytes | None = None
    filename = None
    if upload is not None and upload.filename:
        filename = upload.filename
        try:
            data = read_deposit_file(upload)
        except PortalError as error:
            return render(
                "espace/depot.html", 413, errors=_deposit_errors(error), values=values, prepare=staged, **choices
            )
    folder = session_folder(create=False)
    if data is None and staged is not None and folder is not None:
        data = (folder / "cas" / "depot.json").read_bytes()
        filename = f"depot.json (cas {staged['cas']})"
    if data is None:
        errors["fichier"] = ["Sélectionnez votre fichier JSON."]
    if action not in ("simuler", "importer"):
        errors["_depot"] = ["Choisissez « Simuler » ou « Importer »."]
    if errors:
        return render("espace/depot.html", 422, errors=errors, values=values, prepare=staged, **choices)
    assert data is not None
    args = (values["typeDemande"], values["numeroAns"] or None, values["tauxTva"])
    try:
        if action == "simuler":
            answer = portal().deposits.simulate(editor, data, *args)
        else:
            with _attachments(staged) as (zip_name, stream):
                result = portal().deposits.import_deposit(editor, data, stream, *args)
            session.pop("depot_prepare", None)
            flash(
                f"Import du fichier {filename}"
                + (f" avec les pièces {zip_name}" if zip_name else " sans archive de pièces")
                + f" : statut « {result['statut']} ».",
                "succes" if result["statut"] == "OK" else "erreur",
            )
            return redirect(url_for("pages.depot_resultat", deposit_id=result["depot"]))
    except PortalError as error:
        errors = _deposit_errors(error)
        return render("espace/depot.html", 422, errors=errors, values=values, prepare=staged, **choices)
    return render(
        "espace/depot.html", errors={}, values=values, prepare=staged, resultat=answer, fichier=filename, **choices
    )


@blueprint.post("/espace/demande-de-financement/abandon")
def depot_abandon() -> Page:
    require_editor()
    session.pop("depot_prepare", None)
    flash("Le dépôt préparé à partir d'un cas est abandonné.", "info")
    return redirect(url_for("pages.depot"))


@blueprint.get("/espace/depots/<id:deposit_id>")
def depot_resultat(deposit_id: int) -> Page:
    editor = require_editor()
    deposit = portal().deposits.deposit_json(editor, deposit_id)
    return render("espace/import.html", depot=deposit)


@blueprint.post("/espace/depots/<id:deposit_id>/terminer")
def depot_terminer(deposit_id: int) -> Page:
    editor = require_editor()
    try:
        deposit = portal().deposits.terminate(editor, deposit_id)
    except PortalError as error:
        if error.status == 404:
            raise
        flash(french(error.message), "erreur")
        return redirect(url_for("pages.depot_resultat", deposit_id=deposit_id))
    created = [line for line in deposit["lignes"] if line.get("numeroDemande")]
    flash(
        f"Dépôt n° {deposit_id} terminé : {len(created)} demande(s) enregistrée(s), transmise(s) à l'ASP pour instruction.",
        "succes",
    )
    return redirect(url_for("pages.demandes"))


# --------------------------------------------------------------------------- requests


def _status_options(*, incomplete: bool) -> list[tuple[str, str]]:
    spec = portal().spec
    shown = [key for key in spec.statuts if key != "avenantPaye" and (incomplete or key not in HIDDEN_FROM_TABLE)]
    return [(key, spec.statuts[key]) for key in shown]


@blueprint.get("/espace/demandes")
def demandes() -> Page:
    editor = require_editor()
    statut = request.args.get("statut", "")
    type_demande = request.args.get("typeDemande", "")
    page, size = page_number(), page_size()
    rows, total = portal().requests.page(
        editor["id"],
        statut=statut or None,
        type_demande=type_demande or None,
        without=HIDDEN_FROM_TABLE,
        offset=(page - 1) * size,
        limit=size,
        after=request.args.get("apres") or None,
        before=request.args.get("avant") or None,
    )
    return render(
        "espace/demandes.html",
        demandes=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        filtres={"statut": statut, "typeDemande": type_demande, "taille": size},
        tailles=[(str(n), str(n)) for n in PAGE_SIZES],
        statuts=_status_options(incomplete=False),
        types=[(k, TYPE_LABELS.get(k, k)) for k in portal().spec.deposit_types],
    )


@blueprint.get("/espace/demandes-incompletes")
def incompletes() -> Page:
    editor = require_editor()
    page, size = page_number(), page_size()
    rows, total = portal().requests.page(
        editor["id"],
        statut="incomplete",
        offset=(page - 1) * size,
        limit=size,
        after=request.args.get("apres") or None,
        before=request.args.get("avant") or None,
    )
    return render("espace/incompletes.html", demandes=rows, total=total, page=page, pages=max(1, -(-total // size)))


@blueprint.get("/espace/demandes/<numero>")
def demande(numero: str) -> Page:
    editor = require_editor()
    detail = portal().requests.detail(numero, editor["id"])
    return _request_page(detail)


def _request_page(detail: dict[str, Any], status: int = 200, **extra: Any) -> Page:
    flow = portal().flows.request
    key = flow.key(detail["statut"]) or ""
    actions = {t.action for t in flow.allowed_from(key, "editor")}
    text = extra.pop("texte", None)
    if text is None and "modify" in actions:
        text = orjson.dumps(detail["demande"], option=orjson.OPT_INDENT_2).decode()
    return render("espace/demande.html", status, d=detail, actions=actions, texte=text, **extra)


@blueprint.post("/espace/demandes/<numero>/modifier")
def demande_modifier(numero: str) -> Page:
    """An « À modifier » request corrected (seed, slide 19): the line controls run again."""
    editor = require_editor()
    detail = portal().requests.detail(numero, editor["id"])
    text = request.form.get("demande", "")
    problem: str | None
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        body, problem = None, f"Le texte n'est pas un JSON valide : {exc}."
    else:
        maximum = portal().spec.limits.get("maxProfondeur", DEFAULT_MAX_DEPTH)
        problem = f"Imbrication trop profonde : {maximum} niveaux au plus." if too_deep(body, maximum) else None
    if problem:
        return _request_page(detail, 422, errors={"demande": [problem]}, texte=text)
    try:
        portal().requests.modify(editor, numero, body)
    except PortalError as error:
        if error.status == 404:
            raise
        messages = [french(error.message)]
        if isinstance(error.details, dict):
            for line in error.details.get("lignes", []):
                for found in line.get("erreurs", []):
                    messages.append(f"{found['code']} — {found['libelle']} ({found.get('champ') or 'demande'})")
            for found in error.details.get("erreurs", []):
                messages.append(f"{found['code']} — {found['libelle']}")
        return _request_page(detail, 422, errors={"demande": messages}, texte=text)
    flash(f"Demande {numero} modifiée : elle repasse « En cours » d'instruction.", "succes")
    return redirect(url_for("pages.demande", numero=numero))


@blueprint.post("/espace/demandes/<numero>/pieces")
def demande_pieces(numero: str) -> Page:
    """Missing pieces sent (incomplete request, or « En attente de pièces complémentaires »)."""
    editor = require_editor()
    back = safe_next(request.form.get("retour"), url_for("pages.demande", numero=numero))
    try:
        files = [(f.filename or "piece.pdf", f.stream) for f in request.files.getlist("pieces") if f.filename]
        if not files:
            flash(f"Demande {numero} : joignez au moins une pièce (PDF).", "erreur")
            return redirect(back)
        result = portal().requests.send_pieces(editor, numero, files)
    except RequestEntityTooLarge:
        flash(f"Demande {numero} : envoi trop volumineux (3 Mo par pièce). Rien n'a été enregistré.", "erreur")
        return redirect(back)
    except PortalError as error:
        if error.status == 404:
            raise
        details = error.details if isinstance(error.details, dict) else {}
        parts = [french(error.message)]
        parts += [f"{p['fichier']} : {p['message']}" for p in details.get("pieces", [])]
        if details.get("piecesManquantes"):
            parts.append("encore manquantes : " + ", ".join(details["piecesManquantes"]))
        flash(f"Demande {numero} : " + " ; ".join(parts) + ".", "erreur")
        return redirect(back)
    flash(f"Demande {numero} : pièces reçues, statut « {result['statut']} ».", "succes")
    return redirect(back)


@blueprint.get("/espace/demandes/<numero>/documents/<id:document_id>")
def document(numero: str, document_id: int) -> Page:
    editor = require_editor()
    filename, content = portal().requests.document(numero, document_id, editor["id"])
    return pdf_download(filename, content)


TOO_LARGE["pages.depot"] = _too_large
