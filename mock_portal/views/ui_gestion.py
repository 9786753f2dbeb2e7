"""The gestionnaire's pages (a MODEL: the ASP's back office is not public): enrolment decisions,
the instruction of requests (the moves of ``workflow.json``, nothing else), avenants, the
portal's clock, the outbox, a reset. The same services as the admin API; the session holds a
digest of the admin token typed on the login page.

A trainer plays a whole life-cycle from here in front of a room: validate an enrolment, read
the credentials in the outbox, then take a deposited request through « En cours », « Validée »,
« Décidée » and the payment, moving the clock as the story needs.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, current_app, flash, redirect, request, session, url_for
from segur.mock_portal.app import portal
from segur.mock_portal.errors import PortalError

from ._common import pdf_download
from .ui_common import (
    PAGE_SIZE,
    PAGE_SIZES,
    Page,
    attachment,
    blueprint,
    enrolment_label,
    french,
    open_gestionnaire,
    page_number,
    page_size,
    render,
    require_gestionnaire,
    safe_next,
)
from .ui_editor import TYPE_LABELS
from .ui_enrolment import QUALITES


def motif_message(message: str) -> str:
    """The portal's refusal of a move without its motif, as said next to the motif field."""
    moved = re.match(r"^(.*?) demande un motif", message)
    what = f" : le passage {moved.group(1)} en demande un" if moved else ""
    return f"Saisissez le motif{what} ; il est envoyé à l'éditeur."


#: what each move is called on its button (the move itself and its rules come from workflow.json)
VERBS = {
    "enCours": "Démarrer l'instruction",
    "aModifier": "Demander une modification",
    "attentePieces": "Demander des pièces complémentaires",
    "validee": "Valider la demande",
    "rejetee": "Rejeter la demande",
    "decidee": "Décider (décision d'attribution)",
    "payee": "Payer (avis de paiement)",
}
#: what each motif field is called, by the move it belongs to
MOTIF_LABELS = {
    "aModifier": "Motif de la demande de modification",
    "attentePieces": "Motif de la demande de pièces complémentaires",
    "rejetee": "Motif du rejet",
}
ENROLMENT_VERBS = {"enInstruction": "Passer en instruction", "validee": "Valider l'enrôlement", "rejetee": "Rejeter"}
AVENANT_VERBS = {"decide": "Décider", "paye": "Payer", "rejete": "Rejeter"}
#: the clock's fields, as an error summary names them
CLOCK_FIELDS = {"horloge-date": "Fixer l'horloge à", "horloge-quantite": "Avancer l'horloge de"}
CLOCK_UNITS = {"minutes": 60, "heures": 3600, "jours": 86400}
#: mails per page of the outbox
OUTBOX_PAGE = 200


def _back(default: str) -> Page:
    return redirect(safe_next(request.form.get("retour"), default))


# --------------------------------------------------------------------------- login


@blueprint.route("/gestion/connexion", methods=["GET", "POST"])
def gestion_connexion() -> Page:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        token = request.form.get("jeton", "")
        if not token.strip():
            errors["jeton"] = ["Saisissez le jeton gestionnaire."]
        elif open_gestionnaire(token):
            session.pop("csrf", None)
            return redirect(safe_next(request.args.get("suite"), url_for("pages.gestion")))
        else:
            errors["jeton"] = [
                "Ce jeton n'ouvre pas l'espace gestionnaire : recopiez celui que segur serve affiche au démarrage."
            ]
    return render("gestion/connexion.html", 422 if errors else 200, errors=errors)


@blueprint.post("/gestion/deconnexion")
def gestion_deconnexion() -> Page:
    session.pop("gestionnaire", None)
    flash("Vous avez quitté l'espace gestionnaire.", "info")
    return redirect(url_for("ui.home"))


# --------------------------------------------------------------------------- dashboard and clock


@blueprint.get("/gestion")
def gestion() -> Page:
    require_gestionnaire()
    return _dashboard()


