"""« Effectuer ma demande d'enrôlement »: the enrolment form in its steps (seed, slides 26 to 37).

Référencement (ANS number, « Rechercher », certificate) → the structure (SIRET « Rechercher »,
dénomination, address) → the representative, and the dépositaire of a third-party filing →
bank details → VAT → recap with the checkboxes and « Terminer ».

The draft and its pieces wait in the session's staging folder until « Terminer », which
deposits the whole form with :meth:`Portal.enrol`. Each step shows the errors the portal finds
on its own fields: the view asks :meth:`Portal.enrolment_problems` about the draft, the steps
not reached yet filled with a skeleton that only satisfies the schema (so that the portal's
checks beyond the schema run too), and keeps the problems of the step's fields. No rule of
the enrolment is written here.
"""

from __future__ import annotations

import base64
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

import orjson
from flask import redirect, request, url_for
from segur.mock_portal.app import portal
from segur.mock_portal.errors import PortalError

from .ui_common import STREET_TYPES, Page, blueprint, french_schema, render, session_folder, street_type

STEPS: tuple[tuple[str, str], ...] = (
    ("referencement", "Référencement"),
    ("structure", "Demandeur : personne morale"),
    ("representant", "Demandeur : personne physique"),
    ("banque", "Coordonnées bancaires"),
    ("tva", "Taux de TVA"),
    ("recapitulatif", "Récapitulatif et finalisation"),
)
STEP_NAMES = [name for name, _ in STEPS]

#: the first segment of a field's id → its step
FIELD_STEP = {
    "numeroAns": "referencement",
    "certificat": "referencement",
    "captchaStructure": "structure",
    "siret": "structure",
    "raisonSociale": "structure",
    "denominationModifiee": "structure",
    "nomCommercial": "structure",
    "adresse": "structure",
    "kbis": "structure",
    "estRepresentant": "representant",
    "representant": "representant",
    "tiersDeclarant": "representant",
    "banque": "banque",
    "rib": "banque",
    "regimeTva": "tva",
    "attestationTva": "tva",
    "engagements": "recapitulatif",
    "captcha": "recapitulatif",
}

#: the file field of each kind of piece (MANDAT and CONTRAT_PRESTATION share the dépositaire's)
PIECE_FIELDS = {
    "CERTIFICAT_ANS": "certificat",
    "KBIS": "kbis",
    "PIECE_IDENTITE_REPRESENTANT": "representant-piece",
    "PIECE_IDENTITE_DEPOSITAIRE": "tiersDeclarant-piece",
    "MANDAT": "tiersDeclarant-justificatif",
    "CONTRAT_PRESTATION": "tiersDeclarant-justificatif",
    "RIB": "rib",
    "ATTESTATION_NON_ASSUJETTISSEMENT_TVA": "attestationTva",
}
_FIELD_PIECE = {
    "certificat": "CERTIFICAT_ANS",
    "kbis": "KBIS",
    "representant-piece": "PIECE_IDENTITE_REPRESENTANT",
    "tiersDeclarant-piece": "PIECE_IDENTITE_DEPOSITAIRE",
    "tiersDeclarant-justificatif": "JUSTIFICATIF_QUALITE",
    "rib": "RIB",
    "attestationTva": "ATTESTATION_NON_ASSUJETTISSEMENT_TVA",
}

LABELS = {
    "numeroAns": "Numéro de référencement ANS",
    "certificat": "Certificat de référencement",
    "captchaStructure": "Code de vérification",
    "siret": "SIRET",
    "raisonSociale": "Dénomination sociale",
    "nomCommercial": "Nom commercial",
    "adresse-numeroVoie": "Numéro de voie",
    "adresse-typeVoie": "Type de voie",
    "adresse-libelleVoie": "Libellé de la voie",
    "adresse-codePostal": "Code postal",
    "adresse-commune": "Commune",
    "kbis": "Kbis",
    "estRepresentant": "Représentant légal",
    "representant-piece": "Pièce d'identité du représentant",
    "tiersDeclarant-qualite": "Qualité de tiers déclarant",
    "tiersDeclarant-piece": "Pièce d'identité du dépositaire",
    "tiersDeclarant-justificatif": "Contrat de prestation ou mandat",
    "banque-iban": "IBAN",
    "banque-bic": "BIC",
    "rib": "RIB",
    "regimeTva": "Régime de TVA",
    "attestationTva": "Attestation de non-assujettissement",
    "engagements-exactitude": "Attestation d'exactitude",
    "engagements-conditions": "Conditions",
    "captcha": "Code de vérification",
    "_general": "Demande",
}
for _who, _title in (("representant", "représentant"), ("tiersDeclarant", "dépositaire")):
    for _key, _text in (
        ("nom", "Nom"),
        ("prenom", "Prénom"),
        ("email", "Adresse électronique"),
        ("emailConfirmation", "Confirmation de l'adresse électronique"),
        ("telephone", "Téléphone"),
    ):
        LABELS[f"{_who}-{_key}"] = f"{_text} du {_title}"

