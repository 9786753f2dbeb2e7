"""Real PDF documents (fpdf2), readable by any PDF reader, of a chosen size if asked.

A size is reached by embedding a file of seeded random bytes in the PDF: the document
stays valid, and random bytes do not compress, so the size inside a zip stays the size.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime

from fpdf import FPDF

_FIXED_DATE = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)


def pdf_document(title: str, lines: Sequence[str] = (), *, size: int | None = None, seed: int = 0) -> bytes:
    """A one-page PDF showing ``title`` and ``lines``; exactly ``size`` bytes when given.

    The same arguments always give the same bytes (fixed creation date, seeded padding).
    """
    base = _render(title, lines, b"")
    if size is None or size <= len(base):
        return base
    padding = size - len(base)
    document = base
    for _ in range(4):  # the embedded file's dictionary costs a few hundred bytes; converge
        filler = random.Random(seed).randbytes(max(padding, 0))
        document = _render(title, lines, filler)
        if len(document) == size:
            return document
        padding += size - len(document)
    raise ValueError(f"could not make a PDF of exactly {size} bytes (closest: {len(document)})")


_TYPOGRAPHY = str.maketrans(
    {"—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "\u202f": " ", "€": "EUR"}
)


def _latin1(text: str) -> str:
    """The PDF core fonts cover Latin-1: typographic signs become their plain forms."""
    return text.translate(_TYPOGRAPHY).encode("latin-1", "replace").decode("latin-1")


def _render(title: str, lines: Sequence[str], filler: bytes) -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(_FIXED_DATE)
    pdf.set_title(_latin1(title))
    pdf.set_producer("segur-conformance-kit")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.multi_cell(0, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    for text in lines:
        pdf.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    if filler:
        pdf.embed_file(bytes=filler, basename="annexe.bin", modification_date=_FIXED_DATE, compress=False)
    return bytes(pdf.output())


def pdf_with_objects(count: int) -> bytes:
    """A one-page PDF with ``count`` empty objects (``null``) inserted after its header: still a
    PDF a reader opens, but its cross-reference table now points wrong, so the reader rebuilds it
    by scanning the file (work that grows with ``count``: the PDF-reading budget's test piece)."""
    base = pdf_document("Pièce justificative", ["Pièce justificative de test"])
    header, newline, rest = base.partition(b"\n")
    padding = b"".join(b"%d 0 obj\nnull\nendobj\n" % (100_000 + number) for number in range(count))
    return header + newline + padding + rest
