"""Generate the Markdown reference of a spec's request fields from its JSON Schemas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from segur.mock_portal.controls import Spec
from segur.mock_portal.controls.fields import FIELDS


class _Schemas:
    """Resolve ``$ref`` between the spec's schema files (by file name or ``$id``)."""

    def __init__(self, spec: Spec) -> None:
        self.by_name: dict[str, Any] = {}
        for path, schema in spec.schemas.items():
            self.by_name[Path(path).name] = schema
            if "$id" in schema:
                self.by_name[schema["$id"]] = schema
                self.by_name[schema["$id"].rsplit("/", 1)[-1]] = schema

    def resolve(self, node: dict[str, Any], document: Any) -> tuple[dict[str, Any], Any]:
        seen = 0
        while "$ref" in node and seen < 32:
            target, _, fragment = node["$ref"].partition("#")
            if target:
                document = self.by_name[target.rsplit("/", 1)[-1]]
            found: Any = document
            for part in [p for p in fragment.split("/") if p]:
                found = found[part.replace("~1", "/").replace("~0", "~")]
            extra = {k: v for k, v in node.items() if k != "$ref"}
            node = {**found, **extra}
            seen += 1
        return node, document


def _kind(node: dict[str, Any]) -> str:
    if "const" in node:
        return f"constante `{node['const']}`"
    if "enum" in node:
        return "une valeur parmi " + ", ".join(f"`{v}`" for v in node["enum"])
    parts = [str(node.get("type", ""))]
    if "format" in node:
        parts.append(f"format {node['format']}")
    if "pattern" in node:
        parts.append(f"motif `{node['pattern']}`")
    if "minimum" in node or "maximum" in node:
        parts.append(f"de {node.get('minimum', '…')} à {node.get('maximum', '…')}")
    if "maxLength" in node:
        parts.append(f"{node.get('minLength', 0)} à {node['maxLength']} caractères")
    if "minItems" in node or "maxItems" in node:
        parts.append(f"{node.get('minItems', 0)} à {node.get('maxItems', '…')} éléments")
    return ", ".join(p for p in parts if p)


def _rows(
    node: dict[str, Any], document: Any, schemas: _Schemas, pointer: str, required: bool
) -> Iterator[tuple[str, str, str, str]]:
    node, document = schemas.resolve(node, document)
    description = " ".join(str(node.get("description", "")).split())
    mandatory = "oui" if required else "non"
    if node.get("type") == "object" and "properties" in node:
        if pointer:
            yield pointer, "objet", mandatory, description
        needed = set(node.get("required", []))
        for name, child in node["properties"].items():
            yield from _rows(child, document, schemas, f"{pointer}/{name}", name in needed)
    elif node.get("type") == "array" and isinstance(node.get("items"), dict):
        yield pointer, _kind(node), mandatory, description
        yield from _rows(node["items"], document, schemas, f"{pointer}/*", True)
    else:
        yield pointer, _kind(node), mandatory, description


def _request_node(schema: dict[str, Any], document: Any, schemas: _Schemas, path: tuple[str, ...]) -> dict[str, Any]:
    """The schema of one request: the items of the list at ``path`` (the spec's requests)."""
    node, document = schemas.resolve(schema, document)
    for key in path:
        node, document = schemas.resolve(node.get("properties", {}).get(key, {}), document)
    items = node.get("items")
    return items if isinstance(items, dict) else node


def _euros(amount: float) -> str:
    from segur.mock_portal.controls.money import euros

    return f"{euros(round(amount * 100))} €"


