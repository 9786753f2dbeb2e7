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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson
from flask import flash, redirect, request, session, url_for
from segur.mock_portal.app import portal
from segur.mock_portal.controls.depth import DEFAULT_MAX_DEPTH, too_deep
from segur.mock_portal.controls.reasons import json_reason
from segur.mock_portal.errors import PortalError
from segur.mock_portal.limits import read_deposit_file
from segur.mock_portal.security import PAGE
from segur.mock_portal.services import Row, Sandbox
from segur.mock_portal.services.cancellations import ASKED
from segur.mock_portal.services.requests import AVENANT_FROM
from werkzeug.datastructures import FileStorage

from ._common import pdf_download
from .ui_common import (
    PAGE_SIZES,
    TOO_LARGE,
    Page,
    blueprint,
    enrolment_label,
    french,
    page_number,
    page_size,
    render,
    require_editor,
    safe_next,
    session_folder,
)
from .ui_enrolment import field_message, unknown_ans

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
            errors["numeroAns"] = [unknown_ans(numero)]
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
                elif error.code != "DEJA_ENROLE":
                    message = field_message(problem)
                errors.setdefault(field, []).append(french(message[:1].upper() + message[1:]))
        else:
            flash(
                f"Demande d'enrôlement complémentaire n° {enrolment_label(result['id'])} déposée pour {result['numeroAns']} : "
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
        "guichets": portal().deposits.windows(editor),
        "code_guichet": spec.code_of("file-window"),
        "statut_incomplet": spec.statuts["incomplete"],
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


def _zip_chosen(staged: dict[str, Any] | None) -> bool:
    """A zip sent with the form, or one a prepared case keeps; a case built without one (its
    point is the missing zip) counts as chosen."""
    upload: FileStorage | None = request.files.get("pieces")
    if upload is not None and upload.filename:
        return True
    return staged is not None


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
    return _deposit(editor, staged, choices, values)


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
    sandbox = None
    if data is None and staged is not None and folder is not None:
        data = (folder / "cas" / "depot.json").read_bytes()
        filename = f"depot.json (cas {staged['cas']})"
        sandbox = _sandbox(staged, folder)
    if data is None:
        errors["fichier"] = ["Sélectionnez le fichier des demandes à simuler ou à importer."]
    if action not in ("simuler", "importer"):
        errors["_depot"] = ["Choisissez « Simuler » ou « Importer »."]
    if errors:
        return render("espace/depot.html", 422, errors=errors, values=values, prepare=staged, **choices)
    assert data is not None
    args = (values["typeDemande"], values["numeroAns"] or None, values["tauxTva"])
    if action == "importer" and not _zip_chosen(staged) and form.get("sansPieces") != "oui":
        # announced before anything is stored: without its zip, every accepted line would be
        # stored « Incomplète »
        errors["pieces"] = [
            "Aucune archive de pièces choisie : sans elle, chaque ligne acceptée serait enregistrée "
            f"« {portal().spec.statuts['incomplete']} », en attente de ses pièces. Choisissez l'archive zip, "
            "ou cochez « Importer sans archive de pièces » pour confirmer."
        ]
        return render(
            "espace/depot.html", 422, errors=errors, values=values, prepare=staged, sans_pieces=True, **choices
        )
    from .ui_cases import compare

    comparison = None
    try:
        if action == "simuler":
            answer = portal().deposits.simulate(editor, data, *args, sandbox=sandbox)
            if sandbox is not None and staged is not None:
                comparison = compare(staged, answer, "simulation")
        else:
            with _attachments(staged) as (zip_name, stream):
                result = portal().deposits.import_deposit(editor, data, stream, *args, sandbox=sandbox)
            session.pop("depot_prepare", None)
            if sandbox is not None and staged is not None:
                found = compare(staged, result, "import")
                flash(
                    f"Cas {staged['cas']} (variante {staged['variante']}) : réponse obtenue « {found['obtenu']} », "
                    + (
                        "identique à la réponse attendue."
                        if found["conforme"]
                        else f"différente de la réponse attendue « {found['attendu']} » : "
                        + " ; ".join(found["raisons"])
                        + "."
                    ),
                    "succes" if found["conforme"] else "attention",
                )
            flash(
                f"Import du fichier {filename}"
                + (f" avec les pièces {zip_name}." if zip_name else " sans archive de pièces."),
                "info",
            )
            return redirect(url_for("pages.depot_resultat", deposit_id=result["depot"]))
    except PortalError as error:
        errors = _deposit_errors(error)
        return render("espace/depot.html", 422, errors=errors, values=values, prepare=staged, **choices)
    return render(
        "espace/depot.html",
        errors={},
        values=values,
        prepare=staged,
        resultat=answer,
        fichier=filename,
        comparaison=comparison,
        **choices,
    )


def _sandbox(staged: dict[str, Any], folder: Path) -> Sandbox:
    """A prepared case's own world: its stored requests, its enrolments, its date when chosen."""
    history_path = folder / "cas" / "historique.json"
    history = orjson.loads(history_path.read_bytes()) if history_path.is_file() else None
    enrolments = staged.get("enrolements")
    return Sandbox(
        history=history,
        enrolments=tuple((str(a), str(c), str(t)) for a, c, t in enrolments) if enrolments is not None else None,
        at=staged.get("date") if staged.get("dateCas") else None,
        corrected_at=staged.get("dateCorrection") if staged.get("dateCas") else None,
    )


@blueprint.post("/espace/demande-de-financement/abandon")
def depot_abandon() -> Page:
    require_editor()
    session.pop("depot_prepare", None)
    flash("Le dépôt préparé à partir d'un cas est abandonné.", "info")
    return redirect(url_for("pages.depot"))


def plural(count: int, one: str, many: str | None = None) -> str:
    """« 1 demande », « 3 demandes », « 0 demande » (French: 0 and 1 take the singular)."""
    return f"{count} {one if count <= 1 else (many or one + 's')}"


def outcome(answer: dict[str, Any]) -> dict[str, Any]:
    """What an import did, said with its counts: the tone of the summary (``succes`` when every
    line was accepted, ``attention`` when some are incomplete or rejected, ``erreur`` when nothing
    went to instruction and nothing waits for pieces) and its sentences."""
    spec = portal().spec
    if answer.get("statut") != "OK":
        return {
            "ton": "erreur",
            "titre": "Fichier rejeté en entier : rien n'a été enregistré.",
            "phrases": ["Corrigez le fichier puis importez-le de nouveau."],
        }
    recap = answer.get("recapitulatif", {})
    total, accepted = recap.get("nombreDemandes", 0), recap.get("acceptees", 0)
    rejected, incomplete = recap.get("rejetees", 0), recap.get("incompletes", 0)
    sentences = []
    if accepted:
        sentences.append(
            f"{plural(accepted, 'ligne acceptée', 'lignes acceptées')} : "
            f"{'enregistrée' if accepted == 1 else 'enregistrées'} au statut « {spec.statuts['enAttente']} »."
        )
    if incomplete:
        sentences.append(
            f"{plural(incomplete, 'ligne incomplète', 'lignes incomplètes')} : "
            f"{'enregistrée' if incomplete == 1 else 'enregistrées'} au statut « {spec.statuts['incomplete']} », "
            "en attente des pièces justificatives à envoyer depuis « Suivi demandes incomplètes »."
        )
    if rejected:
        sentences.append(
            f"{plural(rejected, 'ligne rejetée', 'lignes rejetées')} : "
            f"{'non enregistrée' if rejected == 1 else 'non enregistrées'} ; corrigez-les et déposez-les de nouveau."
        )
    if accepted == total:
        tone = "succes"
    elif accepted == 0 and incomplete == 0:
        tone = "erreur"
    else:
        tone = "attention"
    counts = (
        f"{plural(total, 'ligne')} : {plural(accepted, 'acceptée', 'acceptées')}, "
        f"{plural(rejected, 'rejetée', 'rejetées')}, {plural(incomplete, 'incomplète', 'incomplètes')}."
    )
    return {"ton": tone, "titre": counts, "phrases": sentences, "acceptees": accepted, "incompletes": incomplete}


@blueprint.get("/espace/depots/<id:deposit_id>")
def depot_resultat(deposit_id: int) -> Page:
    editor = require_editor()
    deposit = portal().deposits.deposit_json(editor, deposit_id)
    return render("espace/import.html", depot=deposit, bilan=outcome(deposit))


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
    summary = outcome(deposit)
    accepted, incomplete = summary["acceptees"], summary["incompletes"]
    parts = []
    if accepted:
        parts.append(f"{plural(accepted, 'demande transmise', 'demandes transmises')} à l'ASP pour instruction")
    else:
        parts.append("aucune demande transmise à l'instruction")
    if incomplete:
        parts.append(
            f"{plural(incomplete, 'demande incomplète attend', 'demandes incomplètes attendent')} "
            "leurs pièces (« Suivi demandes incomplètes »)"
        )
    flash(
        f"Dépôt n° {deposit_id} terminé : " + " ; ".join(parts) + ".",
        "succes" if summary["ton"] == "succes" else "attention",
    )
    return redirect(url_for("pages.demandes" if accepted else "pages.incompletes"))


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
    words = request.args.get("q", "").strip()[:100]
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
        search=words or None,
    )
    return render(
        "espace/demandes.html",
        demandes=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        filtres={"statut": statut, "typeDemande": type_demande, "taille": size, "q": words},
        etablissements=portal().requests.establishments(editor["id"], [r["numeroDemande"] for r in rows]),
        tailles=[(str(n), str(n)) for n in PAGE_SIZES],
        statuts=_status_options(incomplete=False),
        types=[(k, TYPE_LABELS.get(k, k)) for k in portal().spec.deposit_types],
    )


