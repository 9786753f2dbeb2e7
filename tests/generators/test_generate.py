"""`segur generate`: the files written, byte for byte stable, and accepted by `segur check` as the manifest says."""

from __future__ import annotations

import hashlib
import io
import os
import shlex
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import orjson
import pytest
from click.testing import CliRunner, Result
from pypdf import PdfReader
from segur.generators.bundle_writer import Members, write_bundle
from segur.generators.documents import bon_de_commande, facture, verification_aptitude
from segur.generators.strategies import make_bundle

from segur.cli import main
from segur.generate import generate
from tests._support.paths import SPEC


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


def replay(folder: Path) -> Result:
    """Run the manifest's `segur check` command from ``folder``, asking for JSON."""
    command = shlex.split(manifest(folder)["commande"])
    assert command[:2] == ["segur", "check"]
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, [*command[1:], "--format", "json"])
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """One avance and one solde deposit, written once for the module."""
    out = {}
    for wave, kind, count in (("ms1", "avance", 6), ("ms2", "solde", 4)):
        folder = tmp_path_factory.mktemp(f"{wave}-{kind}")
        result = run_generate(
            "--profile", wave, "--type", kind, "--count", str(count), "--seed", "42", "--out", str(folder)
        )
        assert result.exit_code == 0, result.output
        out[f"{wave}-{kind}"] = folder
    yield out


def test_cli_writes_the_bundle_zip_history_and_manifest(written: dict[str, Path]) -> None:
    avance, solde = written["ms1-avance"], written["ms2-solde"]
    assert sorted(p.name for p in avance.iterdir()) == ["manifest.json", "ms1-avance-42.json", "ms1-avance-42.zip"]
    assert sorted(p.name for p in solde.iterdir()) == [
        "historique.json",
        "manifest.json",
        "ms2-solde-42.json",
        "ms2-solde-42.zip",
    ]
    m = manifest(solde)
    assert m["graine"] == 42 and m["profil"] == "ms2-solde" and m["nombreDemandes"] == 4
    assert m["specification"] == {"id": SPEC.id, "version": SPEC.version} and m["versionKit"]
    assert m["depot"]["type"] == "solde" and m["depot"]["numeroAns"].startswith("ANS-MS2-")
    assert {f["nom"] for f in m["fichiers"]} == {"ms2-solde-42.json", "ms2-solde-42.zip", "historique.json"}
    for entry in m["fichiers"]:
        assert hashlib.sha256((solde / entry["nom"]).read_bytes()).hexdigest() == entry["sha256"]
    assert m["reponseAttendue"]["recapitulatif"]["acceptees"] == 4 and m["toutesAcceptees"] is True


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    drawn = make_bundle(7, profile="ms1-solde", size=5, spec=SPEC)
    write_bundle(drawn, tmp_path / "a", spec=SPEC)
    write_bundle(make_bundle(7, profile="ms1-solde", size=5, spec=SPEC), tmp_path / "b", spec=SPEC)
    first = digests(tmp_path / "a")
    assert first == digests(tmp_path / "b") and len(first) == 4
    write_bundle(make_bundle(8, profile="ms1-solde", size=5, spec=SPEC), tmp_path / "c", spec=SPEC)
    other = digests(tmp_path / "c")
    assert first["historique.json"] != other["historique.json"]


@pytest.mark.parametrize("name", ["ms1-avance", "ms2-solde"])
def test_written_files_pass_segur_check_as_the_manifest_says(written: dict[str, Path], name: str) -> None:
    result = replay(written[name])
    assert result.exit_code == 0, result.output
    answer = orjson.loads(result.stdout)
    assert answer["codetraitement"] == "0000"
    assert [line["codetraitement"] for line in answer["lignes"]] == ["0000"] * len(answer["lignes"])
    assert answer == manifest(written[name])["reponseAttendue"]


def _pdfs(folder: Path, name: str) -> dict[str, str]:
    with zipfile.ZipFile(folder / f"{name}-42.zip") as archive:
        return {n: PdfReader(io.BytesIO(archive.read(n))).pages[0].extract_text() for n in archive.namelist()}


def test_pdfs_open_and_carry_the_bdc_mentions(written: dict[str, Path]) -> None:
    bundle = orjson.loads((written["ms1-avance"] / "ms1-avance-42.json").read_bytes())
    texts = _pdfs(written["ms1-avance"], "ms1-avance")
    assert len(texts) == len(bundle["demandes"])
    for line in bundle["demandes"]:
        text = texts[line["piecesJointes"][0]["nomFichier"]]
        assert line["logiciel"]["numeroReferencementAns"] in text
        assert line["bonCommande"]["numero"] in text
        assert line["organismeGestionnaire"]["finessJuridique"] in text
        assert line["logiciel"]["version"] in text and "Signature" in text and "TTC" in text


