"""The zip is read in streaming: memory stays bounded by one attachment, not the archive."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import orjson

from generators.archive import write_zip
from generators.bundle import replicate
from generators.pdf import pdf_document
from mock_portal.controls import Deposit, check_deposit
from tests._support.paths import SPEC, example


def test_checking_a_60_mb_zip_holds_about_one_attachment_in_memory(tmp_path: Path) -> None:
    bundle = replicate(orjson.loads(example("ms1-avance").read_bytes()), 20)
    names = [piece["nomFichier"] for line in bundle["demandes"] for piece in line["piecesJointes"]]
    path = tmp_path / "pieces.zip"
    write_zip(
        path,
        ((n, pdf_document(n, size=2_900_000, seed=i)) for i, n in enumerate(names)),
        compression=zipfile.ZIP_STORED,
    )
    assert path.stat().st_size > 20 * 2_900_000
    tracemalloc.start()
    try:
        answer = check_deposit(orjson.dumps(bundle), Deposit("avance", 20), spec=SPEC, mode="import", attachments=path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.all_accepted, answer.to_json()["lignes"][0]
    assert peak < 12_000_000, f"Expected: peak under 12 MB (one 2.9 MB piece at a time). Received: {peak} bytes"


def test_a_piece_referenced_by_two_lines_is_read_once_and_reported_on_both(tmp_path: Path) -> None:
    bundle = orjson.loads(example("ms1-avance").read_bytes())
    shared = bundle["demandes"][0]["piecesJointes"][0]["nomFichier"]
    bundle["demandes"][1]["piecesJointes"][0]["nomFichier"] = shared
    path = tmp_path / "pieces.zip"
    write_zip(path, [(shared, b"not a pdf"), ("BDC-2024-0003.pdf", pdf_document("BDC"))])
    answer = check_deposit(orjson.dumps(bundle), Deposit("avance", 20), spec=SPEC, mode="import", attachments=path)
    assert [line.findings[0].code if line.findings else "0000" for line in answer.lines] == ["3003", "3003", "0000"]
    assert answer.lines[0].findings[0].pointer == "/piecesJointes/0"
