"""The zip is read in streaming: memory stays bounded by one attachment, not the archive."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import orjson
import pytest
from segur.generators.archive import write_zip
from segur.generators.bundle import replicate
from segur.generators.pdf import pdf_document
from segur.mock_portal.controls import Deposit, check_deposit

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


def _zip_variants() -> list[tuple[str, dict[str, object], dict[str, object]]]:
    from segur.generators import cases

    return [(i, c, v) for i, c, v in cases.variants(SPEC) if "zip" in v or "mode" in str(v.get("deposit", {}))]


@pytest.mark.parametrize(
    ("case", "variant"), [(c, v) for _, c, v in _zip_variants()], ids=[i for i, _, _ in _zip_variants()]
)
def test_an_attachment_report_made_ahead_gives_the_same_answer(
    case: dict[str, object], variant: dict[str, object], tmp_path: Path
) -> None:
    """The mock reads the zip before its import transaction: the answer must not change."""
    from segur.generators import cases
    from segur.mock_portal.controls.attachments import attachment_report

    built = cases.build(case, variant, SPEC, tmp_path)  # type: ignore[arg-type]

    def answer(attachments: object) -> object:
        return check_deposit(
            built.data, built.deposit, spec=SPEC, history=built.history, attachments=attachments, mode="import"
        ).to_json()  # type: ignore[arg-type]

    assert answer(attachment_report(built.data, built.zip_path, SPEC)) == answer(built.zip_path)


def test_a_report_made_ahead_drops_piece_findings_of_a_line_whose_piece_list_fails_the_schema(
    tmp_path: Path,
) -> None:
    from segur.mock_portal.controls.attachments import attachment_report

    bundle = orjson.loads(example("ms1-avance").read_bytes())
    bundle["demandes"][0]["piecesJointes"][0]["nature"] = "DEVIS"
    data = orjson.dumps(bundle)
    path = tmp_path / "pieces.zip"
    write_zip(path, [("BDC-2024-0002.pdf", pdf_document("BDC")), ("BDC-2024-0003.pdf", pdf_document("BDC"))])

    def codes(attachments: object) -> list[list[str]]:
        answer = check_deposit(data, Deposit("avance", 20), spec=SPEC, attachments=attachments, mode="import")  # type: ignore[arg-type]
        return [[f.code for f in line.findings] for line in answer.lines]

    assert codes(attachment_report(data, path, SPEC)) == codes(path) == [["2002"], [], []]


def _codes(bundle_data: bytes, path: Path) -> list[list[str]]:
    answer = check_deposit(bundle_data, Deposit("avance", 20), spec=SPEC, attachments=path, mode="import")
    return [[f.code for f in line.findings] for line in answer.lines]


@pytest.mark.parametrize("name", ["BDC-2024-0001.pdf\x00.exe", "BDC\r\n.pdf", "BDC\x1b[2J.pdf", "BDC\x7f.pdf"])
def test_a_member_name_with_a_control_character_is_an_unsafe_name(name: str, tmp_path: Path) -> None:
    """zipfile cuts a name at its NUL (``X.pdf\\0.exe`` would be read as ``X.pdf``): the name as
    written in the archive is the one checked."""
    data = example("ms1-avance").read_bytes()
    path = tmp_path / "pieces.zip"
    # a placeholder of the same length, replaced in the written bytes (zipfile would cut at NUL)
    placeholder = "".join("Z" if ord(c) < 32 or c == "\x7f" else c for c in name)
    members = [(f"BDC-2024-000{i}.pdf", pdf_document("BDC")) for i in (1, 2, 3)] + [(placeholder, pdf_document("x"))]
    write_zip(path, members)
    raw = path.read_bytes()
    assert raw.count(placeholder.encode()) == 2  # the local header and the central directory
    path.write_bytes(raw.replace(placeholder.encode(), name.encode()))
    answer = check_deposit(data, Deposit("avance", 20), spec=SPEC, attachments=path, mode="import")
    assert _codes(data, path) == [["3006"]] * 3
    assert "\\x" in answer.lines[0].findings[0].label  # the control character shown, not sent as is


def test_the_member_count_is_read_from_the_end_record_before_any_member_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests._support.attacks import zip_of_empty_members

    path = tmp_path / "pieces.zip"
    path.write_bytes(zip_of_empty_members(SPEC.limits["maxZipMembres"] + 1))

    def listed(*args: object, **kwargs: object) -> None:
        raise AssertionError("the central directory was read")

    monkeypatch.setattr(zipfile, "ZipFile", listed)
    data = example("ms1-avance").read_bytes()
    answer = check_deposit(data, Deposit("avance", 20), spec=SPEC, attachments=path, mode="import")
    assert _codes(data, path) == [["3007"]] * 3
    assert "2001 fichiers, 2000 au maximum" in answer.lines[0].findings[0].label


def test_a_central_directory_larger_than_its_declared_members_allow_is_refused_before_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A million members: the end record's 16-bit count says 65 535, the directory is 47 MB."""
    from tests._support.attacks import zip_of_empty_members

    path = tmp_path / "pieces.zip"
    path.write_bytes(zip_of_empty_members(1_000_000))
    monkeypatch.setattr(zipfile, "ZipFile", None)  # any use would fail
    data = example("ms1-avance").read_bytes()
    assert _codes(data, path) == [["3007"]] * 3


def test_the_zip64_end_record_is_the_one_read(tmp_path: Path) -> None:
    from segur.mock_portal.controls.attachments import end_record

    path = tmp_path / "pieces.zip"
    path.write_bytes(zip_of_empty_members_zip64(3_000_000))
    assert end_record(path) == (3_000_000, 46 * 3_000_000)


def zip_of_empty_members_zip64(declared: int) -> bytes:
    """An archive whose Zip64 end record declares ``declared`` members (its directory is absent:
    only the records at the end are written)."""
    import struct

    directory = 46 * declared
    zip64 = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, declared, declared, directory, 0)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, 0, 1)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return zip64 + locator + end
