"""The PDF attachments of a request: bon de commande, vérification d'aptitude, invoice.

Each is a real one-page PDF made by fpdf2 (:func:`segur.generators.pdf.pdf_document`) from the
request's own logical values, so what the document says matches what the JSON line declares:

- the **bon de commande** (role ``order_form``, avances) carries the mentions the appel à
  financement asks for: the editor, the client (organisme gestionnaire with its FINESS
  juridique and SIREN; the site with its FINESS géographique and/or SIRET and address), the
  software (name, version, ANS référencement number), the Ségur prestation and its amount HT,
  TVA and TTC, the order number, the signature date and a signature line;
- the **vérification d'aptitude** (role ``va``, soldes): the VA report of the software
  installed on the site, dated with the request's VA date;
- the **invoice** (role ``invoice``, soldes): number, date, amounts, the order it bills.

Any other role gets a plain « pièce justificative » naming the request. The same inputs
always give the same bytes; ``size`` pads a PDF to exactly that many bytes (e.g. the spec's
``maxPieceOctets`` and one byte over it), with seeded random bytes that do not compress.
"""

from __future__ import annotations

import hashlib
import random
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fpdf import FPDF
from segur.mock_portal.controls import Spec
from segur.mock_portal.controls.money import euros
from stdnum import luhn

from .pdf import _latin1

_FIXED_DATE = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)
_WRAP = 100  # characters of 9 pt Helvetica on an A4 line between 10 mm margins, with room to spare

__all__ = [
    "Editeur",
    "PieceRef",
    "bon_de_commande",
    "bundle_pieces",
    "editeur_for",
    "facture_solde",
    "piece_pdf",
    "piece_refs",
    "piece_seed",
    "signataire_for",
    "verification_aptitude",
]

_EDITEURS = (
    "Horizon Santé Logiciels",
    "MédiSoft Solutions",
    "Atlas Informatique Médico-Sociale",
    "Parcours Numérique",
    "Sérénité Systèmes",
    "Arcadie Éditions Logicielles",
    "Boréal Data Santé",
    "Cerise Informatique",
)
_VILLES = ("Lyon", "Nantes", "Rennes", "Toulouse", "Lille", "Bordeaux", "Montpellier", "Strasbourg")
_PRENOMS = ("Claire", "Julien", "Sophie", "Karim", "Isabelle", "Thomas", "Nadia", "Pierre", "Hélène", "Yann")
_NOMS = ("Martin", "Bernard", "Lefebvre", "Moreau", "Garnier", "Rousseau", "Lambert", "Fontaine", "Chevalier", "Roux")
PRESTATION = (
    "Prestation Ségur numérique : acquisition, installation, paramétrage et formation (couloir médico-social, vague 1)"
)


@dataclass(frozen=True)
class Editeur:
    """The software editor who sells the Ségur prestation and signs the order form."""

    raison_sociale: str
    siret: str
    ville: str


def editeur_for(numero_ans: str) -> Editeur:
    """The editor of a software, derived from its ANS number alone: same number, same editor."""
    rng = random.Random(hashlib.sha256(numero_ans.encode()).digest())
    body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(12))
    return Editeur(rng.choice(_EDITEURS), body + luhn.calc_check_digit(body), rng.choice(_VILLES))


def _money(amount: Any) -> str:
    """French money in a PDF: 12 345,67 EUR (a plain space groups thousands: the PDF fonts are Latin-1)."""
    return f"{euros(amount, group=' ')} EUR" if isinstance(amount, int) else "non renseigné"


def _day(value: Any) -> str:
    """A date as the French write it (31/01/2024); anything else as given."""
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value or "")


def _rate(value: Any) -> str:
    return f"{float(value or 0):g}".replace(".", ",") + " %"


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    return "" if value is None else str(value)


def _site_ids(values: Mapping[str, Any]) -> str:
    ids = []
    if values.get("site_finess"):
        ids.append(f"FINESS géographique {values['site_finess']}")
    if values.get("site_siret"):
        ids.append(f"SIRET {values['site_siret']}")
    return ", ".join(ids) or "identifiant non renseigné"


def _address(values: Mapping[str, Any]) -> str:
    street = " ".join(
        _text(values, k) for k in ("site_street_number", "site_street_type", "site_street_name") if values.get(k)
    )
    town = f"{_text(values, 'site_postcode')} {_text(values, 'site_city')}".strip()
    return ", ".join(p for p in (street, _text(values, "site_address_extra"), town) if p)


