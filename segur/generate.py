"""``segur generate``: a valid deposit of N requests with its PDFs and the portal's expected answer.

The command object is registered on the ``segur`` group by name and imported when named
(``_Group`` in ``segur/cli.py``). It does not import ``segur.cli``, so that registration cannot
make an import cycle.

``--break CODE`` (repeatable) turns the drawn bundle into one where exactly the chosen lines
get that code and every other line "0000" (``segur.generators.mutators``); a file-level code
makes a file rejected as a whole. ``--warn CHECK`` writes the chosen lines' pieces without
what that check by hand of the gestionnaire reads (accepted by the controls; a warning). The
expected answer and the warnings written to ``manifest.json`` are always computed from the files
as written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from segur import SPEC_ENV
from segur.generators import MAX_SEED

if TYPE_CHECKING:
    from segur.generators.bundle_writer import Manifest
    from segur.generators.mutators import Scenario
    from segur.generators.strategies import Drawn
    from segur.mock_portal.controls import Spec

__all__ = ["PROGRESS_FROM", "generate"]

#: a progress bar is drawn from this many PDFs on
PROGRESS_FROM = 50
#: a PDF is made in memory: no more than this many bytes each
MAX_PDF_SIZE = 100_000_000


def _load(spec_dir: Path | None) -> Spec:
    from segur.mock_portal.controls import SpecError, load_spec

    try:
        return load_spec(spec_dir)
    except SpecError as exc:
        raise click.UsageError(f"spec: {exc}") from None


def _profile_name(spec: Spec, program: str, type_demande: str) -> str:
    programs = spec.programs()
    if program not in programs:
        raise click.BadParameter(f"{program!r}: expected one of {', '.join(programs)}", param_hint="--profile")
    if type_demande not in spec.deposit_types:
        raise click.BadParameter(
            f"{type_demande!r}: expected one of {', '.join(spec.deposit_types)}", param_hint="--type"
        )
    found = spec.profile_of(program, type_demande)
    if found is None:
        raise click.BadParameter(
            f"the spec has no profile of {program} for {type_demande}; it has: {', '.join(spec.profiles)}",
            param_hint="--profile/--type",
        )
    return found.name


def _draw(seed: int, profile: str, count: int, spec: Spec, numero_ans: str | None) -> Drawn:
    """The valid deposit the seed gives (where a ``--break`` mutator would step in)."""
    from segur.generators.strategies import make_bundle

    try:
        return make_bundle(seed, profile=profile, size=count, spec=spec, numero_ans=numero_ans)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _report(manifest: Manifest, spec: Spec, out: Path) -> None:
    from segur.generators.bundle_writer import MANIFEST_NAME

    answer = manifest.answer
    recap = answer["recapitulatif"]
    click.echo(
        f"{manifest.profile}, graine {manifest.seed} : {manifest.count} demande(s) écrite(s) dans {out} "
        f"(TVA {manifest.deposit['tauxTva']:g} %, ANS {manifest.deposit['numeroAns']})"
    )
    for name, digest in manifest.files.items():
        click.echo(f"  {name:<28} sha256 {digest[:16]}…")
    click.echo(f"  {MANIFEST_NAME:<28} la réponse attendue et la commande qui la rejoue")
    click.echo(
        f"  réponse attendue (import) : {answer['codetraitement']} {answer['libelletraitement']} ; "
        f"acceptées {recap['acceptees']}, rejetées {recap['rejetees']}, incomplètes {recap['incompletes']}"
    )
    codes: dict[str, list[int]] = {}
    labels: dict[str, str] = {}
    for line in answer["lignes"]:
        if line["codetraitement"] != spec.accepted_code:
            codes.setdefault(line["codetraitement"], []).append(line["numLigne"])
            labels.setdefault(line["codetraitement"], line["libelletraitement"])
    for code, numbers in sorted(codes.items()):
        click.echo(f"    {code} : ligne(s) {', '.join(map(str, numbers))} — par exemple « {labels[code]} »")
    for warning in manifest.document["avertissementsAttendus"]:
        click.echo(f"    avertissement {warning['controle']}, ligne {warning['numLigne']} : {warning['message']}")
    click.echo(f"  pour rejouer : cd {out} && {manifest.command}")


@click.command("generate")
@click.option(
    "--profile",
    "wave",
    required=True,
    metavar="PROGRAMME",
    help="The software programme, one of the spec's (`segur spec show`; the model's: ms1 = DUI, ms2 = DUI-PDE).",
)
@click.option("--type", "type_demande", required=True, metavar="avance|solde", help="The request type of the deposit.")
@click.option(
    "--count",
    type=int,
    required=True,
    help="Number of requests in the file: 1 to 200 (the portal's limit, the spec's maxDemandes).",
)
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
    default=0,
    show_default=True,
    help="The same seed gives the same files, byte for byte.",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to write into.")
@click.option(
    "--pdf-size",
    type=click.IntRange(1, MAX_PDF_SIZE),
    default=None,
    metavar="BYTES",
    help="Make every PDF exactly BYTES long (e.g. 3000001: one byte over the 3 MB limit, code 3002).",
)
@click.option(
    "--ans",
    "numero_ans",
    metavar="NUMBER",
    help="The ANS référencement number of every request (default: the spec's référentiel's for the programme, "
    "one the mock portal's demo account is enrolled for).",
)
@click.option(
    "--break",
    "breaks",
    multiple=True,
    metavar="CODE",
    help="Break the bundle for this catalogue code or rule name (repeatable): those lines get exactly that code.",
)
@click.option(
    "--warn",
    "warns",
    multiple=True,
    metavar="CHECK",
    help="Write those lines' pieces without what this check by hand of the gestionnaire reads (repeatable; "
    "`segur spec show` lists them): accepted by the controls, a warning in the manifest.",
)
@click.option(
    "--lines",
    "lines_text",
    metavar="N,N…",
    help="1-based lines to break (default: the last line); with several codes they are dealt out in turn.",
)
@click.option(
    "--ratio",
    type=click.FloatRange(0, 1, min_open=True),
    default=None,
    help="Break this share of the lines for each code instead of --lines (lines drawn from the seed).",
)
@click.option(
    "--spec",
    "spec_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    envvar=SPEC_ENV,
    help=f"Spec folder (default: the kit's model of MS wave 1; env {SPEC_ENV}).",
)
def generate(
    wave: str,
    type_demande: str,
    count: int,
    seed: int,
    out: Path,
    pdf_size: int | None,
    numero_ans: str | None,
    breaks: tuple[str, ...],
    warns: tuple[str, ...],
    lines_text: str | None,
    ratio: float | None,
    spec_dir: Path | None,
) -> None:
    """Write a valid deposit of COUNT requests, its zip of PDFs, the stored requests soldes
    need, and manifest.json with the portal's expected answer and the command replaying it."""
    from segur.generators.bundle_writer import piece_count, write_bundle

    spec = _load(spec_dir)
    profile = _profile_name(spec, wave.lower(), type_demande.lower())
    maximum = spec.limits.get("maxDemandes", 200)
    if not 1 <= count <= maximum:
        raise click.BadParameter(
            f"{count}: a deposit file holds 1 to {maximum} requests (the portal's limit, maxDemandes in the spec)",
            param_hint="--count",
        )
    drawn = _draw(seed, profile, count, spec, numero_ans)
    if breaks and warns:
        raise click.BadParameter("give --break or --warn, not both", param_hint="--break/--warn")
    if warns:
        _report(_write_warned(drawn, out, spec, warns, _targets(warns, lines_text, ratio, count, seed)), spec, out)
        return
    if breaks:
        _report(_write_broken(drawn, out, spec, breaks, _targets(breaks, lines_text, ratio, count, seed)), spec, out)
        return
    pieces = piece_count(drawn, spec)
    if pdf_size is not None and pdf_size * pieces > spec.limits.get("maxZipOctets", 200_000_000):
        click.echo(
            f"note: {pieces} PDF(s) of {pdf_size} bytes make a zip over the portal's "
            f"{spec.limits.get('maxZipOctets', 200_000_000)} bytes: the expected answer says so.",
            err=True,
        )
    if pieces >= PROGRESS_FROM:
        bar = click.progressbar(length=pieces, label=f"PDF ({pieces})", file=sys.stderr)
        with bar:
            manifest = write_bundle(drawn, out, spec=spec, pdf_size=pdf_size, progress=bar.update)
    else:
        manifest = write_bundle(drawn, out, spec=spec, pdf_size=pdf_size)
    _report(manifest, spec, out)


