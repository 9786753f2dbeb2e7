"""Controls of the zip of attachments, read in streaming: never the whole zip in memory.

The zip's central directory is read first (names, declared sizes, member count); then each
referenced member is decompressed alone, bounded to the per-file limit plus one byte, and
opened with a PDF reader. A problem with the zip as a whole is reported on every line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import PurePosixPath
from typing import IO, TYPE_CHECKING, Union

import orjson

from .line import Line
from .registry import engine_rules
from .spec import Spec, resolve
from .violation import Violation

if TYPE_CHECKING:
    import zipfile

engine_rules(
    "attachment-missing",
    "attachment-too-large",
    "attachment-unreadable",
    "zip-too-large",
    "zip-unreadable",
    "zip-unsafe-name",
    "zip-bomb",
    "zip-absent",
    "zip-duplicate-name",
)

ZipSource = Union[str, "os.PathLike[str]", IO[bytes]]

_CHUNK = 1 << 16


@dataclass(frozen=True)
class AttachmentReport:
    """The attachment violations of a deposit, checked ahead (the zip does not depend on what is
    stored: the mock portal reads it before opening its import transaction); ``texts``: the text
    of the pieces read for the checks by hand (file name → text), when asked for."""

    violations: tuple[Violation, ...]
    texts: dict[str, str] = field(default_factory=dict)


def attachment_report(
    data: bytes, source: ZipSource | None, spec: Spec, *, read_roles: frozenset[str] = frozenset()
) -> AttachmentReport:
    """Check the zip against the pieces the file's requests name; an unreadable file names none.
    The text of each readable piece of one of ``read_roles`` is kept too (the checks by hand,
    :mod:`~segur.mock_portal.controls.hand_checks`), read in the same pass over the zip."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return AttachmentReport(())
    requests = resolve(document, spec.document["requests"].path)
    if not isinstance(requests, list):
        return AttachmentReport(())
    lines = [Line(index, raw, spec) for index, raw in enumerate(requests)]
    texts: dict[str, str] = {}
    violations = check_attachments(source, lines, spec, texts=texts if read_roles else None, read_roles=read_roles)
    return AttachmentReport(tuple(violations), texts)


def check_attachments(
    source: ZipSource | None,
    lines: Sequence[Line],
    spec: Spec,
    *,
    texts: dict[str, str] | None = None,
    read_roles: frozenset[str] = frozenset(),
) -> list[Violation]:
    """Every attachment violation of the deposit, each on the line it concerns; with ``texts``,
    the text of each readable piece of one of ``read_roles`` is put in it by file name."""
    if source is None:
        return [Violation("zip-absent", "", {}, line.index) for line in lines]
    zip_problems, archive = _open(source, spec)
    if zip_problems:
        return [Violation(v.rule, v.pointer, v.params, line.index) for line in lines for v in zip_problems]
    assert archive is not None
    with archive:
        return list(_members(archive, lines, spec, texts, read_roles))


def _size(source: ZipSource) -> int:
    if isinstance(source, (str, os.PathLike)):
        return os.stat(source).st_size
    position = source.tell()
    size = source.seek(0, os.SEEK_END)
    source.seek(position)
    return size


def _open(source: ZipSource, spec: Spec) -> tuple[list[Violation], zipfile.ZipFile | None]:
    import zipfile  # here, not at the top: a check without a zip never pays for it

    limit = spec.limits["maxZipOctets"]
    try:
        size = _size(source)
    except OSError as exc:
        return [Violation("zip-unreadable", "", {"detail": exc.strerror or str(exc)})], None
    if size > limit:
        return [Violation("zip-too-large", "", {"taille": size, "maximum": limit})], None
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        return [Violation("zip-unreadable", "", {"detail": str(exc) or type(exc).__name__})], None
    problems = list(_directory_problems(archive.infolist(), spec))
    if problems:
        archive.close()
        return problems, None
    return [], archive


def _unsafe(name: str) -> bool:
    if not name or "\x00" in name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return ".." in parts


