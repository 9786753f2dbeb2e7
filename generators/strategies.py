"""Hypothesis strategies of valid deposits, made by the Faker provider from a drawn seed.

Hypothesis draws only a seed and a size (``st.integers``), so a failing example shrinks to
seed 0 and to fewer requests; the data comes from ``Faker("fr_FR")`` seeded with the seed and
:class:`~segur.generators.provider.SegurProvider`, so :func:`make_bundle` gives the same bundle
again from the seed a failure reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson
from faker import Faker
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from segur.mock_portal.controls import Spec, load_spec
from segur.mock_portal.controls.context import history_document
from segur.mock_portal.controls.writer import complete, write_document, write_request

from . import MAX_SEED
from .provider import SegurProvider


@dataclass(frozen=True)
class Drawn:
    """A valid deposit file and what it needs: ``requests`` (each a dict of logical values, see
    :mod:`segur.mock_portal.controls.fields`), ``history`` (the stored requests, in the JSON
    form of the kit's history file: for a solde file, the avance each line closes, « Décidée et
    payée »; empty for avances), ``profile`` (a profile of the spec), ``deposit_type`` (the
    type chosen at deposit: "avance" or "solde"), the ``seed`` it was made from and the
    ``spec`` whose format :attr:`document` is written in."""

    requests: list[dict[str, Any]]
    history: list[dict[str, Any]]
    profile: str
    deposit_type: str
    seed: int
    spec: Spec = field(repr=False)

    @cached_property
    def document(self) -> dict[str, Any]:
        """The file in the spec's format (with what its schemas require and the kit does not know)."""
        return written_document(self.requests, self.profile, self.spec)

    @property
    def bundle(self) -> dict[str, Any]:
        """The same as :attr:`document`."""
        return self.document

    @property
    def taux_tva(self) -> float:
        """The VAT rate to choose at deposit: the one every line carries."""
        return float(self.requests[0]["vat_rate"])

    @property
    def numero_ans(self) -> str:
        """The ANS number every line carries."""
        return str(self.requests[0]["ans_number"])

    def data(self) -> bytes:
        """The file's bytes (UTF-8 JSON without BOM), as deposited."""
        return orjson.dumps(self.document)

    def history_document(self) -> dict[str, Any]:
        """The history as a whole document (``{"demandes": [...]}``), e.g. for ``--history``."""
        return history_document(self.history)


def written_document(requests: list[dict[str, Any]], profile: str, spec: Spec) -> dict[str, Any]:
    """Logical requests written in the spec's format as a whole file; what the profile's schema
    requires and no logical field covers is filled in from the schema (its const, default,
    example or enum)."""
    document = write_document([write_request(values, spec) for values in requests], spec)
    complete(document, profile, spec)
    return document


def make_bundle(
    seed: int,
    *,
    profile: str | None = None,
    size: int = 3,
    spec: Spec | None = None,
    numero_ans: str | None = None,
    taux_tva: float | None = None,
) -> Drawn:
    """The valid file of ``size`` requests of ``profile`` (default: the spec's first) that
    ``seed`` gives, with its history: a fresh ``Faker("fr_FR")`` seeded with ``seed`` and the
    provider, so nothing else (no shared random state) changes it. ``numero_ans`` (default: one
    of the spec's référentiel for the profile, that the mock's demo account is enrolled for);
    ``taux_tva`` (default: drawn among the spec's VAT rates), in percent."""
    spec = spec if spec is not None else load_spec()
    profile = profile if profile is not None else next(iter(spec.profiles))
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    provider = SegurProvider(fake, spec=spec)
    fake.add_provider(provider)
    requests = provider.bundle(profile, size, numero_ans=numero_ans, taux_tva=taux_tva)
    deposit_type = spec.profiles[profile].deposit_type
    history = [provider.avance_stockee(line) for line in requests] if deposit_type == "solde" else []
    return Drawn(requests=requests, history=history, profile=profile, deposit_type=deposit_type, seed=seed, spec=spec)