def _parties(values: Mapping[str, Any], editeur: Editeur) -> list[str]:
    return [
        f"Éditeur : {editeur.raison_sociale}, SIRET {editeur.siret}, {editeur.ville}",
        f"Client - organisme gestionnaire : {_text(values, 'manager_name')}, "
        f"FINESS juridique {_text(values, 'manager_finess')}, SIREN {_text(values, 'manager_siren')}",
        f"Établissement bénéficiaire : {_text(values, 'site_name')} ({_site_ids(values)}), "
        f"catégorie ESMS {_text(values, 'site_category')}",
        f"Adresse de l'établissement : {_address(values)}",
        f"Logiciel : {_text(values, 'software_name')}, version {_text(values, 'software_version')}",
        f"Numéro de référencement ANS : {_text(values, 'ans_number')}",
        f"Couloir {_text(values, 'corridor')}, type de logiciel {_text(values, 'software_type')}",
    ]


def _amounts(values: Mapping[str, Any]) -> tuple[int, int, int]:
    """(HT, TVA, TTC) in cents (TVA = TTC - HT)."""
    ht, ttc = values.get("amount_ht") or 0, values.get("amount_ttc") or 0
    return ht, ttc - ht, ttc


def _editeur(values: Mapping[str, Any], editeur: Editeur | None) -> Editeur:
    return editeur if editeur is not None else editeur_for(_text(values, "ans_number"))


def signataire_for(values: Mapping[str, Any], *, other: bool = False) -> str:
    """The person who signs for the client (the order form, the VA) and to whom the invoice is
    addressed, derived from the request's site and order form: same request, same person
    (``other``: someone else, for an invoice addressed to the wrong name)."""
    key = "|".join(_text(values, name) for name in ("site_finess", "site_siret", "bdc_number"))
    rng = random.Random(hashlib.sha256(key.encode()).digest())
    first, last = rng.randrange(len(_PRENOMS)), rng.randrange(len(_NOMS))
    if other:
        first, last = (first + 1) % len(_PRENOMS), (last + 3) % len(_NOMS)
    return f"{_PRENOMS[first]} {_NOMS[last]}"


def _first(hand: Mapping[str, Any] | None, check: str, key: str) -> str | None:
    """The first word of a check by hand's list ``key`` (None when the spec lacks the check)."""
    entry = (hand or {}).get(check)
    if entry is None:
        return None
    found = entry[key]
    return str(found[0] if isinstance(found, list) else found)


def bon_de_commande(
    values: Mapping[str, Any],
    *,
    editeur: Editeur | None = None,
    size: int | None = None,
    seed: int = 0,
    hand: Mapping[str, Any] | None = None,
    flaws: frozenset[str] = frozenset(),
) -> bytes:
    """The signed order form (BDC) of a request (logical values), with the mentions the AF asks for.

    With ``hand`` (the spec's checks by hand), it carries what a gestionnaire looks for, in the
    spec's words: the State's mention with the real Ségur amount, the client's signature block
    with its signer; ``flaws`` (check names) leave out what each of those checks reads."""
    editeur = _editeur(values, editeur)
    ht, tva, ttc = _amounts(values)
    segur = None if "bdc-amount-shown" in flaws else values.get("bdc_segur_amount")
    amount_label = _first(hand, "bdc-amount-shown", "amountLabels") or "Prestation Ségur, montant HT"
    mention = _first(hand, "bdc-state-mention", "mention")
    signature = _first(hand, "bdc-signature", "words")
    lines = [
        f"Bon de commande n° {_text(values, 'bdc_number')}",
        f"Référence de la demande : {_text(values, 'line_reference')}",
        "",
        *_parties(values, editeur),
        "",
        f"Objet : {PRESTATION}",
        f"{amount_label} : {_money(segur)}",
        *([f"{mention} : {_money(segur)}"] if mention and "bdc-state-mention" not in flaws else []),
        f"Montant total HT : {_money(ht)}",
        f"TVA ({_rate(values.get('vat_rate'))}) : {_money(tva)}",
        f"Montant total TTC : {_money(ttc)}",
        "",
        f"Bon de commande signé le {_day(values.get('bdc_date'))}",
    ]
    if hand is None:
        lines += [
            f"Pour le client, {_text(values, 'manager_name')} - nom, qualité, cachet et signature :",
            "Signature : ______________________________________",
        ]
    else:
        lines.append(f"Pour le client, {_text(values, 'manager_name')} : {signataire_for(values)}, directeur")
        if signature and "bdc-signature" not in flaws:
            lines.append(f"{signature} : {signataire_for(values)}, le {_day(values.get('bdc_date'))}")
    lines.append(f"Pour l'éditeur, {editeur.raison_sociale} - signature : ______________________________")
    return pdf_document(f"Bon de commande Ségur numérique {_text(values, 'bdc_number')}", lines, size=size, seed=seed)


