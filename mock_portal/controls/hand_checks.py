"""What an ASP gestionnaire checks by hand in the pieces, read from their text: warnings
(« avertissements »), never a code of the catalogue.

The FAQs list what sends a request back to « À modifier » after the deposit, beyond the portal's
automatic controls (ANS « FAQ des industriels », ASP portal FAQ): the order form shows the real,
non-zero Ségur amount and the mention « Montant pris en charge par l'Etat au titre du Ségur de la
santé », and is signed (by hand or electronically); the name on the invoice is the VA's signer;
the MSS indicator matches the VA; an invoice whose Ségur total is 0 € is always rejected.

The kit reads each piece's text (pypdf) and says what it does not find. A text search is a
hint, not a verdict: a scanned page has no text, a hand signature is an image. The words searched
for, the labels printed and their sources are data of the spec folder (``files.handChecks``, see
``fixtures/README.md``); the generators write the pieces with the same words.

Reading is split in two, so that the mock portal keeps what it read without keeping the pieces:
:func:`read_facts` turns one piece's text into *facts* (JSON: the mention found or not, the
amount read, the names read…), :func:`line_warnings` turns a request's facts and logical values
into warnings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any, NamedTuple

from .hand_catalogue import HAND_CHECKS, HandCheckDoc
from .money import cents_from_text, euros

if TYPE_CHECKING:
    from .spec import Spec

__all__ = [
    "HAND_CHECKS",
    "HandCheckDoc",
    "HandWarning",
    "deposit_warnings",
    "facts_of",
    "fold",
    "hand_roles",
    "line_warnings",
    "merge_facts",
    "piece_text",
    "read_facts",
    "warnings_of",
]


#: the most pages read of one piece (an order form, a VA, an invoice fit on a few)
MAX_PAGES = 5


@dataclass(frozen=True)
class HandWarning:
    """One warning: the check, the request (0-based line), the piece's file and the message."""

    check: str
    line: int
    fichier: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"numLigne": self.line + 1, "controle": self.check, "fichier": self.fichier, "message": self.message}


# ---------------------------------------------------------------------- text


_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "\u00a0": " ", "\u202f": " ", "\u2009": " "})


def fold(text: str) -> str:
    """Text as the checks compare it: no accents, lower case, one kind of apostrophe, spaces folded."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[ \t]+", " ", plain.casefold()).strip()


def piece_text(content: bytes) -> str | None:
    """The text of a PDF's first pages (None when it cannot be read: the controls say why)."""
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    from .pdf_check import reader_limits

    try:
        with reader_limits():  # the verdict's limits on what one stream may decompress to
            reader = PdfReader(BytesIO(content))
            if reader.is_encrypted and not reader.decrypt(""):
                return None
            return "\n".join(page.extract_text() or "" for page in reader.pages[:MAX_PAGES])
    except Exception:  # pypdf raises many types on damaged files; the controls report them
        return None


class _Line(NamedTuple):
    """A line of a piece's text, as written and folded."""

    text: str
    folded: str


def _origin(text: str) -> list[int]:
    """For each character of ``fold(text)``, the position it comes from in ``text`` (computed for
    the one line a label is found on)."""
    folded: list[str] = []
    origin: list[int] = []
    for position, char in enumerate(text.translate(_QUOTES)):
        for part in " " if char.isspace() else fold(char):
            if part == " " and (not folded or folded[-1] == " "):
                continue
            folded.append(part)
            origin.append(position)
    return origin


def _lines(text: str) -> list[_Line]:
    return [_Line(line.strip(), fold(line)) for line in text.splitlines() if line.strip()]


