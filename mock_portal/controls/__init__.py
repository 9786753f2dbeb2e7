"""The portal's automatic controls: pure functions of the deposit and its context.

No Flask, no clock, no randomness: the caller passes the deposit time, the depositor's
enrolments and a read-only view of the stored requests. The same code answers
``segur check``, the mock portal and the conformance suite.
"""

from __future__ import annotations

from .answer import ACCEPTED, IMPORT, INCOMPLETE, REJECTED, SIMULATION, Answer, LineResult, SequenceNumbering
from .context import (
    Deposit,
    Enrolment,
    History,
    HistoryFileError,
    InMemoryHistory,
    StoredRequest,
    history_from_json,
    read_history,
)
from .engine import check_deposit
from .registry import known_rules
from .spec import Spec, SpecError, default_spec_dir, load_spec

__all__ = [
    "ACCEPTED",
    "IMPORT",
    "INCOMPLETE",
    "REJECTED",
    "SIMULATION",
    "Answer",
    "Deposit",
    "Enrolment",
    "History",
    "HistoryFileError",
    "InMemoryHistory",
    "LineResult",
    "SequenceNumbering",
    "Spec",
    "SpecError",
    "StoredRequest",
    "check_deposit",
    "default_spec_dir",
    "history_from_json",
    "known_rules",
    "load_spec",
    "read_history",
]
