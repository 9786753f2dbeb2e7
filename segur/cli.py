"""The ``segur`` command: the kit's front door.

Exit codes: 0 every line accepted, 1 something rejected (or created incomplete),
2 the command could not run as asked (missing file, bad option, unusable spec).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click

from segur import SPEC_ENV, __version__

if TYPE_CHECKING:
    from segur.mock_portal.controls import Enrolment, Spec

# Each command imports what it uses in its own body: ``segur --help`` loads click alone, and
# ``segur check`` never pays for the PDF makers, Faker or Hypothesis.

_MODES = ("simulate", "import")


def _spec(path: Path | None) -> Spec:
    from segur.mock_portal.controls import SpecError, load_spec

    try:
        return load_spec(path)
    except SpecError as exc:
        raise click.UsageError(f"spec: {exc}") from None


def _enrolments(values: tuple[str, ...]) -> tuple[Enrolment, ...] | None:
    if not values:
        return None
    from segur.mock_portal.controls import Enrolment

    enrolments = []
    for value in values:
        ans, _, software = value.partition("=")
        couloir, _, logiciel = software.partition("/")
        if not (ans and couloir and logiciel):
            raise click.BadParameter(
                f"{value!r}: expected ANS=COULOIR/TYPE_LOGICIEL, e.g. ANS-MS1-DUI-0042=MS/DUI", param_hint="--enrolment"
            )
        enrolments.append(Enrolment(ans, couloir, logiciel))
    return tuple(enrolments)


#: set by a command whose process may end without the interpreter's teardown (see :func:`run`)
_quick_exit = False
#: set by :func:`run`: the commands run in the ``segur`` process itself (not under a test's runner)
_own_process = False


def _may_exit_quickly() -> None:
    """This command holds no thread, temporary folder or open file once it has answered.

    It runs on one thread: in the ``segur`` process, the modules its libraries import and it
    never reads load only if something reads them (:mod:`segur.lazy`).
    """
    global _quick_exit
    _quick_exit = True
    if _own_process:
        from .lazy import UNUSED_BY_CHECKS, defer

        defer(*UNUSED_BY_CHECKS)


def run() -> None:
    """The ``segur`` program (its console script and ``python -m segur``): :data:`main` as a process.

    A quick command (``check``, ``demo``, ``spec``) ends with ``os._exit`` once its output is
    flushed: the interpreter's teardown (freeing every module and object one by one, about
    10 ms) buys nothing to a process that has answered, and an editor's CI calls it in a loop.
    """
    import gc

    global _own_process
    _own_process = True
    # The cyclic collector waits until a command says it needs it (:func:`main`): the imports
    # and a check of a JSON file allocate tens of thousands of containers that form no cycle,
    # which it would only traverse (about 5 ms of a 90 ms ``segur check``).
    gc.disable()
    try:
        main.main(prog_name="segur")
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if isinstance(code, str):  # a message given to sys.exit: printed, status 1
        print(code, file=sys.stderr)
        code = 1
    status = 0 if code is None else int(code)
    if _quick_exit:
        import os

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


#: the commands that run with the cyclic collector paused (:func:`run`): bounded work on one file
_COLLECTOR_PAUSED = frozenset({"check"})


class _Group(click.Group):
    """The ``segur`` group: the commands kept in their own modules are imported when named."""

    #: command name → ``module:attribute`` (a ``click.Command``)
    in_modules: ClassVar[dict[str, str]] = {"certify": "segur.certify:certify", "generate": "segur.generate:generate"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.in_modules})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.in_modules and cmd_name not in self.commands:
            from importlib import import_module

            module, attribute = self.in_modules[cmd_name].split(":")
            self.add_command(getattr(import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="segur")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Conformance kit for the Ségur numérique funding portal of the ASP (médico-social, wave 1)."""
    if ctx.invoked_subcommand not in _COLLECTOR_PAUSED:
        import gc

        gc.enable()


