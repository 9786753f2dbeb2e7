"""The labels' words: why a file is unreadable is said in French (no parser's English words);
a closed window is said closed since its closing time."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from segur.generators.pdf import pdf_document
from segur.mock_portal.controls import Deposit, check_deposit
from segur.mock_portal.controls.attachments import pdf_problem
from segur.mock_portal.controls.reasons import json_reason, zip_reason

from tests._support.logical import code, example_document, example_requests
from tests._support.paths import SPEC

ENGLISH = ("unexpected", "expected", "error", "file", "marker", "not found", "invalid", "trailing")


def english_words(text: str) -> list[str]:
    return [word for word in ENGLISH if word in text.lower().replace("fichier", "")]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (b'{"a":', "fin du fichier inattendue"),
        (b"[1,]", "virgule en trop"),
        (b'{"a":tru}', "mot inconnu"),
        (b"", "fichier vide"),
    ],
)
def test_the_json_parsers_message_is_said_in_french(text: bytes, said: str) -> None:
    import orjson

    with pytest.raises(orjson.JSONDecodeError) as caught:
        orjson.loads(text)
    reason = json_reason(caught.value.msg, caught.value.lineno, caught.value.colno)
    assert reason.startswith(said) and "ligne 1, colonne" in reason, reason
    assert english_words(reason) == [], reason


def test_a_truncated_file_gets_a_french_label_from_the_controls() -> None:
    import orjson

    text = orjson.dumps(example_document())
    deposit = Deposit(next(iter(SPEC.deposit_types)), float(example_requests()[0]["vat_rate"]), None, None, None)
    answer = check_deposit(text[: len(text) // 2], deposit, spec=SPEC).to_json()
    assert answer["codetraitement"] == code("file-json")
    assert "fin du fichier inattendue" in answer["libelletraitement"], answer["libelletraitement"]
    assert "unexpected" not in answer["libelletraitement"]


def test_a_damaged_pdf_and_zip_are_said_in_french(tmp_path: Path) -> None:
    pdf = pdf_document("Pièce", ["contenu"])
    problem = pdf_problem(BytesIO(pdf[: len(pdf) // 2]))
    assert problem is not None and problem.startswith("fichier endommagé"), problem
    assert english_words(problem) == [], problem
    with pytest.raises(zipfile.BadZipFile) as caught:
        zipfile.ZipFile(BytesIO(b"PK\x03\x04 pas une archive"))
    assert zip_reason(caught.value) == "ce n'est pas une archive zip"
    assert zip_reason(OSError()) == "lecture impossible"


def test_a_window_is_said_closed_from_its_closing_time_on() -> None:
    from datetime import timedelta

    from segur.mock_portal.controls.file_rules import window_state

    window = next(iter(SPEC.windows.values()))
    closes = window.closes.strftime("%d/%m/%Y à %H:%M")
    assert window_state(window, window.closes, SPEC) == f"fermé depuis le {closes}"
    assert window_state(window, window.closes - timedelta(minutes=1), SPEC) == f"ouvert jusqu'au {closes}"
    assert window_state(window, window.opens - timedelta(minutes=1), SPEC).startswith(
        "pas encore ouvert (ouverture le "
    )
    import orjson

    profile = next(iter(SPEC.profiles.values()))
    deposit = Deposit(profile.deposit_type, float(example_requests()[0]["vat_rate"]), window.closes, None, None)
    answer = check_deposit(orjson.dumps(example_document(window.profile)), deposit, spec=SPEC).to_json()
    assert answer["codetraitement"] == code("file-window")
    if "{etatGuichet}" in SPEC.rule_codes["file-window"].label:  # the model's label says it
        assert f"fermé depuis le {closes}" in answer["libelletraitement"], answer["libelletraitement"]
