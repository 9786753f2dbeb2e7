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
4. `calendar.json`, `ceilings.json`, `referencement.json`, `workflow.json`, `requirements.csv`.
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
    for key in sorted(set(old.limits) | set(new.limits)):
        if old.limits.get(key) != new.limits.get(key):
            add("limites", f"~ {key} : {old.limits.get(key, '—')} → {new.limits.get(key, '—')}")
    if old.vat_rates != new.vat_rates:
        add("limites", f"~ taux de TVA : {list(old.vat_rates)} → {list(new.vat_rates)}")
    for name in sorted(set(old.windows) | set(new.windows)):
        before, after = old.windows.get(name), new.windows.get(name)
        pair_before = (_fmt(before.opens), _fmt(before.closes)) if before else ("—", "—")
        pair_after = (_fmt(after.opens), _fmt(after.closes)) if after else ("—", "—")
        if pair_before != pair_after:
            add("dates", f"~ guichet {name} : {' – '.join(pair_before)} → {' – '.join(pair_after)}")
    for af in sorted(set(old.af_openings) | set(new.af_openings)):
        if old.af_openings.get(af) != new.af_openings.get(af):
            add("dates", f"~ ouverture {af} : {_fmt(old.af_openings.get(af))} → {_fmt(new.af_openings.get(af))}")
    if old.mss_from != new.mss_from:
        add("dates", f"~ indicateur MSS obligatoire : {_fmt(old.mss_from)} → {_fmt(new.mss_from)}")
    for key in sorted(set(old.statuts) | set(new.statuts)):
        if old.statuts.get(key) != new.statuts.get(key):
            add("statuts", f"~ {key} : « {old.statuts.get(key, '—')} » → « {new.statuts.get(key, '—')} »")
    for role in sorted(set(old.pieces.roles) | set(new.pieces.roles)):
        if old.pieces.roles.get(role) != new.pieces.roles.get(role):
            add("pièces", f"~ {role} : {old.pieces.roles.get(role, '—')} → {new.pieces.roles.get(role, '—')}")
    if old.pieces.required != new.pieces.required:
        add("pièces", f"~ pièces exigées : {old.pieces.required} → {new.pieces.required}")
    for name in sorted(set(old.profiles) | set(new.profiles)):
        before, after = old.profiles.get(name), new.profiles.get(name)
        if before is None or after is None:
            add("profils", f"{'+' if before is None else '-'} {name}")
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
    for software in sorted(set(old.ceilings) | set(new.ceilings)):
        before, after = old.ceilings.get(software, {}), new.ceilings.get(software, {})
        for category in sorted(set(before) | set(after)):
            if before.get(category) != after.get(category):
                add("plafonds", f"~ {software} / {category} : {before.get(category, '—')} → {after.get(category, '—')}")
    return changes
