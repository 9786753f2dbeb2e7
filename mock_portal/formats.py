"""The formats the OpenAPI document and the enrolment schema name beyond JSON Schema's own, with
the check the server applies (python-stdnum for the identifiers): one registry, given to every
validator the server builds. A client or a fuzzer that generates data for the document needs
the same formats (the kit's tests register a generator for each: tests/_support/formats.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from stdnum import bic, iban
from stdnum.fr import siret

#: the years the mock's clock may show (and a ``date-heure`` name): far from datetime's limits, so
#: that no later computation on the clock overflows
CLOCK_YEARS = (2000, 2099)


def _date_heure(text: str) -> bool:
    """An ISO 8601 time the mock's clock may show: what ``datetime.fromisoformat`` reads (the
    clock's own parser), of the years the clock stays within."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return False
    return CLOCK_YEARS[0] <= moment.year <= CLOCK_YEARS[1]


#: format name → check (True: the text has the format)
FORMATS: dict[str, Callable[[str], bool]] = {
    "iban": iban.is_valid,
    "bic": bic.is_valid,
    "siret": siret.is_valid,
    "date-heure": _date_heure,
}

#: what the portal says of a value that is not of its format
MESSAGES = {
    "iban": "IBAN invalide",
    "bic": "BIC invalide",
    "siret": "SIRET invalide (clé de contrôle)",
    "date-heure": "date et heure ISO 8601 attendues, des années 2000 à 2099",
}


def message(error: Any) -> str:
    """A validator's error as the portal says it (the formats above in French)."""
    if error.kind.name == "format":
        found = MESSAGES.get(str(error.kind.as_dict().get("format")))
        if found:
            return found
    return str(error.message)


#: what a validator's messages show instead of the value at fault: a message never copies the
#: input (a 40 MB string in a field of 200 characters is named, not echoed back)
MASK = "…"


def validator(schema: Any) -> Any:
    """A jsonschema-rs validator of ``schema`` with the formats above and masked messages."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema, validate_formats=True, formats=dict(FORMATS), mask=MASK)


@cache
def schema_validator(path: Path) -> Any:
    """The validator of a schema file, built once per process."""
    return validator(orjson.loads(path.read_bytes()))


__all__ = ["CLOCK_YEARS", "FORMATS", "MASK", "MESSAGES", "message", "schema_validator", "validator"]
