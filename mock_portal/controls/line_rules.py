"""Controls of one request on its own: identifiers, dates, amounts, ANS number, pieces."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from stdnum import luhn
from stdnum.fr import siren, siret

from .line import CheckContext, Line
from .money import cents, euros
from .registry import line_control
from .violation import Violation

_AMOUNT_FIELDS = ("montantSegurHt", "montantHt", "montantTtc", "montantDemande", "montantFacture")


@lru_cache(maxsize=65536)
def _siren_ok(value: str) -> bool:
    return siren.is_valid(value)


@lru_cache(maxsize=65536)
def _siret_ok(value: str) -> bool:
    # python-stdnum knows the La Poste exception (SIREN 356000000).
    return siret.is_valid(value)


@lru_cache(maxsize=65536)
def finess_ok(value: str) -> bool:
    """FINESS key: Luhn over the 9 characters; Corsica's 2A/2B read as 20 (model)."""
    if value[:2] in ("2A", "2B"):
        value = "20" + value[2:]
    # luhn.checksum is the library's own algorithm; the digits test is luhn.is_valid's, done once here.
    return value.isdigit() and luhn.checksum(value) == 0


def clear_identifier_caches() -> None:
    """Forget the identifiers already validated (benchmarks measure the first check cold)."""
    for cached in (_siren_ok, _siret_ok, finess_ok):
        cached.cache_clear()


@line_control("siren-key", "siret-key", "siret-siren", "finess-key", "site-identifier")
def identifiers(lines: Sequence[Line], ctx: CheckContext) -> Iterator[Violation]:
    for line in lines:
        i = line.index
        siren_value = line.siren
        siren_valid = siren_value is not None and _siren_ok(siren_value)
        if siren_value is not None and not siren_valid:
            yield Violation("siren-key", ctx.pointer("siren"), {"valeur": siren_value}, i)
        siret_value = line.siret
        if siret_value is not None:
            if not _siret_ok(siret_value):
                yield Violation("siret-key", ctx.pointer("siret"), {"valeur": siret_value}, i)
            elif siren_valid and siret_value[:9] != siren_value:
                yield Violation("siret-siren", ctx.pointer("siret"), {"valeur": siret_value, "siren": siren_value}, i)
        legal, site = line.finessJuridique, line.finessGeographique
        if legal is not None and not finess_ok(legal):
            yield Violation("finess-key", ctx.pointer("finessJuridique"), {"valeur": legal}, i)
        if site is not None and not finess_ok(site):
            yield Violation("finess-key", ctx.pointer("finessGeographique"), {"valeur": site}, i)
        if (
            site is None
            and siret_value is None
            and not (line.present("finessGeographique", ctx.spec) or line.present("siret", ctx.spec))
        ):
            yield Violation("site-identifier", ctx.pointer("finessGeographique"), {}, i)


@line_control("date-future", "bdc-before-af", "va-before-bdc")
def dates(lines: Sequence[Line], ctx: CheckContext) -> Iterator[Violation]:
    today = ctx.day
    window = ctx.spec.windows.get(ctx.profile.name)
    opening = ctx.spec.af_openings.get(window.af) if window else None
    af_day = opening.astimezone(ctx.spec.timezone).date() if opening else None

    def future(name: str, text: str, line: Line) -> Violation:
        return Violation("date-future", ctx.pointer(name), {"valeur": text, "dateDepot": today.isoformat()}, line.index)

    for line in lines:
        bdc_text, va_text, invoice_text = line.dateBdc, line.dateVa, line.dateFacture
        bdc = None if bdc_text is None else date.fromisoformat(bdc_text)
        va = None if va_text is None else date.fromisoformat(va_text)
        if bdc is not None and bdc > today:
            yield future("dateBdc", bdc_text, line)
        if va is not None and va > today:
            yield future("dateVa", va_text, line)
        if invoice_text is not None and date.fromisoformat(invoice_text) > today:
            yield future("dateFacture", invoice_text, line)
        if bdc is not None and af_day is not None and bdc < af_day:
            yield Violation(
                "bdc-before-af",
                ctx.pointer("dateBdc"),
                {"valeur": bdc_text, "ouverture": af_day.isoformat()},
                line.index,
            )
        if va is not None and bdc is not None and va < bdc:
            yield Violation(
                "va-before-bdc", ctx.pointer("dateVa"), {"valeur": va_text, "dateBdc": bdc_text}, line.index
            )


