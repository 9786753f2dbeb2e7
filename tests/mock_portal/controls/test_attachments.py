"""The zip is read in streaming: memory stays bounded by one attachment, not the archive."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import orjson
import pytest
from segur.generators.archive import write_zip
from segur.generators.bundle import scaled
from segur.generators.pdf import pdf_document
from segur.mock_portal.controls import Deposit, check_deposit
from segur.mock_portal.controls.writer import put

from tests._support.logical import (
    code,
    codes_of,
    data,
    example_document,
    example_requests,
    first_profile,
    piece_names,
    raw_requests,
)
from tests._support.paths import SPEC

VAT = float(example_requests()[0]["vat_rate"])


def test_checking_a_60_mb_zip_holds_about_one_attachment_in_memory(tmp_path: Path) -> None:
    bundle = scaled(example_document(), 20, SPEC)
    names = piece_names(bundle)
    path = tmp_path / "pieces.zip"
    write_zip(
        path,
        ((n, pdf_document(n, size=2_900_000, seed=i)) for i, n in enumerate(names)),
        compression=zipfile.ZIP_STORED,
    )
    assert path.stat().st_size > 20 * 2_900_000
    tracemalloc.start()
    try:
        answer = check_deposit(orjson.dumps(bundle), Deposit("avance", VAT), spec=SPEC, mode="import", attachments=path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.all_accepted, answer.to_json()["lignes"][0]
    assert peak < 12_000_000, f"Expected: peak under 12 MB (one 2.9 MB piece at a time). Received: {peak} bytes"


def test_a_piece_referenced_by_two_lines_is_read_once_and_reported_on_both(tmp_path: Path) -> None:
    requests = example_requests()[:3]
    shared = requests[0]["pieces"][0][1]
    requests[1]["pieces"] = [(role, shared) for role, _ in requests[1]["pieces"]][:1] + requests[1]["pieces"][1:]
    path = tmp_path / "pieces.zip"
    others = [name for values in requests[2:] for _, name in values["pieces"]]
    write_zip(path, [(shared, b"not a pdf"), *((name, pdf_document(name)) for name in others)])
    answer = check_deposit(data(requests), Deposit("avance", VAT), spec=SPEC, mode="import", attachments=path)
    unreadable = code("attachment-unreadable")
    assert codes_of(answer) == [unreadable, unreadable, SPEC.accepted_code]
    assert answer.lines[0].findings[0].pointer == f"{SPEC.pointer('pieces')}/0"


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
    """A piece of a role word the format does not have fails the schema; the report made ahead
    then drops that line's per-piece findings, as a direct check would not make them."""
    from segur.mock_portal.controls.attachments import attachment_report

    bundle = example_document(first_profile())
    first = raw_requests(bundle)[0]
    items = first
    for key in SPEC.pieces.path:
        items = items[key]
    put(items[0], SPEC.pieces.role_path, "DEVIS")
    body = orjson.dumps(bundle)
    names = piece_names(bundle)
    path = tmp_path / "pieces.zip"
    write_zip(path, [(name, pdf_document(name)) for name in names[1:]])

    def codes(attachments: object) -> list[list[str]]:
        answer = check_deposit(body, Deposit("avance", VAT), spec=SPEC, attachments=attachments, mode="import")  # type: ignore[arg-type]
        return [[f.code for f in line.findings] for line in answer.lines]

    found = codes(attachment_report(body, path, SPEC))
    assert found == codes(path)
    assert found[0] == [code("line-format")] and all(not line for line in found[1:])


@pytest.mark.parametrize(
    ("member", "named"),
    [
        ("{stem}.PDF", "les majuscules et minuscules"),
        ("pieces/{name}", "le dossier « pieces/ »"),
        ("Pie\u0300ces/{name}", "le dossier « Pie\u0300ces/ »"),
        ("{nfd}", "la forme Unicode des accents"),
        ("pieces/{nfd_upper}", "le dossier « pieces/ », les majuscules et minuscules, la forme Unicode des accents"),
    ],
)
def test_a_missing_piece_names_the_member_it_probably_is_and_keeps_its_code(
    tmp_path: Path, member: str, named: str
) -> None:
    """A member differing from the referenced name only by letter case, a folder in front or its
    Unicode normalisation (macOS writes NFD) does not stand for the piece: the line keeps the
    code of a missing piece, and the answer says which member was probably meant."""
    import unicodedata

    requests = example_requests()[:1]
    role = requests[0]["pieces"][0][0]
    name = "BDC-Pâquerettes-0001.pdf"
    requests[0]["pieces"] = [(role, name)]
    stem = name[:-4]
    nfd = unicodedata.normalize("NFD", name)
    written_member = member.format(name=name, stem=stem, nfd=nfd, nfd_upper=nfd.upper())
    path = tmp_path / "pieces.zip"
    write_zip(path, [(written_member, pdf_document(name))])
    answer = check_deposit(data(requests), Deposit("avance", VAT), spec=SPEC, mode="import", attachments=path)
    finding = answer.lines[0].findings[0]
    assert [f.code for f in answer.lines[0].findings] == [code("attachment-missing")]
    assert answer.lines[0].status == "incomplete"
    assert finding.params["fichierProche"] == written_member, finding.params
    assert finding.params["indice"].startswith(" ") and named in finding.params["indice"], finding.params
    assert written_member in finding.params["indice"]
    shape = answer.to_json()["lignes"][0]["erreurs"][0]
    assert set(shape) == {"code", "libelle", "champ"}  # the answer's JSON keeps its shape