def _dashboard(errors: dict[str, list[str]] | None = None, typed: dict[str, str] | None = None) -> Page:
    found = portal()
    counts = found.requests.status_counts(None)
    return render(
        "gestion/accueil.html",
        422 if errors else 200,
        compteurs=[
            (key, label, counts.get(label, 0)) for key, label in found.spec.statuts.items() if key != "avenantPaye"
        ],
        enrolements_en_attente=found.enrolment.pending_count(),
        annulations=found.cancellations.listing("transmise", after=None, limit=PAGE_SIZE)[0],
        maintenant=found.now(),
        errors=errors or {},
        saisies=typed or {},
        resume_libelles=CLOCK_FIELDS,
    )


def _page_back(errors: dict[str, list[str]], typed: dict[str, str]) -> Page:
    """The page a form was sent from, again, with its errors beside their fields: a request's
    instruction page, else the dashboard."""
    back = safe_next(request.form.get("retour"), url_for("pages.gestion"))
    found = re.fullmatch(r"/gestion/demandes/([^/?#]+)", back)
    if found:
        return _request_page(found.group(1), errors, typed, 422)
    return _dashboard(errors, typed)


@blueprint.post("/gestion/horloge")
def gestion_horloge() -> Page:
    require_gestionnaire()
    action = request.form.get("action", "")
    try:
        if action == "fixer":
            moment = portal().ctx.set_clock(at=request.form.get("date", "").strip())
        elif action == "avancer":
            try:
                amount = float(request.form.get("quantite", "").replace(",", "."))
            except ValueError:
                raise PortalError(400, "REQUETE_INVALIDE", "Saisissez un nombre (par exemple 2 ou 1,5).") from None
            unit = CLOCK_UNITS.get(request.form.get("unite", ""), 0)
            if not unit or not abs(amount * unit) <= 10 * 365 * 86400:
                raise PortalError(400, "REQUETE_INVALIDE", "Choisissez une durée d'au plus dix ans.")
            moment = portal().ctx.set_clock(advance=amount * unit)
        elif action == "reel":
            moment = portal().ctx.set_clock(real=True)
        else:
            raise PortalError(400, "REQUETE_INVALIDE", "Choisissez une action sur l'horloge.")
    except PortalError as error:
        field = {"fixer": "horloge-date", "avancer": "horloge-quantite"}.get(action)
        if field is None:
            flash(f"Horloge inchangée : {french(error.message)}", "erreur")
            return _back(url_for("pages.gestion"))
        typed = {"horloge-date": request.form.get("date", ""), "horloge-quantite": request.form.get("quantite", "")}
        return _page_back({field: [f"Horloge inchangée : {french(error.message)}"]}, typed)
    flash(f"Horloge du portail : {moment.strftime('%d/%m/%Y %H:%M')}.", "succes")
    return _back(url_for("pages.gestion"))


@blueprint.post("/gestion/reinitialiser")
def gestion_reinitialiser() -> Page:
    require_gestionnaire()
    if request.form.get("confirmation") != "oui":
        flash("Cochez la case de confirmation pour tout effacer.", "erreur")
        return redirect(url_for("pages.gestion"))
    config = current_app.config
    portal().reset(config["DEMO_LOGIN"], config["DEMO_PASSWORD"], config["ADMIN_TOKEN"])
    session.pop("editeur", None)
    session.pop("depot_prepare", None)
    flash("Portail réinitialisé : toutes les données sont effacées, le compte de démonstration est recréé.", "succes")
    return redirect(url_for("pages.gestion"))


# --------------------------------------------------------------------------- enrolments


@blueprint.get("/gestion/enrolements")
def gestion_enrolements() -> Page:
    require_gestionnaire()
    return _enrolments_page()


def _enrolments_page(errors: dict[str, list[str]] | None = None, typed: dict[str, str] | None = None) -> Page:
    """The enrolments, newest first, each card with the company, the people, the pieces and the
    gestionnaire's decisions (a motif field of its own where the decision needs one)."""
    found = portal()
    flow = found.flows.enrolment
    page = page_number()
    total = found.enrolment.count()
    rows = []
    listed = found.enrolment.listing(None, newest_first=True, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    for listed_one in listed:
        enrolment = found.enrolment.dossier(listed_one["id"])
        key = flow.key(enrolment["statut"]) or ""
        moves = [
            (t.target, ENROLMENT_VERBS.get(t.target, flow.label(t.target)), t.needs_reason)
            for t in flow.allowed_from(key, "gestionnaire")
        ]
        rows.append((enrolment, moves))
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        "gestion/enrolements.html",
        422 if errors else 200,
        enrolements=rows,
        total=total,
        page=page,
        pages=pages,
        errors=errors or {},
        saisies=typed or {},
        qualites=dict(QUALITES),
        regimes={"TTC": "Assujetti à la TVA (montants TTC)", "HT": "Non assujetti à la TVA (régime HT)"},
    )


