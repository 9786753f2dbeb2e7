"""« Cas de rejet »: the golden rejection cases (``fixtures/<spec>/cases``, as ``segur cases
list`` shows them), each variant one click away from a deposit form ready for « Simuler ».

The click builds the variant server-side with :func:`segur.generators.cases.write_case` (the same
writer as ``segur cases build``) into the session's staging folder; the deposit form then uses
its ``depot.json`` and ``pieces.zip`` unless the editor picks other files.

A case runs in its own world (a :class:`~segur.mock_portal.services.Sandbox`): the controls see the
stored requests the case assumes (its ``historique.json``) and the enrolments it assumes, never
the account's other requests nor what other cases imported, so that cases can be played in any
order, several times, without a reset. Each case says the date it assumes (its own, or the
calendar's default deposit time); « Déposer à la date du cas » uses it in one click without
moving the portal's clock, and the page compares the answer obtained with the expected one.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from typing import Any

import orjson
from flask import current_app, flash, redirect, request, session, url_for
from segur.mock_portal.app import portal

from .ui_common import Page, blueprint, current_editor, render, require_editor, session_folder
from .ui_editor import _enrolled


def _catalogue() -> list[dict[str, Any]]:
    """The cases of the app's spec, read once per app."""
    cached: list[dict[str, Any]] | None = current_app.extensions.get("segur_pages_cases")
    if cached is not None:
        return cached
    from segur.generators.cases import base_profile, case_code, case_files, expected_codes, load_case

    spec = portal().spec
    cases = []
    for path in case_files(spec):
        case = load_case(path)
        deposit = case.get("deposit", {})
        variants = []
        for number, variant in enumerate(case["variants"], start=1):
            plan = {**deposit, **variant.get("deposit", {})}
            variants.append(
                {
                    "numero": number,
                    "nom": variant["name"],
                    "attendu": _expected_text(expected_codes(variant["expect"], spec)),
                    "rejete": variant["expect"] != "accepted",
                    "date": _said(_case_time(case, plan)),
                    "contexte": _context(case, variant, plan),
                }
            )
        cases.append(
            {
                "cas": path.stem,
                "code": case_code(case, spec),
                "titre": case["title"],
                "description": case.get("description", ""),
                "base": base_profile(case, spec),
                "variantes": variants,
            }
        )
    current_app.extensions["segur_pages_cases"] = cases
    return cases


def _said(moment: datetime) -> str:
    return moment.astimezone(portal().spec.timezone).strftime("%d/%m/%Y %H:%M")


def _case_time(case: dict[str, Any], plan: dict[str, Any]) -> datetime:
    """The deposit time a case assumes: its own, else the calendar's default for its profile."""
    from segur.generators.cases import base_profile

    spec = portal().spec
    if "at" in plan:
        return spec.local_time(plan["at"])
    kind = plan.get("type", case["base"])
    return spec.default_deposit_time(base_profile(case, spec), spec.deposit_types.get(kind, kind))


def _expected_text(expect: Any) -> str:
    if expect == "accepted":
        return f"toutes les lignes en {portal().spec.accepted_code} (passe)"
    if "file" in expect:
        return f"fichier rejeté : {expect['file']}"
    lines = expect.get("lines", {})
    return ", ".join(f"ligne {line} : {code}" for line, code in sorted(lines.items(), key=lambda kv: int(kv[0])))


def _context(case: dict[str, Any], variant: dict[str, Any], plan: dict[str, Any]) -> str:
    """What the case assumes beyond its files and its date, in a sentence."""
    notes = []
    spec = portal().spec
    if "enrolments" in plan:
        numbers = ", ".join(e["ans"] for e in plan["enrolments"]) or "aucun numéro ANS"
        notes.append(f"le déposant enrôlé pour {numbers} seulement")
    from segur.generators.cases import base_profile

    history = (spec.root / "examples" / f"{base_profile(case, spec)}.history.json").exists() or variant.get("history")
    if history or variant.get("history_add"):
        notes.append("les demandes déjà enregistrées de son historique (pas celles de votre compte)")
    sentence = "Ce cas suppose " + " et ".join(notes) + "." if notes else ""
    if "corrected_at" in plan:
        corrected = _said(spec.local_time(plan["corrected_at"]))
        sentence += (" " if sentence else "") + (
            f"La demande a été déposée à la date du cas, renvoyée « {spec.statuts.get('aModifier', '')} » "
            f"puis corrigée par l'éditeur le {corrected} : c'est à cette date que sa correction est jugée."
        )
    if plan.get("mode") == "import":
        sentence += (" " if sentence else "") + "Sa réponse vient à l'import : cliquez sur « Importer »."
    return sentence


