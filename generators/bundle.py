"""Bundles scaled from an example: N distinct valid requests made from a model request."""

from __future__ import annotations

import copy
from typing import Any

from stdnum import luhn


def finess_with_key(body8: str) -> str:
    """A FINESS number from its first 8 characters and its Luhn key (Corsica 2A/2B read as 20)."""
    digits = "20" + body8[2:] if body8[:2] in ("2A", "2B") else body8
    return body8 + luhn.calc_check_digit(digits)


def replicate(bundle: dict[str, Any], count: int, *, prefix: str = "REP") -> dict[str, Any]:
    """``count`` distinct valid requests made from the bundle's first one: each gets its own
    line reference, order-form number, site (a FINESS géographique with a valid key) and
    attachment file names, so that no duplicate or beneficiary rule fires between them."""
    first = bundle["demandes"][0]
    lines = []
    for i in range(count):
        line = copy.deepcopy(first)
        line["referenceLigne"] = f"{prefix}-{i + 1:04d}"
        line["bonCommande"]["numero"] = f"BDC-{prefix}-{i + 1:04d}"
        site = line["etablissement"]
        site.pop("siret", None)
        site["finessGeographique"] = finess_with_key(f"75{500000 + i:06d}")
        for piece in line["piecesJointes"]:
            piece["nomFichier"] = f"{piece['nature']}-{prefix}-{i + 1:04d}.pdf"
        lines.append(line)
    return {**bundle, "demandes": lines}