def values_markdown(spec: Spec) -> list[str]:
    """The values the checks rely on, from the spec: windows, appels à financement, limits, VAT
    rates, required pieces, eligible ESMS categories and their ceilings, statuses."""
    fmt = "%d/%m/%Y %H:%M"
    out = ["## Valeurs sur lesquelles reposent les contrôles", ""]
    out += ["### Guichets de dépôt (heure de " + str(spec.timezone) + ")", ""]
    out += ["| Profil | Appel à financement | Ouverture | Fermeture | Dépôt par défaut |", "|---|---|---|---|---|"]
    for name, window in spec.windows.items():
        out.append(
            f"| `{name}` | {window.af} | {window.opens.strftime(fmt)} | {window.closes.strftime(fmt)} | "
            f"{window.default_deposit.strftime(fmt)} |"
        )
    if spec.afs:
        out += ["", "Appels à financement (un bon de commande signé avant l'ouverture est refusé) :", ""]
        out += [f"- {name} : {_af_text(af, fmt)}" for name, af in spec.afs.items()]
    if spec.mss_from is not None:
        out += [
            "",
            f"Indicateur Déploiement MSS obligatoire à partir du {spec.mss_from.strftime(fmt)} pour "
            + ", ".join(f"`{p}`" for p in sorted(spec.mss_profiles))
            + ".",
        ]
    out += ["", "### Limites et taux", ""]
    out += [f"- `{key}` : {value}" for key, value in spec.limits.items()]
    out += ["- taux de TVA acceptés : " + ", ".join(f"{rate:g} %" for rate in spec.vat_rates)]
    out += ["", "### Pièces justificatives exigées", ""]
    for kind, roles in spec.pieces.required.items():
        words = ", ".join(f"`{spec.pieces.roles[role]}` ({role})" for role in roles)
        out.append(f"- {kind} ({spec.deposit_types[kind]}) : {words}")
    out += ["", "### Catégories ESMS éligibles et plafonds" + (" (MODÈLE)" if spec.ceilings_model else ""), ""]
    labels = _category_labels(spec)
    out += [
        "Plafonds publiés HT et TTC (TTC à la TVA de référence) ; le montant demandé est comparé au plafond HT × "
        "(1 + taux de TVA choisi au dépôt), arrondi au centime (demi-centime au supérieur).",
        "",
    ]
    for software, table in spec.ceilings.items():
        out += [
            f"Type de logiciel `{software}` :",
            "",
            "| Catégorie | Libellé | Plafond HT | Plafond TTC |",
            "|---|---|---|---|",
        ]
        out += [
            f"| {cat} | {labels.get(cat, '')} | {_euros(ceiling.ht / 100)} | {_euros(ceiling.ttc / 100)} "
            f"(à {ceiling.reference_rate:g} %) |"
            for cat, ceiling in table.items()
        ]
        out.append("")
    out += ["### Statuts", "", "| Clé | Libellé |", "|---|---|"]
    out += [f"| `{key}` | {label} |" for key, label in spec.statuts.items()]
    return [*out, ""]


def _af_text(af: Any, fmt: str) -> str:
    """An appel à financement in a sentence: its label, arrêté, opening and order-form limit."""
    text = f"{af.libelle} ; ouverture le {af.opens.strftime(fmt)}"
    if af.arrete is not None:
        text += f" (arrêté du {af.arrete:%d/%m/%Y}"
        text += f", publié au JO du {af.publication:%d/%m/%Y})" if af.publication is not None else ")"
    if af.bdc_days_before_dossier is not None:
        text += (
            f" ; un bon de commande signé avant le référencement du logiciel l'est au plus "
            f"{af.bdc_days_before_dossier} jours avant la réception de son dossier complet par l'ANS"
        )
    return text


def _category_labels(spec: Spec) -> dict[str, str]:
    import orjson

    relative = spec.files.get("ceilings")
    if not relative:
        return {}
    data = orjson.loads((spec.root / relative).read_bytes())
    return {str(code): str(label) for code, label in data.get("categories", {}).items()}


_DOCUMENT_FIELDS = {
    "format_version": "la version du format du fichier",
    "requests": "la liste des demandes (1 à {maxDemandes})",
}