def test_solde_pieces_are_the_va_and_the_invoice(written: dict[str, Path]) -> None:
    bundle = orjson.loads((written["ms2-solde"] / "ms2-solde-42.json").read_bytes())
    texts = _pdfs(written["ms2-solde"], "ms2-solde")
    assert len(texts) == 2 * len(bundle["demandes"])
    for line in bundle["demandes"]:
        names = {p["nature"]: p["nomFichier"] for p in line["piecesJointes"]}
        assert "aptitude" in texts[names["VA"]] and line["bonCommande"]["numero"] in texts[names["VA"]]
        assert line["facture"]["numero"] in texts[names["FACTURE"]]


def test_documents_are_deterministic_and_sized_on_demand() -> None:
    line = make_bundle(3, profile="ms1-solde", size=1, spec=SPEC).bundle["demandes"][0]
    for maker in (bon_de_commande, verification_aptitude, facture):
        assert maker(line) == maker(line)
        assert maker(line)[:5] == b"%PDF-"
    padded = bon_de_commande(line, size=3_000_000, seed=1)
    assert len(padded) == 3_000_000 and padded == bon_de_commande(line, size=3_000_000, seed=1)
    assert line["bonCommande"]["numero"] in PdfReader(io.BytesIO(padded)).pages[0].extract_text()


def test_pdfs_one_byte_over_3_mb_get_3002_on_every_line(tmp_path: Path) -> None:
    result = run_generate(
        "--profile",
        "ms1",
        "--type",
        "avance",
        "--count",
        "2",
        "--seed",
        "1",
        "--out",
        str(tmp_path),
        "--pdf-size",
        "3000001",
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "ms1-avance-1.zip") as archive:
        assert {info.file_size for info in archive.infolist()} == {3_000_001}
    expected = manifest(tmp_path)["reponseAttendue"]
    assert [line["codetraitement"] for line in expected["lignes"]] == ["3002", "3002"]
    assert "3002" in result.output
    replayed = replay(tmp_path)
    assert replayed.exit_code == 1 and orjson.loads(replayed.stdout) == expected


def test_extension_point_a_zip_filter_changes_the_expected_answer(tmp_path: Path) -> None:
    drawn = make_bundle(2, profile="ms1-avance", size=3, spec=SPEC)

    def drop_first(members: Members) -> Members:
        return [m for i, m in enumerate(members) if i != 0]

    written = write_bundle(drawn, tmp_path, spec=SPEC, members=drop_first)
    codes = [line["codetraitement"] for line in written.answer["lignes"]]
    assert codes[0] != "0000" and codes[1:] == ["0000", "0000"] and not written.all_accepted
    assert orjson.loads(replay(tmp_path).stdout) == written.answer


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "ms3", "--type", "avance", "--count", "1"], "ms1, ms2"),
        (["--profile", "ms1", "--type", "acompte", "--count", "1"], "avance, solde"),
        (["--profile", "ms1", "--type", "avance", "--count", "0"], "1 to 200"),
        (["--profile", "ms1", "--type", "avance", "--count", "201"], "the portal's limit"),
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
    args = [
        "generate",
        "--profile",
        "ms1",
        "--type",
        "avance",
        "--count",
        "10",
        "--seed",
        "42",
        "--out",
        str(out),
        "--break",
        "2011",
        "--break",
        "2031",
        "--lines",
        "3,7",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    codes = {line["numLigne"]: line["codetraitement"] for line in manifest["reponseAttendue"]["lignes"]}
    assert codes == {n: {3: "2011", 7: "2031"}.get(n, "0000") for n in range(1, 11)}
    assert manifest["codesCasses"] == {"2011": [3], "2031": [7]}
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
            "ms2",
            "--type",
            "avance",
            "--count",
            "4",
            "--seed",
            "7",
            "--out",
            str(tmp_path),
            "--break",
            "1006",
        ],
    )
    assert result.exit_code == 0, result.output
    answer = orjson.loads((tmp_path / "manifest.json").read_bytes())["reponseAttendue"]
    assert (answer["statut"], answer["codetraitement"]) == ("KO", "1006")
    mixed = CliRunner().invoke(
        main,
        [
            "generate",
            "--profile",
            "ms2",
            "--type",
            "avance",
            "--count",
            "4",
            "--out",
            str(tmp_path / "x"),
            "--break",
            "1006",
            "--break",
            "2011",
        ],
    )
    assert mixed.exit_code == 2 and "alone" in mixed.stderr
