"""``segur spec new DIR`` and ``segur spec diff OLD NEW``: start a spec folder of one's own from
the kit's model, and say what changed between two versions of a format."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

__all__ = ["diff_specs", "new_spec"]

ADAPT = """# Adapter ce dossier de spécification au format officiel

Ce dossier est une copie du **modèle** du kit (`{model}`). Remplacez-en le contenu par ce que
dit la documentation technique de l'ASP, fichier par fichier, puis vérifiez-le :

    segur spec check {folder}

Le guide complet (chaque fichier, chaque champ logique, chaque règle et ses paramètres) est
copié à côté : `GUIDE.md`.

À changer, dans cet ordre :

1. `spec.json` : `id`, `version`, `title`, `model` (false si le format est officiel) ;
   `document.fields` (où sont la version du format et la liste des demandes) ; `fields` (pour
   chaque champ logique du kit, son emplacement dans une demande — un JSON Pointer — et son type
   de valeur : montants en euros ou en centimes, dates ISO ou `dd/mm/yyyy`, taux en pourcentage
   ou en points de base, énumérations avec leurs valeurs) ; `pieces` (le mot de chaque rôle de
   pièce, les rôles exigés par type de demande) ; `statuts` (le libellé de chaque clé de
   statut) ; `profiles`, `depositTypes`, `vatRates`, `limits`, `numerotation`.
2. `schemas/` : les schémas JSON officiels (un par profil, plus l'enveloppe et les définitions
   partagées). Un champ obligatoire que le kit ne connaît pas doit porter dans son schéma un
   `examples` (ou `default`, `const`, `enum`) : les générateurs l'écrivent tel quel.
3. `codes.json` : le motif des codes (`codePattern`), le code d'acceptation, et pour chaque règle
   du kit le code et le libellé officiels ; une règle absente du format va dans `unenforced`.
4. `calendar.json` (un appel à financement par programme : arrêté, publication, délai d'un
   bon de commande signé avant le référencement), `ceilings.json` (les plafonds de l'AF, HT et
   TTC, par type de logiciel et catégorie FINESS), `referencement.json` (les numéros ANS, avec
   les dates de dossier complet et de référencement), `workflow.json`, `requirements.csv` ;
   le fichier des contrôles faits à la main par le gestionnaire (`files.handChecks` : les mots
   cherchés dans le texte des pièces et les libellés des avertissements).
5. `examples/` (un fichier par profil, `<profil>.json`, avec son `.zip` et son `.history.json`)
   et `cases/` (les cas de rejet, écrits en champs logiques et noms de règles : ils suivent le
   format ; ajustez les valeurs qui dépendent de vos exemples).

