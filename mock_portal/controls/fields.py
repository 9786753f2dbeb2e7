"""The logical request model: the fields the kit reads and writes, and how their values are
written in a spec's format.

A spec folder maps each **logical field** (the kit's own vocabulary, English snake_case, the
same for every spec) to its place in a request (a JSON Pointer) and says how its value is
written there (its **representation**: amounts in decimal euros or integer cents, dates in ISO
or ``dd/mm/yyyy`` or a declared pattern, a VAT rate in percent or basis points, an enumeration's
own words). Values are converted once, at the edge, by the spec's reader and writer; the
controls, generators and mutators only see logical values:

- ``amount``: integer cents;
- ``date``: :class:`datetime.date`;
- ``rate``: a VAT rate in percent, as a float (20.0, 5.5, 2.1);
- ``enum``: the kit's key of the value (e.g. ``"case_1"``), mapped to the spec's word;
- ``text``: the string as written (identifiers, names, numbers of documents);
- ``pieces``: a list of :class:`PieceValue` (role key and file name).

Nothing here names a field of any particular format: the model's names are in its spec folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, NamedTuple

from .money import cents

__all__ = [
    "DOCUMENT_FIELDS",
    "FIELDS",
    "KINDS",
    "PIECE_ROLES",
    "Codec",
    "FieldDef",
    "LogicalField",
    "PieceValue",
    "make_codec",
]

KINDS = ("text", "amount", "date", "rate", "enum", "pieces")


class LogicalField(NamedTuple):
    """A field of the kit's logical request model."""

    kind: str
    description: str
    #: what the kit needs it for: "controls" (a control reads it), "generators" (written to
    #: make valid requests), "both"
    used_by: str = "both"


#: every logical field of a request, by kit name (the spec maps the names it has)
FIELDS: dict[str, LogicalField] = {
    "line_reference": LogicalField("text", "the editor's own reference of the line, unique in its files"),
    "request_type": LogicalField("text", "the request type (the profile's value of typeDemande: avance or solde)"),
    "corridor": LogicalField("text", "the corridor of the software (the profile's couloir)"),
    "software_type": LogicalField("text", "the type of software (the profile's type de logiciel)"),
    "ans_number": LogicalField("text", "the ANS référencement number of the software"),
    "software_name": LogicalField("text", "the software's commercial name", "generators"),
    "software_version": LogicalField("text", "the software's version", "generators"),
    "bdc_number": LogicalField("text", "the number of the signed order form (bon de commande, BDC)"),
    "bdc_date": LogicalField("date", "the date the order form was signed"),
    "bdc_segur_amount": LogicalField("amount", "the Ségur amount excluding VAT the order form shows"),
    "manager_finess": LogicalField("text", "the FINESS juridique of the organisme gestionnaire"),
    "manager_name": LogicalField("text", "the organisme gestionnaire's name (raison sociale)", "generators"),
    "manager_siren": LogicalField("text", "the SIREN of the organisme gestionnaire"),
    "site_finess": LogicalField("text", "the FINESS géographique of the site (the beneficiary ESMS)"),
    "site_siret": LogicalField("text", "the SIRET of the site"),
    "site_name": LogicalField("text", "the site's name", "generators"),
    "site_category": LogicalField("text", "the site's ESMS category (a FINESS category code of the ceilings)"),
    "site_street_number": LogicalField("text", "the site's street number", "generators"),
    "site_street_type": LogicalField("text", "the site's type of street (rue, avenue…)", "generators"),
    "site_street_name": LogicalField("text", "the site's street name", "generators"),
    "site_postcode": LogicalField("text", "the site's postcode", "generators"),
    "site_city": LogicalField("text", "the site's commune", "generators"),
    "site_address_extra": LogicalField("text", "a complement of the site's address", "generators"),
    "amount_ht": LogicalField("amount", "the prestation's amount excluding VAT (HT)"),
    "vat_rate": LogicalField("rate", "the VAT rate applied"),
    "amount_ttc": LogicalField("amount", "the prestation's amount including VAT (TTC)"),
    "amount_requested": LogicalField("amount", "the amount requested of the ASP"),
    "pieces": LogicalField("pieces", "the attachments the request relies on: a role and a file name each"),
    "avance_number": LogicalField("text", "for a solde: the ASP number of the avance it closes"),
    "va_date": LogicalField("date", "for a solde: the date of the vérification d'aptitude (VA)"),
    "invoice_number": LogicalField("text", "for a solde: the invoice's number", "generators"),
    "invoice_date": LogicalField("date", "for a solde: the invoice's date"),
    "invoice_amount": LogicalField("amount", "for a solde: the invoice's total including VAT"),
    "mss_indicator": LogicalField("enum", "for a solde: the indicateur Déploiement MSS (case 1 or case 2)"),
    "mss_address": LogicalField("text", "for a solde: the client's MSSanté address"),
}

