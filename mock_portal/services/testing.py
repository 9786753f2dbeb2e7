"""Test control (the admin API's harness): the reset, scripted instruction after an import
(scenarios), injected faults on the editor's API, and the journal of the editor's calls."""

from __future__ import annotations

import fnmatch
from typing import Any

from segur.mock_portal.errors import bad_request
from segur.mock_portal.store import Row, dumps, loads
from segur.mock_portal.workflow import CANCEL, TransitionRefused

from .context import IMPORTED, Context
from .instruction import Instruction

FAULT_KINDS = ("unavailable", "latency", "drop", "stored-then-drop", "stored-then-late")
#: the call is served (an import stored), then its answer is lost or held back
AFTER_SERVING = ("stored-then-drop", "stored-then-late")
#: how long a late answer is held when the fault does not say (ms): past any sane client time-out
LATE_DEFAULT_MS = 120_000
#: the longest delay a fault may ask (ms): a latency, or a late answer
MAX_DELAY_MS = {"latency": 10_000, "stored-then-late": 600_000}
TRIGGERS = (IMPORTED,)
#: the most times a scenario or a fault may apply ('fois'); more is "always" (leave it out)
MAX_COUNT = 1_000_000


def _whole(value: Any) -> Any:
    """A number JSON Schema calls an integer (120.0 is one) as a Python int, when a float holds it
    exactly; anything else as is (orjson reads an integer beyond 64 bits as a float: refused)."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def _count(body: dict[str, Any]) -> int | None:
    count = _whole(body.get("fois"))
    if count is None:
        return None
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise bad_request(f"'fois' must be a whole number from 1 to {MAX_COUNT} (leave it out for always)")
    return count


class Testing:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ------------------------------------------------------------------ scenarios

    def scenarios(self) -> list[dict[str, Any]]:
        return [
            {"id": r["id"], "declencheur": r["trigger"], **loads(r["action"]), "restant": r["remaining"]}
            for r in self.ctx.store.scenarios()
        ]

    def add_scenario(self, body: dict[str, Any]) -> dict[str, Any]:
        ctx = self.ctx
        trigger = body.get("declencheur", IMPORTED)
        if trigger not in TRIGGERS:
            raise bad_request(f"'declencheur' must be one of {', '.join(TRIGGERS)}")
        steps = body.get("etapes")
        if not isinstance(steps, list) or not steps or not all(isinstance(s, str) for s in steps):
            raise bad_request('\'etapes\' must be a non-empty list of statuses, e.g. ["enCours", "validee", "decidee"]')
        flow = ctx.flows.request
        keys = [flow.key(s) for s in steps]
        if None in keys:
            raise bad_request(f"unknown status in 'etapes'; known: {', '.join(ctx.spec.statuts)}")
        current = flow.initial
        for step in keys:  # the path must be one the gestionnaire can walk from a freshly imported request
            try:
                moved = flow.move(
                    current,
                    str(step),
                    by="gestionnaire",
                    action="pay" if step == "payee" else None,
                    reason=body.get("motif") if isinstance(body.get("motif"), str) else None,
                )
            except TransitionRefused as refused:
                raise bad_request(f"'etapes': {refused.message}", {"possibles": refused.allowed}) from None
            if moved.action == CANCEL:  # decided on an editor's cancellation request, never scripted
                plain = [t.target for t in flow.plain_moves(current, "gestionnaire")]
                raise bad_request(
                    f"'etapes': « {flow.label(str(step))} » ne s'atteint que par la décision sur une demande "
                    "d'annulation de l'éditeur (POST /admin/requests/{numero}/annulation)",
                    {"possibles": plain},
                )
            current = str(step)
        line = _whole(body.get("ligne"))
        if line is not None and (isinstance(line, bool) or not isinstance(line, int) or line < 1):
            raise bad_request("'ligne' must be a line number ≥ 1")
        motif = body.get("motif")
        if motif is not None and not isinstance(motif, str):
            raise bad_request("'motif' must be text")
        action = {"etapes": keys, "ligne": line, "motif": motif}
        with ctx.store.transaction():
            scenario_id = ctx.store.add_scenario(
                trigger=trigger, action=dumps(action), remaining=_count(body), created_at=ctx.now().isoformat()
            )
        return {"id": scenario_id, "declencheur": trigger, **action}

    def clear_scenarios(self) -> None:
        with self.ctx.store.transaction():
            self.ctx.store.clear_scenarios()

    def after_import(self, numeros: list[str]) -> None:
        """Scripted instruction of an import's stored lines (the ``IMPORTED`` event, inside the
        import's transaction): each scenario's steps, on every line or the one it names."""
        store = self.ctx.store
        incomplete = self.ctx.spec.statuts["incomplete"]
        instruction = Instruction(self.ctx)
        for scenario in store.active_scenarios(IMPORTED):
            action = loads(scenario["action"])
            targets = numeros
            if action.get("ligne") is not None:
                index = int(action["ligne"]) - 1
                targets = [numeros[index]] if 0 <= index < len(numeros) else []
            for numero in targets:
                for step in action["etapes"]:
                    row = store.request(numero)
                    if row is None or row["statut"] == incomplete:
                        break
                    instruction.apply(numero, step, action.get("motif"))
            if scenario["remaining"] is not None:
                store.use_scenario(scenario["id"])

    # ------------------------------------------------------------------ faults

    def faults(self) -> list[dict[str, Any]]:
        return [_fault_json(r) for r in self.ctx.store.faults()]

    def add_fault(self, body: dict[str, Any]) -> dict[str, Any]:
        kind = body.get("type")
        if kind not in FAULT_KINDS:
            raise bad_request(f"'type' must be one of {', '.join(FAULT_KINDS)}")
        route = body.get("route")
        if not isinstance(route, str) or not route.startswith("/api/"):
            raise bad_request("'route' must be a path of the editor's API, wildcards allowed, e.g. /api/imports")
        method = body.get("methode")
        if method is not None and method not in ("GET", "POST", "PUT", "DELETE"):
            raise bad_request("'methode' must be GET, POST, PUT or DELETE")
        bound = MAX_DELAY_MS.get(kind, 10_000)
        latency = _whole(body.get("latenceMs", LATE_DEFAULT_MS if kind == "stored-then-late" else 0))
        if isinstance(latency, bool) or not isinstance(latency, int) or not 0 <= latency <= bound:
            raise bad_request(f"'latenceMs' must be a whole number of milliseconds from 0 to {bound}")
        remaining = _count(body)
        with self.ctx.store.transaction():
            fault_id = self.ctx.store.add_fault(
                route=route,
                method=method,
                kind=kind,
                latency_ms=latency,
                remaining=remaining,
                created_at=self.ctx.now().isoformat(),
            )
        return {
            "id": fault_id,
            "route": route,
            "methode": method,
            "type": kind,
            "latenceMs": latency,
            "restant": remaining,
        }

    def clear_faults(self) -> None:
        with self.ctx.store.transaction():
            self.ctx.store.clear_faults()

    def faults_for(self, path: str, method: str) -> list[Row]:
        """The active faults that apply to a call, in order; each is used up by one (its count
        goes down) as the caller applies it with :meth:`use_fault`."""
        return [
            fault
            for fault in self.ctx.store.active_faults()
            if fnmatch.fnmatch(path, fault["route"]) and (not fault["method"] or fault["method"].upper() == method)
        ]

    def use_fault(self, fault: Row) -> None:
        if fault["remaining"] is not None:
            with self.ctx.store.transaction():
                self.ctx.store.use_fault(fault["id"])

    # ------------------------------------------------------------------ journal

    def log(self, editor_id: int | None, method: str, path: str, status: int, detail: Any) -> None:
        with self.ctx.store.transaction():
            self.ctx.store.log(self.ctx.now(), editor_id, method, path, status, detail)

    def journal(self, *, after: int | None, before: int | None, limit: int) -> list[dict[str, Any]]:
        """Journal entries, oldest first (see Store.journal_page)."""
        return [
            {
                "id": r["id"],
                "date": r["at"],
                "editeur": r["editor_id"],
                "methode": r["method"],
                "chemin": r["path"],
                "statut": r["status"],
                "detail": loads(r["detail"]),
            }
            for r in self.ctx.store.journal_page(after=after, before=before, limit=limit)
        ]


def _fault_json(r: Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "route": r["route"],
        "methode": r["method"],
        "type": r["kind"],
        "latenceMs": r["latency_ms"],
        "restant": r["remaining"],
    }
