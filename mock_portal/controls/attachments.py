"""Controls of the zip of attachments, read in streaming: never the whole zip in memory.

The zip's end record is read first (the member count and the size of the central directory it
declares: a zip of a million empty members is refused before any of them is listed); then the
central directory (names, declared sizes); then each referenced member is decompressed alone,
bounded to the per-file limit plus one byte, and opened with a PDF reader within a budget of
work (:mod:`.pdf_budget`). A problem with the zip as a whole is reported on every line.
"""

from __future__ import annotations

import os
import struct
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import PurePosixPath
from typing import IO, TYPE_CHECKING, Union

import orjson

from .line import Line
from .pdf_check import current_budget, pdf_budget, pdf_problem, pdf_verdict
from .reasons import zip_reason
from .registry import ATTACHMENT_RULES, engine_rules
from .spec import Spec, resolve
from .violation import Violation

if TYPE_CHECKING:
    import zipfile

engine_rules(*ATTACHMENT_RULES)

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
    with archive, pdf_budget(spec.limits):
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
        return [Violation("zip-unreadable", "", {"detail": zip_reason(exc)})], None
    if size > limit:
        return [Violation("zip-too-large", "", {"taille": size, "maximum": limit})], None
    try:
        declared = end_record(source)
    except OSError as exc:
        return [Violation("zip-unreadable", "", {"detail": exc.strerror or str(exc)})], None
    if declared is not None:
        members, directory = declared
        most = spec.limits["maxZipMembres"]
        if members > most:
            return [Violation("zip-bomb", "", {"detail": f"{members} fichiers, {most} au maximum"})], None
        if directory > most * _MAX_DIRECTORY_ENTRY:
            detail = f"répertoire central de {directory} octets pour {members} fichier(s)"
            return [Violation("zip-bomb", "", {"detail": detail})], None
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        return [Violation("zip-unreadable", "", {"detail": zip_reason(exc)})], None
    problems = list(_directory_problems(archive.infolist(), spec))
    if problems:
        archive.close()
        return problems, None
    return [], archive


#: the largest central-directory entry counted for a member: 46 bytes of header, a name and an
#: extra field of a few hundred bytes each (a larger directory hides more members than it declares)
_MAX_DIRECTORY_ENTRY = 1024
_END = b"PK\x05\x06"
_END_LENGTH = 22
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"


