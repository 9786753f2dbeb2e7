"""The PDF attachments of a request: bon de commande, vérification d'aptitude, invoice.

Each is a real one-page PDF made by fpdf2 (:func:`segur.generators.pdf.pdf_document`) from the
request's own fields, so what the document says matches what the JSON line declares:

- the **bon de commande** (BDC, nature ``BDC``, avances) carries the mentions the appel à
  financement asks for: the editor, the client (organisme gestionnaire with its FINESS
  juridique and SIREN; the site with its FINESS géographique and/or SIRET and address), the
  software (name, version, ANS référencement number), the Ségur prestation and its amount HT,
  TVA and TTC, the order number, the signature date and a signature line;
- the **vérification d'aptitude** (nature ``VA``, soldes): the VA report of the software
  installed on the site, dated ``verificationAptitude.dateVa``;
- the **invoice** (nature ``FACTURE``, soldes): number, date, amounts, the order it bills.

Any other nature gets a plain « pièce justificative » naming the request. The same inputs
always give the same bytes; ``size`` pads a PDF to exactly that many bytes (e.g. the spec's
``maxPieceOctets`` and one byte over it), with seeded random bytes that do not compress.
"""

from __future__ import annotations

import hashlib
import random
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fpdf import FPDF
from segur.mock_portal.controls import Spec
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
    "facture",
    "piece_pdf",
    "piece_refs",
    "piece_seed",
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


def _cents(value: Any) -> int:
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _money(cents: int) -> str:
    """French money: 12 345,67 EUR (a plain space groups thousands)."""
    whole, part = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", " ")
    return f"{'-' if cents < 0 else ''}{grouped},{part:02d} EUR"


def _day(iso: Any) -> str:
    """An ISO date as the French write it (31/01/2024); anything else as given."""
    try:
        return date.fromisoformat(str(iso)).strftime("%d/%m/%Y")
    except ValueError:
        return str(iso)


def _rate(value: Any) -> str:
    return f"{float(value):g}".replace(".", ",") + " %"


def _site_ids(site: Mapping[str, Any]) -> str:
    ids = []
    if site.get("finessGeographique"):
        ids.append(f"FINESS géographique {site['finessGeographique']}")
    if site.get("siret"):
        ids.append(f"SIRET {site['siret']}")
    return ", ".join(ids) or "identifiant non renseigné"


def _address(site: Mapping[str, Any]) -> str:
    a = site.get("adresse") or {}
    street = " ".join(str(a[k]) for k in ("numeroVoie", "typeVoie", "libelleVoie") if a.get(k))
    parts = [street, str(a.get("complement", "")), f"{a.get('codePostal', '')} {a.get('commune', '')}".strip()]
    return ", ".join(p for p in parts if p)


def _parties(line: Mapping[str, Any], editeur: Editeur) -> list[str]:
    org = line.get("organismeGestionnaire") or {}
    site = line.get("etablissement") or {}
    sw = line.get("logiciel") or {}
    return [
        f"Éditeur : {editeur.raison_sociale}, SIRET {editeur.siret}, {editeur.ville}",
        f"Client - organisme gestionnaire : {org.get('raisonSociale', '')}, "
        f"FINESS juridique {org.get('finessJuridique', '')}, SIREN {org.get('siren', '')}",
        f"Établissement bénéficiaire : {site.get('raisonSociale', '')} ({_site_ids(site)}), "
        f"catégorie ESMS {site.get('categorieEsms', '')}",
        f"Adresse de l'établissement : {_address(site)}",
        f"Logiciel : {sw.get('nom', '')}, version {sw.get('version', '')}",
        f"Numéro de référencement ANS : {sw.get('numeroReferencementAns', '')}",
        f"Couloir {line.get('couloir', '')}, type de logiciel {line.get('typeLogiciel', '')}",
    ]


def _amounts(line: Mapping[str, Any]) -> tuple[int, int, int]:
    """(HT, TVA, TTC) in cents, from the line's ``montants`` (TVA = TTC - HT)."""
    m = line.get("montants") or {}
    ht, ttc = _cents(m.get("montantHt", 0)), _cents(m.get("montantTtc", 0))
    return ht, ttc - ht, ttc


def bon_de_commande(
    line: Mapping[str, Any], *, editeur: Editeur | None = None, size: int | None = None, seed: int = 0
) -> bytes:
    """The signed order form (BDC) of ``line``, with the mentions the AF asks for."""
    sw = line.get("logiciel") or {}
    editeur = editeur if editeur is not None else editeur_for(str(sw.get("numeroReferencementAns", "")))
    bdc = line.get("bonCommande") or {}
    org = line.get("organismeGestionnaire") or {}
    ht, tva, ttc = _amounts(line)
    rate = (line.get("montants") or {}).get("tauxTva", 0)
    segur_ht = _cents(bdc.get("montantSegurHt", 0))
    lines = [
        f"Bon de commande n° {bdc.get('numero', '')}",
        f"Référence de la demande : {line.get('referenceLigne', '')}",
        "",
        *_parties(line, editeur),
        "",
        f"Objet : {PRESTATION}",
        f"Montant de la prestation Ségur HT : {_money(segur_ht)}",
        f"Montant total HT : {_money(ht)}",
        f"TVA ({_rate(rate)}) : {_money(tva)}",
        f"Montant total TTC : {_money(ttc)}",
        "",
        f"Bon de commande signé le {_day(bdc.get('dateSignature', ''))}",
        f"Pour le client, {org.get('raisonSociale', '')} - nom, qualité, cachet et signature :",
        "Signature : ______________________________________",
        f"Pour l'éditeur, {editeur.raison_sociale} - signature : ______________________________",
    ]
    return pdf_document(f"Bon de commande Ségur numérique {bdc.get('numero', '')}", lines, size=size, seed=seed)


