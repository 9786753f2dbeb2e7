"""The ``segur`` command line: check, spec, demo, serve, generate, cases, fuzz, certify."""

from __future__ import annotations
