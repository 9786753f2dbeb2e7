"""A mock of the ASP's Ségur numérique funding portal (médico-social corridor, wave 1)."""

from __future__ import annotations

__version__ = "0.1.0"