def end_record(source: ZipSource) -> tuple[int, int] | None:
    """The member count and the central directory's size declared by the zip's end record (the
    Zip64 one when present), found as Python's ``zipfile`` finds it: the last 22 bytes, else the
    last signature within the 64 KiB a comment may take. None when there is none (then the zip is
    unreadable, which ``zipfile`` reports)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            return end_record(handle)
    position = source.tell()
    try:
        size = source.seek(0, os.SEEK_END)
        if size < _END_LENGTH:
            return None
        source.seek(size - _END_LENGTH)
        last = source.read(_END_LENGTH)
        if last[:4] == _END and last[-2:] == b"\0\0":  # no comment: the record ends the file
            end = size - _END_LENGTH
            record = last
        else:  # a comment follows the record: the last signature in the last 64 KiB
            start = max(size - (1 << 16) - _END_LENGTH, 0)
            source.seek(start)
            tail = source.read()
            found = tail.rfind(_END)
            if found < 0 or len(tail) - found < _END_LENGTH:
                return None
            end = start + found
            record = tail[found : found + _END_LENGTH]
        members, directory = struct.unpack_from("<HI", record, 10)
        if end >= 76:  # a Zip64 locator just before, and the Zip64 record just before it
            source.seek(end - 76)
            zip64 = source.read(76)
            if zip64[56:60] == _END64_LOCATOR and zip64[:4] == _END64:
                members, directory = struct.unpack_from("<QQ", zip64, 32)
        return int(members), int(directory)
    finally:
        source.seek(position)


def _unsafe(name: str) -> bool:
    """A member name that could climb out of a folder, or that carries a control character (NUL,
    which ``zipfile`` would cut the name at, turning ``X.pdf\\0.exe`` into ``X.pdf``; CR, LF…)."""
    if not name or any(unicodedata.category(c) == "Cc" for c in name):
        return True
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
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
        if _unsafe(info.orig_filename):  # the name as written, before zipfile cuts it at a NUL
            shown = "".join(f"\\x{ord(c):02x}" if unicodedata.category(c) == "Cc" else c for c in info.orig_filename)
            yield Violation("zip-unsafe-name", "", {"fichier": shown})
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
    near: NearNames | None = None
    for line in lines:
        for piece in line.pieces:
            if piece.name not in verdicts:
                keep = texts if texts is not None and piece.role in read_roles else None
                verdict = _member_verdict(archive, members.get(piece.name), piece.name, spec, keep)
                if verdict is not None and verdict[0] == "attachment-missing":
                    near = near if near is not None else NearNames(members)
                    verdict = ("attachment-missing", {**verdict[1], **near.hint(piece.name)})
                verdicts[piece.name] = verdict
            verdict = verdicts[piece.name]
            if verdict is None:
                continue
            rule, params = verdict
            pointer = f"{pieces_pointer}/{piece.position}"
            yield Violation(rule, pointer, {**params, "typePiece": piece.word}, line.index)


class NearNames:
    """The members of a zip by a loose form of their names, to say which member a missing piece
    probably is. MODEL: the portal matches names exactly (the piece is still missing); a name
    differing only by letter case, by a folder in front, or by its Unicode normalisation (macOS
    writes accented names decomposed, NFD) is named in the answer to help the editor."""

    def __init__(self, names: Iterable[str]) -> None:
        self.by_key: dict[str, list[str]] = {}
        for name in sorted(names):
            self.by_key.setdefault(_loose(name), []).append(name)

    def hint(self, wanted: str) -> dict[str, str]:
        """``fichierProche`` (the member, or "") and ``indice`` (a sentence naming it and how it
        differs, starting with a space, or "")."""
        found = self.by_key.get(_loose(wanted))
        if not found:
            return {"fichierProche": "", "indice": ""}
        member = found[0]
        differences = []
        if _folder(member) != _folder(wanted):
            differences.append(f"le dossier « {_folder(member) or '(racine)'} »")
        wanted_base, member_base = _base(wanted), _base(member)
        if unicodedata.normalize("NFC", wanted_base) != unicodedata.normalize("NFC", member_base):
            differences.append("les majuscules et minuscules")
        if wanted_base.casefold() != member_base.casefold() and _nfc_fold(wanted_base) == _nfc_fold(member_base):
            differences.append("la forme Unicode des accents (composée NFC ou décomposée NFD)")
        return {
            "fichierProche": member,
            "indice": f" L'archive contient « {member} », qui ne s'en distingue que par : {', '.join(differences)}.",
        }


def _base(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _folder(name: str) -> str:
    text = name.replace("\\", "/")
    return text.rsplit("/", 1)[0] + "/" if "/" in text else ""


def _nfc_fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _loose(name: str) -> str:
    """A name without its folder, composed (NFC) and case-folded."""
    return _nfc_fold(_base(name))


def _member_verdict(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo | None,
    name: str,
    spec: Spec,
    texts: dict[str, str] | None = None,
) -> tuple[str, dict[str, object]] | None:
    """A member's verdict; with ``texts``, a readable piece's text is put in it by its name."""
    verdict, content = _read_member(archive, info, name, spec, keep=texts is not None)
    if verdict is None and texts is not None and content is not None:
        from .hand_checks import piece_text

        text = piece_text(content)
        if text is not None:
            texts[name] = text
    return verdict


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo | None, name: str, spec: Spec, *, keep: bool
) -> tuple[tuple[str, dict[str, object]] | None, bytes | None]:
    """A member's verdict (None: a readable PDF within the limit) and, with ``keep``, its bytes."""
    import zipfile
    import zlib

    limit = spec.limits["maxPieceOctets"]
    if info is None:
        return ("attachment-missing", {"fichier": name}), None
    if info.file_size > limit:
        return ("attachment-too-large", {"fichier": name, "taille": info.file_size, "maximum": limit}), None
    budget = current_budget()
    refused = budget.refusal() if budget is not None else None
    if refused:  # no more reading in this request: not even the member's bytes
        return ("attachment-budget", {"fichier": name, "detail": refused}), None
    # The PDF reader's objects hold the buffer in reference cycles: closing it frees the
    # bytes now rather than at the next garbage collection.
    with BytesIO() as buffer:
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    buffer.write(chunk)
                    if buffer.tell() > limit:
                        too_large: dict[str, object] = {"fichier": name, "taille": f"plus de {limit}", "maximum": limit}
                        return ("attachment-too-large", too_large), None
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
            unreadable: dict[str, object] = {"fichier": name, "detail": f"membre du zip illisible : {zip_reason(exc)}"}
            return ("attachment-unreadable", unreadable), None
        verdict = pdf_verdict(buffer)
        if verdict is not None:
            kind, detail = verdict
            return (
                "attachment-budget" if kind == "budget" else "attachment-unreadable",
                {"fichier": name, "detail": detail},
            ), None
        return None, buffer.getvalue() if keep else None


class PieceArchive:
    """A zip of pieces opened to take them one by one (the pieces an import keeps with its
    requests, a zip sent for several incomplete requests): ``problems`` holds the zip's own
    violations (then nothing is read from it); :meth:`piece` gives a member's verdict and bytes,
    reading one member at a time."""

    def __init__(self, source: ZipSource, spec: Spec) -> None:
        self.spec = spec
        self.problems, self._archive = _open(source, spec)
        self.names: set[str] = set()
        if self._archive is not None:
            self.names = {info.filename for info in self._archive.infolist() if not info.is_dir()}

    def __enter__(self) -> PieceArchive:
        return self

    def __exit__(self, *_: object) -> None:
        if self._archive is not None:
            self._archive.close()

    def content(self, name: str) -> bytes | None:
        """A member's bytes, already judged readable by the controls (at most the piece limit
        plus one byte is read), or None when it is not in the zip or cannot be read."""
        import zipfile
        import zlib

        if self._archive is None or name not in self.names:
            return None
        limit = self.spec.limits["maxPieceOctets"]
        try:
            with self._archive.open(name) as stream:
                content = stream.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError):
            return None
        return content if len(content) <= limit else None

    def piece(self, name: str) -> tuple[tuple[str, dict[str, object]] | None, bytes | None]:
        """(None, bytes) for a readable PDF within the limit, else (its rule and parameters, None)."""
        if self._archive is None:
            return ("attachment-missing", {"fichier": name}), None
        info = self._archive.getinfo(name) if name in self.names else None
        return _read_member(self._archive, info, name, self.spec, keep=True)


__all__ = ["AttachmentReport", "PieceArchive", "attachment_report", "check_attachments", "end_record", "pdf_problem"]
