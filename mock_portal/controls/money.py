"""Amounts: euros in files and APIs, integer cents in the controls, French figures in labels and
pages. The one parser of euros and the one French formatter of the kit."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

#: the thousands separator of French figures (a narrow no-break space)
NARROW_NBSP = "\u202f"


def cents(value: Any) -> int | None:
    """An amount in euros (a JSON number) as integer cents; None when it is not a number or has
    more than two decimals. Float noise is a third decimal: ``1000.3000000000001`` is refused,
    not rounded (the shortest text of the number is read, as the file wrote it)."""
    kind = type(value)
    if kind is int:
        return int(value) * 100
    if kind is not float:
        return None
    text = repr(value)
    whole, dot, decimals = text.partition(".")
    if dot and "e" not in text and len(decimals) <= 2 and whole.lstrip("-").isdigit():
        return int(whole + decimals.ljust(2, "0"))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    scaled = amount * 100
    return int(scaled) if scaled == scaled.to_integral_value() else None


def euros(amount: int, *, group: str = NARROW_NBSP) -> str:
    """Integer cents as the French write euros: ``123456`` → « 1 234,56 » (no currency sign)."""
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(int(amount)), 100)
    return f"{sign}{whole:,}".replace(",", group) + f",{part:02d}"


_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")


def cents_from_text(text: str) -> int | None:
    """An amount as a person or a document writes it (« 12 000,50 », « 12000.5 », « 1 234,56 € »,
    « 1 234,56 EUR ») as integer cents; None when it is not one (more than two decimals included)."""
    cleaned = text.strip().removesuffix("EUR").removesuffix("€").translate(_SPACES).replace(",", ".")
    if not cleaned or cleaned.count(".") > 1:
        return None
    sign = -1 if cleaned.startswith("-") else 1
    whole, _, decimals = cleaned.lstrip("+-").partition(".")
    if not whole.isdigit() or (decimals and (not decimals.isdigit() or len(decimals) > 2)):
        return None
    return sign * (int(whole) * 100 + int(decimals.ljust(2, "0") or 0))
