"""A ``pytest --segur`` run: the suite's state, its parameters, its outcomes and its reports.

:func:`start` is called by the plugin's ``pytest_configure`` only when ``--segur`` is given, so
an editor's ordinary pytest run never imports the controls, the generators or the mock portal.
It registers this module as a plugin: its hooks and the suite's fixtures then take part.

Exit codes: 0 conformant (or partly tested, verdict « partiel »), 1 not conformant, 2 the kit
could not run: a bad declaration, a command not found, the suite not found, no test run.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from segur.conformance.config import ConfigError, ToolConfig, load_config
from segur.conformance.consumer import AnswerCase, line_cases, status_export
from segur.conformance.deposit import Scenarios
from segur.conformance.live import LivePortal
from segur.conformance.plugin import MARKER, PARTS, RUN_KEY, spec_of
from segur.conformance.producer import Produced, discover
from segur.conformance.producer import Run as ProducedRun
from segur.conformance.report import (
    FAILED,
    NOT_EVALUABLE,
    NOT_TESTED,
    PASSED,
    UNEVALUABLE_PREFIX,
    Outcomes,
    coverage_markdown,
    html_cells,
    verdict,
)
from segur.conformance.runner import KitError, run_command, tool_version
from segur.mock_portal.controls import Spec, SpecError

from segur import __version__

__all__ = ["SUITE", "SegurRun", "start", "suite_files"]

#: the suite's test modules, shipped inside the package (segur/conformance/suite/)
SUITE = Path(__file__).resolve().parent / "suite"


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
    executed: int = 0


def kit_version() -> str:
    try:
        return importlib.metadata.version("segur-conformance-kit")
    except importlib.metadata.PackageNotFoundError:
        return __version__


def suite_files(parts: tuple[str, ...]) -> list[str]:
    """The suite's test module of each part; a missing one means a broken install (exit 2)."""
    files = [SUITE / f"test_{part}.py" for part in parts]
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise ConfigError(
            f"the conformance suite is not where the kit expects it ({', '.join(missing)} missing): "
            "the installed kit is incomplete; reinstall it (pip install --force-reinstall segur-conformance-kit)"
        )
    return [str(path) for path in files]


def start(config: pytest.Config) -> None:
    """Read the declaration and the spec, prepare the reports, add the suite to the run."""
    try:
        spec = spec_of(config)
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
        programs = spec.programs()
        if tool.profile is None:
            tool = dataclasses.replace(tool, profile=programs[0])
        elif tool.profile not in programs:
            raise ConfigError(
                f"{tool.source}: profile {tool.profile!r} is not a programme of the spec {spec.label}; "
                f"it has {', '.join(programs)}"
            )
        parts = tuple(config.getoption("segur_part") or PARTS)
        suite = suite_files(parts)
    except (ConfigError, SpecError) as exc:
        pytest.exit(f"segur: {exc}", returncode=2)
    report = config.getoption("segur_report")
    report_dir = Path(report).resolve() if report else tool.report_dir
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        pytest.exit(f"segur: cannot create the report folder {report_dir}: {exc}", returncode=2)
    config.stash[RUN_KEY] = SegurRun(tool=tool, spec=spec, seed=tool.seed, parts=parts, report_dir=report_dir)
    if config.pluginmanager.hasplugin("html") and not config.getoption("htmlpath", None):
        config.option.htmlpath = str(report_dir / "report.html")
        config.option.self_contained_html = True
    if config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(_HtmlColumns(config), "segur-html")
    if not getattr(config.option, "xmlpath", None):
        config.option.xmlpath = str(report_dir / "junit.xml")
    config.pluginmanager.register(sys.modules[__name__], "segur-session")
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
        ids = [str(value) for key, value in getattr(report, "user_properties", ()) if key == MARKER]
        cells[2:2] = html_cells(spec_of(self.config).requirements, ids)


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
        "parties": [part for part in run.parts if run.tool.has(_COMMAND_OF[part])],
        "partiesNonTestees": [part for part in PARTS if part not in run.parts or not run.tool.has(_COMMAND_OF[part])],
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "dureeSecondes": round(time.monotonic() - run.started, 1),
    }


_VERDICT_KEY = pytest.StashKey[dict[str, Any]]()