@blueprint.get("/espace/demandes-incompletes")
def incompletes() -> Page:
    return _incompletes_page(require_editor())


def _incompletes_page(editor: Row, errors: dict[str, list[str]] | None = None, status: int = 200) -> Page:
    """« Suivi demandes incomplètes »: a page of them (50, 100 or 200), each with its missing
    pieces and why the import refused them, its own form, and one zip for many at the top."""
    page, size = page_number(), page_size()
    rows, total = portal().requests.page(
        editor["id"],
        statut="incomplete",
        offset=(page - 1) * size,
        limit=size,
        after=request.args.get("apres") or None,
        before=request.args.get("avant") or None,
    )
    reasons = portal().requests.incomplete_reasons(editor["id"], [r["numeroDemande"] for r in rows])
    return render(
        "espace/incompletes.html",
        status,
        demandes=rows,
        raisons=reasons,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        filtres={"taille": size},
        tailles=[(str(n), str(n)) for n in PAGE_SIZES],
        errors=errors or {},
        labels_erreurs={"archive": "Archive zip", **{f"pieces-{r['numeroDemande']}": r["numeroDemande"] for r in rows}},
        statut_attente=portal().spec.statuts["enAttente"],
        avenants=portal().requests.incomplete_avenants(editor["id"]),
    )


