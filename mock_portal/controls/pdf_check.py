"""Is a piece a readable PDF? Answered within a budget of work, per piece and per request.

A PDF reader does as much work as the file asks: 3 MB of empty objects without a cross-reference
table make pypdf scan and parse for more than a second. So the check goes in three steps:

1. a structural check that costs nothing: the header ``%PDF-`` in the first 1024 bytes and the
   end marker ``%%EOF`` in the last 1024 bytes (ISO 32000-1, 7.5.2 and 7.5.5; MODEL: stricter
   than pypdf, which searches the whole file backwards for a marker);
2. the reader, fed through a stream that counts its reads and seeks: past
   ``maxOperationsPdfPiece`` for one piece, or ``maxOperationsPdfRequete`` for all the pieces of
   one request, the reading stops (a deterministic measure of the parser's work: the same file
   gets the same answer from ``segur check`` and from the portal); pypdf's own limits bound
   what one read may decompress (``PDF_READER_LIMITS``);
3. past ``maxPdfParRequete`` pieces read in one request, the next ones are not read.

A bound of processor time per piece and per request backs the count up (what a count of reads
does not see, such as decompression); it is the only part that depends on the machine.

The budget is per request: :func:`pdf_budget` opens one for a block (the mock portal opens one
per HTTP request; a check of a deposit's zip opens its own when none is open).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from .reasons import pdf_reason

#: the defaults when the spec's limits leave them out (model values; a one-page PDF of the kit
#: takes under a thousand operations, a 3 MB one of a real scanner a few thousand)
DEFAULT_LIMITS = {
    "maxOperationsPdfPiece": 100_000,
    "maxOperationsPdfRequete": 500_000,
    "maxPdfParRequete": 1_000,
}
#: processor time, per piece and per request (seconds): the back-up of the count
PIECE_SECONDS = 0.25
REQUEST_SECONDS = 1.0
#: pypdf's limits while it checks a piece (its defaults allow 75 MB per decompressed stream)
PDF_READER_LIMITS: dict[str, int] = {
    "zlib_maximum_output_length": 10_000_000,
    "lzw_maximum_output_length": 10_000_000,
    "run_length_maximum_output_length": 10_000_000,
    "page_tree_maximum_entries": 10_000,
    "array_maximum_element_count": 100_000,
    "dictionary_maximum_element_count": 10_000,
}
_HEAD = 1024
_TAIL = 1024


class _Exceeded(BaseException):
    """The budget is spent: a stop, not damage (a BaseException, so that no ``except Exception``
    inside the reader takes it for damage and carries on)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass
class PdfBudget:
    """What the PDF reader may still do within one request."""

    piece_operations: int
    total_operations: int
    pieces: int
    piece_seconds: float = PIECE_SECONDS
    total_seconds: float = REQUEST_SECONDS
    used_operations: int = 0
    used_pieces: int = 0
    used_seconds: float = 0.0

    @classmethod
    def from_limits(cls, limits: Mapping[str, int]) -> PdfBudget:
        def limit(key: str) -> int:
            return int(limits.get(key, DEFAULT_LIMITS[key]))

        return cls(limit("maxOperationsPdfPiece"), limit("maxOperationsPdfRequete"), limit("maxPdfParRequete"))

    def refusal(self) -> str | None:
        """Why no further piece may be read in this request, or None."""
        if self.used_pieces >= self.pieces:
            return f"vérification interrompue : {self.pieces} pièces lues au plus par envoi"
        if self.used_operations >= self.total_operations or self.used_seconds >= self.total_seconds:
            return "vérification interrompue : budget de lecture des PDF de l'envoi épuisé"
        return None


_CURRENT: ContextVar[PdfBudget | None] = ContextVar("segur_pdf_budget", default=None)


