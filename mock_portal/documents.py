"""The documents the portal issues: décision d'attribution, avis de paiement (real PDFs).

MODEL: the layout and wording of the ASP's own documents are not public. These read as
administrative documents (the agency's and the programme's heading, a reference and a date, the
parties, the amounts, a signature) and say on every page that they come from a test portal and
have no value. Same input, same bytes: the creation date is the mock's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fpdf import FPDF

_TYPOGRAPHY = str.maketrans(
    {"—": "-", "–": "-", "’": "'", "«": '"', "»": '"', "\u202f": " ", "\u00a0": " ", "€": "EUR", "…": "..."}
)
#: on every page, in the heading and at the foot
TEST_MENTION = "Portail de test : document sans valeur juridique ni financière."
AGENCY = "Agence de Services et de Paiement (ASP)"
_BLUE = (0, 0, 145)
_GREY = (90, 90, 90)


def _text(value: str) -> str:
    return value.translate(_TYPOGRAPHY).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class Section:
    """A titled block of labelled values (« FINESS géographique : 123456789 »)."""

    title: str
    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class Issued:
    """What an issued document says: its kind, reference and date, the programme it comes under,
    its sections, the paragraphs of its decision, its signature."""

    title: str
    reference: str
    date: str
    programme: str
    sections: list[Section]
    paragraphs: list[str] = field(default_factory=list)
    signature: str = "Pour l'ASP, le service gestion Ségur numérique"


class _Document(FPDF):
    def __init__(self, issued: Issued) -> None:
        super().__init__()
        self.issued = issued
        self.set_auto_page_break(auto=True, margin=22)

    def header(self) -> None:
        self.set_fill_color(*_BLUE)
        self.rect(0, 0, self.w, 4, style="F")
        self.set_xy(self.l_margin, 9)
        self.set_text_color(*_BLUE)
        self.set_font("helvetica", "B", 12)
        self.cell(0, 6, _text(AGENCY), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*_GREY)
        self.set_font("helvetica", size=9)
        self.multi_cell(0, 4.5, _text(self.issued.programme), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(180, 0, 0)
        self.set_font("helvetica", "B", 8)
        self.cell(0, 5, _text(f"PORTAIL SIMULÉ - {TEST_MENTION.upper()}"), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*_BLUE)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(5)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-16)
        self.set_text_color(*_GREY)
        self.set_font("helvetica", "I", 7.5)
        self.multi_cell(
            0,
            3.6,
            _text(
                f"{TEST_MENTION} Modèle du kit de conformité Ségur : la mise en page des documents réels de l'ASP "
                f"n'est pas publique. {self.issued.title} {self.issued.reference} - page {self.page_no()}/{{nb}}"
            ),
            align="C",
        )


def issued_pdf(issued: Issued, at: datetime) -> bytes:
    """The document as a PDF, dated ``at`` (the mock's clock)."""
    pdf = _Document(issued)
    pdf.alias_nb_pages()
    pdf.set_creation_date(at)
    pdf.set_title(_text(f"{issued.title} {issued.reference}"))
    pdf.set_author(_text(AGENCY))
    pdf.set_producer("segur-conformance-kit mock portal")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 17)
    pdf.set_text_color(*_BLUE)
    pdf.cell(0, 9, _text(issued.title.upper()), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("helvetica", size=10)
    pdf.cell(0, 6, _text(f"Référence : {issued.reference}     Date : {issued.date}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for section in issued.sections:
        pdf.set_fill_color(227, 227, 253)
        pdf.set_font("helvetica", "B", 10.5)
        pdf.cell(0, 7, _text(section.title), fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        for label, value in section.rows:
            pdf.set_font("helvetica", "B", 9.5)
            pdf.cell(62, 5.5, _text(f"{label} :"))
            pdf.set_font("helvetica", size=9.5)
            pdf.multi_cell(width - 62, 5.5, _text(value or "-"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
    pdf.set_font("helvetica", size=10)
    for paragraph in issued.paragraphs:
        pdf.multi_cell(0, 5.2, _text(paragraph), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    pdf.ln(4)
    pdf.set_font("helvetica", "I", 10)
    pdf.cell(0, 6, _text(f"Fait le {issued.date}."), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "B", 10)
    pdf.cell(0, 6, _text(issued.signature), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "I", 9)
    pdf.cell(0, 6, _text("(signature électronique simulée)"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def masked_iban(iban: str) -> str:
    """« FR76 **** **** **** **** ***0 189 »: the country, its key and the last four characters."""
    compact = "".join(iban.split()).upper()
    if len(compact) < 9:
        return "non renseigné"
    shown = compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
    return " ".join(shown[i : i + 4] for i in range(0, len(shown), 4))