#: the fields of the file as a whole (the envelope around the requests)
DOCUMENT_FIELDS: dict[str, LogicalField] = {
    "format_version": LogicalField("text", "the version of the format the file is written in"),
    "requests": LogicalField("pieces", "the list of requests (1 to the spec's maxDemandes)"),
}

#: the roles of attachments the kit knows (the spec maps each to its own word)
PIECE_ROLES: dict[str, str] = {
    "order_form": "the signed order form (bon de commande): an avance's proof",
    "va": "the vérification d'aptitude, signed by the client: a solde's proof",
    "invoice": "the invoice of the whole prestation: a solde's proof",
    "mom": "the minutes of going live (mise en ordre de marche), when the AF asks for it",
    "attestation": "an attestation (sur l'honneur, of non-liability to VAT…)",
}

#: the enumerations the kit knows, by field: the kit's keys of their values
ENUM_KEYS: dict[str, tuple[str, ...]] = {"mss_indicator": ("case_1", "case_2")}


class PieceValue(NamedTuple):
    """An attachment a request names: its place in the list, its role (a key of
    :data:`PIECE_ROLES`, or None when the spec's word is not mapped) and its file name; ``word``
    is the spec's own word for the role, as written."""

    position: int
    role: str | None
    name: str
    word: str


class Unreadable(Exception):
    """A value that is in the file but cannot be read as its field's kind. ``reason`` says what
    was expected, in French (it goes into the answer's label); ``rule`` is the control's rule
    the line breaks: ``line-format``, or ``amount-decimals`` for an amount with a third
    decimal."""

    def __init__(self, reason: str, rule: str = "line-format") -> None:
        super().__init__(reason)
        self.reason = reason
        self.rule = rule


class FieldDef(NamedTuple):
    """Where a logical field sits in a request and how its value is written there."""

    name: str
    kind: str
    path: tuple[str, ...]
    pointer: str
    codec: Codec


class Codec:
    """Reads a raw value of the file into a logical value, and writes a logical value back."""

    kind = "text"
    #: what a value looks like in this representation (for messages and the field reference)
    shape = "text"

    def read(self, raw: Any) -> Any:
        return raw

    def write(self, value: Any) -> Any:
        return value

    def describe(self) -> str:
        return self.shape

    def with_third_decimal(self, value: Any) -> Any:
        """A raw amount near ``value`` (cents) with a third decimal, or None when the
        representation cannot carry one (integer cents)."""
        return None


class _Text(Codec):
    shape = "text"


class _Euros(Codec):
    """Decimal euros, two decimals at most: ``1234.5`` is 123450 cents. A number with a third
    decimal, float noise included (``1000.3000000000001``), is not an amount of the portal."""

    kind = "amount"
    shape = "decimal euros, two decimals at most (e.g. 1234.56)"

    def read(self, raw: Any) -> Any:
        if type(raw) is not int and type(raw) is not float:
            raise Unreadable("un montant en euros (nombre) est attendu")
        found = cents(raw)
        if found is None:
            raise Unreadable("plus de deux décimales", "amount-decimals")
        return found

    def write(self, value: Any) -> Any:
        whole, part = divmod(int(value), 100)
        return whole if part == 0 else int(value) / 100

    def with_third_decimal(self, value: Any) -> Any:
        return round(int(value) / 100 - 0.001, 3)


class _Cents(Codec):
    """Integer cents: ``123456`` is 1 234,56 €."""

    kind = "amount"
    shape = "integer cents (e.g. 123456 for 1 234,56 €)"

    def read(self, raw: Any) -> Any:
        if type(raw) is int:
            return raw
        if type(raw) is float and raw.is_integer():
            return int(raw)
        raise Unreadable("un montant en centimes (entier) est attendu")

    def write(self, value: Any) -> Any:
        return int(value)


_DATE_FORMATS = {"iso": "%Y-%m-%d", "dd/mm/yyyy": "%d/%m/%Y"}


