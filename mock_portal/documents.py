"""The documents the portal issues: décision d'attribution, avis de paiement (real PDFs)."""

from __future__ import annotations

from datetime import datetime

from fpdf import FPDF

_TYPOGRAPHY = str.maketrans({"—": "-", "–": "-", "’": "'", "«": '"', "»": '"', "\u202f": " ", "€": "EUR"})


def _text(value: str) -> str:
    return value.translate(_TYPOGRAPHY).encode("latin-1", "replace").decode("latin-1")


def issued_pdf(title: str, lines: list[str], at: datetime) -> bytes:
    """A one-page PDF headed by the ASP, dated ``at`` (the mock's clock): same input, same bytes."""
    pdf = FPDF()
    pdf.set_creation_date(at)
    pdf.set_title(_text(title))
    pdf.set_producer("segur-conformance-kit mock portal")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 11)
    pdf.multi_cell(
        0,
        6,
        _text("Agence de Services et de Paiement - Ségur numérique (portail simulé)"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 15)
    pdf.multi_cell(0, 8, _text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("helvetica", size=10)
    for line in lines:
        pdf.multi_cell(0, 6, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("helvetica", "I", 8)
    pdf.multi_cell(
        0,
        5,
        _text("Document produit par un portail de test : il n'a aucune valeur juridique."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
