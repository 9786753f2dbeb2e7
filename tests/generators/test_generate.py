"""`segur generate`: the files written, byte for byte stable, and accepted by `segur check` as the manifest says."""

from __future__ import annotations

import hashlib
import io
import os
import shlex
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import orjson
import pytest
from click.testing import CliRunner, Result
from pypdf import PdfReader
from segur.generators.bundle_writer import Members, replay_command, write_bundle
from segur.generators.documents import bon_de_commande, facture_solde, verification_aptitude
from segur.generators.strategies import make_bundle
from segur.mock_portal.controls import IMPORT, Deposit, load_spec
from segur.mock_portal.controls.line import read_values

from segur import SPEC_ENV
from segur.cli import main
from segur.generate import generate
from tests._support.logical import code, raw_requests
from tests._support.paths import MODEL, ROOT, SPEC

#: the first programme's avances and the last programme's soldes
AVANCE = next(p for p in SPEC.profiles.values() if p.deposit_type == "avance")
SOLDE = [p for p in SPEC.profiles.values() if p.deposit_type == "solde"][-1]
ACCEPTED = SPEC.accepted_code
MAX = SPEC.limits["maxDemandes"]


def values_of(folder: Path, name: str) -> list[dict[str, Any]]:
    """The logical values of the requests of a written file."""
    document = orjson.loads((folder / name).read_bytes())
    out = []
    for raw in raw_requests(document):
        found = read_values(raw, SPEC)
        found["pieces"] = {piece.role: piece.name for piece in found.get("pieces") or []}
        out.append(found)
    return out


@click.group()
def cli() -> None:
    """A throwaway group, as `segur` will hold the command once registered."""


cli.add_command(generate)


def run_generate(*args: str) -> Result:
    return CliRunner().invoke(cli, ["generate", *args])


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def manifest(folder: Path) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads((folder / "manifest.json").read_bytes())
    return document


def replayed(folder: Path) -> dict[str, Any]:
    """What replaying the manifest's command prints as JSON: the expected answer and, the pieces
    being read, the warnings of the checks by hand."""
    document = manifest(folder)
    expected = dict(document["reponseAttendue"])
    if SPEC.hand_checks and "--attachments" in document["commande"]:
        expected["avertissements"] = document["avertissementsAttendus"]
    return expected


def replay(folder: Path) -> Result:
    """Run the manifest's `segur check` command from ``folder``, asking for JSON."""
    command = shlex.split(manifest(folder)["commande"])
    assert command[:2] == ["segur", "check"]
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        # without SEGUR_SPEC: the command names the spec folder when it is not the kit's own
        return CliRunner().invoke(main, [*command[1:], "--format", "json"], env={SPEC_ENV: None})
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """One avance and one solde deposit, written once for the module."""
    out = {}
    for profile, count in ((AVANCE, 6), (SOLDE, 4)):
        folder = tmp_path_factory.mktemp(profile.name)
        result = run_generate(
            "--profile",
            profile.program,
            "--type",
            profile.deposit_type,
            "--count",
            str(count),
            "--seed",
            "42",
            "--out",
            str(folder),
        )
        assert result.exit_code == 0, result.output
        out[profile.deposit_type] = folder
    yield out


def test_cli_writes_the_bundle_zip_history_and_manifest(written: dict[str, Path]) -> None:
    avance, solde = written["avance"], written["solde"]
    a, s = AVANCE.name, SOLDE.name
    assert {p.name for p in avance.iterdir()} == {"manifest.json", f"{a}-42.json", f"{a}-42.zip"}
    assert {p.name for p in solde.iterdir()} == {"historique.json", "manifest.json", f"{s}-42.json", f"{s}-42.zip"}
    m = manifest(solde)
    assert m["graine"] == 42 and m["profil"] == s and m["nombreDemandes"] == 4
    assert m["specification"] == {"id": SPEC.id, "version": SPEC.version} and m["versionKit"]
    assert m["depot"]["type"] == "solde" and m["depot"]["numeroAns"] in SPEC.referencement()["solutions"]
    assert {f["nom"] for f in m["fichiers"]} == {f"{s}-42.json", f"{s}-42.zip", "historique.json"}
    for entry in m["fichiers"]:
        assert hashlib.sha256((solde / entry["nom"]).read_bytes()).hexdigest() == entry["sha256"]
    assert m["reponseAttendue"]["recapitulatif"]["acceptees"] == 4 and m["toutesAcceptees"] is True


