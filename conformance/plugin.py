"""The pytest plugin (entry point ``pytest11``): ``pytest --segur`` runs the conformance suite
against the editor's tool; without ``--segur`` it only registers the ``requirement`` marker
(unknown IDs fail at collection) and the fixtures editors use in their own tests.

This module imports pytest alone: an editor's ordinary pytest run pays nothing for the kit.
The suite's machinery (:mod:`segur.conformance.session`) is imported when ``--segur`` is
given; each fixture imports what it hands out when a test first asks for it.

Exit codes with ``--segur``: 0 conformant, 1 not conformant, 2 the kit could not run (bad
configuration, a command not found, the suite not found, no test run), with a message saying
how to fix it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from segur.conformance.live import LivePortal
    from segur.conformance.session import SegurRun
    from segur.conformance.toolbox import Generators
    from segur.mock_portal.controls import Spec

__all__ = ["MARKER", "PARTS", "RUN_KEY", "spec_of"]

PARTS = ("producer", "consumer", "deposit")
MARKER = "requirement"

RUN_KEY: pytest.StashKey[SegurRun] = pytest.StashKey()
_SPEC_KEY: pytest.StashKey[Spec] = pytest.StashKey()


# ---------------------------------------------------------------------- options and configuration


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("segur", "Ségur numérique conformance suite")
    group.addoption("--segur", action="store_true", default=False, help="run the Ségur conformance suite")
    group.addoption(
        "--segur-config",
        metavar="FILE",
        default=None,
        help="the tool's declaration (default: segur.toml, else [tool.segur] in pyproject.toml, from here up)",
    )
    for kind in ("produce", "ingest", "deposit"):
        group.addoption(
            f"--segur-{kind}", metavar="COMMAND", default=None, help=f"the {kind} command (overrides the file's)"
        )
    group.addoption("--segur-name", metavar="NAME", default=None, help="the tool's name for the report")
    group.addoption("--segur-version", metavar="VERSION", default=None, help="the tool's version for the report")
    group.addoption("--segur-seed", type=int, default=None, help="seed of the generated answers and bundles")
    group.addoption("--segur-report", metavar="DIR", default=None, help="reports folder (default: segur-report/)")
    group.addoption(
        "--segur-part",
        action="append",
        choices=PARTS,
        default=None,
        help="run only this part of the suite (repeatable; default: all three)",
    )
    group.addoption(
        "--segur-spec", metavar="DIR", default=None, help="spec folder (default: env SEGUR_SPEC, else the kit's model)"
    )


def spec_of(config: pytest.Config) -> Spec:
    """The spec of this pytest run (loaded on first use)."""
    if _SPEC_KEY not in config.stash:
        from segur.mock_portal.controls import load_spec

        from segur import SPEC_ENV

        # an empty SEGUR_SPEC is unset, as for the controls (never the current folder)
        folder = config.getoption("segur_spec", None) or os.environ.get(SPEC_ENV) or None
        config.stash[_SPEC_KEY] = load_spec(folder)
    return config.stash[_SPEC_KEY]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(id): the requirement of requirements.csv that the test verifies (e.g. SEG-L05)"
    )
    if config.getoption("segur", False):
        from segur.conformance.session import start

        start(config)


# ---------------------------------------------------------------------- requirement IDs


def _requirements_of(item: pytest.Item) -> list[str]:
    found = []
    for mark in item.iter_markers(MARKER):
        if len(mark.args) != 1 or not isinstance(mark.args[0], str):
            raise pytest.UsageError(f"{item.nodeid}: write @pytest.mark.{MARKER}('SEG-…') with one requirement ID")
        found.append(mark.args[0])
    return found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each requirement a test names must be one of the spec's (the spec is read only if one does)."""
    tagged = [(item, _requirements_of(item)) for item in items]
    if not any(ids for _, ids in tagged):
        return
    from segur.mock_portal.controls import SpecError

    try:
        known = spec_of(config).requirements
    except SpecError as exc:
        pytest.exit(f"segur: {exc}", returncode=2 if RUN_KEY in config.stash else pytest.ExitCode.USAGE_ERROR)
    unknown: dict[str, list[str]] = {}
    for item, ids in tagged:
        for rid in ids:
            if rid not in known:
                unknown.setdefault(rid, []).append(item.nodeid)
            item.user_properties.append((MARKER, rid))
    if unknown:
        listed = "; ".join(f"{rid} on {', '.join(nodes[:3])}" for rid, nodes in sorted(unknown.items()))
        pytest.exit(
            f"segur: unknown requirement ID(s): {listed}. Known IDs are the 'id' column of "
            f"{spec_of(config).root / 'requirements.csv'}",
            returncode=2 if RUN_KEY in config.stash else pytest.ExitCode.USAGE_ERROR,
        )


# ---------------------------------------------------------------------- fixtures for editors' own tests


@pytest.fixture(scope="session")
def segur_spec(request: pytest.FixtureRequest) -> Spec:
    """The spec the suite checks against (the kit's model, or ``--segur-spec``/``SEGUR_SPEC``)."""
    return spec_of(request.config)


@pytest.fixture(scope="session")
def segur_live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePortal]:
    """One live mock portal for the session, on a free port of 127.0.0.1, speaking the run's spec."""
    from segur.conformance.live import LivePortal

    with LivePortal(tmp_path_factory.mktemp("segur-portal"), spec=spec_of(request.config)) as portal:
        yield portal


@pytest.fixture
def segur_portal(segur_live: LivePortal) -> LivePortal:
    """The live mock portal, emptied, its clock frozen on the spec's default avance deposit time.

    ``segur_portal.url``, ``.login``/``.password`` (the demo editor), ``.admin(method, path,
    body)``, ``.set_clock(at)``, ``.fault(route, kind)``, ``.transition(numero, *steps)``,
    ``.journal()``, ``.requests()``.
    """
    spec = segur_live.spec
    segur_live.reset(at=spec.default_deposit_time(None, spec.deposit_types["avance"]).isoformat())
    return segur_live


@pytest.fixture(scope="session")
def segur_generators(segur_spec: Spec) -> Generators:
    """Valid and broken deposits: ``.bundle(profile=, size=, seed=)``, ``.write(drawn, folder)``,
    ``.broken(code, lines=)``, ``.answer(scenario, folder)``."""
    from segur.conformance.toolbox import Generators

    return Generators(segur_spec)
