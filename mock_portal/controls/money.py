"""Amounts: euros in the file, integer cents in the controls, French figures in labels."""

from __future__ import annotations

from typing import Any


def cents(value: Any) -> int | None:
    """An amount in euros as integer cents, or None if it has more than two decimals."""
    if type(value) is int:  # whole euros: exact
        return value * 100
    scaled = value * 100
    whole = round(scaled)
    return whole if -1e-4 < scaled - whole < 1e-4 else None


def euros(amount: int) -> str:
    """Integer cents as the portal prints euros (French decimal comma, two decimals)."""
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 100)
    return f"{sign}{whole:,}".replace(",", "\u202f") + f",{part:02d}"
