"""What every service stands on: the store, the spec, the workflows, the mock's clock and the
events one area publishes for another (a scenario that moves the requests an import stored)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from segur.mock_portal.controls import Spec
from segur.mock_portal.errors import bad_request, conflict
from segur.mock_portal.formats import CLOCK_YEARS
from segur.mock_portal.security import Sealer, Settings
from segur.mock_portal.store import Store
from segur.mock_portal.workflow import Workflows

__all__ = ["CLOCK_YEARS", "IMPORTED", "Context", "Events", "default_settings"]

#: published once an import's lines are stored (inside its transaction), with ``numeros``:
#: the ASP numbers of its stored lines, in the file's order
IMPORTED = "after_import"


class Events:
    """Handlers by event name, called in the order they subscribed, inside the publisher's transaction."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Callable[..., None]]] = defaultdict(list)

    def subscribe(self, name: str, handler: Callable[..., None]) -> None:
        self._handlers[name].append(handler)

    def publish(self, name: str, **payload: Any) -> None:
        for handler in self._handlers.get(name, ()):
            handler(**payload)


def default_settings() -> Settings:
    """Sessions and secrets as configured by default, sealed with a key made for this process
    (a command that opens the store without the app: nothing it seals outlives it)."""
    import os

    return Settings(Sealer(os.urandom(32)))


@dataclass
class Context:
    store: Store
    spec: Spec
    flows: Workflows
    #: sessions (their length), login attempts (their limits), the sealer of secrets at rest
    settings: Settings = field(default_factory=default_settings)
    events: Events = field(default_factory=Events)
    #: the portal's address as its mails give it (the web layer sets it: its PUBLIC_URL, else
    #: the address the request came to); None outside a request
    portal_url: str | None = None
    #: the clock's setting, read once per context (a request) and kept in step by set_clock
    _clock: dict[str, Any] | None = None

    # ------------------------------------------------------------------ clock

    def _setting(self) -> dict[str, Any]:
        if self._clock is None:
            self._clock = self.store.meta("clock") or {}
        return self._clock

    def now(self) -> datetime:
        """The mock's time: frozen at a moment, or the real time shifted by an offset."""
        clock = self._setting()
        if "frozen" in clock:
            return datetime.fromisoformat(clock["frozen"])
        return datetime.now(self.spec.timezone) + timedelta(seconds=float(clock.get("offset", 0)))

    def set_clock(self, *, at: str | None = None, advance: float | None = None, real: bool = False) -> datetime:
        with self.store.transaction():
            clock = self.store.meta("clock") or {}
            if real:
                clock = {"offset": 0}
            elif at is not None:
                try:
                    moment = self.spec.local_time(at)
                except ValueError:
                    raise bad_request(f"'at': {at!r} is not an ISO 8601 time (e.g. 2024-02-28T13:59)") from None
                _check_clock(moment, "at")
                clock = {"frozen": moment.isoformat()}
            elif advance is not None:
                if "frozen" in clock:
                    moment = datetime.fromisoformat(clock["frozen"]) + timedelta(seconds=advance)
                    _check_clock(moment, "advance")
                    clock = {"frozen": moment.isoformat()}
                else:
                    offset = float(clock.get("offset", 0)) + advance
                    _check_clock(datetime.now(self.spec.timezone) + timedelta(seconds=offset), "advance")
                    clock = {"offset": offset}
            else:
                raise bad_request("give 'at' (ISO time), 'advance' (seconds) or 'real': true")
            self.store.set_meta("clock", clock)
        self._clock = clock
        return self.now()

    def forget_clock(self) -> None:
        """Read the clock's setting again on next use (after a reset)."""
        self._clock = None


def _check_clock(moment: datetime, field_name: str) -> None:
    if not CLOCK_YEARS[0] <= moment.year <= CLOCK_YEARS[1]:
        message = f"'{field_name}': the mock's clock must stay within the years {CLOCK_YEARS[0]} to {CLOCK_YEARS[1]}"
        if field_name == "advance":  # where the clock would go depends on where it is: a conflict
            raise conflict("HORLOGE_HORS_LIMITES", message)
        raise bad_request(message)