def _after(lines: Sequence[_Line], labels: Iterable[str], *, to_comma: bool = True) -> str | None:
    """What follows the first of ``labels`` (and its colon) on its line, as written, up to a comma
    unless ``to_comma`` is false (an amount's decimals); None when no line has one of them."""
    for label in labels:
        wanted = fold(label)
        for line in lines:
            position = line.folded.find(wanted)
            if position >= 0:
                end = position + len(wanted)
                origin = _origin(line.text)
                rest = line.text[origin[end] :] if end < len(origin) else ""
                rest = rest.lstrip(" :\u00a0")
                return (rest.split(",", 1)[0] if to_comma else rest).strip()
    return None


_AMOUNT = re.compile(r"-?\d[\d \u00a0\u202f\u2009]*(?:[.,]\d{1,2})?")


def _amount(text: str | None) -> int | None:
    found = _AMOUNT.search(text or "")
    return cents_from_text(found.group().strip()) if found else None


def hand_roles(spec: Spec) -> frozenset[str]:
    """The piece roles the spec's checks by hand read (none when it has no such checks)."""
    return frozenset(role for name in spec.hand_checks for role in HAND_CHECKS[name].roles)


def read_facts(text: str, role: str, spec: Spec) -> dict[str, Any]:
    """What the checks need from the text of one piece of ``role`` (JSON values)."""
    checks = spec.hand_checks
    lines = _lines(text)
    whole = " ".join(line.folded for line in lines)
    facts: dict[str, Any] = {}
    if role == "order_form":
        if "bdc-state-mention" in checks:
            facts["mention"] = fold(checks["bdc-state-mention"]["mention"]) in whole
        if "bdc-amount-shown" in checks:
            labels = list(checks["bdc-amount-shown"]["amountLabels"])
            if "bdc-state-mention" in checks:
                labels.insert(0, checks["bdc-state-mention"]["mention"])
            facts["montantSegur"] = _amount(_after(lines, labels, to_comma=False))
        if "bdc-signature" in checks:
            facts["signature"] = any(fold(word) in whole for word in checks["bdc-signature"]["words"])
    elif role == "va":
        if "invoice-va-signer" in checks:
            facts["signataire"] = _after(lines, checks["invoice-va-signer"]["vaLabels"]) or None
        if "va-mss-indicator" in checks:
            entry = checks["va-mss-indicator"]
            shown = _after(lines, entry["labels"])
            words = {fold(word): key for key, word in entry["values"].items()}
            facts["mss"] = words.get(fold(shown), shown) if shown else None
    elif role == "invoice":
        if "invoice-va-signer" in checks:
            facts["nom"] = _after(lines, checks["invoice-va-signer"]["invoiceLabels"]) or None
        if "invoice-segur-zero" in checks:
            facts["totalSegur"] = _amount(_after(lines, checks["invoice-segur-zero"]["amountLabels"], to_comma=False))
    return facts


def merge_facts(facts: Mapping[str, Any], role: str, name: str, found: Mapping[str, Any]) -> dict[str, Any]:
    """A request's facts (by role) with what one more piece of ``role`` said; a later piece of a
    role replaces an earlier one's facts (the piece sent again to correct it)."""
    return {**facts, role: {"fichier": name, **found}}


# ---------------------------------------------------------------------- warnings


