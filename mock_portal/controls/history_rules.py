"""Controls across lines and against what is already stored: duplicates, beneficiaries, soldes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .context import StoredRequest
from .line import CheckContext, Line
from .money import euros
from .registry import line_control
from .violation import Violation


@line_control("dup-ref-file", "dup-bdc-file", "beneficiary-dup-file")
def duplicates_in_file(lines: Sequence[Line], ctx: CheckContext) -> Iterator[Violation]:
    """Each line sharing a reference, an order form or a site with an earlier line; a site is
    compared by every identifier it gives (FINESS géographique, SIRET). One pass over the lines,
    each value mapped to the number of the first line that gave it."""
    references: dict[str, int] = {}
    bdcs: dict[str, int] = {}
    sites: dict[str, int] = {}
    for line in lines:
        number = line.index + 1
        reference = line.line_reference
        if reference is not None and (first := references.setdefault(reference, number)) != number:
            yield Violation(
                "dup-ref-file",
                ctx.pointer("line_reference"),
                {"valeur": reference, "lignes": f"{first}, {number}"},
                line.index,
            )
        bdc = line.bdc_number
        if bdc is not None and (first := bdcs.setdefault(bdc, number)) != number:
            yield Violation(
                "dup-bdc-file", ctx.pointer("bdc_number"), {"valeur": bdc, "lignes": f"{first}, {number}"}, line.index
            )
        shared = None
        for key in line.beneficiaries:  # every identifier is remembered, the first shared one reported
            first = sites.setdefault(key, number)
            if first != number and shared is None:
                shared = (key, first)
        if shared is not None:
            yield Violation(
                "beneficiary-dup-file",
                ctx.pointer("site_finess"),
                {"valeur": shared[0], "lignes": f"{shared[1]}, {number}"},
                line.index,
            )


@line_control("dup-ref-deposited", "dup-bdc-deposited", "beneficiary-financed")
def already_deposited(lines: Sequence[Line], ctx: CheckContext) -> Iterator[Violation]:
    if not ctx.stored_matches:  # each lookup would find nothing (a first deposit, most often)
        return
    history = ctx.history
    type_demande = ctx.profile.type_demande
    is_avance = type_demande == ctx.spec.deposit_types.get("avance")
    for line in lines:
        reference = line.line_reference
        if reference is not None and (found := history.by_reference(reference)) is not None:
            yield Violation(
                "dup-ref-deposited",
                ctx.pointer("line_reference"),
                {"valeur": reference, "numeroDemande": found.numero_demande},
                line.index,
            )
        bdc = line.bdc_number
        if bdc is not None and (found := history.by_bdc(bdc, type_demande)) is not None:
            yield Violation(
                "dup-bdc-deposited",
                ctx.pointer("bdc_number"),
                {"valeur": bdc, "numeroDemande": found.numero_demande},
                line.index,
            )
        if is_avance and line.beneficiaries:
            found = history.financed(line.beneficiaries, ctx.profile.type_logiciel, ctx.spec.financed_statuses)
            if found is not None:
                shared = next(k for k in line.beneficiaries if k in found.beneficiaries)
                yield Violation(
                    "beneficiary-financed",
                    ctx.pointer("site_finess"),
                    {"valeur": shared, "numeroDemande": found.numero_demande, "statut": found.statut},
                    line.index,
                )


@line_control(
    "solde-avance-unknown",
    "solde-avance-not-paid",
    "solde-avenant-not-paid",
    "solde-avance-mismatch",
    "solde-duplicate",
    "solde-over-avance",
    "solde-avance-cancelled",
)
def solde_prerequisites(lines: Sequence[Line], ctx: CheckContext) -> Iterator[Violation]:
    spec = ctx.spec
    avance_type = spec.deposit_types.get("avance")
    paid, avenant_paid = spec.statuts.get("payee"), spec.statuts.get("avenantPaye")
    cancelled = spec.statuts.get("annulee")
    # a cancelled avance answers its own rule; a spec that does not enforce it answers « not paid »
    cancelled_rule = "solde-avance-cancelled" if "solde-avance-cancelled" in spec.rule_codes else None
    pointer = ctx.pointer("avance_number")
    for line in lines:
        numero = line.avance_number
        if numero is None:
            continue
        i = line.index
        avance = ctx.history.get(numero)
        if avance is None or avance.type_demande != avance_type:
            yield Violation("solde-avance-unknown", pointer, {"valeur": numero}, i)
            continue
        if cancelled_rule is not None and avance.statut == cancelled:
            yield Violation(cancelled_rule, pointer, {"valeur": numero, "statut": avance.statut}, i)
        elif avance.statut != paid:
            yield Violation(
                "solde-avance-not-paid", pointer, {"valeur": numero, "statut": avance.statut, "attendu": paid}, i
            )
        if avance.avenants and avance.avenants[-1] != avenant_paid:
            yield Violation(
                "solde-avenant-not-paid",
                pointer,
                {"valeur": numero, "statut": avance.avenants[-1], "attendu": avenant_paid},
                i,
            )
        for name, mine, theirs in (
            ("software_type", line.software_type, avance.type_logiciel),
            ("bdc_number", line.bdc_number, avance.numero_bdc),
        ):
            if mine is not None and theirs is not None and mine != theirs:
                yield Violation(
                    "solde-avance-mismatch",
                    ctx.pointer(name),
                    {"numeroAvance": numero, "champ": ctx.pointer(name), "valeur": mine, "attendu": theirs},
                    i,
                )
        if _other_site(line, avance):
            yield Violation(
                "solde-avance-mismatch",
                ctx.pointer("site_finess"),
                {
                    "numeroAvance": numero,
                    "champ": "établissement",
                    "valeur": ", ".join(line.beneficiaries),
                    "attendu": ", ".join(avance.beneficiaries),
                },
                i,
            )
        solde = ctx.history.solde_of(numero)
        if solde is not None:
            yield Violation("solde-duplicate", pointer, {"valeur": numero, "numeroDemande": solde.numero_demande}, i)
        requested, declared = line.amount_requested, avance.montant_demande
        if requested is not None and declared is not None and requested > declared:
            yield Violation(
                "solde-over-avance",
                ctx.pointer("amount_requested"),
                {"valeur": euros(requested), "montantAvance": euros(declared), "numeroAvance": numero},
                i,
            )


@line_control("invoice-zero", "mss-missing", "mss-address")
def solde_content(lines: Sequence[Line], ctx: CheckContext) -> Iterator[Violation]:
    spec = ctx.spec
    # due on a solde deposited from the date, and on one deposited before it and corrected from it
    # (« À modifier »): the correction is judged at its own time
    judged = ctx.at if ctx.corrected_at is None else max(ctx.at, ctx.corrected_at)
    mss_due = spec.mss_from is not None and ctx.profile.name in spec.mss_profiles and judged >= spec.mss_from
    due_label = spec.mss_from.astimezone(spec.timezone).strftime("%d/%m/%Y %H:%M") if spec.mss_from else ""
    for line in lines:
        amount = line.invoice_amount
        if amount is not None and amount <= 0:
            yield Violation("invoice-zero", ctx.pointer("invoice_amount"), {"valeur": euros(amount)}, line.index)
        indicator = line.mss_indicator
        if indicator is None:
            if mss_due and not line.present("mss_indicator", spec):
                yield Violation("mss-missing", ctx.pointer("mss_indicator"), {"dateObligation": due_label}, line.index)
        elif line.mss_address is None and not line.present("mss_address", spec):
            yield Violation("mss-address", ctx.pointer("mss_address"), {}, line.index)


def _other_site(line: Line, avance: StoredRequest) -> bool:
    """True when the solde names another site than its avance: an identifier both give
    differs, or they give no identifier in common (the solde cannot be tied to the site)."""
    mine = {"finess": line.site_finess, "siret": line.site_siret}
    theirs = {"finess": avance.finess_geographique, "siret": avance.siret}
    common = [kind for kind in mine if mine[kind] is not None and theirs[kind] is not None]
    if common:
        return any(mine[kind] != theirs[kind] for kind in common)
    return bool(line.beneficiaries and avance.beneficiaries)