#: at most this many requests are named one by one in the announcements of a zip sent for many
ZIP_REPORT_MAX = 20


@blueprint.post("/espace/demandes-incompletes/archive")
def incompletes_archive() -> Page:
    """One zip for many incomplete requests: each gets the pieces it misses, found by their names."""
    editor = require_editor()
    upload: FileStorage | None = request.files.get("archive")
    if upload is None or not upload.filename:
        return _incompletes_page(editor, {"archive": ["Choisissez l'archive zip des pièces manquantes."]}, 422)
    try:
        result = portal().requests.send_pieces_zip(editor, upload.stream)
    except PortalError as error:
        if error.status == 404:
            raise
        return _incompletes_page(
            editor, {"archive": [f"Archive refusée, rien n'a été enregistré : {error.message}"]}, 422
        )
    name = upload.filename
    done, partial, unused = result["completees"], result["incompletes"], result["fichiersInutilises"]
    waiting = portal().spec.statuts["enAttente"]
    if done:
        listed = ", ".join(done[:ZIP_REPORT_MAX]) + (
            f" et {len(done) - ZIP_REPORT_MAX} autres" if len(done) > ZIP_REPORT_MAX else ""
        )
        flash(
            f"Archive {name} : {plural(len(done), 'demande complétée', 'demandes complétées')}, "
            f"passée{'s' if len(done) > 1 else ''} au statut « {waiting} » : {listed}.",
            "succes",
        )
    for item in partial[:ZIP_REPORT_MAX]:
        parts = [f"pièce {r['fichier']} refusée : {r['motif']}" for r in item["refusees"]]
        if item["manquantes"]:
            parts.append("encore manquantes : " + ", ".join(item["manquantes"]))
        flash(f"Demande {item['numeroDemande']} toujours incomplète : " + " ; ".join(parts) + ".", "attention")
    if len(partial) > ZIP_REPORT_MAX:
        flash(f"Et {len(partial) - ZIP_REPORT_MAX} autres demandes toujours incomplètes.", "attention")
    if not done and not partial:
        flash(
            f"Archive {name} : aucune de ses pièces n'est attendue par une demande incomplète ; rien n'a changé.",
            "erreur",
        )
    if unused:
        shown = ", ".join(unused[:ZIP_REPORT_MAX]) + (" …" if len(unused) > ZIP_REPORT_MAX else "")
        flash(
            f"{plural(len(unused), 'fichier')} de l'archive ne {'correspond' if len(unused) == 1 else 'correspondent'} "
            f"à aucune pièce manquante : {shown}.",
            "info",
        )
    return redirect(url_for("pages.incompletes"))