@blueprint.get("/gestion/enrolements/<id:enrolment_id>/pieces/<id:piece_id>")
def gestion_enrolement_piece(enrolment_id: int, piece_id: int) -> Page:
    require_gestionnaire()
    filename, content = portal().enrolment.piece(enrolment_id, piece_id)
    return Response(content, mimetype="application/pdf", headers=attachment(filename))


@blueprint.post("/gestion/enrolements/<id:enrolment_id>/decision")
def gestion_enrolement_decision(enrolment_id: int) -> Page:
    require_gestionnaire()
    found = portal()
    target = found.flows.enrolment.key(request.form.get("vers", ""))
    motif = request.form.get("motif", "").strip() or None
    try:
        if target is None:
            raise PortalError(400, "REQUETE_INVALIDE", "Choisissez une décision proposée.")
        result = found.enrolment.decide(enrolment_id, target, motif)
    except PortalError as error:
        if error.status == 404:
            raise
        if "motif" in error.message:  # said next to the motif field of this decision
            field = f"motif-{enrolment_id}-{target}"
            return _enrolments_page({field: [motif_message(error.message)]}, {field: motif or ""})
        flash(f"Enrôlement n° {enrolment_label(enrolment_id)} : {french(error.message)}", "erreur")
    else:
        flash(
            f"Enrôlement n° {enrolment_label(enrolment_id)} : statut « {result['statut']} » ; les courriels sont partis.",
            "succes",
        )
    return redirect(url_for("pages.gestion_enrolements"))


# --------------------------------------------------------------------------- requests


@blueprint.get("/gestion/demandes")
def gestion_demandes() -> Page:
    require_gestionnaire()
    found = portal()
    statut = request.args.get("statut", "")
    type_demande = request.args.get("typeDemande", "")
    words = request.args.get("q", "").strip()[:100]
    page, size = page_number(), page_size()
    rows, total = found.requests.page(
        None,
        statut=statut or None,
        type_demande=type_demande or None,
        offset=(page - 1) * size,
        limit=size,
        after=request.args.get("apres") or None,
        before=request.args.get("avant") or None,
        search=words or None,
    )
    return render(
        "gestion/demandes.html",
        demandes=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        filtres={"statut": statut, "typeDemande": type_demande, "taille": size, "q": words},
        etablissements=portal().requests.establishments(None, [r["numeroDemande"] for r in rows]),
        tailles=[(str(n), str(n)) for n in PAGE_SIZES],
        statuts=[(k, v) for k, v in found.spec.statuts.items() if k != "avenantPaye"],
        types=[(k, TYPE_LABELS.get(k, k)) for k in found.spec.deposit_types],
    )


@blueprint.get("/gestion/demandes/<numero>")
def gestion_demande(numero: str) -> Page:
    require_gestionnaire()
    return _request_page(numero)


def _request_page(
    numero: str, errors: dict[str, list[str]] | None = None, typed: dict[str, str] | None = None, status: int = 200
) -> Page:
    found = portal()
    detail = found.requests.detail(numero, None)
    flow = found.flows.request
    key = flow.key(detail["statut"]) or ""
    moves = [
        {
            "vers": t.target,
            "verbe": VERBS.get(t.target, t.target),
            "statut": flow.label(t.target),
            "motif": t.needs_reason,
            "libelle_motif": MOTIF_LABELS.get(t.target, f"Motif pour « {VERBS.get(t.target, t.target)} »"),
        }
        for t in flow.plain_moves(key, "gestionnaire")
    ]
    avenants = []
    for avenant in detail["avenants"]:
        akey = found.flows.avenant.key(avenant["statut"]) or ""
        avenants.append(
            (
                avenant,
                [
                    (t.target, AVENANT_VERBS.get(t.target, t.target))
                    for t in found.flows.avenant.allowed_from(akey, "gestionnaire")
                ],
            )
        )
    editor_turn = bool(flow.allowed_from(key, "editor"))  # the workflow's next move is the editor's
    return render(
        "gestion/demande.html",
        status,
        d=detail,
        transitions=moves,
        avenants=avenants,
        editor_turn=editor_turn,
        avertissements=found.instruction.warnings(numero),
        errors=errors or {},
        saisies=typed or {},
        resume_libelles={
            **{f"motif-{m['vers']}": m["libelle_motif"] for m in moves},
            **CLOCK_FIELDS,
            "avenant-montant": "Montant du nouvel avenant",
        },
    )


