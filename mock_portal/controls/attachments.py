"""Controls of the zip of attachments, read in streaming: never the whole zip in memory.

The zip's central directory is read first (names, declared sizes, member count); then each
referenced member is decompressed alone, bounded to the per-file limit plus one byte, and
opened with a PDF reader. A problem with the zip as a whole is reported on every line.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import PurePosixPath
from typing import IO, TYPE_CHECKING, Union

import orjson

from .line import Line
from .reasons import pdf_reason, zip_reason
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
        return [Violation("zip-unreadable", "", {"detail": zip_reason(exc)})], None
    if size > limit:
        return [Violation("zip-too-large", "", {"taille": size, "maximum": limit})], None
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        return [Violation("zip-unreadable", "", {"detail": zip_reason(exc)})], None
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
        problem = pdf_problem(buffer)
        if problem is not None:
            return ("attachment-unreadable", {"fichier": name, "detail": problem}), None
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
        return pdf_reason(exc)
    return None
