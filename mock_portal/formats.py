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

#: format name → check (True: the text has the format)
FORMATS: dict[str, Callable[[str], bool]] = {
    "iban": iban.is_valid,
    "bic": bic.is_valid,
    "siret": siret.is_valid,
}

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


__all__ = ["FORMATS", "MASK", "schema_validator", "validator"]