@blueprint.get("/cas")
def cas() -> Page:
    return render("cas.html", cas=_catalogue(), connecte=current_editor() is not None)


@blueprint.post("/cas/<nom>/<int:variante>/charger")
def cas_charger(nom: str, variante: int) -> Page:
    """Build the variant into the session's folder and open the deposit form, ready to « Simuler »."""
    editor = current_editor()
    if editor is None:
        flash("Connectez-vous pour charger un cas dans le formulaire de dépôt.", "info")
        return redirect(url_for("pages.connexion", suite=url_for("pages.cas")))
    from segur.generators.cases import base_profile, case_code, find_case, write_case

    spec = portal().spec
    known = {c["cas"] for c in _catalogue()}
    if nom not in known:
        flash(f"Cas « {nom} » inconnu.", "erreur")
        return redirect(url_for("pages.cas"))
    case = find_case(spec, nom)
    if not 1 <= variante <= len(case["variants"]):
        flash(f"Le cas « {nom} » n'a pas de variante {variante}.", "erreur")
        return redirect(url_for("pages.cas"))
    folder = session_folder()
    assert folder is not None
    target = folder / "cas"
    shutil.rmtree(target, ignore_errors=True)
    manifest = write_case(spec, case, variante - 1, target)
    variant = case["variants"][variante - 1]
    plan = {**case.get("deposit", {}), **variant.get("deposit", {})}
    answer = manifest["reponseAttendue"]
    session["depot_prepare"] = {
        "cas": nom,
        "code": case_code(case, spec),
        "titre": case["title"],
        "variante": variante,
        "nomVariante": variant["name"],
        "typeDemande": plan.get("type", case["base"]),
        "tauxTva": f"{float(plan.get('vat', 20)):g}",
        "numeroAns": _numero_ans(plan, base_profile(case, spec), target / "depot.json", editor),
        "pieces": "pieces.zip" if (target / "pieces.zip").is_file() else None,
        "attendu": _expected(answer),
        "reponse": answer_codes(answer),
        "mode": plan.get("mode", "simulation"),
        "date": answer["dateDepot"],
        "dateCas": request.form.get("date") == "cas",
        # a stored request corrected by its editor: the time of the correction the case assumes
        "dateCorrection": spec.local_time(plan["corrected_at"]).isoformat() if "corrected_at" in plan else None,
        "enrolements": _enrolments(plan, base_profile(case, spec)),
        "contexte": next(
            v["contexte"] for c in _catalogue() if c["cas"] == nom for v in c["variantes"] if v["numero"] == variante
        ),
    }
    return redirect(url_for("pages.depot"))


@blueprint.post("/espace/demande-de-financement/date-du-cas")
def depot_date_du_cas() -> Page:
    """One click: the prepared case is deposited at the date it assumes (« cas »), or at the
    portal's clock again (« horloge »). The portal's clock itself does not move."""
    require_editor()
    staged = session.get("depot_prepare")
    if isinstance(staged, dict):
        staged["dateCas"] = request.form.get("date") == "cas"
        session["depot_prepare"] = staged
    return redirect(url_for("pages.depot"))


def _enrolments(plan: dict[str, Any], base: str) -> list[list[str]] | None:
    """The enrolments a case assumes, as (ANS number, couloir, software type); None: enrolled for
    the file's ANS number (what the case's expected answer was computed with)."""
    if "enrolments" not in plan:
        return None
    spec = portal().spec
    found = []
    for enrolment in plan["enrolments"]:
        profile = spec.profiles.get(enrolment.get("profile", base))
        if profile is not None:
            found.append([enrolment["ans"], profile.couloir, profile.type_logiciel])
    return found


