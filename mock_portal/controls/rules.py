"""The rules the controls know: what each checks, and the parameters it gives the label.

A spec's catalogue (``codes.json``) binds rules to its own codes and labels; a label may use the
rule's parameters as ``{placeholders}``, and ``{champ}`` (the JSON Pointer of the field at fault)
for every rule. ``segur spec check`` refuses a placeholder the rule does not give; the guide for
spec authors (``fixtures/README.md``) is written from this table.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["RULES", "RuleDoc", "placeholders"]


class RuleDoc(NamedTuple):
    level: str
    what: str
    params: tuple[str, ...] = ()


#: every rule the controls can raise, by name
RULES: dict[str, RuleDoc] = {
    # the file as a whole: a failure rejects the whole file
    "file-encoding": RuleDoc("file", "the file is not UTF-8", ("position",)),
    "file-bom": RuleDoc("file", "the file starts with a byte order mark"),
    "file-json": RuleDoc("file", "the file is not JSON", ("detail",)),
    "file-depth": RuleDoc(
        "file",
        "the file nests lists and objects deeper than the spec's maxProfondeur (default 32), at any depth",
        ("profondeur", "maximum"),
    ),
    "file-structure": RuleDoc("file", "the envelope schema refuses the file", ("detail",)),
    "file-format-version": RuleDoc(
        "file", "the file's format version is not one of the spec's", ("version", "attendu")
    ),
    "file-empty": RuleDoc("file", "the file lists no request"),
    "file-too-many": RuleDoc("file", "more requests than the spec's maxDemandes", ("nombre", "maximum")),
    "file-mixed-profile": RuleDoc("file", "requests of several corridors or software types", ("trouves",)),
    "file-deposit-type": RuleDoc(
        "file", "a request's type differs from the type chosen at deposit", ("typeDepot", "typeContenu")
    ),
    "file-unknown-profile": RuleDoc(
        "file",
        "no profile of the spec has the file's corridor and software type",
        ("couloirFichier", "logicielFichier"),
    ),
    "file-ans-not-enrolled": RuleDoc("file", "the depositor is enrolled for no such ANS number", ("numeroAns",)),
    "file-ans-profile": RuleDoc(
        "file", "the ANS number is enrolled for another software type", ("numeroAns", "profilAns", "profilFichier")
    ),
    "file-window": RuleDoc(
        "file",
        "the deposit window of the profile is closed at the deposit time",
        ("typeDemande", "profil", "ouverture", "fermeture", "dateDepot", "etatGuichet"),
    ),
    # one request: the schema and the values
    "line-required": RuleDoc("line", "a field the schema requires is absent"),
    "line-format": RuleDoc(
        "line", "a value of the wrong form (schema, or a date that does not exist)", ("detail", "valeur")
    ),
    "line-unknown-field": RuleDoc("line", "a field the schema does not list"),
    "amount-decimals": RuleDoc("line", "an amount with more than two decimals", ("valeur", "detail")),
    "siren-key": RuleDoc("line", "the SIREN's Luhn key is wrong", ("valeur",)),
    "siret-key": RuleDoc("line", "the SIRET's key is wrong (La Poste's exception known)", ("valeur",)),
    "siret-siren": RuleDoc("line", "the site's SIRET is not under the organisme's SIREN", ("valeur", "sirenOrganisme")),
    "finess-key": RuleDoc("line", "a FINESS key is wrong", ("valeur",)),
    "site-identifier": RuleDoc("line", "the site has neither FINESS géographique nor SIRET"),
    "date-future": RuleDoc("line", "a date after the deposit day", ("valeur", "dateDepot")),
    "bdc-before-af": RuleDoc(
        "line",
        "the order form was signed before its programme's AF opened (the publication of its arrêté)",
        ("valeur", "ouverture", "af", "arrete", "publication"),
    ),
    "bdc-after-window": RuleDoc(
        "line",
        "the order form was signed after the avance window of its programme closed",
        ("valeur", "fermeture", "profil"),
    ),
    "bdc-before-referencement": RuleDoc(
        "line",
        "the order form, signed before the software's référencement, is dated more than the AF's limit in days "
        "before the complete proof dossier reached the ANS",
        ("valeur", "numeroAns", "dateDossier", "dateReferencement", "jours", "limite"),
    ),
    "va-before-bdc": RuleDoc("line", "the VA is dated before the order form", ("valeur", "dateCommande")),
    "amount-ttc": RuleDoc(
        "line", "TTC ≠ HT × (1 + VAT), rounded half up to the cent", ("valeur", "ht", "taux", "attendu")
    ),
    "amount-requested-positive": RuleDoc("line", "the requested amount is zero or negative", ("valeur",)),
    "amount-ceiling": RuleDoc(
        "line",
        "the requested amount exceeds the AF ceiling of the category, HT × (1 + the VAT rate chosen at deposit)",
        ("valeur", "categorie", "plafond", "plafondHt", "plafondTtc", "taux", "tauxReference"),
    ),
    "bdc-segur-amount": RuleDoc("line", "the order form shows no real, non-zero Ségur amount", ("valeur",)),
    "amount-requested-over-ttc": RuleDoc("line", "the requested amount exceeds the TTC", ("valeur", "ttc")),
    "vat-deposit": RuleDoc(
        "line", "the request's VAT rate differs from the one chosen at deposit", ("valeur", "tauxDepot")
    ),
    "esms-category": RuleDoc("line", "the ESMS category has no ceiling for the software type", ("valeur",)),
    "dup-ref-file": RuleDoc("line", "a line reference given twice in the file", ("valeur", "lignes")),
    "dup-bdc-file": RuleDoc("line", "an order form given twice in the file", ("valeur", "lignes")),
    "dup-ref-deposited": RuleDoc("line", "the line reference is already deposited", ("valeur", "numeroDemande")),
    "dup-bdc-deposited": RuleDoc(
        "line", "the order form is already deposited for the same request type", ("valeur", "numeroDemande")
    ),
    "beneficiary-financed": RuleDoc(
        "line", "the site already has a financed request for this software type", ("valeur", "numeroDemande", "statut")
    ),
    "beneficiary-dup-file": RuleDoc("line", "a site requested twice in the file", ("valeur", "lignes")),
    "ans-line": RuleDoc(
        "line", "a request's ANS number differs from the one chosen at deposit", ("valeur", "numeroAns")
    ),
    "required-attachment": RuleDoc("line", "a piece the request type requires is not referenced", ("typePiece",)),
    "solde-avance-unknown": RuleDoc("line", "the avance a solde names is not among the editor's", ("valeur",)),
    "solde-avance-not-paid": RuleDoc("line", "the avance is not « Décidée et payée »", ("valeur", "statut", "attendu")),
    "solde-avenant-not-paid": RuleDoc(
        "line", "the avance's last avenant is not « Décidé et payé »", ("valeur", "statut", "attendu")
    ),
    "solde-avance-mismatch": RuleDoc(
        "line",
        "the solde's software, order form or site differs from its avance's",
        ("numeroAvance", "valeur", "attendu"),
    ),
    "solde-duplicate": RuleDoc("line", "a solde already deposited for the avance", ("valeur", "numeroDemande")),
    "solde-over-avance": RuleDoc(
        "line",
        "the amount a solde reports exceeds the amount requested by its avance",
        ("valeur", "montantAvance", "numeroAvance"),
    ),
    "solde-avance-cancelled": RuleDoc("line", "the avance a solde closes was cancelled", ("valeur", "statut")),
    "invoice-zero": RuleDoc("line", "an invoice of zero or less", ("valeur",)),
    "mss-missing": RuleDoc(
        "line", "no MSS indicator on a solde deposited, or corrected, once it is due", ("dateObligation",)
    ),
    "mss-address": RuleDoc("line", "the MSS indicator without the client's MSSanté address"),
    # the zip of attachments
    "attachment-missing": RuleDoc(
        "attachment",
        "a referenced piece is not in the zip (``fichierProche``: a member differing only by letter case, folder "
        "or Unicode normalisation; ``indice``: a sentence naming it, or empty)",
        ("fichier", "typePiece", "fichierProche", "indice"),
    ),
    "attachment-too-large": RuleDoc(
        "attachment", "a piece over maxPieceOctets", ("fichier", "taille", "maximum", "typePiece")
    ),
    "attachment-unreadable": RuleDoc(
        "attachment", "a piece that is not a readable PDF", ("fichier", "detail", "typePiece")
    ),
    "zip-too-large": RuleDoc("attachment", "the zip over maxZipOctets", ("taille", "maximum")),
    "zip-unreadable": RuleDoc("attachment", "the zip cannot be read", ("detail",)),
    "attachment-budget": RuleDoc(
        "attachment",
        "a piece the PDF reader could not read within its budget of work (maxOperationsPdfPiece per piece, "
        "maxOperationsPdfRequete and maxPdfParRequete per deposit)",
        ("fichier", "detail", "typePiece"),
    ),
    "zip-unsafe-name": RuleDoc(
        "attachment",
        "a member name that climbs out of its folder, is absolute, or holds a control character (NUL, CR, ESC…)",
        ("fichier",),
    ),
    "zip-bomb": RuleDoc("attachment", "too many members or a compression ratio beyond the limit", ("detail",)),
    "zip-absent": RuleDoc("attachment", "no zip given on import"),
    "zip-duplicate-name": RuleDoc("attachment", "a member name twice in the zip", ("fichier",)),
}


def placeholders(label: str) -> set[str]:
    """The ``{names}`` a label uses."""
    import string

    try:
        return {name for _, name, _, _ in string.Formatter().parse(label) if name}
    except ValueError:
        return {"{"}


#: the logical fields each line rule reads: a rule cannot be evaluated on a line where one of
#: them is in the file but unreadable (or failed the schema)
RULE_READS: dict[str, tuple[str, ...]] = {
    "amount-decimals": ("bdc_segur_amount", "amount_ht", "amount_ttc", "amount_requested", "invoice_amount"),
    "siren-key": ("manager_siren",),
    "siret-key": ("site_siret",),
    "siret-siren": ("site_siret", "manager_siren"),
    "finess-key": ("manager_finess", "site_finess"),
    "site-identifier": ("site_finess", "site_siret"),
    "date-future": ("bdc_date", "va_date", "invoice_date"),
    "bdc-before-af": ("bdc_date",),
    "bdc-after-window": ("bdc_date",),
    "bdc-before-referencement": ("bdc_date", "ans_number"),
    "va-before-bdc": ("va_date", "bdc_date"),
    "amount-ttc": ("amount_ht", "amount_ttc", "vat_rate"),
    "amount-requested-positive": ("amount_requested",),
    "amount-ceiling": ("amount_requested", "site_category"),
    "bdc-segur-amount": ("bdc_segur_amount",),
    "amount-requested-over-ttc": ("amount_requested", "amount_ttc"),
    "vat-deposit": ("vat_rate",),
    "esms-category": ("site_category",),
    "dup-ref-file": ("line_reference",),
    "dup-ref-deposited": ("line_reference",),
    "dup-bdc-file": ("bdc_number",),
    "dup-bdc-deposited": ("bdc_number",),
    "beneficiary-financed": ("site_finess", "site_siret"),
    "beneficiary-dup-file": ("site_finess", "site_siret"),
    "ans-line": ("ans_number",),
    "required-attachment": ("pieces",),
    "solde-avance-unknown": ("avance_number",),
    "solde-avance-not-paid": ("avance_number",),
    "solde-avenant-not-paid": ("avance_number",),
    "solde-avance-mismatch": ("avance_number", "software_type", "bdc_number", "site_finess", "site_siret"),
    "solde-duplicate": ("avance_number",),
    "solde-over-avance": ("avance_number", "amount_requested"),
    "solde-avance-cancelled": ("avance_number",),
    "invoice-zero": ("invoice_amount",),
    "mss-missing": ("mss_indicator",),
    "mss-address": ("mss_address",),
}