QUALITES = (
    ("centreDeGestion", "Centre de gestion, cabinet comptable ou prestataire (contrat de prestation)"),
    ("employe", "Employé du fournisseur (mandat du représentant légal)"),
)
_PERSON_KEYS = ("nom", "prenom", "email", "emailConfirmation", "telephone")
_CAPTCHA_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

#: what the steps not reached yet hold in a probe: values the schema accepts, nothing more
#: (the problems on them are never shown)
_SKELETON: dict[str, dict[str, Any]] = {
    "referencement": {"numeroAns": "ANS-SKELETON"},
    "structure": {
        "siret": "00000000000000",
        "raisonSociale": "-",
        "nomCommercial": "-",
        "adresse": {"typeVoie": "RUE", "libelleVoie": "-", "codePostal": "00000", "commune": "-"},
    },
    "representant": {
        "representant": {
            "nom": "-",
            "prenom": "-",
            "email": "a@b.example",
            "emailConfirmation": "a@b.example",
            "telephone": "0000000000",
        }
    },
    "banque": {"banque": {"iban": "FR7630006000011234567890189", "bic": "BNPAFRPPXXX"}},
    "tva": {"regimeTva": "TTC"},
    "recapitulatif": {"engagements": {"exactitude": True, "conditions": True}, "captcha": "-"},
}


# --------------------------------------------------------------------------- the draft


def _folder() -> Path:
    folder = session_folder()
    assert folder is not None
    path = folder / "enrolement"
    path.mkdir(exist_ok=True)
    return path


def _load() -> dict[str, Any]:
    path = _folder() / "brouillon.json"
    if path.is_file():
        draft: dict[str, Any] = orjson.loads(path.read_bytes())
        return draft
    return {"data": {}, "pieces": {}, "atteinte": 0, "captcha": _captcha(), "erreurs": {}}


def _save(draft: dict[str, Any]) -> None:
    (_folder() / "brouillon.json").write_bytes(orjson.dumps(draft))


def _captcha() -> str:
    return "".join(secrets.choice(_CAPTCHA_ALPHABET) for _ in range(5))


def _keep_piece(draft: dict[str, Any], field: str) -> None:
    """A file sent for ``field`` replaces the one kept (at most the portal's limit plus one byte is read)."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return
    limit = portal().spec.limits["maxPieceOctets"]
    content = upload.stream.read(limit + 1)
    kind = _FIELD_PIECE[field]
    (_folder() / f"{kind}.pdf").write_bytes(content)
    draft["pieces"][kind] = upload.filename[-255:]


def _piece_json(kind: str, nature: str, draft: dict[str, Any]) -> dict[str, str] | None:
    path = _folder() / f"{kind}.pdf"
    if kind not in draft["pieces"] or not path.is_file():
        return None
    content = base64.b64encode(path.read_bytes()).decode()
    return {"nature": nature, "nomFichier": draft["pieces"][kind], "contenu": content}


def _person(data: dict[str, Any], who: str) -> dict[str, str]:
    return {key: str(data.get(f"{who}-{key}", "")).strip() for key in _PERSON_KEYS}


def _section(draft: dict[str, Any], step: str) -> dict[str, Any]:
    """The enrolment form's fields of one step, from the draft."""
    data = draft["data"]
    if step == "referencement":
        return {"numeroAns": str(data.get("numeroAns", "")).strip()}
    if step == "structure":
        address = {
            key: str(data.get(f"adresse-{key}", "")).strip()
            for key in ("typeVoie", "libelleVoie", "codePostal", "commune")
        }
        if str(data.get("adresse-numeroVoie", "")).strip():
            address["numeroVoie"] = str(data["adresse-numeroVoie"]).strip()
        found = data.get("denominationTrouvee")
        name = str(data.get("raisonSociale", "")).strip()
        return {
            "siret": re.sub(r"\s", "", str(data.get("siret", ""))),
            "raisonSociale": name,
            "denominationModifiee": bool(found) and name != found,
            "nomCommercial": str(data.get("nomCommercial", "")).strip(),
            "adresse": address,
        }
    if step == "representant":
        section: dict[str, Any] = {"representant": _person(data, "representant")}
        if data.get("estRepresentant") == "non":
            section["tiersDeclarant"] = {
                **_person(data, "tiersDeclarant"),
                "qualite": data.get("tiersDeclarant-qualite", ""),
            }
        return section
    if step == "banque":
        return {
            "banque": {
                "iban": re.sub(r"\s", "", str(data.get("banque-iban", ""))).upper(),
                "bic": re.sub(r"\s", "", str(data.get("banque-bic", ""))).upper(),
            }
        }
    if step == "tva":
        return {"regimeTva": data.get("regimeTva", "")}
    return {
        "engagements": {
            "exactitude": data.get("engagements-exactitude") == "oui",
            "conditions": data.get("engagements-conditions") == "oui",
        },
        "captcha": str(data.get("captcha", "")).strip(),
    }