def verification_aptitude(
    line: Mapping[str, Any], *, editeur: Editeur | None = None, size: int | None = None, seed: int = 0
) -> bytes:
    """The vérification d'aptitude (VA) report of ``line``'s software on its site."""
    sw = line.get("logiciel") or {}
    editeur = editeur if editeur is not None else editeur_for(str(sw.get("numeroReferencementAns", "")))
    bdc = line.get("bonCommande") or {}
    va = line.get("verificationAptitude") or {}
    site = line.get("etablissement") or {}
    lines = [
        f"Bon de commande n° {bdc.get('numero', '')} signé le {_day(bdc.get('dateSignature', ''))}",
        f"Demande d'avance : {line.get('numeroDemandeAvance', '')}",
        f"Référence de la demande : {line.get('referenceLigne', '')}",
        "",
        *_parties(line, editeur),
        "",
        f"Le logiciel référencé a été installé, paramétré et mis en service sur le site {site.get('raisonSociale', '')}.",
        "Les fonctionnalités du dossier de spécifications de référencement (DSR) ont été vérifiées : aptitude prononcée.",
        f"Date de la vérification d'aptitude : {_day(va.get('dateVa', ''))}",
        "",
        "Pour l'établissement - signature : ______________________________",
        f"Pour l'éditeur, {editeur.raison_sociale} - signature : ______________________________",
    ]
    return pdf_document(
        f"Procès-verbal de vérification d'aptitude - {bdc.get('numero', '')}", lines, size=size, seed=seed
    )


def facture(
    line: Mapping[str, Any], *, editeur: Editeur | None = None, size: int | None = None, seed: int = 0
) -> bytes:
    """The editor's invoice of ``line``'s Ségur prestation (soldes)."""
    sw = line.get("logiciel") or {}
    editeur = editeur if editeur is not None else editeur_for(str(sw.get("numeroReferencementAns", "")))
    bdc = line.get("bonCommande") or {}
    invoice = line.get("facture") or {}
    ht, tva, ttc = _amounts(line)
    rate = (line.get("montants") or {}).get("tauxTva", 0)
    lines = [
        f"Facture n° {invoice.get('numero', '')} du {_day(invoice.get('date', ''))}",
        f"Bon de commande n° {bdc.get('numero', '')} signé le {_day(bdc.get('dateSignature', ''))}",
        f"Référence de la demande : {line.get('referenceLigne', '')}",
        "",
        *_parties(line, editeur),
        "",
        f"Désignation : {PRESTATION}",
        f"Montant HT : {_money(ht)}",
        f"TVA ({_rate(rate)}) : {_money(tva)}",
        f"Montant TTC : {_money(ttc)}",
        f"Net à payer : {_money(_cents(invoice.get('montantTtc', 0)))}",
    ]
    return pdf_document(f"Facture {invoice.get('numero', '')}", lines, size=size, seed=seed)


def _other(line: Mapping[str, Any], nature: str, *, size: int | None, seed: int) -> bytes:
    lines = [f"Nature : {nature}", f"Référence de la demande : {line.get('referenceLigne', '')}"]
    return pdf_document(f"Pièce justificative {nature}", lines, size=size, seed=seed)


_MAKERS: dict[str, Callable[..., bytes]] = {"BDC": bon_de_commande, "VA": verification_aptitude, "FACTURE": facture}


def piece_pdf(
    line: Mapping[str, Any], nature: str, *, editeur: Editeur | None = None, size: int | None = None, seed: int = 0
) -> bytes:
    """The PDF of the piece of ``nature`` (BDC, VA, FACTURE, or any other) of ``line``."""
    maker = _MAKERS.get(nature)
    if maker is None:
        return _other(line, nature, size=size, seed=seed)
    return maker(line, editeur=editeur, size=size, seed=seed)


@dataclass(frozen=True)
class PieceRef:
    """A piece a request references: its line (0-based index), nature and file name."""

    index: int
    nature: str
    name: str


def piece_refs(bundle: Mapping[str, Any], spec: Spec) -> list[PieceRef]:
    """The pieces the bundle's lines reference, in order, each file name once (the first
    line naming it makes it)."""
    demandes_path = spec.document_fields.get("demandes", ("demandes",))
    demandes: Any = bundle
    for key in demandes_path:
        demandes = demandes.get(key) if isinstance(demandes, Mapping) else None
    nature_path = spec.piece_fields.get("nature", ("nature",))
    file_path = spec.piece_fields.get("nomFichier", ("nomFichier",))
    refs: list[PieceRef] = []
    seen: set[str] = set()
    for index, line in enumerate(demandes if isinstance(demandes, list) else []):
        pieces: Any = line
        for key in spec.fields.get("piecesJointes", ("piecesJointes",)):
            pieces = pieces.get(key) if isinstance(pieces, Mapping) else None
        for piece in pieces if isinstance(pieces, list) else []:
            nature, name = _walk(piece, nature_path), _walk(piece, file_path)
            if isinstance(name, str) and name not in seen:
                seen.add(name)
                refs.append(PieceRef(index, str(nature), name))
    return refs


def _walk(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


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
    bundle: Mapping[str, Any], spec: Spec, *, seed: int = 0, size: int | None = None
) -> Iterator[tuple[str, bytes]]:
    """(file name, PDF) for every piece the bundle references, made one at a time."""
    lines: Any = _walk(bundle, spec.document_fields.get("demandes", ("demandes",)))
    for ref in piece_refs(bundle, spec):
        yield ref.name, piece_pdf(lines[ref.index], ref.nature, size=size, seed=piece_seed(seed, ref.name))