def _envelope_markdown(spec: Spec) -> list[str]:
    """The file around the requests: the document fields, and the mandatory fields no logical
    field maps (the kit writes the value their schema gives)."""
    from segur.mock_portal.controls.writer import required_unknown

    out = ["## Enveloppe du fichier", "", "Depuis la racine du fichier :", ""]
    out += ["| Champ du document | Emplacement | Valeur |", "|---|---|---|"]
    for name, definition in spec.document.items():
        described = _DOCUMENT_FIELDS.get(name, "").format(**spec.limits)
        if name == "format_version":
            described += " : " + ", ".join(f"`{version}`" for version in spec.format_versions)
        out.append(f"| `{name}` | `{definition.pointer}` | {described} |")
    unknown: dict[tuple[str, str], tuple[list[str], str]] = {}
    for profile in spec.profiles:
        for field in required_unknown(profile, spec):
            value = f"`{_json(field.value)}`" if field.has_value else "aucune : le kit ne peut pas l'écrire"
            names, _ = unknown.setdefault((field.scope, field.pointer), ([], value))
            names.append(profile)
    out += ["", "### Champs obligatoires qu'aucun champ logique ne couvre", ""]
    if not unknown:
        return [*out, "Aucun : chaque champ obligatoire des schémas est un champ logique du kit.", ""]
    out += [
        "Le kit ne lit pas ces champs ; il écrit (générateurs, cas, corrections du portail fictif) la valeur",
        "que leur schéma donne (`const`, `default`, premier `examples` ou premier `enum`).",
        "",
        "| Emplacement | Où | Profils | Valeur écrite |",
        "|---|---|---|---|",
    ]
    where = {"document": "le fichier", "request": f"chaque demande de `{spec.document['requests'].pointer}`"}
    for (scope, pointer), (names, value) in unknown.items():
        profiles = ", ".join(f"`{name}`" for name in names)
        out.append(f"| `{pointer}` | {where[scope]} | {profiles} | {value.replace('|', chr(92) + '|')} |")
    return [*out, ""]


def _json(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()


def fields_markdown(spec: Spec) -> str:
    """The field-by-field reference of every profile, the logical fields and the values the
    checks rely on, as Markdown."""
    schemas = _Schemas(spec)
    requests = spec.document["requests"]
    out = [f"# Référence des champs — {spec.title}", ""]
    out += [
        f"Generated by `segur spec fields` from the spec folder `{spec.id}` {spec.version}; do not edit by hand.",
        "",
    ]
    if spec.model:
        note = " ".join(str(spec.manifest.get("modelNote") or "").split()) or (
            "This spec folder is a model, not the official format of the deposit files."
        )
        out += [f"**Model** (`model` in `spec.json`). {note}", ""]
    out += [
        *_envelope_markdown(spec),
        "## Champs logiques lus et écrits par le kit",
        "",
        f"JSON Pointers are relative to one request (an item of `{requests.pointer}`); `*` stands for every",
        "item of a list.",
        "",
        "| Champ logique | Emplacement | Type de valeur | Description |",
        "|---|---|---|---|",
    ]
    by_pointer = {}
    for name, definition in spec.fields.items():
        by_pointer[definition.pointer] = name
        described = FIELDS[name].description.replace("|", "\\|")
        out.append(f"| `{name}` | `{definition.pointer}` | {definition.codec.describe()} | {described} |")
    out.append("")
    for name, profile in spec.profiles.items():
        schema = spec.schemas[str(profile.schema_path)]
        out += [f"## {profile.libelle} (`{name}`)", "", f"Schéma : `{profile.schema_path.relative_to(spec.root)}`", ""]
        out += ["| Champ | Type et format | Obligatoire | Champ logique | Description |", "|---|---|---|---|---|"]
        line_schema = _request_node(schema, schema, schemas, requests.path)
        for pointer, kind, mandatory, description in _rows(line_schema, schema, schemas, "", True):
            cell = description.replace("|", "\\|")
            logical = f"`{by_pointer[pointer]}`" if pointer in by_pointer else ""
            out.append(f"| `{pointer}` | {kind.replace('|', chr(92) + '|')} | {mandatory} | {logical} | {cell} |")
        out.append("")
    out += values_markdown(spec)
    return "\n".join(out)