def _pieces(draft: dict[str, Any], upto: int) -> list[dict[str, str]]:
    """The pieces kept, as the form sends them, for the steps up to ``upto``."""
    data = draft["data"]
    pieces: list[dict[str, str]] = []
    tiers = data.get("estRepresentant") == "non"
    for field, kind in _FIELD_PIECE.items():
        if STEP_NAMES.index(_step_of(field)) > upto:
            continue
        nature = kind
        if kind == "JUSTIFICATIF_QUALITE":
            if not tiers:
                continue
            nature = "CONTRAT_PRESTATION" if data.get("tiersDeclarant-qualite") == "centreDeGestion" else "MANDAT"
        if kind == "PIECE_IDENTITE_DEPOSITAIRE" and not tiers:
            continue
        piece = _piece_json(kind, nature, draft)
        if piece is not None:
            pieces.append(piece)
    return pieces


def _form(draft: dict[str, Any], upto: int, *, skeleton: bool) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for index, step in enumerate(STEP_NAMES):
        if index <= upto:
            form.update(_section(draft, step))
        elif skeleton:
            form.update(_SKELETON[step])
    form["pieces"] = _pieces(draft, upto)
    return form


# --------------------------------------------------------------------------- the portal's problems, by field


def _field_of(problem: dict[str, str], pieces: list[dict[str, str]]) -> str:
    pointer, message = problem["champ"], problem["message"]
    required = re.match(r'^"([^"]+)" is a required property$', message)
    if required:
        pointer = pointer.rstrip("/") + "/" + required.group(1)
    if pointer.startswith("/pieces"):
        index = re.match(r"^/pieces/(\d+)", pointer)
        nature = None
        if index and int(index.group(1)) < len(pieces):
            nature = pieces[int(index.group(1))]["nature"]
        missing = re.search(r"manquante : (\w+)", message)
        if missing:
            nature = missing.group(1)
        return PIECE_FIELDS.get(nature or "", "_general")
    parts = [part for part in pointer.split("/") if part]
    return "-".join(parts) or "_general"


#: the portal's messages on a field, said without repeating the field's label (shown beside it)
_FIELD_MESSAGES: tuple[tuple[str, str], ...] = (
    (
        r"^IBAN invalide$",
        "Clé de contrôle ou longueur incorrecte : vérifiez les caractères saisis (27 pour un compte français).",
    ),
    (
        r"^BIC invalide$",
        "8 ou 11 caractères attendus : banque (4 lettres), pays (2), lieu (2), agence (3, facultatif).",
    ),
    (r"^SIRET invalide \(clé de contrôle\)$", "Clé de contrôle incorrecte : vérifiez les 14 chiffres."),
    (r"^adresse électronique invalide$", "Format non reconnu (exemple : prenom.nom@domaine.fr)."),
    (r'^.* is not a "email"$', "Format non reconnu (exemple : prenom.nom@domaine.fr)."),
    (
        r"^la confirmation ne reprend pas l'adresse électronique$",
        "Ne reprend pas l'adresse saisie dans le champ précédent.",
    ),
    (r"^numéro de référencement ANS (.*) inconnu du référentiel$", r"« \1 » est inconnu du référentiel de l'ANS."),
)
#: the two captchas' message
CAPTCHA_MESSAGE = "Recopiez les caractères affichés au-dessus du champ."