def verification_aptitude(
    values: Mapping[str, Any],
    *,
    editeur: Editeur | None = None,
    size: int | None = None,
    seed: int = 0,
    hand: Mapping[str, Any] | None = None,
    flaws: frozenset[str] = frozenset(),
) -> bytes:
    """The vérification d'aptitude (VA) report of the request's software on its site; with
    ``hand``, its signer and the MSS indicator in the spec's words (``flaws``: left out)."""
    editeur = _editeur(values, editeur)
    lines = [
        f"Bon de commande n° {_text(values, 'bdc_number')} signé le {_day(values.get('bdc_date'))}",
        f"Demande d'avance : {_text(values, 'avance_number')}",
        f"Référence de la demande : {_text(values, 'line_reference')}",
        "",
        *_parties(values, editeur),
        "",
        f"Le logiciel référencé a été installé, paramétré et mis en service sur le site {_text(values, 'site_name')}.",
        "Les fonctionnalités du dossier de spécifications de référencement (DSR) ont été vérifiées : aptitude prononcée.",
        f"Date de la vérification d'aptitude : {_day(values.get('va_date'))}",
    ]
    indicator = values.get("mss_indicator")
    mss = (hand or {}).get("va-mss-indicator")
    if mss is not None and indicator is not None and "va-mss-indicator" not in flaws:
        lines.append(f"{mss['labels'][0]} : {mss['values'].get(indicator, indicator)}")
    lines.append("")
    signer_label = _first(hand, "invoice-va-signer", "vaLabels")
    if signer_label:
        lines.append(f"{signer_label} : {signataire_for(values)}, directeur de l'établissement")
    lines += [
        "Pour l'établissement - signature : ______________________________",
        f"Pour l'éditeur, {editeur.raison_sociale} - signature : ______________________________",
    ]
    return pdf_document(
        f"Procès-verbal de vérification d'aptitude - {_text(values, 'bdc_number')}", lines, size=size, seed=seed
    )


def facture_solde(
    values: Mapping[str, Any],
    *,
    editeur: Editeur | None = None,
    size: int | None = None,
    seed: int = 0,
    hand: Mapping[str, Any] | None = None,
    flaws: frozenset[str] = frozenset(),
) -> bytes:
    """The editor's invoice of the request's Ségur prestation (soldes); with ``hand``, addressed
    to the VA's signer and with its Ségur total in the spec's words (``flaws``: another name, a
    total of 0 €)."""
    editeur = _editeur(values, editeur)
    ht, tva, ttc = _amounts(values)
    lines = [
        f"Facture n° {_text(values, 'invoice_number')} du {_day(values.get('invoice_date'))}",
        f"Bon de commande n° {_text(values, 'bdc_number')} signé le {_day(values.get('bdc_date'))}",
        f"Référence de la demande : {_text(values, 'line_reference')}",
    ]
    addressee = _first(hand, "invoice-va-signer", "invoiceLabels")
    if addressee:
        lines.append(f"{addressee} : {signataire_for(values, other='invoice-va-signer' in flaws)}")
    lines += [
        "",
        *_parties(values, editeur),
        "",
        f"Désignation : {PRESTATION}",
        f"Montant HT : {_money(ht)}",
        f"TVA ({_rate(values.get('vat_rate'))}) : {_money(tva)}",
        f"Montant TTC : {_money(ttc)}",
    ]
    total = _first(hand, "invoice-segur-zero", "amountLabels")
    if total:
        lines.append(f"{total} : {_money(0 if 'invoice-segur-zero' in flaws else values.get('invoice_amount'))}")
    lines.append(f"Net à payer : {_money(values.get('invoice_amount'))}")
    return pdf_document(f"Facture {_text(values, 'invoice_number')}", lines, size=size, seed=seed)


def _other(values: Mapping[str, Any], word: str, *, size: int | None, seed: int) -> bytes:
    lines = [f"Nature : {word}", f"Référence de la demande : {_text(values, 'line_reference')}"]
    return pdf_document(f"Pièce justificative {word}", lines, size=size, seed=seed)


