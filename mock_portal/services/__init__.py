"""What the portal does, by area, over the store: the Flask views call these services and
nothing here knows HTTP. Each area is one module:

- ``accounts``: the seed, accounts, login, « mon compte »;
- ``enrolment``: référencement and SIRET look-ups, enrolment, the gestionnaire's decision;
- ``deposits``: Simuler, Importer, Terminer;
- ``requests``: the lists and a request's detail, the editor's corrections and pieces;
- ``instruction``: the gestionnaire's moves and their side effects, avenants;
- ``cancellations``: an editor's request to cancel one of its requests, the gestionnaire's decision;
- ``mails``: the mails sent;
- ``testing``: scenarios, faults, the journal.

They stand on :mod:`.context` (store, spec, workflows, clock, events) and :mod:`.records` (the
rows as JSON); none imports another in a loop. What crosses areas goes through an event: an
import publishes ``IMPORTED`` once its lines are stored, the scenarios of ``testing`` act on it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from segur.mock_portal.controls import Spec
from segur.mock_portal.security import Settings
from segur.mock_portal.store import Row, Store
from segur.mock_portal.workflow import Workflows

from .accounts import Accounts
from .cancellations import Cancellations
from .context import IMPORTED, Context, Events
from .deposits import Deposits, Sandbox
from .enrolment import Enrolment
from .instruction import Instruction
from .mails import Mails
from .requests import Requests
from .testing import Testing

__all__ = ["IMPORTED", "Context", "Events", "Portal", "Row", "Sandbox"]


class Portal:
    """The services of one request (or one command), sharing one context; the scenarios listen
    to the imports."""

    def __init__(self, store: Store, spec: Spec, flows: Workflows, settings: Settings | None = None) -> None:
        self.ctx = Context(store, spec, flows, settings) if settings is not None else Context(store, spec, flows)
        self.ctx.events.subscribe(IMPORTED, lambda numeros: self.testing.after_import(numeros))

    @property
    def store(self) -> Store:
        return self.ctx.store

    @property
    def spec(self) -> Spec:
        return self.ctx.spec

    @property
    def flows(self) -> Workflows:
        return self.ctx.flows

    def now(self) -> Any:
        return self.ctx.now()

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.ctx)

    @cached_property
    def enrolment(self) -> Enrolment:
        return Enrolment(self.ctx)

    @cached_property
    def deposits(self) -> Deposits:
        return Deposits(self.ctx)

    @cached_property
    def requests(self) -> Requests:
        return Requests(self.ctx)

    @cached_property
    def instruction(self) -> Instruction:
        return Instruction(self.ctx)

    @cached_property
    def cancellations(self) -> Cancellations:
        return Cancellations(self.ctx)

    @cached_property
    def mails(self) -> Mails:
        return Mails(self.ctx)

    @cached_property
    def testing(self) -> Testing:
        return Testing(self.ctx)

    def seed(self, demo_login: str, demo_password: str, admin_token: str | None) -> dict[str, str]:
        """First start: the clock, the admin token, the demo editor enrolled for its solutions."""
        # the demo editor is enrolled for every solution of the spec's référentiel
        listed = self.ctx.spec.referencement().get("solutions", {})
        solutions = {n: s for n in listed if (s := self.enrolment.lookup_ans(n)) is not None}
        return self.accounts.seed(demo_login, demo_password, admin_token, solutions)

    def reset(self, demo_login: str, demo_password: str, admin_token: str | None) -> dict[str, str]:
        """Erase every state, then seed again as at first start (the admin API's and the
        gestionnaire page's reset)."""
        with self.store.transaction():  # one change: no one sees the portal empty
            self.store.reset()
            self.ctx.forget_clock()
            return self.seed(demo_login, demo_password, admin_token)