# ---------------------------------------------------------------------- hooks (this module is the plugin)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The suite's parameters: requirement IDs and answer codes, from the session's spec."""
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    run = item.config.stash[RUN_KEY]
    if call.excinfo is not None and call.excinfo.errisinstance(KitError):
        run.kit_errors.append(f"{item.nodeid}: {call.excinfo.value}")
    ids = [str(value) for key, value in item.user_properties if key == MARKER]
    if report.when == "call" or report.outcome != "passed":
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            why = reason.removeprefix("Skipped: ")
            outcome = NOT_EVALUABLE if why.startswith(UNEVALUABLE_PREFIX) else NOT_TESTED
        elif report.failed:
            outcome, why = FAILED, item.nodeid
        else:
            outcome, why = PASSED, ""
        if outcome != NOT_TESTED:  # a « non évaluable » test ran: it read what the tool gave
            run.executed += 1
        for rid in ids:
            run.outcomes.record(rid, item.nodeid, outcome, why)
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash[RUN_KEY]
    errors = list(run.kit_errors)
    if not run.executed and not errors:
        errors.append(
            "no test of the conformance suite ran (collected "
            f"{session.testscollected}, exit status {int(exitstatus)}): check the pytest arguments given "
            "after the options (-k, a path), and that the declared commands cover the parts asked for"
        )
    if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not errors:
        errors.append(f"pytest stopped with exit status {int(exitstatus)} (see the output above)")
    header = _header(run)
    document = verdict(
        run.spec.requirements, run.outcomes, header=header, kit_errors=errors, partial=bool(header["partiesNonTestees"])
    )
    (run.report_dir / "verdict.json").write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    (run.report_dir / "coverage.md").write_text(coverage_markdown(document), encoding="utf-8")
    session.config.stash[_VERDICT_KEY] = document
    run.kit_errors = errors
    if errors:
        session.exitstatus = 2
    elif document["verdict"] == "non conforme":
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        session.exitstatus = pytest.ExitCode.OK


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = config.stash[RUN_KEY]
    document = config.stash.get(_VERDICT_KEY, None)
    if document is None:
        return
    write = terminalreporter.write_line
    terminalreporter.section("Ségur numérique : certification")
    counts = {PASSED: 0, FAILED: 0, NOT_TESTED: 0, NOT_EVALUABLE: 0}
    for row in document["exigences"].values():
        counts[row["statut"]] += 1
    write(
        f"{run.tool.name}: {document['verdict']} — {counts[PASSED]} requirement(s) passed, "
        f"{counts[FAILED]} failed, {counts[NOT_TESTED]} not tested"
        + (f", {counts[NOT_EVALUABLE]} non évaluable(s)" if counts[NOT_EVALUABLE] else "")
    )
    if document["partiesNonTestees"]:
        write(f"  parts not tested: {', '.join(document['partiesNonTestees'])} (verdict « partiel »)")
    for rid in document["exigencesEnEchec"]:
        write(f"  FAILED {rid}: {document['exigences'][rid]['enonce']}")
    for row in document["exigencesNonEvaluables"]:
        write(f"  NON ÉVALUABLE {row['id']}: {'; '.join(row['raisons'])[:300]}")
    for error in run.kit_errors:
        write(f"  KIT ERROR (exit 2): {error}")
    write(f"reports: {run.report_dir} (report.html, junit.xml, verdict.json, coverage.md)")


# ---------------------------------------------------------------------- the suite's fixtures


@pytest.fixture(scope="session")
def segur_tool(request: pytest.FixtureRequest) -> ToolConfig:
    tool: ToolConfig = request.config.stash[RUN_KEY].tool
    return tool


@pytest.fixture(scope="session")
def segur_produced(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> list[Produced]:
    """Run ``produce`` once; the deposits it wrote."""
    run = request.config.stash[RUN_KEY]
    if not run.tool.has("produce"):
        pytest.skip(f"no produce command declared in {run.tool.source}: producer conformance not tested")
    out = tmp_path_factory.mktemp("segur-produced")
    run_command(run.tool, "produce", {"out": out})
    return discover(out, run.spec)


@pytest.fixture(scope="session")
def segur_run(segur_produced: list[Produced], request: pytest.FixtureRequest) -> ProducedRun:
    """The deposits of the ``produce`` run, checked together (rules that span deposits)."""
    return ProducedRun(segur_produced, request.config.stash[RUN_KEY].spec)


@pytest.fixture(scope="session")
def segur_answers(request: pytest.FixtureRequest) -> dict[str, AnswerCase]:
    """The answers for ``ingest``: one per catalogue code, plus the status export."""
    run = request.config.stash[RUN_KEY]
    if not run.tool.has("ingest"):
        pytest.skip(f"no ingest command declared in {run.tool.source}: consumer conformance not tested")
    cases = {case.name: case for case in line_cases(run.spec, run.seed, run.tool.profile)}
    cases["statuts"] = status_export(run.spec, run.seed, run.tool.profile)
    return cases


@pytest.fixture(scope="session")
def segur_scenarios(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Scenarios:
    """The deposit scenarios against the live mock (each run once, its outcome kept)."""
    run = request.config.stash[RUN_KEY]
    if not run.tool.has("deposit"):
        pytest.skip(f"no deposit command declared in {run.tool.source}: deposit behaviour not tested")
    live: LivePortal = request.getfixturevalue("segur_live")
    return Scenarios(run.tool, live, run.spec, tmp_path_factory.mktemp("segur-deposit"), run.seed)


#: the command each part of the suite runs
_COMMAND_OF = {"producer": "produce", "consumer": "ingest", "deposit": "deposit"}
