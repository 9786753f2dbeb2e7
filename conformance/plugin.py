"""The pytest plugin (entry point ``pytest11``): ``pytest --segur`` runs the conformance suite
against the editor's tool; without ``--segur`` it only registers the ``requirement`` marker
(unknown IDs fail at collection) and the fixtures editors use in their own tests.

Exit codes with ``--segur``: 0 conformant, 1 not conformant, 2 the kit could not run (bad
configuration, a command not found, the mock portal down), with a message saying how to fix it.
"""

from __future__ import annotations

import importlib.metadata
import os
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from conformance.config import ConfigError, ToolConfig, load_config
from conformance.consumer import AnswerCase, line_cases, status_export
from conformance.deposit import Scenarios
from conformance.live import LivePortal
from conformance.producer import Produced, discover
from conformance.report import FAILED, NOT_TESTED, PASSED, Outcomes, coverage_markdown, html_cells, verdict
from conformance.runner import KitError, run_command, tool_version
from conformance.toolbox import Generators
from mock_portal.controls import Spec, SpecError, load_spec

__all__ = ["SUITE", "SegurRun"]

SUITE = Path(__file__).resolve().parent / "suite"
PARTS = ("producer", "consumer", "deposit")
MARKER = "requirement"


@dataclass
class SegurRun:
    """The state of one ``--segur`` session."""

    tool: ToolConfig
    spec: Spec
    seed: int
    parts: tuple[str, ...]
    report_dir: Path
    outcomes: Outcomes = field(default_factory=Outcomes)
    kit_errors: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)


RUN_KEY = pytest.StashKey[SegurRun]()
SPEC_KEY = pytest.StashKey[Spec]()


def kit_version() -> str:
    try:
        return importlib.metadata.version("segur-conformance-kit")
    except importlib.metadata.PackageNotFoundError:
        from mock_portal import __version__

        return __version__


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


def _spec(config: pytest.Config) -> Spec:
    if SPEC_KEY not in config.stash:
        folder = config.getoption("segur_spec", None) or os.environ.get("SEGUR_SPEC")
        config.stash[SPEC_KEY] = load_spec(folder)
    return config.stash[SPEC_KEY]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(id): the requirement of requirements.csv that the test verifies (e.g. SEG-L05)"
    )
    if not config.getoption("segur", False):
        return
    try:
        spec = _spec(config)
        overrides = {
            "produce": config.getoption("segur_produce"),
            "ingest": config.getoption("segur_ingest"),
            "deposit": config.getoption("segur_deposit"),
            "name": config.getoption("segur_name"),
            "version": config.getoption("segur_version"),
            "seed": config.getoption("segur_seed"),
        }
        explicit = config.getoption("segur_config")
        tool = load_config(Path(explicit) if explicit else None, Path.cwd(), overrides)
        tool.check_executables()
    except (ConfigError, SpecError) as exc:
        pytest.exit(f"segur: {exc}", returncode=2)
    report = config.getoption("segur_report")
    report_dir = Path(report).resolve() if report else tool.report_dir
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        pytest.exit(f"segur: cannot create the report folder {report_dir}: {exc}", returncode=2)
    parts = tuple(config.getoption("segur_part") or PARTS)
    config.stash[RUN_KEY] = SegurRun(tool=tool, spec=spec, seed=tool.seed, parts=parts, report_dir=report_dir)
    if config.pluginmanager.hasplugin("html") and not config.getoption("htmlpath", None):
        config.option.htmlpath = str(report_dir / "report.html")
        config.option.self_contained_html = True
    if config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(_HtmlColumns(config), "segur-html")
    if not getattr(config.option, "xmlpath", None):
        config.option.xmlpath = str(report_dir / "junit.xml")
    suite = [str(SUITE / f"test_{part}.py") for part in parts]
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        config.args = [*config.args, *suite]
    else:
        config.args = suite