@blueprint.get("/espace/demandes/<numero>")
def demande(numero: str) -> Page:
    editor = require_editor()
    detail = portal().requests.detail(numero, editor["id"])
    return _request_page(detail)


def _request_page(detail: dict[str, Any], status: int = 200, **extra: Any) -> Page:
    found = portal()
    flow = found.flows.request
    key = flow.key(detail["statut"]) or ""
    actions = {t.action for t in flow.allowed_from(key, "editor")}
    text = extra.pop("texte", None)
    if text is None and "modify" in actions:
        text = orjson.dumps(detail["demande"], option=orjson.OPT_INDENT_2).decode()
    avance = detail["typeDemande"] == found.spec.deposit_types["avance"]
    pending = any(a["etat"] == ASKED for a in detail["annulations"])
    if avance and not pending and flow.cancellable(key) is not None:
        actions.add("cancel")
    if avance and key in AVENANT_FROM:
        actions.add("avenant")
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
        body, problem = None, f"Le texte n'est pas un JSON valide : {json_reason(exc.msg, exc.lineno, exc.colno)}."
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
                    where = f"champ {found['champ']}" if found.get("champ") else "la demande"
                    messages.append(f"{found['code']} — {found['libelle']} ({where})")
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
    field = f"pieces-{numero}" if back.startswith(url_for("pages.incompletes")) else "pieces"
    messages: list[str] = []
    try:
        files = _files_sent("pieces")
        if not files:
            messages = ["Joignez au moins une pièce (PDF)."]
        else:
            result = portal().requests.send_pieces(editor, numero, files)
    except PortalError as error:
        if error.status == 404:
            raise
        details = error.details if isinstance(error.details, dict) else {}
        messages = [f"{p['fichier']} refusée : {p['message']}." for p in details.get("pieces", [])]
        if details.get("piecesManquantes"):
            messages.append("Encore manquantes : " + ", ".join(details["piecesManquantes"]) + ".")
        messages = (messages or [french(error.message)]) + ["Rien n'a été enregistré."]
    if messages:
        if field != "pieces":
            return _incompletes_page(editor, {field: messages}, 422)
        detail = portal().requests.detail(numero, editor["id"])
        return _request_page(detail, 422, errors={"pieces": messages})
    flash(f"Demande {numero} : pièces reçues, statut « {result['statut']} ».", "succes")
    return redirect(back)


def _refused(what: str, error: PortalError) -> str:
    """An error of the services as a flash message: its French words, each refused piece's reason."""
    details = error.details if isinstance(error.details, dict) else {}
    parts = [french(error.message)]
    parts += [f"{p['fichier']} : {p['message']}" for p in details.get("pieces", [])]
    if details.get("piecesManquantes"):
        parts.append("encore manquantes : " + ", ".join(details["piecesManquantes"]))
    return f"{what} : " + " ; ".join(parts).rstrip(".") + "."


def _file_sent(name: str) -> tuple[str, IO[bytes]] | None:
    found = request.files.get(name)
    return (found.filename, found.stream) if found is not None and found.filename else None


def _files_sent(name: str) -> list[tuple[str, IO[bytes]]]:
    return [(f.filename, f.stream) for f in request.files.getlist(name) if f.filename]