@line_control(
    "amount-decimals",
    "amount-ttc",
    "amount-requested-positive",
    "amount-ceiling",
    "bdc-segur-amount",
    "amount-requested-over-ttc",
    "vat-deposit",
    "esms-category",
)
def amounts(lines: Sequence[Line], ctx: CheckContext) -> Iterator[Violation]:
    ceilings = {
        category: round(ceiling * 100)
        for category, ceiling in ctx.spec.ceilings.get(ctx.profile.type_logiciel, {}).items()
    }
    deposit_rate = ctx.taux_tva
    rates: dict[Any, tuple[bool, int]] = {}  # rate: (differs from the deposit's, in basis points)
    for line in lines:
        i = line.index
        # each amount in cents: None when absent, or when it has more than two decimals
        given = (line.montantSegurHt, line.montantHt, line.montantTtc, line.montantDemande, line.montantFacture)
        segur = None if given[0] is None else cents(given[0])
        ht = None if given[1] is None else cents(given[1])
        ttc = None if given[2] is None else cents(given[2])
        requested = None if given[3] is None else cents(given[3])
        invoice = None if given[4] is None else cents(given[4])
        if (
            (segur is None and given[0] is not None)
            or (ht is None and given[1] is not None)
            or (ttc is None and given[2] is not None)
            or (requested is None and given[3] is not None)
            or (invoice is None and given[4] is not None)
        ):
            for name, value in zip(_AMOUNT_FIELDS, given, strict=True):
                if value is not None and cents(value) is None:
                    yield Violation("amount-decimals", ctx.pointer(name), {"valeur": value}, i)
        rate = line.tauxTva
        if rate is None:
            other_rate, basis_points = False, 0
        elif (known := rates.get(rate)) is not None:
            other_rate, basis_points = known
        else:  # a file has a rate or two: each worked out once
            other_rate, basis_points = rates[rate] = (float(rate) != deposit_rate, round(float(rate) * 100))
        if other_rate:
            yield Violation(
                "vat-deposit", ctx.pointer("tauxTva"), {"valeur": _rate(rate), "tauxDepot": _rate(deposit_rate)}, i
            )
        if ht is not None and ttc is not None and rate is not None:
            expected = (ht * (10000 + basis_points) + 5000) // 10000
            if expected != ttc:
                yield Violation(
                    "amount-ttc",
                    ctx.pointer("montantTtc"),
                    {"valeur": euros(ttc), "montantHt": euros(ht), "tauxTva": _rate(rate), "attendu": euros(expected)},
                    i,
                )
        if segur is not None and segur <= 0:
            yield Violation("bdc-segur-amount", ctx.pointer("montantSegurHt"), {"valeur": euros(segur)}, i)
        category = line.categorieEsms
        ceiling = ceilings.get(category) if category is not None else None
        if category is not None and ceiling is None:
            yield Violation("esms-category", ctx.pointer("categorieEsms"), {"valeur": category}, i)
        if requested is None:
            continue
        if requested <= 0:
            yield Violation("amount-requested-positive", ctx.pointer("montantDemande"), {"valeur": euros(requested)}, i)
            continue
        if ttc is not None and requested > ttc:
            yield Violation(
                "amount-requested-over-ttc",
                ctx.pointer("montantDemande"),
                {"valeur": euros(requested), "montantTtc": euros(ttc)},
                i,
            )
        if ceiling is not None and requested > ceiling:
            yield Violation(
                "amount-ceiling",
                ctx.pointer("montantDemande"),
                {"valeur": euros(requested), "categorie": category, "plafond": euros(ceiling)},
                i,
            )


def _rate(rate: float) -> str:
    return f"{float(rate):g}".replace(".", ",")


@line_control("ans-line", "required-attachment")
def deposit_consistency(lines: Sequence[Line], ctx: CheckContext) -> Iterator[Violation]:
    required = ctx.spec.required_pieces.get(ctx.profile.type_demande, ())
    for line in lines:
        ans = line.numeroAns
        if ans is not None and ans != ctx.numero_ans:
            yield Violation(
                "ans-line", ctx.pointer("numeroAns"), {"valeur": ans, "numeroAns": ctx.numero_ans}, line.index
            )
        if line.piecesJointes is None:
            continue
        for nature in required:
            if not line.names_piece(nature):
                yield Violation("required-attachment", ctx.pointer("piecesJointes"), {"nature": nature}, line.index)
