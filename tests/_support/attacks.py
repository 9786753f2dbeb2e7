"""The bad inputs of issue 15, made at test time (nothing large is stored): the corpus the
hardening tests send to the mock portal and the attack benchmark sends to gunicorn."""

from __future__ import annotations

import struct


def zip_of_empty_members(count: int, name: bytes = b"a") -> bytes:
    """A zip of ``count`` empty members, all named ``name``, whose central directory entries all
    point at one local header: about 47 bytes per member (a million members: 47 MB)."""
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
    entry = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0)
    directory = (entry + name) * count
    declared = min(count, 0xFFFF)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, declared, declared, len(directory), len(local), 0)
    return local + directory + end