class _HtmlColumns:
    """The requirement, its sentence and its source on each row of the pytest-html report."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_html_report_title(self, report: Any) -> None:
        run = self.config.stash.get(RUN_KEY, None)
        report.title = f"Certification Ségur numérique : {run.tool.name}" if run else "Certification Ségur numérique"

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells[2:2] = ['<th class="sortable">Exigence</th>', "<th>Énoncé</th>", "<th>Source</th>"]

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        ids = [str(value) for key, value in report.user_properties if key == MARKER]
        cells[2:2] = html_cells(_spec(self.config).requirements, ids)


# ---------------------------------------------------------------------- requirement IDs


def _requirements_of(item: pytest.Item) -> list[str]:
    found = []
    for mark in item.iter_markers(MARKER):
        if len(mark.args) != 1 or not isinstance(mark.args[0], str):
            raise pytest.UsageError(f"{item.nodeid}: write @pytest.mark.{MARKER}('SEG-…') with one requirement ID")
        found.append(mark.args[0])
    return found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unknown: dict[str, list[str]] = {}
    tagged = [(item, _requirements_of(item)) for item in items]
    if not any(ids for _, ids in tagged):
        return
    known = _spec(config).requirements
    for item, ids in tagged:
        for rid in ids:
            if rid not in known:
                unknown.setdefault(rid, []).append(item.nodeid)
            item.user_properties.append((MARKER, rid))
    if unknown:
        listed = "; ".join(f"{rid} on {', '.join(nodes[:3])}" for rid, nodes in sorted(unknown.items()))
        pytest.exit(
            f"segur: unknown requirement ID(s): {listed}. Known IDs are the 'id' column of "
            f"{_spec(config).root / 'requirements.csv'}",
            returncode=2 if RUN_KEY in config.stash else pytest.ExitCode.USAGE_ERROR,
        )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The suite's parameters: requirement IDs and answer codes, from the session's spec."""
    if RUN_KEY not in metafunc.config.stash:
        return
    spec = metafunc.config.stash[RUN_KEY].spec
    if "bundle_requirement" in metafunc.fixturenames:
        ids = [rid for rid, row in spec.requirements.items() if row.get("scope") == "bundle"]
        metafunc.parametrize(
            "bundle_requirement", [pytest.param(rid, id=rid, marks=pytest.mark.requirement(rid)) for rid in ids]
        )
    for name, level in (("line_code", "line"), ("file_code", "file"), ("attachment_code", "attachment")):
        if name in metafunc.fixturenames:
            codes = sorted(
                code for code, entry in spec.codes.items() if entry.level == level and code != spec.accepted_code
            )
            metafunc.parametrize(name, codes)


# ---------------------------------------------------------------------- outcomes and reports


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    run = item.config.stash.get(RUN_KEY, None)
    if run is None:
        return report
    if call.excinfo is not None and call.excinfo.errisinstance(KitError):
        run.kit_errors.append(f"{item.nodeid}: {call.excinfo.value}")
    ids = [str(value) for key, value in item.user_properties if key == MARKER]
    if report.when == "call" or report.outcome != "passed":
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            outcome, why = NOT_TESTED, reason.removeprefix("Skipped: ")
        elif report.failed:
            outcome, why = FAILED, item.nodeid
        else:
            outcome, why = PASSED, ""
        for rid in ids:
            run.outcomes.record(rid, item.nodeid, outcome, why)
    return report


def _header(run: SegurRun) -> dict[str, Any]:
    return {
        "kit": {"nom": "segur-conformance-kit", "version": kit_version()},
        "specification": {"id": run.spec.id, "version": run.spec.version, "dossier": str(run.spec.root)},
        "graine": run.seed,
        "outil": {
            "nom": run.tool.name,
            "version": tool_version(run.tool),
            "declaration": run.tool.source,
            "commandes": {kind: list(argv) for kind, argv in run.tool.commands.items()},
        },
        "parties": list(run.parts),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "dureeSecondes": round(time.monotonic() - run.started, 1),
    }


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    document = verdict(run.spec.requirements, run.outcomes, header=_header(run), kit_errors=run.kit_errors)
    (run.report_dir / "verdict.json").write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    (run.report_dir / "coverage.md").write_text(coverage_markdown(document), encoding="utf-8")
    session.config.stash[_VERDICT_KEY] = document
    if run.kit_errors or exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        session.exitstatus = 2
    elif document["verdict"] == "non conforme":
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        session.exitstatus = pytest.ExitCode.OK