def answer_codes(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer reduced to what a case expects: the file's code when it is rejected, else the
    first code of each line."""
    if answer.get("statut") == "KO":
        return {"fichier": answer["codetraitement"]}
    return {"lignes": {str(line["numLigne"]): line["codetraitement"] for line in answer.get("lignes", [])}}


def answer_text(codes: dict[str, Any]) -> str:
    """« fichier rejeté : 1011 », « ligne 2 : 2031 (autres lignes : 0000) », « toutes les lignes en 0000 »."""
    accepted = portal().spec.accepted_code
    if "fichier" in codes:
        return f"fichier rejeté : {codes['fichier']}"
    lines = codes.get("lignes", {})
    refused = [(n, c) for n, c in sorted(lines.items(), key=lambda kv: int(kv[0])) if c != accepted]
    if not refused:
        return f"toutes les lignes en {accepted}"
    text = ", ".join(f"ligne {n} : {c}" for n, c in refused)
    return text + (f" (autres lignes : {accepted})" if len(refused) < len(lines) else "")


def compare(staged: dict[str, Any], answer: dict[str, Any], mode: str) -> dict[str, Any]:
    """The answer obtained for a prepared case beside the one it expects, and why they may differ."""
    got = answer_codes(answer)
    expected = staged.get("reponse") or {}
    same = got == expected
    reasons = []
    if not same:
        at = answer.get("dateDepot")
        if (
            at
            and staged.get("date")
            and _said(datetime.fromisoformat(at)) != _said(datetime.fromisoformat(staged["date"]))
        ):
            reasons.append(
                f"le dépôt est daté du {_said(datetime.fromisoformat(at))}, le cas suppose le "
                f"{_said(datetime.fromisoformat(staged['date']))} : cliquez sur « Déposer à la date du cas »"
            )
        if staged.get("mode") == "import" and mode != "import":
            reasons.append("ce cas donne sa réponse à l'import (les pièces ne sont contrôlées qu'à l'import)")
        if not reasons:
            reasons.append("les choix du dépôt (type, taux de TVA, numéro ANS) ne sont peut-être pas ceux du cas")
    return {
        "conforme": same,
        "attendu": answer_text(expected),
        "obtenu": answer_text(got),
        "raisons": reasons,
    }


def _expected(answer: dict[str, Any]) -> dict[str, str]:
    accepted = portal().spec.accepted_code
    if answer["statut"] == "KO":
        return {"code": answer["codetraitement"], "libelle": answer["libelletraitement"]}
    for line in answer["lignes"]:
        if line["codetraitement"] != accepted:
            return {
                "code": line["codetraitement"],
                "libelle": f"ligne {line['numLigne']} — {line['libelletraitement']}",
            }
    return {"code": accepted, "libelle": "toutes les lignes acceptées"}


def _numero_ans(plan: dict[str, Any], base: str, data_path: Any, editor: Any) -> str:
    """The ANS number to pre-select: the case's, else the first request's if the editor is enrolled for it,
    else the editor's enrolment for the software of the case's base example."""
    enrolled = [r["numero_ans"] for r in _enrolled(editor)]
    if plan.get("ans"):
        return str(plan["ans"])
    from segur.mock_portal.controls.line import read_values
    from segur.mock_portal.controls.spec import resolve

    spec = portal().spec
    try:
        requests = resolve(orjson.loads(data_path.read_bytes()), spec.document["requests"].path)
        numero = read_values(requests[0], spec).get("ans_number")
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, ValueError, AttributeError):
        numero = None
    if isinstance(numero, str) and numero in enrolled:
        return numero
    # a file too broken to read: the editor's enrolment for the software of the case's base example
    profile = portal().spec.profiles.get(base)
    matching = [r["numero_ans"] for r in _enrolled(editor) if profile and r["type_logiciel"] == profile.type_logiciel]
    return matching[0] if matching else ""
