"""Controls of one request on its own: readable values, identifiers, dates, amounts, ANS
number, pieces. They read logical values (amounts in cents, dates as dates, see
:mod:`~segur.mock_portal.controls.fields`) and name fields by their logical names."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from stdnum import luhn
from stdnum.fr import siren, siret

from .line import CheckContext, Line
from .money import euros
from .registry import line_control
from .violation import Violation


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


@line_control("line-format", "amount-decimals")
def unreadable_values(lines: Sequence[Line], ctx: CheckContext) -> Iterator[Violation]:
    """A value the schema let through but that cannot be read as its field's kind: a date
    that does not exist in a pattern the schema cannot check, an amount with a third decimal."""
    for line in lines:
        if line.invalid is None:
            continue
        for name, error in line.invalid.items():
            raw = _raw(line, ctx, name)
            params: dict[str, Any] = {"valeur": raw, "detail": error.reason}
            yield Violation(error.rule, ctx.pointer(name), params, line.index)


def _raw(line: Line, ctx: CheckContext, name: str) -> Any:
    value: Any = line.raw
    for key in ctx.spec.fields[name].path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


@line_control("siren-key", "siret-key", "siret-siren", "finess-key", "site-identifier")
def identifiers(lines: Sequence[Line], ctx: CheckContext) -> Iterator[Violation]:
    for line in lines:
        i = line.index
        siren_value = line.manager_siren
        siren_valid = siren_value is not None and _siren_ok(siren_value)
        if siren_value is not None and not siren_valid:
            yield Violation("siren-key", ctx.pointer("manager_siren"), {"valeur": siren_value}, i)
        siret_value = line.site_siret
        if siret_value is not None:
            if not _siret_ok(siret_value):
                yield Violation("siret-key", ctx.pointer("site_siret"), {"valeur": siret_value}, i)
            elif siren_valid and siret_value[:9] != siren_value:
                yield Violation(
                    "siret-siren",
                    ctx.pointer("site_siret"),
                    {"valeur": siret_value, "sirenOrganisme": siren_value},
                    i,
                )
        legal, site = line.manager_finess, line.site_finess
        if legal is not None and not finess_ok(legal):
            yield Violation("finess-key", ctx.pointer("manager_finess"), {"valeur": legal}, i)
        if site is not None and not finess_ok(site):
            yield Violation("finess-key", ctx.pointer("site_finess"), {"valeur": site}, i)
        if (
            site is None
            and siret_value is None
            and not (line.present("site_finess", ctx.spec) or line.present("site_siret", ctx.spec))
        ):
            where = ctx.pointer("site_finess") or ctx.pointer("site_siret")
            yield Violation("site-identifier", where, {}, i)


@line_control("date-future", "bdc-before-af", "va-before-bdc")
def dates(lines: Sequence[Line], ctx: CheckContext) -> Iterator[Violation]:
    spec = ctx.spec
    today = ctx.day
    window = spec.windows.get(ctx.profile.name)
    opening = spec.af_openings.get(window.af) if window else None
    af_day = opening.astimezone(spec.timezone).date() if opening else None
    written = {
        name: spec.fields[name].codec.write for name in ("bdc_date", "va_date", "invoice_date") if name in spec.fields
    }

    def shown(name: str, value: Any) -> Any:
        return written[name](value) if name in written else value.isoformat()

    for line in lines:
        bdc, va, invoice = line.bdc_date, line.va_date, line.invoice_date
        for name, value in (("bdc_date", bdc), ("va_date", va), ("invoice_date", invoice)):
            if value is not None and value > today:
                yield Violation(
                    "date-future",
                    ctx.pointer(name),
                    {"valeur": shown(name, value), "dateDepot": today.strftime("%d/%m/%Y")},
                    line.index,
                )
        if bdc is not None and af_day is not None and bdc < af_day:
            yield Violation(
                "bdc-before-af",
                ctx.pointer("bdc_date"),
                {"valeur": shown("bdc_date", bdc), "ouverture": af_day.strftime("%d/%m/%Y")},
                line.index,
            )
        if va is not None and bdc is not None and va < bdc:
            yield Violation(
                "va-before-bdc",
                ctx.pointer("va_date"),
                {"valeur": shown("va_date", va), "dateCommande": shown("bdc_date", bdc)},
                line.index,
            )


@line_control(
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
    for line in lines:
        i = line.index
        ht, ttc, requested, segur = line.amount_ht, line.amount_ttc, line.amount_requested, line.bdc_segur_amount
        rate = line.vat_rate
        if rate is not None and rate != deposit_rate:
            yield Violation(
                "vat-deposit", ctx.pointer("vat_rate"), {"valeur": _rate(rate), "tauxDepot": _rate(deposit_rate)}, i
            )
        if ht is not None and ttc is not None and rate is not None:
            expected = (ht * (10000 + round(rate * 100)) + 5000) // 10000
            if expected != ttc:
                yield Violation(
                    "amount-ttc",
                    ctx.pointer("amount_ttc"),
                    {"valeur": euros(ttc), "ht": euros(ht), "taux": _rate(rate), "attendu": euros(expected)},
                    i,
                )
        if segur is not None and segur <= 0:
            yield Violation("bdc-segur-amount", ctx.pointer("bdc_segur_amount"), {"valeur": euros(segur)}, i)
        category = line.site_category
        ceiling = ceilings.get(category) if category is not None else None
        if category is not None and ceiling is None:
            yield Violation("esms-category", ctx.pointer("site_category"), {"valeur": category}, i)
        if requested is None:
            continue
        if requested <= 0:
            yield Violation(
                "amount-requested-positive", ctx.pointer("amount_requested"), {"valeur": euros(requested)}, i
            )
            continue
        if ttc is not None and requested > ttc:
            yield Violation(
                "amount-requested-over-ttc",
                ctx.pointer("amount_requested"),
                {"valeur": euros(requested), "ttc": euros(ttc)},
                i,
            )
        if ceiling is not None and requested > ceiling:
            yield Violation(
                "amount-ceiling",
                ctx.pointer("amount_requested"),
                {"valeur": euros(requested), "categorie": category, "plafond": euros(ceiling)},
                i,
            )


def _rate(rate: float) -> str:
    return f"{float(rate):g}".replace(".", ",")


@line_control("ans-line", "required-attachment")
def deposit_consistency(lines: Sequence[Line], ctx: CheckContext) -> Iterator[Violation]:
    required = ctx.spec.pieces.required.get(ctx.profile.deposit_type, ())
    words = ctx.spec.pieces.roles
    for line in lines:
        ans = line.ans_number
        if ans is not None and ans != ctx.numero_ans:
            yield Violation(
                "ans-line", ctx.pointer("ans_number"), {"valeur": ans, "numeroAns": ctx.numero_ans}, line.index
            )
        if not line.pieces_given:
            continue
        for role in required:
            if not line.names_role(role):
                yield Violation("required-attachment", ctx.pointer("pieces"), {"typePiece": words[role]}, line.index)