def _directory_problems(infos: list[zipfile.ZipInfo], spec: Spec) -> Iterator[Violation]:
    limits = spec.limits
    if len(infos) > limits["maxZipMembres"]:
        yield Violation("zip-bomb", "", {"detail": f"{len(infos)} fichiers, {limits['maxZipMembres']} au maximum"})
        return
    seen: set[str] = set()
    for info in infos:
        if _unsafe(info.filename):
            yield Violation("zip-unsafe-name", "", {"fichier": info.filename})
            return
        if info.filename in seen:
            yield Violation("zip-duplicate-name", "", {"fichier": info.filename})
            return
        seen.add(info.filename)
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _CHUNK and ratio > limits["maxRatioCompression"]:
            yield Violation(
                "zip-bomb",
                "",
                {
                    "detail": f"taux de compression de {ratio:.0f} pour 1 sur « {info.filename} », "
                    f"{limits['maxRatioCompression']} au maximum"
                },
            )
            return


def _members(
    archive: zipfile.ZipFile,
    lines: Sequence[Line],
    spec: Spec,
    texts: dict[str, str] | None = None,
    read_roles: frozenset[str] = frozenset(),
) -> Iterator[Violation]:
    members = {info.filename: info for info in archive.infolist() if not info.is_dir()}
    pieces_pointer = spec.pointer("pieces")
    verdicts: dict[str, tuple[str, dict[str, object]] | None] = {}
    for line in lines:
        for piece in line.pieces:
            if piece.name not in verdicts:
                keep = texts if texts is not None and piece.role in read_roles else None
                verdicts[piece.name] = _member_verdict(archive, members.get(piece.name), piece.name, spec, keep)
            verdict = verdicts[piece.name]
            if verdict is None:
                continue
            rule, params = verdict
            pointer = f"{pieces_pointer}/{piece.position}"
            yield Violation(rule, pointer, {**params, "typePiece": piece.word}, line.index)


def _member_verdict(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo | None,
    name: str,
    spec: Spec,
    texts: dict[str, str] | None = None,
) -> tuple[str, dict[str, object]] | None:
    import zipfile
    import zlib

    limit = spec.limits["maxPieceOctets"]
    if info is None:
        return "attachment-missing", {"fichier": name}
    if info.file_size > limit:
        return "attachment-too-large", {"fichier": name, "taille": info.file_size, "maximum": limit}
    # The PDF reader's objects hold the buffer in reference cycles: closing it frees the
    # bytes now rather than at the next garbage collection.
    with BytesIO() as buffer:
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    buffer.write(chunk)
                    if buffer.tell() > limit:
                        return "attachment-too-large", {"fichier": name, "taille": f"plus de {limit}", "maximum": limit}
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
            return "attachment-unreadable", {"fichier": name, "detail": f"membre du zip illisible : {exc}"}
        problem = pdf_problem(buffer)
        if problem is None and texts is not None:
            from .hand_checks import piece_text

            text = piece_text(buffer.getvalue())
            if text is not None:
                texts[name] = text
    return None if problem is None else ("attachment-unreadable", {"fichier": name, "detail": problem})


def pdf_problem(stream: BytesIO) -> str | None:
    """Why the bytes are not a readable PDF, or None when a PDF reader opens them."""
    head = stream.getbuffer()[:1024].tobytes()
    if b"%PDF-" not in head:
        return "en-tête %PDF absent"
    stream.seek(0)
    import logging

    from pypdf import PdfReader  # imported on the first PDF read: a JSON-only check never pays for it

    # pypdf reports recoverable damage through logging; the verdict here is the exception.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(stream)
        if reader.is_encrypted and not reader.decrypt(""):
            return "PDF protégé par un mot de passe"
        if len(reader.pages) == 0:
            return "PDF sans aucune page"
    except Exception as exc:  # pypdf raises many types on damaged files; all mean unreadable
        return f"PDF endommagé ({type(exc).__name__}: {exc})"
    return None
