"""The web pages of the mock portal, as an editor, a gestionnaire and a trainer see them
(blueprint ``pages``): public pages and enrolment, the editor's space, the gestionnaire's
view, the rejection cases. A MODEL of the portal's pages, after the seed's walk-through."""

from __future__ import annotations

from . import ui_cases, ui_editor, ui_enrolment, ui_gestion  # noqa: F401  (their routes join the blueprint)
from .ui_common import blueprint

__all__ = ["blueprint"]