@blueprint.post("/gestion/demandes/<numero>/annulation")
def gestion_annulation(numero: str) -> Page:
    """The decision on an editor's cancellation request."""
    require_gestionnaire()
    decision = request.form.get("decision", "")
    try:
        result = portal().cancellations.decide(numero, decision, request.form.get("motif", "").strip() or None)
    except PortalError as error:
        if error.status == 404:
            raise
        flash(f"Demande {numero} : {french(error.message)}", "erreur")
    else:
        done = "demande annulée" if result["etat"] == "acceptee" else "annulation refusée"
        flash(f"Demande {numero} : {done} ; l'éditeur en est averti par courriel.", "succes")
    return redirect(url_for("pages.gestion_demande", numero=numero))


@blueprint.post("/gestion/demandes/<numero>/transition")
def gestion_transition(numero: str) -> Page:
    require_gestionnaire()
    target = request.form.get("vers", "")
    motif = request.form.get("motif", "").strip() or None
    try:
        result = portal().instruction.transition(numero, target, motif)
    except PortalError as error:
        if error.status == 404:
            raise
        if "motif" in error.message:  # said next to the motif field of this move
            field = f"motif-{target}"
            return _request_page(numero, {field: [motif_message(error.message)]}, {field: motif or ""}, 422)
        flash(f"Demande {numero} : {french(error.message)}", "erreur")
    else:
        flash(f"Demande {numero} : statut « {result['statut']} ».", "succes")
    return _back(url_for("pages.gestion_demande", numero=numero))


def _amount(text: str) -> Any:
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text).replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


@blueprint.post("/gestion/demandes/<numero>/avenants")
def gestion_avenant(numero: str) -> Page:
    require_gestionnaire()
    montant = _amount(request.form.get("montant", ""))
    try:
        if montant is None:
            raise PortalError(
                400, "REQUETE_INVALIDE", "Saisissez le montant de l'avenant en euros (par exemple 12 500,00)."
            )
        portal().instruction.add_avenant(numero, montant, request.form.get("motif", "").strip() or None)
    except PortalError as error:
        if error.status == 404:
            raise
        typed = {"avenant-montant": request.form.get("montant", ""), "avenant-motif": request.form.get("motif", "")}
        return _request_page(numero, {"avenant-montant": [french(error.message)]}, typed, 422)
    flash(f"Demande {numero} : avenant enregistré.", "succes")
    return redirect(url_for("pages.gestion_demande", numero=numero))


@blueprint.post("/gestion/avenants/<id:avenant_id>/transition")
def gestion_avenant_transition(avenant_id: int) -> Page:
    require_gestionnaire()
    numero = request.form.get("numero", "")
    try:
        portal().instruction.avenant_transition(avenant_id, request.form.get("vers", ""))
    except PortalError as error:
        flash(f"Avenant n° {avenant_id} : {french(error.message)}", "erreur")
    else:
        flash(f"Avenant n° {avenant_id} : statut mis à jour.", "succes")
    return redirect(url_for("pages.gestion_demande", numero=numero) if numero else url_for("pages.gestion_demandes"))


@blueprint.get("/gestion/demandes/<numero>/documents/<id:document_id>")
def gestion_document(numero: str, document_id: int) -> Page:
    require_gestionnaire()
    filename, content = portal().requests.document(numero, document_id, None)
    return pdf_download(filename, content)


@blueprint.get("/gestion/courriels")
def gestion_courriels() -> Page:
    require_gestionnaire()
    page = page_number()
    found = portal().mails
    pages = max(1, -(-found.count() // OUTBOX_PAGE))
    return render(
        "gestion/courriels.html",
        courriels=found.outbox(offset=(page - 1) * OUTBOX_PAGE, limit=OUTBOX_PAGE),
        page=page,
        pages=pages,
    )