Le schéma `history.schema.json` est un contrat du kit lui-même (stable d'une spécification à
l'autre) : gardez-le tel quel.
"""


def new_spec(target: Path, *, model: Path, spec_id: str | None = None) -> list[str]:
    """Copy the model spec folder to ``target`` (which must not exist) with a checklist of what
    to change; the names of the files written."""
    import orjson

    if target.exists():
        raise FileExistsError(f"{target} exists already: give a new folder")
    shutil.copytree(model, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    manifest_path = target / "spec.json"
    manifest = orjson.loads(manifest_path.read_bytes())
    manifest["id"] = spec_id or target.name
    manifest["title"] = f"{manifest.get('title', '')} — à adapter".strip(" —")
    manifest["model"] = True
    manifest_path.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    (target / "A-ADAPTER.md").write_text(ADAPT.format(model=model.name, folder=target), encoding="utf-8")
    guide = Path(__file__).resolve().parent / "fixtures" / "README.md"  # installed: segur/fixtures/
    if not guide.is_file():
        guide = Path(__file__).resolve().parents[1] / "fixtures" / "README.md"  # a checkout
    if guide.is_file():
        shutil.copyfile(guide, target / "GUIDE.md")
    return sorted(str(path.relative_to(target)) for path in target.rglob("*") if path.is_file())


def _fmt(moment: Any) -> str:
    return moment.strftime("%d/%m/%Y %H:%M") if moment is not None else "—"


def _change(what: str, before: str | None, after: str | None) -> str:
    """``+ what : after`` (added), ``- what : before`` (removed) or ``~ what : before → after``."""
    if before is None:
        return f"+ {what} : {after}"
    if after is None:
        return f"- {what} : {before}"
    return f"~ {what} : {before} → {after}"


def diff_specs(old: Any, new: Any) -> list[tuple[str, str]]:
    """What changed from ``old`` to ``new`` (two loaded specs): (section, change) pairs."""
    changes: list[tuple[str, str]] = []

    def add(section: str, text: str) -> None:
        changes.append((section, text))

    if (old.id, old.version) != (new.id, new.version):
        add("identité", f"{old.id} {old.version} → {new.id} {new.version}")
    for name in sorted(set(old.fields) | set(new.fields)):
        before, after = old.fields.get(name), new.fields.get(name)
        if before is None:
            add("champs", f"+ {name} : {after.pointer} ({after.codec.describe()})")
        elif after is None:
            add("champs", f"- {name} : {before.pointer} n'est plus dans le format")
        else:
            if before.pointer != after.pointer:
                add("champs", f"~ {name} : déplacé de {before.pointer} vers {after.pointer}")
            if before.codec.describe() != after.codec.describe():
                add("champs", f"~ {name} : {before.codec.describe()} → {after.codec.describe()}")
    for name in sorted(set(old.document) | set(new.document)):
        before, after = old.document.get(name), new.document.get(name)
        if (before.pointer if before else None) != (after.pointer if after else None):
            add("enveloppe", f"~ {name} : {before.pointer if before else '—'} → {after.pointer if after else '—'}")
    if old.format_versions != new.format_versions:
        add("enveloppe", f"versions du format : {', '.join(old.format_versions)} → {', '.join(new.format_versions)}")
    for text in _unknown_required_changes(old, new):
        add("champs obligatoires inconnus du kit", text)
    rules = sorted(set(old.rule_codes) | set(new.rule_codes))
    for rule in rules:
        before, after = old.rule_codes.get(rule), new.rule_codes.get(rule)
        if before is None:
            add("codes", f"+ {rule} : {after.code} « {after.label} »")
        elif after is None:
            add("codes", f"- {rule} : {before.code} n'est plus contrôlée")
        else:
            if before.code != after.code:
                add("codes", f"~ {rule} : code {before.code} → {after.code}")
            if before.label != after.label:
                add("libellés", f"~ {after.code} ({rule}) : « {before.label} » → « {after.label} »")
    if old.accepted_code != new.accepted_code:
        add("codes", f"~ code d'acceptation : {old.accepted_code} → {new.accepted_code}")
    if old.code_pattern != new.code_pattern:
        add("codes", f"~ motif des codes : {old.code_pattern} → {new.code_pattern}")
    for key in sorted(set(old.limits) | set(new.limits)):
        if old.limits.get(key) != new.limits.get(key):
            add("limites", f"~ {key} : {old.limits.get(key, '—')} → {new.limits.get(key, '—')}")
    if old.vat_rates != new.vat_rates:
        add("limites", f"~ taux de TVA : {list(old.vat_rates)} → {list(new.vat_rates)}")
    for name in sorted(set(old.windows) | set(new.windows)):
        before, after = old.windows.get(name), new.windows.get(name)
        if before is None or after is None:
            shown = after or before
            dates = f"ouvert du {_fmt(shown.opens)} au {_fmt(shown.closes)}"
            add("dates", _change(f"guichet {name}", before and dates, after and dates))
        elif (before.opens, before.closes) != (after.opens, after.closes):
            add(
                "dates",
                f"~ guichet {name} : {_fmt(before.opens)} – {_fmt(before.closes)} → "
                f"{_fmt(after.opens)} – {_fmt(after.closes)}",
            )
    for af in sorted(set(old.af_openings) | set(new.af_openings)):
        opened, opens = old.af_openings.get(af), new.af_openings.get(af)
        if opened != opens:
            add("dates", _change(f"appel à financement {af}", opened and _fmt(opened), opens and _fmt(opens)))
        was_af, now_af = old.afs.get(af), new.afs.get(af)
        if was_af is not None and now_af is not None:
            for what, before_value, after_value in (
                ("arrêté", was_af.arrete, now_af.arrete),
                ("publication", was_af.publication, now_af.publication),
                ("jours avant le dossier complet", was_af.bdc_days_before_dossier, now_af.bdc_days_before_dossier),
            ):
                if before_value != after_value:
                    add("dates", f"~ appel à financement {af}, {what} : {before_value or '—'} → {after_value or '—'}")
    for name in sorted(set(old.windows) & set(new.windows)):
        if old.windows[name].af != new.windows[name].af:
            add("dates", f"~ guichet {name} : appel à financement {old.windows[name].af} → {new.windows[name].af}")
    if old.mss_from != new.mss_from:
        add("dates", f"~ indicateur MSS obligatoire : {_fmt(old.mss_from)} → {_fmt(new.mss_from)}")
    for key in sorted(set(old.statuts) | set(new.statuts)):
        labelled, labels = old.statuts.get(key), new.statuts.get(key)
        if labelled != labels:
            add("statuts", _change(key, labelled and f"« {labelled} »", labels and f"« {labels} »"))
    for role in sorted(set(old.pieces.roles) | set(new.pieces.roles)):
        if old.pieces.roles.get(role) != new.pieces.roles.get(role):
            add("pièces", _change(role, old.pieces.roles.get(role), new.pieces.roles.get(role)))
    if old.pieces.required != new.pieces.required:
        add("pièces", f"~ pièces exigées : {old.pieces.required} → {new.pieces.required}")
    for key in sorted(set(old.deposit_types) | set(new.deposit_types)):
        if old.deposit_types.get(key) != new.deposit_types.get(key):
            add(
                "profils",
                f"~ type de dépôt {key} : valeur {old.deposit_types.get(key, '—')} → {new.deposit_types.get(key, '—')}",
            )
    if old.numbering != new.numbering:
        add("profils", f"~ numérotation : {old.numbering} → {new.numbering}")
    for name in sorted(set(old.profiles) | set(new.profiles)):
        before, after = old.profiles.get(name), new.profiles.get(name)
        if before is not None and after is not None and before.code_numerotation != after.code_numerotation:
            add("profils", f"~ {name} : code de numérotation {before.code_numerotation} → {after.code_numerotation}")
        if before is None or after is None:
            shown = after or before
            add(
                "profils",
                _change(name, before and "", after and "")
                + f"{shown.couloir}/{shown.type_logiciel}/{shown.type_demande} « {shown.libelle} »",
            )
        elif (before.couloir, before.type_logiciel, before.type_demande) != (
            after.couloir,
            after.type_logiciel,
            after.type_demande,
        ):
            add(
                "profils",
                f"~ {name} : {before.couloir}/{before.type_logiciel}/{before.type_demande} → "
                f"{after.couloir}/{after.type_logiciel}/{after.type_demande}",
            )
    for check in sorted(set(old.hand_checks) | set(new.hand_checks)):
        before, after = old.hand_checks.get(check), new.hand_checks.get(check)
        if before is None or after is None:
            add("contrôles à la main", _change(check, before and "", after and "") + "(avertissement)")
            continue
        for key in sorted((set(before) | set(after)) - {"source", "$comment"}):
            if before.get(key) != after.get(key):
                add("contrôles à la main", f"~ {check} : {key} {before.get(key, '—')} → {after.get(key, '—')}")
    for software in sorted(set(old.ceilings) | set(new.ceilings)):
        before, after = old.ceilings.get(software, {}), new.ceilings.get(software, {})
        for category in sorted(set(before) | set(after)):
            if before.get(category) != after.get(category):
                was, now = before.get(category), after.get(category)
                add("plafonds", _change(f"{software} / {category}", was and _ceiling(was), now and _ceiling(now)))
    # one heading per section: the changes of a section together, sections in their first order
    order: dict[str, int] = {}
    for section, _ in changes:
        order.setdefault(section, len(order))
    return sorted(changes, key=lambda change: order[change[0]])


def _ceiling(ceiling: Any) -> str:
    from segur.mock_portal.controls.money import euros

    return f"{euros(ceiling.ht)} € HT / {euros(ceiling.ttc)} € TTC à {ceiling.reference_rate:g} %"


def _unknown_required(spec: Any) -> dict[tuple[str, str], tuple[list[str], str]]:
    """The mandatory fields no logical field maps: (scope, pointer) → (profiles, value written)."""
    import orjson

    from segur.mock_portal.controls.writer import required_unknown

    found: dict[tuple[str, str], tuple[list[str], str]] = {}
    for name in spec.profiles:
        for field in required_unknown(name, spec):
            value = orjson.dumps(field.value).decode() if field.has_value else "aucune valeur"
            profiles, _ = found.setdefault((field.scope, field.pointer), ([], value))
            profiles.append(name)
    return found


def _unknown_required_changes(old: Any, new: Any) -> list[str]:
    before, after = _unknown_required(old), _unknown_required(new)
    where = {"document": "dans le fichier", "request": "dans chaque demande"}
    out = []
    for key in sorted(set(before) | set(after)):
        scope, pointer = key
        if key not in before:
            profiles, value = after[key]
            out.append(f"+ {pointer} ({where[scope]} ; {', '.join(profiles)}) : valeur écrite {value}")
        elif key not in after:
            out.append(f"- {pointer} ({where[scope]}) n'est plus obligatoire")
        elif before[key] != after[key]:
            out.append(
                f"~ {pointer} ({where[scope]}) : {', '.join(before[key][0])}, {before[key][1]} → "
                f"{', '.join(after[key][0])}, {after[key][1]}"
            )
    return out