def _targets(
    breaks: tuple[str, ...], lines_text: str | None, ratio: float | None, count: int, seed: int
) -> list[list[int]]:
    """The 0-based lines each code breaks."""
    if lines_text is not None and ratio is not None:
        raise click.BadParameter("give --lines or --ratio, not both", param_hint="--lines/--ratio")
    if ratio is not None:
        import random

        rng = random.Random(seed)
        size = max(1, round(ratio * count))
        return [sorted(rng.sample(range(count), size)) for _ in breaks]
    if lines_text is None:
        chosen = [count - 1] * len(breaks) if len(breaks) == 1 else list(range(count))[-len(breaks) :]
        return [[line] for line in chosen]
    try:
        numbers = [int(part) for part in lines_text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{lines_text!r}: expected line numbers such as 3,7", param_hint="--lines") from None
    if not numbers or any(not 1 <= n <= count for n in numbers) or len(set(numbers)) != len(numbers):
        raise click.BadParameter(
            f"{lines_text!r}: expected distinct line numbers from 1 to {count}", param_hint="--lines"
        )
    if len(numbers) < len(breaks):
        raise click.BadParameter("give at least one line per --break code", param_hint="--lines")
    return [[n - 1 for n in numbers[i :: len(breaks)]] for i in range(len(breaks))]


def _write_warned(drawn: Drawn, out: Path, spec: Spec, warns: tuple[str, ...], targets: list[list[int]]) -> Manifest:
    """The drawn bundle with the pieces of each check's lines flawed for it, written with the
    controls' expected answer and the warnings."""
    from segur.generators.mutators import Scenario, flaw

    scenario = Scenario.from_drawn(drawn, spec)
    scenario.deposit["mode"] = "import"
    flawed: dict[str, list[int]] = {}
    for check, lines in zip(warns, targets, strict=True):
        try:
            flawed[check] = [n + 1 for n in flaw(scenario, check, lines, spec)]
        except (ValueError, LookupError) as exc:
            raise click.BadParameter(str(exc), param_hint="--warn") from None
    return _write_scenario(drawn, out, spec, scenario, "avertissements", {"controlesFautifs": flawed})


def _write_scenario(
    drawn: Drawn, out: Path, spec: Spec, scenario: Scenario, suffix: str, extra: dict[str, Any]
) -> Manifest:
    """Write a changed scenario's files (``<profile>-<seed>-<suffix>.json``, its zip and history)
    and its manifest with the controls' expected answer and ``extra``."""
    from segur.generators.bundle_writer import record
    from segur.generators.mutators import materialise

    out.mkdir(parents=True, exist_ok=True)
    data, deposit, _history, zip_path, mode = materialise(scenario, out)
    bundle_name = f"{drawn.profile}-{drawn.seed}-{suffix}.json"
    (out / bundle_name).write_bytes(data)
    return record(
        out,
        seed=drawn.seed,
        profile=drawn.profile,
        count=len(scenario.requests),
        spec=spec,
        bundle_name=bundle_name,
        data=data,
        deposit=deposit,
        history_doc=scenario.history_document(),
        zip_path=zip_path,
        mode=mode,
        extra=extra,
    )


def _write_broken(drawn: Drawn, out: Path, spec: Spec, breaks: tuple[str, ...], targets: list[list[int]]) -> Manifest:
    """Break the drawn bundle for each code on its lines, write the files and the expected answer."""
    from segur.generators.mutators import Scenario, mutate

    breaks = tuple(spec.code_of(given) or given for given in breaks)  # a rule name stands for its code
    unknown = [code for code in breaks if code not in spec.codes or code == spec.accepted_code]
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)}: not error codes (nor rules) of the catalogue; `segur spec codes` lists them",
            param_hint="--break",
        )
    whole = [code for code in breaks if spec.codes[code].level == "file"]
    if whole and len(breaks) > 1:
        raise click.BadParameter(f"{whole[0]} rejects the whole file: give it alone", param_hint="--break")
    scenario = Scenario.from_drawn(drawn, spec)
    scenario.deposit["mode"] = "import"
    scenario.with_zip(spec)
    broken: dict[str, list[int]] = {}
    for code, lines in zip(breaks, targets, strict=True):
        try:
            broken[code] = [n + 1 for n in mutate(scenario, code, lines, spec)]
        except (ValueError, LookupError) as exc:
            raise click.BadParameter(f"{code}: {exc}", param_hint="--break") from None
    return _write_scenario(drawn, out, spec, scenario, "casse", {"codesCasses": broken})