#: the document each role of attachment is made as
_MAKERS: dict[str, Callable[..., bytes]] = {
    "order_form": bon_de_commande,
    "va": verification_aptitude,
    "invoice": facture_solde,
}


def piece_pdf(
    values: Mapping[str, Any],
    role: str | None,
    *,
    word: str = "",
    editeur: Editeur | None = None,
    size: int | None = None,
    seed: int = 0,
    hand: Mapping[str, Any] | None = None,
    flaws: frozenset[str] = frozenset(),
) -> bytes:
    """The PDF of the piece of ``role`` (order form, VA, invoice, or any other) of a request;
    ``hand`` (the spec's checks by hand) and ``flaws`` as :func:`bon_de_commande` says."""
    maker = _MAKERS.get(role or "")
    if maker is None:
        return _other(values, word or str(role), size=size, seed=seed)
    return maker(values, editeur=editeur, size=size, seed=seed, hand=hand, flaws=flaws)


@dataclass(frozen=True)
class PieceRef:
    """A piece a request references: its line (0-based index), role, the spec's word for it
    and its file name."""

    index: int
    role: str | None
    word: str
    name: str


def piece_refs(requests: Sequence[Mapping[str, Any]], spec: Spec) -> list[PieceRef]:
    """The pieces the requests (logical values) reference, in order, each file name once (the
    first line naming it makes it)."""
    refs: list[PieceRef] = []
    seen: set[str] = set()
    for index, values in enumerate(requests):
        for piece in values.get("pieces") or []:
            role, name = (piece.role, piece.name) if hasattr(piece, "role") else piece
            if isinstance(name, str) and name not in seen:
                seen.add(name)
                refs.append(PieceRef(index, role, spec.pieces.roles.get(role, str(role)), name))
    return refs


def pdf_document(title: str, lines: list[str], *, size: int | None = None, seed: int = 0) -> bytes:
    """A one-page PDF of ``title`` and ``lines`` (exactly ``size`` bytes when given).

    Like :func:`segur.generators.pdf.pdf_document`, but lines are wrapped here and drawn with
    ``cell``: fpdf2's ``multi_cell`` line breaking costs ~10 ms a page, ten times the rest.
    """
    base = _render(title, lines, b"")
    if size is None or size <= len(base):
        return base
    padding = size - len(base)
    document = base
    for _ in range(4):  # the embedded file's dictionary costs a few hundred bytes; converge
        document = _render(title, lines, random.Random(seed).randbytes(max(padding, 0)))
        if len(document) == size:
            return document
        padding += size - len(document)
    raise ValueError(f"could not make a PDF of exactly {size} bytes (closest: {len(document)})")


def _render(title: str, lines: list[str], filler: bytes) -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(_FIXED_DATE)
    pdf.set_title(_latin1(title))
    pdf.set_producer("segur-conformance-kit")
    pdf.set_margins(10, 12, 10)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 13)
    for part in textwrap.wrap(_latin1(title), 80, break_on_hyphens=False, break_long_words=False) or [""]:
        pdf.cell(0, 8, part, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("helvetica", size=9)
    for text in lines:
        for part in textwrap.wrap(
            _latin1(text), _WRAP, subsequent_indent="    ", break_on_hyphens=False, break_long_words=False
        ) or [""]:
            pdf.cell(0, 5, part, new_x="LMARGIN", new_y="NEXT")
    if filler:
        pdf.embed_file(bytes=filler, basename="annexe.bin", modification_date=_FIXED_DATE, compress=False)
    return bytes(pdf.output())


def piece_seed(seed: int, name: str) -> int:
    """The padding seed of one PDF: from the bundle's seed and the file name, so that two
    PDFs of a bundle never share their padding."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:8], "big")


def bundle_pieces(
    requests: Sequence[Mapping[str, Any]],
    spec: Spec,
    *,
    seed: int = 0,
    size: int | None = None,
    flaws: Mapping[int, frozenset[str]] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """(file name, PDF) for every piece the requests (logical values) reference, made one at a
    time, carrying what the spec's checks by hand look for; ``flaws``: by line (0-based), the
    checks whose words that line's pieces leave out (:func:`segur.generators.mutators.flaw`)."""
    hand = spec.hand_checks or None
    for ref in piece_refs(requests, spec):
        flawed = (flaws or {}).get(ref.index, frozenset())
        content = piece_pdf(
            requests[ref.index],
            ref.role,
            word=ref.word,
            size=size,
            seed=piece_seed(seed, ref.name),
            hand=hand,
            flaws=flawed,
        )
        yield ref.name, content
