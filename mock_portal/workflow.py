"""The instruction workflow, pure: which moves are allowed, from the spec's workflow.json.

Statuses are keys of spec.json "statuts" (requests) or of the workflow's own status maps
(enrolments, avenants); labels are what the portal shows. No storage, no clock here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from segur.mock_portal.controls import Spec

#: the action of the moves to the cancelled status (workflow.json): made only by deciding an
#: editor's cancellation request, never by a plain move of the gestionnaire
CANCEL = "cancel"


class TransitionRefused(Exception):
    """A move the portal does not allow, with the reason in French and English."""

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.allowed = allowed


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    by: str
    action: str | None
    needs_reason: bool


class Machine:
    """One workflow (request, avenant or enrolment) of a spec."""

    def __init__(self, name: str, section: dict[str, Any], labels: dict[str, str]) -> None:
        self.name = name
        self.labels = labels
        self.keys = {label: key for key, label in labels.items()}
        self.initial = str(section.get("initial", ""))
        #: the status of one created while its pieces failed (None: the workflow has none)
        self.initial_incomplete: str | None = section.get("initialIncomplete")
        self.transitions = [
            Transition(t["from"], t["to"], t["by"], t.get("action"), bool(t.get("reason")))
            for t in section["transitions"]
        ]

    def label(self, key: str) -> str:
        return self.labels[key]

    def key(self, label_or_key: str) -> str | None:
        if label_or_key in self.labels:
            return label_or_key
        return self.keys.get(label_or_key)

    def allowed_from(self, source: str, by: str | None = None) -> list[Transition]:
        return [t for t in self.transitions if t.source == source and (by is None or t.by == by)]

    def plain_moves(self, source: str, by: str) -> list[Transition]:
        """The moves ``by`` makes from ``source`` by hand: those of an action of their own (a
        cancellation, decided on the editor's request) left out."""
        return [t for t in self.allowed_from(source, by) if t.action != CANCEL]

    def cancellable(self, source: str) -> Transition | None:
        """The cancellation move from ``source`` (None: a request in that status cannot be cancelled)."""
        return next((t for t in self.allowed_from(source, "gestionnaire") if t.action == CANCEL), None)

    def move(
        self, source: str, target: str, *, by: str, action: str | None = None, reason: str | None = None
    ) -> Transition:
        """The transition from ``source`` to ``target`` made by ``by``, or TransitionRefused."""
        allowed = self.allowed_from(source, by)
        for transition in allowed:
            if transition.target == target and (action is None or transition.action in (None, action)):
                if transition.needs_reason and not (reason or "").strip():
                    raise TransitionRefused(
                        f"« {self.labels.get(source, source)} » → « {self.labels.get(target, target)} » "
                        "demande un motif (field 'motif' is required for this move)",
                        [t.target for t in allowed],
                    )
                return transition
        targets = [self.labels.get(t.target, t.target) for t in allowed]
        raise TransitionRefused(
            f"passage de « {self.labels.get(source, source)} » à « {self.labels.get(target, target)} » refusé "
            f"pour {by} ; possible : {', '.join(targets) if targets else 'aucun'}",
            [t.target for t in allowed],
        )

    def editor_move(self, source: str, action: str) -> Transition:
        """The move an editor's action (modify, pieces) makes from ``source``."""
        for transition in self.allowed_from(source, "editor"):
            if transition.action == action:
                return transition
        raise TransitionRefused(
            f"action « {action} » impossible au statut « {self.labels.get(source, source)} »",
            [t.target for t in self.allowed_from(source, "editor")],
        )


@dataclass(frozen=True)
class Workflows:
    request: Machine
    avenant: Machine
    enrolment: Machine
    avance_percent: int
    solde_percent: int


def workflows(spec: Spec) -> Workflows:
    data = spec.workflow
    if not data:
        raise ValueError(f"{spec.root}: spec.json names no workflow file (files.workflow)")
    return Workflows(
        request=Machine("request", data["request"], spec.statuts),
        avenant=Machine("avenant", data["avenant"], data["avenant"]["statuts"]),
        enrolment=Machine("enrolment", data["enrolment"], data["enrolment"]["statuts"]),
        avance_percent=int(data["payments"]["avancePercent"]),
        solde_percent=int(data["payments"]["soldePercent"]),
    )