_VERDICT_KEY = pytest.StashKey[dict[str, Any]]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    document = config.stash.get(_VERDICT_KEY, None)
    if run is None or document is None:
        return
    write = terminalreporter.write_line
    terminalreporter.section("Ségur numérique : certification")
    counts = {PASSED: 0, FAILED: 0, NOT_TESTED: 0}
    for row in document["exigences"].values():
        counts[row["statut"]] += 1
    write(
        f"{run.tool.name}: {document['verdict']} — {counts[PASSED]} requirement(s) passed, "
        f"{counts[FAILED]} failed, {counts[NOT_TESTED]} not tested"
    )
    for rid in document["exigencesEnEchec"]:
        write(f"  FAILED {rid}: {document['exigences'][rid]['enonce']}")
    for error in run.kit_errors:
        write(f"  KIT ERROR (exit 2): {error}")
    write(f"reports: {run.report_dir} (report.html, junit.xml, verdict.json, coverage.md)")


# ---------------------------------------------------------------------- fixtures


def _run(request: pytest.FixtureRequest) -> SegurRun:
    run = request.config.stash.get(RUN_KEY, None)
    if run is None:
        pytest.skip("the conformance suite runs with --segur")
    return run


@pytest.fixture(scope="session")
def segur_spec(request: pytest.FixtureRequest) -> Spec:
    """The spec the suite checks against (the kit's model, or ``--segur-spec``/``SEGUR_SPEC``)."""
    return _spec(request.config)


@pytest.fixture(scope="session")
def segur_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePortal]:
    """One live mock portal for the session, on a free port of 127.0.0.1."""
    with LivePortal(tmp_path_factory.mktemp("segur-portal")) as portal:
        yield portal


@pytest.fixture
def segur_portal(segur_live: LivePortal) -> LivePortal:
    """The live mock portal, emptied, its clock frozen on 01/02/2024 10:00 (avance window open).

    ``segur_portal.url``, ``.login``/``.password`` (the demo editor), ``.admin(method, path,
    body)``, ``.set_clock(at)``, ``.fault(route, kind)``, ``.transition(numero, *steps)``,
    ``.journal()``, ``.requests()``.
    """
    segur_live.reset(at="2024-02-01T10:00")
    return segur_live


@pytest.fixture(scope="session")
def segur_generators(segur_spec: Spec) -> Generators:
    """Valid and broken deposits: ``.bundle(profile=, size=, seed=)``, ``.write(drawn, folder)``,
    ``.broken(code, lines=)``, ``.answer(scenario, folder)``."""
    return Generators(segur_spec)


@pytest.fixture(scope="session")
def segur_tool(request: pytest.FixtureRequest) -> ToolConfig:
    return _run(request).tool


@pytest.fixture(scope="session")
def segur_produced(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> list[Produced]:
    """Run ``produce`` once; the deposits it wrote."""
    run = _run(request)
    if not run.tool.has("produce"):
        pytest.skip(f"no produce command declared in {run.tool.source}: producer conformance not tested")
    out = tmp_path_factory.mktemp("segur-produced")
    run_command(run.tool, "produce", {"out": out})
    return discover(out, run.spec)


@pytest.fixture(scope="session")
def segur_answers(request: pytest.FixtureRequest) -> dict[str, AnswerCase]:
    """The answers for ``ingest``: one per catalogue code, plus the status export."""
    run = _run(request)
    if not run.tool.has("ingest"):
        pytest.skip(f"no ingest command declared in {run.tool.source}: consumer conformance not tested")
    cases = {case.name: case for case in line_cases(run.spec, run.seed, run.tool.profile)}
    cases["statuts"] = status_export(run.spec, run.seed, run.tool.profile)
    return cases


@pytest.fixture(scope="session")
def segur_scenarios(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Scenarios:
    """The deposit scenarios against the live mock (each run once, its outcome kept)."""
    run = _run(request)
    if not run.tool.has("deposit"):
        pytest.skip(f"no deposit command declared in {run.tool.source}: deposit behaviour not tested")
    live: LivePortal = request.getfixturevalue("segur_live")
    return Scenarios(run.tool, live, run.spec, tmp_path_factory.mktemp("segur-deposit"), run.seed)
