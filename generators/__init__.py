"""Data makers: PDF attachments and zips (more generators come with the generators issue)."""

from __future__ import annotations