def _label(spec: Spec, check: str, fichier: str, detail: str = "") -> str:
    entry = spec.hand_checks[check]
    params = {"fichier": fichier, "detail": detail, **{k: v for k, v in entry.items() if isinstance(v, str)}}
    return str(entry["label"]).format_map(_Missing(params))


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def line_warnings(values: Mapping[str, Any], facts: Mapping[str, Any], spec: Spec, line: int = 0) -> list[HandWarning]:
    """The warnings of one request: its logical values (``values``) against what its pieces said
    (``facts``, by role: :func:`read_facts` with the piece's ``fichier``). A role whose pieces were
    not read (absent, unreadable) gives none: the controls report those."""
    checks = spec.hand_checks
    found: list[HandWarning] = []

    def warn(check: str, fichier: str, detail: str = "") -> None:
        found.append(HandWarning(check, line, fichier, _label(spec, check, fichier, detail)))

    order, va, invoice = facts.get("order_form"), facts.get("va"), facts.get("invoice")
    if order is not None:
        if "bdc-state-mention" in checks and not order.get("mention"):
            warn("bdc-state-mention", order["fichier"])
        if "bdc-amount-shown" in checks:
            shown, declared = order.get("montantSegur"), values.get("bdc_segur_amount")
            if shown is None:
                warn("bdc-amount-shown", order["fichier"], "le montant Ségur n'y est pas lu")
            elif shown <= 0:
                warn("bdc-amount-shown", order["fichier"], f"le montant Ségur lu est de {euros(shown)} €")
            elif isinstance(declared, int) and shown != declared:
                warn(
                    "bdc-amount-shown",
                    order["fichier"],
                    f"le montant Ségur lu ({euros(shown)} €) diffère de celui du fichier ({euros(declared)} €)",
                )
        if "bdc-signature" in checks and not order.get("signature"):
            warn("bdc-signature", order["fichier"])
    if "invoice-va-signer" in checks and va is not None and invoice is not None:
        signer, name = va.get("signataire"), invoice.get("nom")
        if not signer:
            warn("invoice-va-signer", va["fichier"], "le nom du signataire de la VA n'y est pas lu")
        elif not name:
            warn("invoice-va-signer", invoice["fichier"], "le nom du destinataire n'y est pas lu")
        elif fold(signer) != fold(name):
            warn(
                "invoice-va-signer",
                invoice["fichier"],
                f"le nom sur la facture (« {name} ») n'est pas celui du signataire de la VA (« {signer} »)",
            )
    if "va-mss-indicator" in checks and va is not None and values.get("mss_indicator") is not None:
        words = checks["va-mss-indicator"]["values"]
        declared = values["mss_indicator"]
        shown = va.get("mss")
        if shown is None:
            warn("va-mss-indicator", va["fichier"], "l'indicateur Déploiement MSS n'y est pas lu")
        elif shown != declared:
            warn(
                "va-mss-indicator",
                va["fichier"],
                f"la VA indique « {words.get(shown, shown)} », le fichier « {words.get(declared, declared)} »",
            )
    if "invoice-segur-zero" in checks and invoice is not None:
        total = invoice.get("totalSegur")
        if total is None:
            warn("invoice-segur-zero", invoice["fichier"], "le total Ségur n'y est pas lu")
        elif total <= 0:
            warn("invoice-segur-zero", invoice["fichier"], f"le total Ségur est de {euros(total)} €")
    return found


def facts_of(pieces: Iterable[tuple[str | None, str]], texts: Mapping[str, str], spec: Spec) -> dict[str, Any]:
    """A request's facts from its pieces ((role, file name)) whose text was read."""
    facts: dict[str, Any] = {}
    for role, name in pieces:
        text = texts.get(name)
        if role is not None and text is not None:
            facts = merge_facts(facts, role, name, read_facts(text, role, spec))
    return facts


def warnings_of(lines: Iterable[Any], texts: Mapping[str, str], spec: Spec) -> Iterator[HandWarning]:
    """The warnings of a deposit's requests (:class:`~segur.mock_portal.controls.line.Line`) from
    the texts of the pieces read (file name → text)."""
    if not spec.hand_checks:
        return
    for line in lines:
        facts = facts_of(((p.role, p.name) for p in line.pieces), texts, spec)
        yield from line_warnings(line.values(), facts, spec, line.index)


def deposit_warnings(data: bytes, texts: Mapping[str, str], spec: Spec) -> list[HandWarning]:
    """The warnings of a deposit file's requests (its bytes; none when it cannot be read)."""
    import orjson

    from .line import Line
    from .spec import resolve

    if not spec.hand_checks or not texts:
        return []
    try:
        requests = resolve(orjson.loads(data), spec.document["requests"].path)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(requests, list):
        return []
    return list(warnings_of((Line(index, raw, spec) for index, raw in enumerate(requests)), texts, spec))
