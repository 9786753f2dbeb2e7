"""A piece is read within a budget: a cheap structural check first, then the PDF reader's work
counted per piece and per request, and a bound on the pieces read per request."""

from __future__ import annotations

from io import BytesIO

import pytest
from segur.generators.pdf import pdf_document, pdf_with_objects
from segur.mock_portal.controls.pdf_check import pdf_budget, pdf_problem, pdf_verdict

from tests._support.paths import SPEC

LIMITS = {"maxOperationsPdfPiece": 20_000, "maxOperationsPdfRequete": 50_000, "maxPdfParRequete": 5}


def test_a_kit_pdf_is_read_within_a_small_part_of_the_budget() -> None:
    with pdf_budget(SPEC.limits) as budget:
        assert pdf_verdict(BytesIO(pdf_document("BDC", ["ligne"]))) is None
    assert budget.used_pieces == 1
    assert 0 < budget.used_operations < SPEC.limits["maxOperationsPdfPiece"] // 50


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"%PDF-1.4\n" + b"1 0 obj\nendobj\n" * 1000, "%%EOF"),  # the costly piece, without its end
        (pdf_document("BDC")[:-200], "%%EOF"),  # cut before its end
        (b"Bon de commande\n%%EOF\n", "%PDF"),
    ],
)
def test_the_structural_check_refuses_without_calling_the_reader(content: bytes, why: str) -> None:
    with pdf_budget(LIMITS) as budget:
        verdict = pdf_verdict(BytesIO(content))
    assert verdict is not None and verdict[0] == "unreadable" and why in verdict[1]
    assert (budget.used_pieces, budget.used_operations) == (0, 0)


def test_a_piece_past_its_operations_is_stopped_with_the_budget_verdict() -> None:
    with pdf_budget(LIMITS) as budget:
        verdict = pdf_verdict(BytesIO(pdf_with_objects(10_000)))
    assert verdict == ("budget", "lecture du PDF arrêtée après 20000 opérations de lecture")
    assert budget.used_operations == 20_001  # the one that went over is counted


def test_the_same_piece_with_fewer_objects_is_read() -> None:
    with pdf_budget(LIMITS):
        assert pdf_verdict(BytesIO(pdf_with_objects(300))) is None


def test_once_the_request_budget_is_spent_no_piece_is_read_any_more() -> None:
    costly = pdf_with_objects(10_000)
    with pdf_budget(LIMITS) as budget:
        verdicts = [pdf_verdict(BytesIO(costly)) for _ in range(4)]
        read = budget.used_pieces
        last = pdf_verdict(BytesIO(pdf_document("BDC")))
    # 20 000 + 20 000 + the 10 000 left: the third stops at the request's limit
    assert [v[0] if v else None for v in verdicts] == ["budget"] * 4
    assert verdicts[3] == ("budget", "vérification interrompue : budget de lecture des PDF de l'envoi épuisé")
    assert read == 3 and budget.used_pieces == 3  # neither the fourth nor a good one was read
    assert last is not None and last[0] == "budget"


def test_pieces_read_per_request_are_bounded() -> None:
    good = pdf_document("BDC")
    with pdf_budget(LIMITS) as budget:
        verdicts = [pdf_verdict(BytesIO(good)) for _ in range(7)]
    assert verdicts[:5] == [None] * 5
    assert verdicts[5:] == [("budget", "vérification interrompue : 5 pièces lues au plus par envoi")] * 2
    assert budget.used_pieces == 5


def test_a_nested_budget_is_the_outer_one_and_none_open_means_one_per_piece() -> None:
    with pdf_budget(LIMITS) as outer, pdf_budget(SPEC.limits) as inner:
        assert inner is outer
    costly = pdf_with_objects(30_000)
    stopped = f"lecture du PDF arrêtée après {SPEC.limits['maxOperationsPdfPiece']} opérations de lecture"
    # outside any budget, each piece has the spec's own: the second is stopped as the first was
    assert [pdf_problem(BytesIO(costly)) for _ in range(2)] == [stopped, stopped]
    assert pdf_problem(BytesIO(pdf_document("BDC"))) is None