class _Date(Codec):
    kind = "date"

    def __init__(self, pattern: str) -> None:
        self.pattern = _DATE_FORMATS.get(pattern, pattern)
        self.iso = self.pattern == "%Y-%m-%d"
        self.shape = f"a date as {pattern} ({date(2024, 2, 28).strftime(self.pattern)})"
        self.example = date(2024, 2, 28).strftime(self.pattern)

    def read(self, raw: Any) -> Any:
        if type(raw) is not str:
            raise Unreadable(f"une date ({self.example}) est attendue")
        try:
            if self.iso:
                return date.fromisoformat(raw) if len(raw) == 10 else _strict(raw, self.pattern)
            return _strict(raw, self.pattern)
        except ValueError:
            raise Unreadable(f"date inexistante ou mal écrite (attendu : {self.example})") from None

    def write(self, value: Any) -> Any:
        return value.strftime(self.pattern) if isinstance(value, date) else value

    def impossible(self, year: int) -> str:
        """A day that does not exist (30 February of ``year``) written in this format."""
        return self.pattern.replace("%Y", f"{year:04d}").replace("%m", "02").replace("%d", "30")


def _strict(text: str, pattern: str) -> date:
    parsed = datetime.strptime(text, pattern).date()
    if parsed.strftime(pattern) != text:  # strptime takes "1/2/2024" for %d/%m/%Y: the file must not
        raise ValueError(text)
    return parsed


class _Percent(Codec):
    kind = "rate"
    shape = "a percentage (e.g. 20, 5.5)"

    def read(self, raw: Any) -> Any:
        if type(raw) is int or type(raw) is float:
            return float(raw)
        raise Unreadable("un taux en pourcentage (nombre) est attendu")

    def write(self, value: Any) -> Any:
        rate = float(value)
        return int(rate) if rate.is_integer() else rate


class _BasisPoints(Codec):
    kind = "rate"
    shape = "basis points, an integer (e.g. 2000 for 20 %, 550 for 5.5 %)"

    def read(self, raw: Any) -> Any:
        if type(raw) is int:
            return raw / 100
        raise Unreadable("un taux en points de base (entier) est attendu")

    def write(self, value: Any) -> Any:
        return round(float(value) * 100)


class _Enum(Codec):
    kind = "enum"

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.to_spec = dict(values)
        self.from_spec = {word: key for key, word in values.items()}
        self.shape = "one of " + ", ".join(repr(word) for word in values.values())

    def read(self, raw: Any) -> Any:
        try:
            return self.from_spec[raw]
        except (KeyError, TypeError):
            raise Unreadable("une valeur parmi " + ", ".join(map(str, self.from_spec))) from None

    def write(self, value: Any) -> Any:
        return self.to_spec[value]


class _Pieces(Codec):
    kind = "pieces"
    shape = "a list of attachments"


#: the representations a spec may declare, per kind ("unit" for amounts and rates)
UNITS = {"amount": ("euros", "cents"), "rate": ("percent", "basis-points")}


def make_codec(kind: str, declared: Mapping[str, Any], defaults: Mapping[str, Any]) -> Codec:
    """The codec of a field of ``kind`` as the spec declares it (``unit``, ``format`` or
    ``values``), falling back on the spec's ``formats`` defaults; ValueError says what is wrong."""
    if kind in ("text",):
        return _Text()
    if kind == "pieces":
        return _Pieces()
    if kind == "amount":
        unit = declared.get("unit", defaults.get("amount", "euros"))
        if unit == "euros":
            return _Euros()
        if unit == "cents":
            return _Cents()
        raise ValueError(f"unit {unit!r}: an amount is written in 'euros' or 'cents'")
    if kind == "rate":
        unit = declared.get("unit", defaults.get("rate", "percent"))
        if unit == "percent":
            return _Percent()
        if unit == "basis-points":
            return _BasisPoints()
        raise ValueError(f"unit {unit!r}: a rate is written in 'percent' or 'basis-points'")
    if kind == "date":
        pattern = str(declared.get("format", defaults.get("date", "iso")))
        if pattern not in _DATE_FORMATS and not re.search(r"%[dmY]", pattern):
            raise ValueError(f"format {pattern!r}: 'iso', 'dd/mm/yyyy', or a strftime pattern with %d, %m and %Y")
        if pattern not in _DATE_FORMATS and not all(part in pattern for part in ("%d", "%m", "%Y")):
            raise ValueError(f"format {pattern!r}: a date pattern needs %d, %m and %Y")
        return _Date(pattern)
    if kind == "enum":
        values = declared.get("values")
        if not isinstance(values, dict) or not values:
            raise ValueError("an enumeration needs 'values': the kit's keys mapped to the spec's words")
        return _Enum(values)
    raise ValueError(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