def field_message(problem: dict[str, str]) -> str:
    """The portal's problem on a field, in French, without the field's label."""
    text = problem["message"]
    if text.startswith("pièce obligatoire manquante"):
        return "Pièce obligatoire : déposez ce fichier (PDF, 3 Mo au plus)."
    for pattern, replacement in _FIELD_MESSAGES:
        if re.match(pattern, text):
            return re.sub(pattern, replacement, text)
    text = french_schema(text)
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _by_field(problems: list[dict[str, str]], pieces: list[dict[str, str]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in problems:
        field = _field_of(problem, pieces)
        message = field_message(problem)
        if message not in errors.get(field, []):
            errors.setdefault(field, []).append(message)
    return errors


def _step_of(field: str) -> str:
    return FIELD_STEP.get(field.split("-")[0], "recapitulatif")


def _step_errors(draft: dict[str, Any], step: str) -> dict[str, list[str]]:
    """The portal's problems on this step's fields."""
    upto = STEP_NAMES.index(step)
    form = _form(draft, upto, skeleton=True)
    problems = portal().enrolment.problems(form)
    errors = {field: found for field, found in _by_field(problems, form["pieces"]).items() if _step_of(field) == step}
    if errors:
        # The portal checks the pieces once the form passes its schema: ask again with this step's
        # fields from the skeleton too, to show a missing or unreadable piece in the same round.
        probe = {**_form(draft, upto - 1, skeleton=True), "pieces": form["pieces"]}
        for field, found in _by_field(portal().enrolment.problems(probe), probe["pieces"]).items():
            if field in PIECE_FIELDS.values() and _step_of(field) == step and field not in errors:
                errors[field] = found
    return errors


# --------------------------------------------------------------------------- pages


@blueprint.get("/enrolement")
def enrolement() -> Page:
    return redirect(url_for("pages.enrolement_etape", etape=STEP_NAMES[0]))


@blueprint.route("/enrolement/<etape>", methods=["GET", "POST"])
def enrolement_etape(etape: str) -> Page:
    if etape not in STEP_NAMES:
        return redirect(url_for("pages.enrolement_etape", etape=STEP_NAMES[0]))
    draft = _load()
    index = STEP_NAMES.index(etape)
    if index > draft["atteinte"]:
        return redirect(url_for("pages.enrolement_etape", etape=STEP_NAMES[draft["atteinte"]]))
    errors: dict[str, list[str]] = dict(draft.get("erreurs", {}).get(etape, {}))
    notes: dict[str, Any] = {}
    if request.method == "POST":
        action = request.form.get("action", "suivant")
        _take(draft, etape)
        draft.setdefault("erreurs", {}).pop(etape, None)
        errors = {}
        if action == "precedent" and index > 0:
            _save(draft)
            return redirect(url_for("pages.enrolement_etape", etape=STEP_NAMES[index - 1]))
        if action.startswith("rechercher"):
            errors = _search(draft, etape, notes)
        elif etape == "recapitulatif":
            return _finish(draft)
        else:
            errors = _check_step(draft, etape)
            if not errors:
                draft["atteinte"] = max(draft["atteinte"], index + 1)
                _save(draft)
                return redirect(url_for("pages.enrolement_etape", etape=STEP_NAMES[index + 1]))
        _forget_refused(draft, errors)
        _save(draft)
    if etape == "banque" and draft["data"].get("banque-iban"):
        notes["banque"] = portal().enrolment.lookup_bank(
            *(_section(draft, "banque")["banque"][k] for k in ("iban", "bic"))
        )
    if etape == "referencement" and draft["data"].get("numeroAns") and "solution" not in notes:
        notes["solution"] = portal().enrolment.lookup_ans(_section(draft, "referencement")["numeroAns"])
    context = {"recap": _recap(draft)} if etape == "recapitulatif" else {}
    return render(
        f"enrolement/{etape}.html",
        422 if errors else 200,
        etape=etape,
        etapes=STEPS,
        index=index,
        atteinte=draft["atteinte"],
        d=draft["data"],
        pieces=draft["pieces"],
        captcha=draft["captcha"],
        errors=errors,
        labels=LABELS,
        voies=list(STREET_TYPES.items()),
        qualites=QUALITES,
        notes=notes,
        **context,
    )


def _take(draft: dict[str, Any], step: str) -> None:
    """Keep what the step's form sent (text fields and files)."""
    form = request.form
    data = draft["data"]
    for field, field_step in ((f, _step_of(f)) for f in form if f not in ("_csrf", "action")):
        if field_step == step and field not in _FIELD_PIECE:
            data[field] = form.get(field, "")[:500]
    for checkbox in ("engagements-exactitude", "engagements-conditions"):
        if step == "recapitulatif" and checkbox not in form:
            data[checkbox] = ""
    for field in _FIELD_PIECE:
        if _step_of(field) == step:
            _keep_piece(draft, field)


def _search(draft: dict[str, Any], step: str, notes: dict[str, Any]) -> dict[str, list[str]]:
    """« Rechercher »: the ANS number (référencement) or the SIRET (structure)."""
    if step == "referencement":
        numero = _section(draft, "referencement")["numeroAns"]
        notes["solution"] = portal().enrolment.lookup_ans(numero) if numero else None
        if notes["solution"] is None:
            return {"numeroAns": [unknown_ans(numero)]}
        return {}
    if step == "structure":
        if not _captcha_ok(draft, "captchaStructure"):
            return {"captchaStructure": [CAPTCHA_MESSAGE]}
        siret = _section(draft, "structure")["siret"]
        found = portal().enrolment.lookup_siret(siret)
        if found is None:
            return {"siret": ["Clé de contrôle incorrecte : vérifiez les 14 chiffres."]}
        data = draft["data"]
        data["denominationTrouvee"] = found["raisonSociale"]
        if found["raisonSociale"]:
            data["raisonSociale"] = found["raisonSociale"]
        for key, value in (found["adresse"] or {}).items():
            data[f"adresse-{key}"] = value
        notes["siret"] = found
    return {}


def unknown_ans(numero: str) -> str:
    if not numero:
        return "Saisissez le numéro porté par le certificat de référencement."
    return f"« {numero} » est inconnu du référentiel de l'ANS : vérifiez le numéro porté par le certificat."


def _forget_refused(draft: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """A piece the portal refused is not kept: its field asks for a file again (never « Fichier
    déposé » beside an error)."""
    for field in errors:
        kind = _FIELD_PIECE.get(field)
        if kind is not None and kind in draft["pieces"]:
            del draft["pieces"][kind]
            (_folder() / f"{kind}.pdf").unlink(missing_ok=True)


def _captcha_ok(draft: dict[str, Any], field: str) -> bool:
    return str(draft["data"].get(field, "")).strip().upper() == str(draft["captcha"])


def _check_step(draft: dict[str, Any], step: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if step == "structure" and not _captcha_ok(draft, "captchaStructure"):
        errors["captchaStructure"] = [CAPTCHA_MESSAGE]
    if step == "representant" and draft["data"].get("estRepresentant") not in ("oui", "non"):
        errors["estRepresentant"] = ["Indiquez si vous êtes le représentant légal du fournisseur."]
    if step == "banque":
        for problem in portal().enrolment.lookup_bank(
            *(_section(draft, "banque")["banque"][k] for k in ("iban", "bic"))
        )["problemes"]:
            errors.setdefault(_field_of(problem, []), []).append(field_message(problem))
    for field, found in _step_errors(draft, step).items():
        for message in found:
            if message not in errors.get(field, []):
                errors.setdefault(field, []).append(message)
    if step == "referencement" and "numeroAns" not in errors:
        numero = _section(draft, "referencement")["numeroAns"]
        if portal().enrolment.lookup_ans(numero) is None:
            errors["numeroAns"] = [unknown_ans(numero)]
    return errors


def _finish(draft: dict[str, Any]) -> Page:
    """« Terminer »: the whole form deposited; on refusal, each error goes back to its step."""
    form = _form(draft, len(STEPS) - 1, skeleton=False)
    if not _captcha_ok(draft, "captcha"):
        # nothing is deposited without the code; the portal's problems are shown along
        errors = _by_field(portal().enrolment.problems(form), form["pieces"])
        errors["captcha"] = [CAPTCHA_MESSAGE]
    else:
        try:
            result = portal().enrolment.enrol(form)
        except PortalError as error:
            problems = error.details if isinstance(error.details, list) else [{"champ": "/", "message": error.message}]
            errors = _by_field(problems, form["pieces"])
        else:
            shutil.rmtree(_folder(), ignore_errors=True)
            filer = form.get("tiersDeclarant") or form["representant"]
            return render("enrolement/confirmation.html", 201, resultat=result, email=filer["email"])
    by_step: dict[str, dict[str, list[str]]] = {}
    for field, found in errors.items():
        by_step.setdefault(_step_of(field), {})[field] = found
    _forget_refused(draft, errors)
    draft["erreurs"] = by_step
    _save(draft)
    return render(
        "enrolement/recapitulatif.html",
        422,
        etape="recapitulatif",
        etapes=STEPS,
        index=len(STEPS) - 1,
        atteinte=draft["atteinte"],
        d=draft["data"],
        pieces=draft["pieces"],
        captcha=draft["captcha"],
        errors=by_step.get("recapitulatif", {}),
        autres=by_step,
        labels=LABELS,
        notes={},
        recap=_recap(draft),
    )


def _recap(draft: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(step, title, [(label, value)]) for the recap page."""
    data = draft["data"]
    pieces = draft["pieces"]
    solution = portal().enrolment.lookup_ans(str(data.get("numeroAns", "")).strip()) if data.get("numeroAns") else None
    sections: list[tuple[str, str, list[tuple[str, str]]]] = []
    rows = [("Numéro de référencement ANS", str(data.get("numeroAns", "")))]
    if solution:
        rows += [
            ("Couloir", solution["couloir"]),
            ("Type de logiciel", solution["typeLogiciel"]),
            ("DSR", solution.get("dsr", "")),
        ]
    rows.append(("Certificat de référencement", pieces.get("CERTIFICAT_ANS", "—")))
    sections.append(("referencement", "Référencement", rows))
    address = " ".join(
        (street_type if k == "typeVoie" else str)(data.get(f"adresse-{k}", ""))
        for k in ("numeroVoie", "typeVoie", "libelleVoie")
    )
    rows = [
        ("SIRET", str(data.get("siret", ""))),
        ("Dénomination sociale", str(data.get("raisonSociale", ""))),
        ("Nom commercial", str(data.get("nomCommercial", ""))),
        ("Adresse", f"{address.strip()}, {data.get('adresse-codePostal', '')} {data.get('adresse-commune', '')}"),
    ]
    if "KBIS" in pieces:
        rows.append(("Kbis", pieces["KBIS"]))
    sections.append(("structure", "Demandeur : personne morale", rows))
    rows = [
        (
            "Représentant légal",
            "Oui, je suis le représentant légal" if data.get("estRepresentant") == "oui" else "Non : tiers déclarant",
        )
    ]
    who = ["representant"] + (["tiersDeclarant"] if data.get("estRepresentant") == "non" else [])
    for person in who:
        for key in ("nom", "prenom", "email", "telephone"):
            rows.append((LABELS[f"{person}-{key}"], str(data.get(f"{person}-{key}", ""))))
    rows.append(("Pièce d'identité du représentant", pieces.get("PIECE_IDENTITE_REPRESENTANT", "—")))
    if data.get("estRepresentant") == "non":
        rows.append(("Qualité", dict(QUALITES).get(str(data.get("tiersDeclarant-qualite")), "—")))
        rows.append(("Pièce d'identité du dépositaire", pieces.get("PIECE_IDENTITE_DEPOSITAIRE", "—")))
        rows.append(("Contrat de prestation ou mandat", pieces.get("JUSTIFICATIF_QUALITE", "—")))
    sections.append(("representant", "Demandeur : personne physique", rows))
    bank = _section(draft, "banque")["banque"]
    domiciliation = portal().enrolment.lookup_bank(bank["iban"], bank["bic"])["domiciliation"]
    sections.append(
        (
            "banque",
            "Coordonnées bancaires",
            [
                ("IBAN", bank["iban"]),
                ("BIC", bank["bic"]),
                ("Domiciliation", domiciliation or "—"),
                ("RIB", pieces.get("RIB", "—")),
            ],
        )
    )
    regime = {"TTC": "Assujetti à la TVA (montants TTC)", "HT": "Non assujetti à la TVA (régime HT)"}
    rows = [("Régime de TVA", regime.get(str(data.get("regimeTva")), "—"))]
    if data.get("regimeTva") == "HT":
        rows.append(("Attestation de non-assujettissement", pieces.get("ATTESTATION_NON_ASSUJETTISSEMENT_TVA", "—")))
    sections.append(("tva", "Taux de TVA", rows))
    return sections
