"""The formats the OpenAPI document and the enrolment schema name beyond JSON Schema's own, with
the check the server applies (python-stdnum for the identifiers): one registry, given to every
validator the server builds. A client or a fuzzer that generates data for the document needs
the same formats (the kit's tests register a generator for each: tests/_support/formats.py).
"""

from __future__ import annotations

from collections.abc import Callable

from stdnum import bic, iban
from stdnum.fr import siret

#: format name → check (True: the text has the format)
FORMATS: dict[str, Callable[[str], bool]] = {
    "iban": iban.is_valid,
    "bic": bic.is_valid,
    "siret": siret.is_valid,
}

__all__ = ["FORMATS"]
