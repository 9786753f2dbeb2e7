"""The generators, as the ``segur_generators`` fixture hands them to editors' own tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from segur.generators.bundle_writer import Manifest, write_bundle
from segur.generators.mutators import Scenario, materialise, mutate, mutator_for
from segur.generators.strategies import Drawn, make_bundle
from segur.mock_portal.controls import Answer, Spec, check_deposit

__all__ = ["Generators"]


@dataclass(frozen=True)
class Generators:
    """Valid deposits, deposits broken for one catalogue code, written with real PDFs."""

    spec: Spec

    def bundle(self, *, profile: str | None = None, size: int = 3, seed: int = 0) -> Drawn:
        """A valid file of ``size`` requests of ``profile`` (default: the spec's first), with the
        history a solde needs."""
        return make_bundle(seed, profile=profile, size=size, spec=self.spec)

    def write(self, drawn: Drawn, folder: Path) -> Manifest:
        """The file, its zip of PDFs, its history and ``manifest.json`` (the expected answer)."""
        return write_bundle(drawn, folder, spec=self.spec)

    def broken(
        self, code: str, *, profile: str | None = None, size: int = 5, lines: Sequence[int] = (1,), seed: int = 0
    ) -> Scenario:
        """A deposit where ``lines`` (0-based; all for a file-level code) answer ``code``."""
        profiles = mutator_for(code, self.spec).profiles_in(self.spec)
        scenario = Scenario.from_drawn(self.bundle(profile=profile or profiles[0], size=size, seed=seed), self.spec)
        mutate(scenario, code, lines, self.spec)
        return scenario

    def answer(self, scenario: Scenario, folder: Path) -> Answer:
        """What the portal answers to ``scenario`` (its zip written under ``folder``)."""
        data, deposit, history, zip_path, mode = materialise(scenario, folder)
        return check_deposit(data, deposit, spec=self.spec, history=history, attachments=zip_path, mode=mode)