def valid_bundle(
    *,
    profile: str | None = None,
    size: int | SearchStrategy[int] | None = None,
    spec: Spec | None = None,
) -> SearchStrategy[Drawn]:
    """Valid deposit files of ``profile`` (a profile of the spec; default: its first), each a
    :class:`Drawn`: the file, the history its soldes need, the profile, the deposit type and the
    seed. Every line is accepted ("0000") by the portal's controls when deposited with the
    drawn type, the lines' VAT rate and the calendar's default time, and lines never share a
    reference, an order form or a beneficiary site.

    ``size`` is the number of requests: an int, or a strategy of ints (default
    ``st.integers(1, 200)``: 1 to the spec's ``maxDemandes``).
    """
    spec = spec if spec is not None else load_spec()
    profile = profile if profile is not None else next(iter(spec.profiles))
    if profile not in spec.profiles:
        raise ValueError(f"unknown profile {profile!r}; the spec has: {', '.join(spec.profiles)}")
    maximum = spec.limits.get("maxDemandes", 200)
    if size is None:
        sizes: SearchStrategy[int] = st.integers(1, maximum)
    elif isinstance(size, int):
        if not 1 <= size <= maximum:
            raise ValueError(f"a valid file holds 1 to {maximum} requests, not {size}")
        sizes = st.just(size)
    else:
        sizes = size
    chosen, chosen_profile = spec, profile

    def build(drawn: tuple[int, int]) -> Drawn:
        seed, count = drawn
        return make_bundle(seed, profile=chosen_profile, size=count, spec=chosen)

    return st.tuples(st.integers(0, MAX_SEED), sizes).map(build)


@dataclass
class Broken:
    """A deposit broken for one catalogue code: the :class:`~segur.generators.mutators.Scenario`
    (write it out with :func:`~segur.generators.mutators.materialise`), the ``code``, the 0-based
    ``lines`` that answer it (every line for a file-level or zip-wide code) and the ``seed``
    of the valid bundle it was made from."""

    scenario: Any
    code: str
    lines: tuple[int, ...]
    seed: int


def broken_bundle(
    *,
    code: str,
    profile: str | None = None,
    size: int | SearchStrategy[int] | None = None,
    lines: SearchStrategy[frozenset[int]] | None = None,
    spec: Spec | None = None,
) -> SearchStrategy[Broken]:
    """Deposits that the portal answers with ``code``: a valid bundle (:func:`valid_bundle`),
    broken by the code's mutator (:mod:`segur.generators.mutators`) on a drawn non-empty set of
    lines (all of them for a file-level or zip-wide code). ``profile`` defaults to the first
    the mutator applies to (a solde profile for solde codes); ``size`` to 1-5 requests (at
    least what the mutator needs); ``lines`` (a strategy of sets of 0-based indexes) to any
    non-empty subset the mutator allows."""
    from .mutators import Scenario, mutate, mutator_for

    spec = spec if spec is not None else load_spec()
    found = mutator_for(code, spec)
    profiles = found.profiles_in(spec)
    if not profiles:
        raise ValueError(f"code {code}: the spec has no profile of the types its mutator breaks ({found.types})")
    chosen_profile = profile if profile is not None else profiles[0]
    if chosen_profile not in profiles:
        raise ValueError(f"code {code} is not made on {chosen_profile}; profiles: {', '.join(profiles)}")
    if size is None:
        sizes: SearchStrategy[int] = st.integers(max(1, found.min_lines), max(5, found.min_lines))
    elif isinstance(size, int):
        if size < found.min_lines:
            raise ValueError(f"code {code} needs at least {found.min_lines} requests, not {size}")
        sizes = st.just(size)
    else:
        sizes = size.filter(lambda n: n >= found.min_lines)
    chosen_spec = spec

    @st.composite
    def draw(draw_: st.DrawFn) -> Broken:
        drawn = draw_(valid_bundle(profile=chosen_profile, size=sizes, spec=chosen_spec))
        count = len(drawn.requests)
        first = 1 if found.clean_first else 0
        if found.scope != "line":
            picked: frozenset[int] = frozenset(range(count))
        elif lines is not None:
            picked = draw_(lines.filter(lambda s: bool(s) and all(first <= i < count for i in s)))
        else:
            picked = draw_(st.frozensets(st.integers(first, count - 1), min_size=1))
        scenario = Scenario.from_drawn(drawn, chosen_spec)
        broken = mutate(scenario, code, sorted(picked), chosen_spec)
        return Broken(scenario=scenario, code=code, lines=broken, seed=drawn.seed)

    return draw()
