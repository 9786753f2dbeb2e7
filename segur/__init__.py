"""The ``segur`` command line: check, and (in later versions) serve, generate, certify."""

from __future__ import annotations