def test_a_missing_piece_with_no_near_member_says_nothing_more(tmp_path: Path) -> None:
    requests = example_requests()[:1]
    path = tmp_path / "pieces.zip"
    write_zip(path, [("autre-chose.pdf", pdf_document("autre"))])
    answer = check_deposit(data(requests), Deposit("avance", VAT), spec=SPEC, mode="import", attachments=path)
    finding = answer.lines[0].findings[0]
    assert finding.code == code("attachment-missing")
    assert finding.params["fichierProche"] == "" and finding.params["indice"] == ""
    assert "{" not in finding.label


def _codes(bundle_data: bytes, path: Path) -> list[list[str]]:
    answer = check_deposit(bundle_data, Deposit("avance", VAT), spec=SPEC, attachments=path, mode="import")
    return [[f.code for f in line.findings] for line in answer.lines]


def _example_zip_members() -> list[tuple[str, bytes]]:
    return [(name, pdf_document(name)) for name in piece_names(example_document())]


@pytest.mark.parametrize("control", ["\x00.exe", "\r\n", "\x1b[2J", "\x7f"])
def test_a_member_name_with_a_control_character_is_an_unsafe_name(control: str, tmp_path: Path) -> None:
    """zipfile cuts a name at its NUL (``X.pdf\\0.exe`` would be read as ``X.pdf``): the name as
    written in the archive is the one checked."""
    bundle = orjson.dumps(example_document())
    first = piece_names(example_document())[0]
    name = first + control if control.startswith("\x00") else first.replace(".", f"{control}.", 1)
    path = tmp_path / "pieces.zip"
    # a placeholder of the same length, replaced in the written bytes (zipfile would cut at NUL)
    placeholder = "".join("Z" if ord(c) < 32 or c == "\x7f" else c for c in name)
    write_zip(path, [*_example_zip_members(), (placeholder, pdf_document("x"))])
    raw = path.read_bytes()
    assert raw.count(placeholder.encode()) == 2  # the local header and the central directory
    path.write_bytes(raw.replace(placeholder.encode(), name.encode()))
    answer = check_deposit(bundle, Deposit("avance", VAT), spec=SPEC, attachments=path, mode="import")
    lines = len(answer.lines)
    assert _codes(bundle, path) == [[code("zip-unsafe-name")]] * lines
    assert "\\x" in answer.lines[0].findings[0].label  # the control character shown, not sent as is


def test_the_member_count_is_read_from_the_end_record_before_any_member_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests._support.attacks import zip_of_empty_members

    most = SPEC.limits["maxZipMembres"]
    path = tmp_path / "pieces.zip"
    path.write_bytes(zip_of_empty_members(most + 1))

    def listed(*args: object, **kwargs: object) -> None:
        raise AssertionError("the central directory was read")

    monkeypatch.setattr(zipfile, "ZipFile", listed)
    bundle = orjson.dumps(example_document())
    answer = check_deposit(bundle, Deposit("avance", VAT), spec=SPEC, attachments=path, mode="import")
    assert _codes(bundle, path) == [[code("zip-bomb")]] * len(answer.lines)
    assert f"{most + 1} fichiers, {most} au maximum" in answer.lines[0].findings[0].label


def test_a_central_directory_larger_than_its_declared_members_allow_is_refused_before_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A million members: the end record's 16-bit count says 65 535, the directory is 47 MB."""
    from tests._support.attacks import zip_of_empty_members

    path = tmp_path / "pieces.zip"
    path.write_bytes(zip_of_empty_members(1_000_000))
    monkeypatch.setattr(zipfile, "ZipFile", None)  # any use would fail
    bundle = orjson.dumps(example_document())
    assert _codes(bundle, path) == [[code("zip-bomb")]] * len(raw_requests(example_document()))


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