@contextmanager
def pdf_budget(limits: Mapping[str, int]) -> Iterator[PdfBudget]:
    """Open a budget for the pieces read in this block (nested: the outer one goes on)."""
    outer = _CURRENT.get()
    if outer is not None:
        yield outer
        return
    budget = PdfBudget.from_limits(limits)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def current_budget() -> PdfBudget | None:
    return _CURRENT.get()


class _Metered:
    """The piece's stream as the reader sees it (no copy), each read and seek counted against the
    budget."""

    def __init__(self, stream: BytesIO, budget: PdfBudget) -> None:
        self._stream = stream
        self._budget = budget
        self.limit = min(budget.piece_operations, budget.total_operations - budget.used_operations)
        self._count = 0
        self._started = time.thread_time()
        self._deadline = self._started + min(budget.piece_seconds, budget.total_seconds - budget.used_seconds)

    def _tick(self) -> None:
        self._count += 1
        if self._count > self.limit:
            raise _Exceeded("operations")
        if not self._count & 255 and time.thread_time() > self._deadline:
            raise _Exceeded("seconds")

    def read(self, size: int | None = -1) -> bytes:
        self._tick()
        return self._stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        self._tick()
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def settle(self) -> None:
        self._budget.used_operations += self._count
        self._budget.used_seconds += time.thread_time() - self._started


def pdf_verdict(stream: BytesIO) -> tuple[str, str] | None:
    """``("unreadable" | "budget", why)``, or None when a PDF reader opens the bytes and finds a
    page, within the request's budget (a budget for this piece alone when none is open)."""
    with stream.getbuffer() as data:
        head, tail = bytes(data[:_HEAD]), bytes(data[-_TAIL:])
    if b"%PDF-" not in head:
        return "unreadable", "en-tête %PDF absent"
    if b"%%EOF" not in tail:
        return (
            "unreadable",
            "fichier endommagé : marque de fin %%EOF absente des 1024 derniers octets (fichier tronqué ?)",
        )
    stream.seek(0)
    budget = _CURRENT.get()
    if budget is None:
        with pdf_budget({}) as alone:
            return _read(stream, alone)
    return _read(stream, budget)


def _read(stream: BytesIO, budget: PdfBudget) -> tuple[str, str] | None:
    refused = budget.refusal()
    if refused:
        return "budget", refused
    budget.used_pieces += 1
    import logging

    import pypdf  # imported on the first PDF read: a JSON-only check never pays for it

    # pypdf reports recoverable damage through logging; the verdict here is the exception.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    configure: Any = getattr(pypdf, "apply_configuration", None)
    metered = _Metered(stream, budget)
    try:
        with configure(**PDF_READER_LIMITS) if configure is not None else _nothing():
            reader = pypdf.PdfReader(metered)  # type: ignore[arg-type]  # read, seek and tell are all it uses
            if reader.is_encrypted and not reader.decrypt(""):
                return "unreadable", "PDF protégé par un mot de passe"
            if len(reader.pages) == 0:
                return "unreadable", "PDF sans aucune page"
    except _Exceeded as exceeded:
        if exceeded.what == "seconds":
            return "budget", "lecture du PDF arrêtée : trop de temps de calcul pour une pièce"
        return "budget", f"lecture du PDF arrêtée après {metered.limit} opérations de lecture"
    except Exception as exc:  # pypdf raises many types on damaged files; all mean unreadable
        return "unreadable", pdf_reason(exc)
    finally:
        metered.settle()
    return None


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def reader_limits() -> Any:
    """pypdf's limits (:data:`PDF_READER_LIMITS`) for a block that reads a piece outside the
    verdict: a decompressed stream of 10 MB at most, bounded arrays and dictionaries."""
    import pypdf

    configure: Any = getattr(pypdf, "apply_configuration", None)
    return configure(**PDF_READER_LIMITS) if configure is not None else _nothing()


def pdf_problem(stream: BytesIO) -> str | None:
    """Why the bytes are not a readable PDF (or were not read: budget), or None when they are."""
    verdict = pdf_verdict(stream)
    return None if verdict is None else verdict[1]