@main.command()
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--attachments",
    "-a",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The zip of attachments (PDF). Without it, a simulation checks the JSON alone, as the portal's Simuler. "
    "With it, the pieces' text is also read for what a gestionnaire checks by hand (warnings, never a code).",
)
@click.option("--type", "type_demande", required=True, help="Type of request chosen at deposit: avance or solde.")
@click.option("--vat", type=float, required=True, help="VAT rate chosen at deposit, in percent (0, 2.1, 5.5, 10, 20).")
@click.option("--ans", help="ANS référencement number chosen at deposit (default: the one the first request carries).")
@click.option(
    "--at",
    "at_text",
    metavar="TIME",
    help="Deposit time, ISO 8601, Europe/Paris if no offset (default: the profile's default in the calendar).",
)
@click.option(
    "--corrected-at",
    "corrected_text",
    metavar="TIME",
    help="For a stored request the gestionnaire sent back for modification: the time its editor corrects it (--at "
    "being its deposit time); the rules judged at the correction time (the MSS indicator) use it.",
)
@click.option(
    "--mode",
    type=click.Choice(_MODES),
    default="simulate",
    show_default=True,
    help="simulate answers as Simuler; import also numbers the accepted lines and needs the zip.",
)
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--history",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Requests already stored (JSON, schemas/history.schema.json): duplicates, financed beneficiaries, soldes.",
)
@click.option(
    "--enrolment",
    "enrolment_values",
    multiple=True,
    metavar="ANS=COULOIR/TYPE",
    help="A validated enrolment of the depositor (repeatable). Default: enrolled for --ans on the file's software.",
)
@click.option(
    "--spec",
    "spec_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    envvar=SPEC_ENV,
    help=f"Spec folder to check against (default: the kit's model of MS wave 1; env {SPEC_ENV}).",
)
def check(
    bundle: Path,
    attachments: Path | None,
    type_demande: str,
    vat: float,
    ans: str | None,
    at_text: str | None,
    corrected_text: str | None,
    mode: str,
    output: str,
    history: Path | None,
    enrolment_values: tuple[str, ...],
    spec_dir: Path | None,
) -> None:
    """Answer a deposit as the portal does: the whole file rejected, or a code per line."""
    _may_exit_quickly()
    import orjson

    from segur.mock_portal.controls import IMPORT, SIMULATION, Deposit, HistoryFileError, check_deposit, read_history

    from . import render

    modes = {"simulate": SIMULATION, "import": IMPORT}
    spec = _spec(spec_dir)
    if type_demande not in spec.deposit_types:
        raise click.BadParameter(
            f"{type_demande!r}: expected one of {', '.join(spec.deposit_types)}", param_hint="--type"
        )
    if vat not in spec.vat_rates:
        rates = ", ".join(f"{r:g}" for r in spec.vat_rates)
        raise click.BadParameter(f"{vat:g}: expected one of {rates}", param_hint="--vat")
    at = None
    if at_text is not None:
        try:
            at = spec.local_time(at_text)
        except ValueError:
            raise click.BadParameter(
                f"{at_text!r}: expected an ISO 8601 time such as 2024-02-01T10:00", param_hint="--at"
            ) from None
    corrected_at = None
    if corrected_text is not None:
        try:
            corrected_at = spec.local_time(corrected_text)
        except ValueError:
            raise click.BadParameter(
                f"{corrected_text!r}: expected an ISO 8601 time such as 2024-10-01T10:00", param_hint="--corrected-at"
            ) from None
    stored = None
    if history is not None:
        try:
            stored = read_history(history.read_bytes(), spec, str(history))
        except HistoryFileError as exc:
            raise click.BadParameter(str(exc), param_hint="--history") from None
    if stored is None and spec.deposit_types[type_demande] != spec.deposit_types.get("avance"):
        click.echo(
            "note: no --history given: soldes are checked against an empty store, so every avance they name "
            "is unknown. Pass the stored avances with --history FILE.",
            err=True,
        )
    deposit = Deposit(type_demande, vat, at, ans, _enrolments(enrolment_values), corrected_at)
    kwargs: dict[str, Any] = {"spec": spec, "mode": modes[mode]}
    if stored is not None:
        kwargs["history"] = stored
    data = bundle.read_bytes()
    if attachments is not None:  # a PDF reader's objects hold cycles: 200 pieces would pile up
        import gc

        gc.enable()
    warnings = None
    if attachments is not None and spec.hand_checks:
        # the zip read once: the controls' answer, and the text of the pieces for the checks by hand
        from segur.mock_portal.controls.attachments import attachment_report
        from segur.mock_portal.controls.hand_checks import deposit_warnings, hand_roles

        report = attachment_report(data, attachments, spec, read_roles=hand_roles(spec))
        kwargs["attachments"] = report
        warnings = deposit_warnings(data, report.texts, spec)
    elif attachments is not None or modes[mode] == IMPORT:
        kwargs["attachments"] = attachments
    answer = check_deposit(data, deposit, **kwargs)
    if output == "json":
        document = answer.to_json()
        if warnings is not None:
            document["avertissements"] = [warning.to_json() for warning in warnings]
        click.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
    else:
        render.answer_table(answer, bundle, attachments, corrected_at=corrected_at)
        if warnings is not None:
            render.warnings_table(warnings)
    sys.exit(0 if answer.all_accepted else 1)