def _attempt(subject: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    """What a service answers to ``call``, or None once its refusal is flashed about ``subject``
    (a 404 goes on). A body over the route's limit never gets here: the form is read by the CSRF
    check first, and :data:`TOO_LARGE` answers it."""
    try:
        return call()
    except PortalError as error:
        if error.status == 404:
            raise
        flash(_refused(subject, error), "erreur")
    return None


@blueprint.post("/espace/demandes/<numero>/annulation")
def demande_annulation(numero: str) -> Page:
    """The editor asks the cancellation of its avance (ANS FAQ: a signed, reasoned attestation sur
    l'honneur, and the client's renunciation when the client had agreed)."""
    editor = require_editor()
    asked = _attempt(
        f"Demande {numero}",
        lambda: portal().cancellations.ask(
            editor,
            numero,
            request.form.get("motif", ""),
            request.form.get("accordClient") == "oui",
            _file_sent("attestation"),
            _file_sent("renonciation"),
        ),
    )
    if asked is not None:
        flash(f"Demande {numero} : demande d'annulation transmise au gestionnaire avec votre attestation.", "succes")
    return redirect(url_for("pages.demande", numero=numero))


@blueprint.post("/espace/demandes/<numero>/avenants")
def demande_avenant(numero: str) -> Page:
    """An avenant asked with its pieces: created incomplete when a piece is refused."""
    editor = require_editor()
    avenant = _attempt(
        f"Demande {numero}",
        lambda: portal().requests.ask_avenant(
            editor, numero, request.form.get("montant", ""), request.form.get("motif", ""), _files_sent("pieces")
        ),
    )
    if avenant is not None and avenant["piecesManquantes"]:
        flash(
            f"Avenant n° {avenant['id']} créé incomplet ({avenant['statut']}) : pièces refusées "
            f"{', '.join(avenant['piecesManquantes'])}. Envoyez-les depuis « Suivi demandes incomplètes ».",
            "erreur",
        )
    elif avenant is not None:
        flash(f"Avenant n° {avenant['id']} demandé : statut « {avenant['statut']} ».", "succes")
    return redirect(url_for("pages.demande", numero=numero))


@blueprint.post("/espace/avenants/<id:avenant_id>/pieces")
def avenant_pieces(avenant_id: int) -> Page:
    """The pieces an avenant created incomplete lacks."""
    editor = require_editor()
    avenant = _attempt(
        f"Avenant n° {avenant_id}",
        lambda: portal().requests.send_avenant_pieces(editor, avenant_id, _files_sent("pieces")),
    )
    if avenant is not None:
        flash(f"Avenant n° {avenant_id} : pièces reçues, statut « {avenant['statut']} ».", "succes")
    return redirect(url_for("pages.incompletes"))


@blueprint.get("/espace/demandes/<numero>/documents/<id:document_id>")
def document(numero: str, document_id: int) -> Page:
    editor = require_editor()
    filename, content = portal().requests.document(numero, document_id, editor["id"])
    return pdf_download(filename, content)


# A form over its route's limit is refused when the CSRF check reads it, before any view: each
# form's own page says so (the form cannot be read again to know more).
TOO_LARGE["pages.depot"] = _too_large
_HEAVY = "envoi trop volumineux (3 Mo par pièce). Rien n'a été enregistré."


def _archive_too_large() -> Page:
    message = "Envoi trop volumineux : l'archive ne doit pas dépasser 200 Mo. Rien n'a été enregistré."
    return _incompletes_page(require_editor(), {"archive": [message]}, 413)


def _request_form_too_large() -> Page:
    """A request's pieces, a cancellation's or an avenant's form: said on the request's page (on the
    incomplete ones' for an avenant's pieces)."""
    args = request.view_args or {}
    if "avenant_id" in args:
        flash(f"Avenant n° {args['avenant_id']} : {_HEAVY}", "erreur")
        return redirect(url_for("pages.incompletes"))
    flash(f"Demande {args.get('numero', '')} : {_HEAVY}", "erreur")
    return redirect(url_for("pages.demande", numero=args.get("numero", "")))


TOO_LARGE["pages.incompletes_archive"] = _archive_too_large
for _endpoint in ("pages.demande_pieces", "pages.demande_annulation", "pages.demande_avenant", "pages.avenant_pieces"):
    TOO_LARGE[_endpoint] = _request_form_too_large
