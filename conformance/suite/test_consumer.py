"""Consumer conformance: ``ingest`` reads the portal's answers and status exports and its receipt
says what they say (the kit's conformance/receipt.schema.json)."""

from __future__ import annotations

from pathlib import Path

import pytest
from segur.conformance.consumer import AnswerCase, receipt_problems
from segur.conformance.runner import run_command
from segur.mock_portal.controls import Spec


def _ingest(case: AnswerCase, request: pytest.FixtureRequest, tmp_path: Path, spec: Spec) -> None:
    tool = request.getfixturevalue("segur_tool")
    answer = case.write(tmp_path)
    receipt, state = tmp_path / "recepisse.json", tmp_path / "etat"
    state.mkdir()  # a tool that keeps records starts with none
    run_command(tool, "ingest", {"answer": answer, "receipt": receipt, "state": state})
    problems = receipt_problems(receipt, case.document, spec)
    if problems:
        pytest.fail(f"the receipt of {answer.name} differs from the answer:\n" + "\n".join(problems), pytrace=False)


@pytest.mark.requirement("SEG-C01")
def test_line_answer(
    line_code: str,
    segur_answers: dict[str, AnswerCase],
    segur_spec: Spec,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    """An import answer where some lines got ``line_code`` and the others 0000 with their numbers."""
    _ingest(segur_answers[line_code], request, tmp_path, segur_spec)


@pytest.mark.requirement("SEG-C02")
def test_file_rejected(
    file_code: str,
    segur_answers: dict[str, AnswerCase],
    segur_spec: Spec,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    """An import answer rejecting the whole file with ``file_code``."""
    _ingest(segur_answers[file_code], request, tmp_path, segur_spec)


@pytest.mark.requirement("SEG-C03")
def test_incomplete_lines(
    attachment_code: str,
    segur_answers: dict[str, AnswerCase],
    segur_spec: Spec,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    """An import answer whose lines are created incomplete for ``attachment_code``."""
    _ingest(segur_answers[attachment_code], request, tmp_path, segur_spec)


@pytest.mark.requirement("SEG-C04")
def test_status_export(
    segur_answers: dict[str, AnswerCase], segur_spec: Spec, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The mock's export of requests in every status of the workflow."""
    _ingest(segur_answers["statuts"], request, tmp_path, segur_spec)