@main.group()
def spec() -> None:
    """Inspect the spec in force (schemas, codes, calendar)."""


@spec.command("show")
@click.option("--spec", "spec_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), envvar=SPEC_ENV)
def spec_show(spec_dir: Path | None) -> None:
    """Print the spec's identity, profiles, windows and limits."""
    _may_exit_quickly()
    from . import render

    render.spec_summary(_spec(spec_dir))


@spec.command("codes")
@click.option("--spec", "spec_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), envvar=SPEC_ENV)
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def spec_codes(spec_dir: Path | None, output: str) -> None:
    """List the error-code catalogue."""
    _may_exit_quickly()
    import orjson

    from . import render

    loaded = _spec(spec_dir)
    if output == "json":
        rows = [
            {"code": c.code, "niveau": c.level, "regle": c.rule, "libelle": c.label, "exigences": list(c.requirements)}
            for c in loaded.codes.values()
        ]
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
    else:
        render.codes_table(loaded)


@spec.command("check")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--seeds", type=click.IntRange(1, 50), default=1, show_default=True, help="Bundles drawn per profile.")
def spec_check(folder: Path, seeds: int) -> None:
    """Check a spec folder: it loads, its locations resolve in its schemas, its rules, labels and
    statuses are complete, its examples and cases answer as they say, and the generators and
    mutators work in its format. Exit 1 with the list of problems (each names its file and key)."""
    from .speccheck import check_spec

    steps = ["chargement", "emplacements", "règles et libellés", "exemples", "cas de rejet", "générateurs et mutateurs"]
    with click.progressbar(length=len(steps), label="vérification", file=sys.stderr) as bar:
        problems = check_spec(folder, lambda _label: bar.update(1), seeds=seeds)
    for problem in problems:
        click.echo(f"- {problem}")
    if problems:
        click.echo(f"{len(problems)} problème(s) dans {folder}", err=True)
        sys.exit(1)
    click.echo(f"{folder} : spécification utilisable par toutes les commandes du kit")


@spec.command("new")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--id", "spec_id", help="The new spec's id (default: the folder's name).")
def spec_new(folder: Path, spec_id: str | None) -> None:
    """Start a spec folder of your own: a copy of the kit's model with A-ADAPTER.md, the list of
    what to change, and GUIDE.md, the guide for spec authors."""
    from segur.mock_portal.controls.spec import DEFAULT_SPEC_NAME, default_spec_dir

    from .specfolder import new_spec

    model = default_spec_dir() if not os.environ.get(SPEC_ENV) else Path(os.environ[SPEC_ENV])
    try:
        written = new_spec(folder, model=model, spec_id=spec_id)
    except FileExistsError as exc:
        raise click.BadParameter(str(exc), param_hint="FOLDER") from None
    click.echo(f"{folder} : {len(written)} fichiers copiés du modèle {model.name or DEFAULT_SPEC_NAME}")
    click.echo(f"  à lire d'abord : {folder / 'A-ADAPTER.md'} ; puis : segur spec check {folder}")


@spec.command("diff")
@click.argument("old", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def spec_diff(old: Path, new: Path, output: str) -> None:
    """What changed between two versions of a spec: fields, value types, codes, labels, limits,
    dates, statuses, pieces, profiles, ceilings."""
    import orjson

    from .specfolder import diff_specs

    changes = diff_specs(_spec(old), _spec(new))
    if output == "json":
        click.echo(
            orjson.dumps([{"section": s, "changement": c} for s, c in changes], option=orjson.OPT_INDENT_2).decode()
        )
        return
    if not changes:
        click.echo("aucune différence")
        return
    section = None
    for name, text in changes:
        if name != section:
            click.echo(f"{name} :")
            section = name
        click.echo(f"  {text}")


@spec.command("fields")
@click.option("--spec", "spec_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), envvar=SPEC_ENV)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
def spec_fields(spec_dir: Path | None, out: Path | None) -> None:
    """Generate the Markdown reference of the fields, from the schemas."""
    _may_exit_quickly()
    from .reference import fields_markdown

    text = fields_markdown(_spec(spec_dir))
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@main.command()
@click.option("--spec", "spec_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), envvar=SPEC_ENV)
def demo(spec_dir: Path | None) -> None:
    """Check the example bundles shipped with the spec, as ``segur check`` would, one by one."""
    _may_exit_quickly()
    from segur.mock_portal.controls import IMPORT, Deposit, check_deposit, read_history

    from . import render

    loaded = _spec(spec_dir)
    examples = sorted((loaded.root / "examples").glob("*.json"))
    bundles = [p for p in examples if not p.name.endswith(".history.json")]
    if not bundles:
        raise click.UsageError(f"{loaded.root / 'examples'}: no example bundle (*.json) to check")
    worst = 0
    for bundle in bundles:
        profile = loaded.profiles.get(bundle.stem)
        type_demande = profile.deposit_type if profile is not None else next(iter(loaded.deposit_types))
        zip_path = bundle.with_suffix(".zip")
        history_path = bundle.with_name(bundle.stem + ".history.json")
        history = read_history(history_path.read_bytes(), loaded, str(history_path)) if history_path.exists() else None
        kwargs: dict[str, Any] = {
            "spec": loaded,
            "mode": IMPORT,
            "attachments": zip_path if zip_path.exists() else None,
        }
        if history is not None:
            kwargs["history"] = history
        data = bundle.read_bytes()
        answer = check_deposit(data, Deposit(type_demande, _example_vat(data, loaded)), **kwargs)
        render.answer_table(answer, bundle, kwargs["attachments"])
        click.echo("")
        worst = max(worst, 0 if answer.all_accepted else 1)
    sys.exit(worst)


def _example_vat(data: bytes, spec: Spec) -> float:
    """The VAT rate an example's first request carries (the one to choose at deposit)."""
    import orjson

    from segur.mock_portal.controls.line import read_values
    from segur.mock_portal.controls.spec import resolve

    try:
        requests = resolve(orjson.loads(data), spec.document["requests"].path)
        rate = read_values(requests[0], spec).get("vat_rate") if isinstance(requests, list) and requests else None
    except orjson.JSONDecodeError:
        rate = None
    return float(rate) if rate is not None and float(rate) in spec.vat_rates else spec.vat_rates[-1]


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (loopback by default; any other prints a warning: demo account, admin token).",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 32),
    help="gunicorn worker processes, four threads each (their state is shared through the database).",
)
@click.option(
    "--database",
    envvar="SEGUR_DATABASE",
    help="Where the state is kept: an SQLite file (default: segur-mock.sqlite3 here) or a "
    "postgresql://user@host/name URL shared by several servers (env SEGUR_DATABASE).",
)
@click.option("--spec", "spec_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), envvar=SPEC_ENV)
def serve(host: str, port: int, workers: int, database: str | None, spec_dir: Path | None) -> None:
    """Run the mock portal (state kept in SQLite or PostgreSQL: it survives a restart)."""
    from segur.mock_portal import create_app

    from .serve import serve as run

    config: dict[str, Any] = {}
    if database:
        config["DATABASE"] = database
    if spec_dir is not None:
        _spec(spec_dir)
        config["SPEC_DIR"] = str(spec_dir)
    run(create_app(config), host, port, workers)


@main.group()
def cases() -> None:
    """The common rejection cases, for trainers: one or more per catalogue code."""


@cases.command("list")
@click.option("--spec", "spec_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), envvar=SPEC_ENV)
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def cases_list(spec_dir: Path | None, output: str) -> None:
    """List the rejection cases with their code and title."""
    import orjson

    from segur.generators.cases import case_code, case_files, load_case

    loaded = _spec(spec_dir)
    rows = []
    for path in case_files(loaded):
        case = load_case(path)
        failing = [i + 1 for i, v in enumerate(case["variants"]) if v["expect"] != "accepted"]
        warning = [i + 1 for i, v in enumerate(case["variants"]) if v.get("warnings")]
        rows.append(
            {
                "cas": path.stem,
                "code": case_code(case, loaded),
                "regle": case.get("rule"),
                "controleManuel": case.get("check"),
                "titre": case["title"],
                "description": case.get("description", ""),
                "variantesEnErreur": failing,
                "variantesAvecAvertissement": warning,
                "variantes": [v["name"] for v in case["variants"]],
            }
        )
    if output == "json":
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    for row in rows:
        click.echo(f"{row['code']:<5}  {row['cas']:<48} {row['titre']}")
    click.echo(f"\n{len(rows)} cas ; « segur cases build CAS --out DOSSIER » écrit le dépôt et la réponse attendue.")


@cases.command("build")
@click.argument("name")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to write into.")
@click.option(
    "--variant",
    type=click.IntRange(1),
    default=None,
    help="Which variant (see `segur cases list --format json`); default: the first that is rejected or warns.",
)
@click.option("--spec", "spec_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), envvar=SPEC_ENV)
def cases_build(name: str, out: Path, variant: int | None, spec_dir: Path | None) -> None:
    """Write a case's deposit file, zip, stored requests and expected answer into OUT.

    NAME is a case's name (as `segur cases list` shows it), a code or a rule name: the first case
    of that code in name order (its own; the trainer cases of the same code have their names)."""
    from segur.generators.cases import find_case, write_case

    loaded = _spec(spec_dir)
    try:
        case = find_case(loaded, name)
        index = (
            variant - 1
            if variant is not None
            else next(i for i, v in enumerate(case["variants"]) if v["expect"] != "accepted" or v.get("warnings"))
        )
        manifest = write_case(loaded, case, index, out)
    except LookupError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME or --variant") from None
    answer = manifest["reponseAttendue"]
    click.echo(
        f"{manifest['code']} — {manifest['titre']} (variante {manifest['variante']['numero']} : "
        f"{manifest['variante']['nom']})"
    )
    click.echo(f"  écrit dans {out} : {', '.join(sorted(p.name for p in out.iterdir()))}")
    click.echo(f"  réponse attendue : {answer['codetraitement']} {answer['libelletraitement']}")
    for line in answer["lignes"]:
        if line["codetraitement"] != loaded.accepted_code:
            click.echo(f"    ligne {line['numLigne']} : {line['codetraitement']} {line['libelletraitement']}")
    for warning in manifest["avertissementsAttendus"]:
        click.echo(f"    ligne {warning['numLigne']} : avertissement {warning['controle']} — {warning['message']}")
    click.echo(f"  pour rejouer : cd {out} && {manifest['commande']}")


@main.command("fuzz")
@click.option("--portal", "url", required=True, help="Base URL of the portal, e.g. http://127.0.0.1:8000")
@click.option("--login", default="demo", show_default=True, help="An enrolled editor's login.")
@click.option(
    "--password",
    default="demo-segur-2024",
    envvar="SEGUR_FUZZ_PASSWORD",
    show_default=True,
    help="Its password (env SEGUR_FUZZ_PASSWORD).",
)
@click.option("--count", type=click.IntRange(1, 10_000), default=50, show_default=True, help="Number of cases.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the whole run.")
@click.option("--case-seed", type=int, default=None, help="Replay one case (the seed a mismatch prints).")
@click.option(
    "--max-seconds",
    type=click.FloatRange(1, 3600),
    default=300,
    show_default=True,
    help="Stop drawing new cases after this long.",
)
@click.option(
    "--broken-share",
    type=click.FloatRange(0, 1),
    default=0.6,
    show_default=True,
    help="Share of the cases broken for a random catalogue code.",
)
@click.option(
    "--max-size", type=click.IntRange(1, 200), default=5, show_default=True, help="Requests per file, at most."
)
@click.option(
    "--import/--no-import",
    "do_import",
    default=True,
    show_default=True,
    help="Also import each file with its zip (stores the accepted lines).",
)
@click.option("--spec", "spec_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), envvar=SPEC_ENV)
def fuzz_command(
    url: str,
    login: str,
    password: str,
    count: int,
    seed: int,
    case_seed: int | None,
    max_seconds: float,
    broken_share: float,
    max_size: int,
    do_import: bool,
    spec_dir: Path | None,
) -> None:
    """Send generated deposits (valid and broken) to a portal's simulate and import; compare each
    answer with the kit's expected one; print the mismatches with the seed replaying each."""
    from .fuzz import FuzzError, Portal, fuzz

    loaded = _spec(spec_dir)
    try:
        portal = Portal(url, login, password, loaded)
        total = 1 if case_seed is not None else count
        with click.progressbar(length=total, label="cas", file=sys.stderr) as bar:
            summary = fuzz(
                portal,
                loaded,
                seed=seed,
                count=count,
                max_seconds=max_seconds,
                broken_share=broken_share,
                max_size=max_size,
                do_import=do_import,
                case_seed=case_seed,
                progress=bar.update,
            )
    except FuzzError as exc:
        raise click.UsageError(str(exc)) from None
    for mismatch in summary.mismatches:
        broken = f"cassé pour {mismatch.code} (lignes {mismatch.lines})" if mismatch.code else "valide"
        click.echo(f"ÉCART {mismatch.step} — cas {mismatch.case_seed}, {mismatch.profile}, {broken}")
        click.echo(f"  attendu : {mismatch.expected}")
        click.echo(f"  reçu    : {mismatch.received}")
        click.echo(f"  rejouer : segur fuzz --portal {url} --case-seed {mismatch.case_seed}")
    click.echo(
        f"{summary.cases} cas, {summary.simulates} simulations, {summary.imports} imports, "
        f"{len(summary.mismatches)} écart(s)"
    )
    sys.exit(1 if summary.mismatches else 0)
