"""Bundles scaled from an example: N distinct valid requests made from a model request."""

from __future__ import annotations

import copy
from typing import Any

from segur.mock_portal.controls import Spec
from segur.mock_portal.controls.line import read_values
from segur.mock_portal.controls.spec import resolve
from segur.mock_portal.controls.writer import complete, write_document, write_request
from stdnum import luhn


def finess_with_key(body8: str) -> str:
    """A FINESS number from its first 8 characters and its Luhn key (Corsica 2A/2B read as 20)."""
    digits = "20" + body8[2:] if body8[:2] in ("2A", "2B") else body8
    return body8 + luhn.calc_check_digit(digits)


def replicate(
    first: dict[str, Any],
    count: int,
    *,
    prefix: str = "REP",
    words: dict[str, str] | None = None,
    sites: int = 0,
) -> list[dict[str, Any]]:
    """``count`` distinct valid requests (logical values) made from ``first``: each gets its own
    line reference, order-form number, site (a FINESS géographique with a valid key, no SIRET)
    and attachment file names, so that no duplicate or beneficiary rule fires between them.
    ``words`` (the spec's word of each piece role) names the files; ``sites`` is where the
    numbering of the sites starts (files meant to be deposited side by side need their own)."""
    if not 0 <= sites <= 499_999 - count:
        raise ValueError(f"sites must leave room for {count} sites below 500 000, not start at {sites}")
    lines = []
    for i in range(count):
        line = copy.deepcopy(first)
        line["line_reference"] = f"{prefix}-{i + 1:04d}"
        line["bdc_number"] = f"BDC-{prefix}-{i + 1:04d}"
        line.pop("site_siret", None)
        line["site_finess"] = finess_with_key(f"75{500000 + sites + i:06d}")
        line["pieces"] = [
            (role, f"{(words or {}).get(role, role)}-{prefix}-{i + 1:04d}.pdf")
            for role, _name in line.get("pieces", [])
        ]
        lines.append(line)
    return lines


def scaled(
    document: Any, count: int, spec: Spec, *, prefix: str = "REP", profile: str | None = None, sites: int = 0
) -> dict[str, Any]:
    """A file of ``count`` distinct valid requests in the spec's format, made from the first
    request of ``document`` (a file in that format, e.g. one of the spec's examples): written
    from logical values, then completed with what the profile's schema requires and the kit does
    not know (``profile``: by default the one of the first request's corridor, software type
    and request type)."""
    requests = resolve(document, spec.document["requests"].path)
    first = read_values(requests[0], spec)
    first["pieces"] = [(piece.role, piece.name) for piece in first.get("pieces") or []]
    lines = replicate(first, count, prefix=prefix, words=spec.pieces.roles, sites=sites)
    version = spec.document.get("format_version")
    written = write_document(
        [write_request(values, spec) for values in lines],
        spec,
        format_version=resolve(document, version.path) if version is not None else None,
    )
    extra = {key: value for key, value in document.items() if key not in written}  # the envelope's other keys
    out = {**extra, **written}
    complete(out, profile or _profile_of(first, spec), spec)
    return out


def _profile_of(values: dict[str, Any], spec: Spec) -> str:
    found = spec.profile_for(
        str(values.get("corridor")), str(values.get("software_type")), str(values.get("request_type"))
    )
    if found is None:
        raise ValueError(
            f"no profile of the spec {spec.label} has corridor {values.get('corridor')!r}, software type "
            f"{values.get('software_type')!r} and request type {values.get('request_type')!r}: give profile="
        )
    return found.name