@pytest.mark.parametrize("in_force", [MODEL, ROOT / "fixtures" / "exemple-format-plat"], ids=lambda p: p.name)
def test_the_replay_command_names_the_spec_folder_unless_it_is_the_kits_own(
    in_force: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever SEGUR_SPEC says when the files are written, the command replays without it."""
    monkeypatch.setenv(SPEC_ENV, str(in_force))
    other = tmp_path / "autre spec"  # a space: the command quotes it
    shutil.copytree(SPEC.root, other, ignore=shutil.ignore_patterns("cases", "examples"))
    deposit = Deposit("avance", 20)

    def command(spec_dir: Path) -> list[str]:
        text = replay_command("b.json", deposit, "t", IMPORT, load_spec(spec_dir), zip_name=None, history_name=None)
        return shlex.split(text)

    assert "--spec" not in command(MODEL)
    written = command(other)
    assert written[written.index("--spec") + 1] == str(other.resolve())
    flat = command(ROOT / "fixtures" / "exemple-format-plat")
    assert flat[flat.index("--spec") + 1] == str((ROOT / "fixtures" / "exemple-format-plat").resolve())


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    drawn = make_bundle(7, profile=SOLDE.name, size=5, spec=SPEC)
    write_bundle(drawn, tmp_path / "a", spec=SPEC)
    write_bundle(make_bundle(7, profile=SOLDE.name, size=5, spec=SPEC), tmp_path / "b", spec=SPEC)
    first = digests(tmp_path / "a")
    assert first == digests(tmp_path / "b") and len(first) == 4
    write_bundle(make_bundle(8, profile=SOLDE.name, size=5, spec=SPEC), tmp_path / "c", spec=SPEC)
    other = digests(tmp_path / "c")
    assert first["historique.json"] != other["historique.json"]


@pytest.mark.parametrize("name", ["avance", "solde"])
def test_written_files_pass_segur_check_as_the_manifest_says(written: dict[str, Path], name: str) -> None:
    result = replay(written[name])
    assert result.exit_code == 0, result.output
    answer = orjson.loads(result.stdout)
    assert answer["codetraitement"] == ACCEPTED
    assert [line["codetraitement"] for line in answer["lignes"]] == [ACCEPTED] * len(answer["lignes"])
    assert answer == replayed(written[name]) and manifest(written[name])["avertissementsAttendus"] == []


def _pdfs(folder: Path, profile: str) -> dict[str, str]:
    with zipfile.ZipFile(folder / f"{profile}-42.zip") as archive:
        return {n: PdfReader(io.BytesIO(archive.read(n))).pages[0].extract_text() for n in archive.namelist()}


def test_pdfs_open_and_carry_the_bdc_mentions(written: dict[str, Path]) -> None:
    lines = values_of(written["avance"], f"{AVANCE.name}-42.json")
    texts = _pdfs(written["avance"], AVANCE.name)
    assert len(texts) == len(lines)
    for line in lines:
        text = texts[line["pieces"]["order_form"]]
        assert line["ans_number"] in text and line["bdc_number"] in text
        assert line["manager_finess"] in text
        signed = SPEC.hand_checks["bdc-signature"]["words"] if "bdc-signature" in SPEC.hand_checks else ["Signature"]
        assert any(word in text for word in signed) and "TTC" in text
        if "software_version" in SPEC.fields:
            assert line["software_version"] in text


def test_solde_pieces_are_the_va_and_the_invoice(written: dict[str, Path]) -> None:
    lines = values_of(written["solde"], f"{SOLDE.name}-42.json")
    texts = _pdfs(written["solde"], SOLDE.name)
    assert len(texts) == len(SPEC.pieces.required["solde"]) * len(lines)
    for line in lines:
        names = line["pieces"]
        assert "aptitude" in texts[names["va"]] and line["bdc_number"] in texts[names["va"]]
        if "invoice_number" in SPEC.fields:
            assert line["invoice_number"] in texts[names["invoice"]]


def test_documents_are_deterministic_and_sized_on_demand() -> None:
    line = make_bundle(3, profile=SOLDE.name, size=1, spec=SPEC).requests[0]
    for maker in (bon_de_commande, verification_aptitude, facture_solde):
        assert maker(line) == maker(line)
        assert maker(line)[:5] == b"%PDF-"
    padded = bon_de_commande(line, size=3_000_000, seed=1)
    assert len(padded) == 3_000_000 and padded == bon_de_commande(line, size=3_000_000, seed=1)
    assert line["bdc_number"] in PdfReader(io.BytesIO(padded)).pages[0].extract_text()


def test_pdfs_one_byte_over_3_mb_get_3002_on_every_line(tmp_path: Path) -> None:
    size = SPEC.limits["maxPieceOctets"] + 1
    result = run_generate(
        "--profile",
        AVANCE.program,
        "--type",
        "avance",
        "--count",
        "2",
        "--seed",
        "1",
        "--out",
        str(tmp_path),
        "--pdf-size",
        str(size),
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / f"{AVANCE.name}-1.zip") as archive:
        assert {info.file_size for info in archive.infolist()} == {size}
    expected = manifest(tmp_path)["reponseAttendue"]
    too_large = code("attachment-too-large")
    assert [line["codetraitement"] for line in expected["lignes"]] == [too_large, too_large]
    assert too_large in result.output
    again = replay(tmp_path)
    assert again.exit_code == 1 and orjson.loads(again.stdout) == replayed(tmp_path)


def test_extension_point_a_zip_filter_changes_the_expected_answer(tmp_path: Path) -> None:
    drawn = make_bundle(2, profile=AVANCE.name, size=3, spec=SPEC)

    def drop_first(members: Members) -> Members:
        return [m for i, m in enumerate(members) if i != 0]

    written = write_bundle(drawn, tmp_path, spec=SPEC, members=drop_first)
    codes = [line["codetraitement"] for line in written.answer["lignes"]]
    assert codes[0] != ACCEPTED and codes[1:] == [ACCEPTED, ACCEPTED] and not written.all_accepted
    assert orjson.loads(replay(tmp_path).stdout) == replayed(tmp_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "programme-inconnu", "--type", "avance", "--count", "1"], ", ".join(SPEC.programs())),
        (["--profile", AVANCE.program, "--type", "acompte", "--count", "1"], "avance, solde"),
        (["--profile", AVANCE.program, "--type", "avance", "--count", "0"], f"1 to {MAX}"),
        (["--profile", AVANCE.program, "--type", "avance", "--count", str(MAX + 1)], "the portal's limit"),
    ],
)
def test_bad_profile_type_or_count_is_a_usage_error(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_generate(*args, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_break_gives_exactly_those_codes_on_those_lines_and_replays(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from segur.cli import main

    out = tmp_path / "casse"
    siret, ttc = code("siret-key"), code("amount-ttc")
    args = [
        "generate",
        "--profile",
        AVANCE.program,
        "--type",
        "avance",
        "--count",
        "10",
        "--seed",
        "42",
        "--out",
        str(out),
        "--break",
        siret,
        "--break",
        "amount-ttc",  # a rule name stands for its code
        "--lines",
        "3,7",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    codes = {line["numLigne"]: line["codetraitement"] for line in manifest["reponseAttendue"]["lignes"]}
    assert codes == {n: {3: siret, 7: ttc}.get(n, ACCEPTED) for n in range(1, 11)}
    assert manifest["codesCasses"] == {siret: [3], ttc: [7]}
    first = {f["nom"]: f["sha256"] for f in manifest["fichiers"]}
    again = CliRunner().invoke(main, [*args[:-8], "--out", str(tmp_path / "bis"), *args[-6:]])
    assert again.exit_code == 0, again.output
    second = orjson.loads((tmp_path / "bis" / "manifest.json").read_bytes())
    assert {f["nom"]: f["sha256"] for f in second["fichiers"]} == first


def test_break_with_a_file_level_code_rejects_the_whole_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from segur.cli import main

    result = CliRunner().invoke(
        main,
        [
            "generate",
            "--profile",
            SPEC.programs()[-1],
            "--type",
            "avance",
            "--count",
            "4",
            "--seed",
            "7",
            "--out",
            str(tmp_path),
            "--break",
            "file-too-many",
        ],
    )
    assert result.exit_code == 0, result.output
    answer = orjson.loads((tmp_path / "manifest.json").read_bytes())["reponseAttendue"]
    assert (answer["statut"], answer["codetraitement"]) == ("KO", code("file-too-many"))
    mixed = CliRunner().invoke(
        main,
        [
            "generate",
            "--profile",
            SPEC.programs()[-1],
            "--type",
            "avance",
            "--count",
            "4",
            "--out",
            str(tmp_path / "x"),
            "--break",
            "file-too-many",
            "--break",
            "siret-key",
        ],
    )
    assert mixed.exit_code == 2 and "alone" in mixed.stderr
