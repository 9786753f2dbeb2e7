"""« Cas de rejet »: the golden rejection cases (``fixtures/<spec>/cases``, as ``segur cases
list`` shows them), each variant one click away from a deposit form ready for « Simuler ».

The click builds the variant server-side with :func:`segur.generators.cases.write_case` (the same
writer as ``segur cases build``) into the session's staging folder; the deposit form then uses
its ``depot.json`` and ``pieces.zip`` unless the editor picks other files.
"""

from __future__ import annotations

import shutil
from typing import Any

import orjson
from flask import current_app, flash, redirect, session, url_for
from segur.mock_portal.app import portal

from .ui_common import Page, blueprint, current_editor, render, session_folder
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


def _expected_text(expect: Any) -> str:
    if expect == "accepted":
        return f"toutes les lignes en {portal().spec.accepted_code} (passe)"
    if "file" in expect:
        return f"fichier rejeté : {expect['file']}"
    lines = expect.get("lines", {})
    return ", ".join(f"ligne {line} : {code}" for line, code in sorted(lines.items(), key=lambda kv: int(kv[0])))


def _context(case: dict[str, Any], variant: dict[str, Any], plan: dict[str, Any]) -> str:
    """What the case assumes beyond its files, which the portal's own state may not reproduce."""
    notes = []
    spec = portal().spec
    if "at" in plan:
        moment = spec.local_time(plan["at"]).strftime("%d/%m/%Y %H:%M")
        notes.append(f"déposé le {moment} : réglez l'horloge du portail à cette date (espace gestionnaire)")
    if "enrolments" in plan:
        numbers = ", ".join(e["ans"] for e in plan["enrolments"]) or "aucun"
        notes.append(f"suppose les enrôlements {numbers}")
    from segur.generators.cases import base_profile

    history = (spec.root / "examples" / f"{base_profile(case, spec)}.history.json").exists() or variant.get("history")
    if history or variant.get("history_add"):
        notes.append("suppose des demandes déjà enregistrées : le portail répond selon celles de votre compte")
    if plan.get("mode") == "import":
        notes.append("réponse attendue à l'import : cliquez sur « Importer »")
    return "Ce cas " + " ; ".join(notes) + "." if notes else ""


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
        "contexte": next(
            v["contexte"] for c in _catalogue() if c["cas"] == nom for v in c["variantes"] if v["numero"] == variante
        ),
    }
    return redirect(url_for("pages.depot"))


def _expected(answer: dict[str, Any]) -> dict[str, str]:
    accepted = portal().spec.accepted_code
    if answer["statut"] == "KO":
        return {"code": answer["codetraitement"], "libelle": f"fichier rejeté — {answer['libelletraitement']}"}
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
