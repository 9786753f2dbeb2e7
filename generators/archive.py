"""Zips of attachments, written member by member (never the whole archive in memory)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

_FIXED_TIME = (2024, 1, 15, 9, 0, 0)


def write_zip(
    target: str | Path | IO[bytes],
    members: Iterable[tuple[str, bytes]],
    *,
    compression: int = zipfile.ZIP_DEFLATED,
) -> None:
    """Write ``members`` (name, content) to a zip; names are written as given, even unsafe
    ones, so that broken archives can be made on purpose. Same members, same bytes."""
    with zipfile.ZipFile(target, "w", compression=compression) as archive:
        for name, content in members:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = compression
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
