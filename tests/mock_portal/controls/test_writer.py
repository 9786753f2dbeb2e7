"""The spec's writer fills what a format requires and the kit does not know, around what the kit
writes itself; ``segur spec check`` names a required field it cannot fill.

The tests edit a copy of the worked example of another format (``fixtures/exemple-format-plat``,
whose file carries a mandatory ``/emetteur`` beside its header): they move that field into the
header, the object where the kit writes the format version."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from segur.mock_portal.controls import Deposit, Spec, check_deposit, load_spec
from segur.mock_portal.controls.line import read_values
from segur.mock_portal.controls.spec import resolve
from segur.mock_portal.controls.writer import complete, required_unknown, write_document, write_request

from segur.cli import main
from tests._support.paths import ROOT

FLAT = ROOT / "fixtures" / "exemple-format-plat"


def edit_json(path: Path, change: Any) -> None:
    data = orjson.loads(path.read_bytes())
    change(data)
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))


def issuer_in_header(tmp_path: Path, *, with_example: bool = True) -> Path:
    """A copy of the flat example whose mandatory issuer sits in the header, beside the format
    version (``with_example=False``: its schema gives no value the kit could write)."""
    root = tmp_path / "emetteur-dans-entete"
    shutil.copytree(FLAT, root, ignore=shutil.ignore_patterns("cases", "examples"))
    manifest = orjson.loads((root / "spec.json").read_bytes())
    version_key = manifest["document"]["fields"]["format_version"]["pointer"].split("/")
    assert len(version_key) == 3, "the flat example keeps its format version one object deep"
    header, issuer = version_key[1], "emetteur"

    def move_into_header(common: dict[str, Any]) -> None:
        definitions = common["$defs"]
        definitions[header]["properties"][issuer] = {"$ref": f"#/$defs/{issuer}"}
        definitions[header]["required"].append(issuer)
        if not with_example:
            definitions[issuer].pop("examples")

    def drop_from_root(schema: dict[str, Any]) -> None:
        schema["required"].remove(issuer)
        del schema["properties"][issuer]

    edit_json(root / "schemas" / "commun.schema.json", move_into_header)
    schemas = [manifest["files"]["envelope"], *(profile["schema"] for profile in manifest["profiles"].values())]
    for relative in schemas:
        edit_json(root / relative, drop_from_root)
    return root


def avance_profile(spec: Spec) -> str:
    return next(name for name, profile in spec.profiles.items() if profile.deposit_type == "avance")


def example_values(spec: Spec, profile: str) -> list[dict[str, Any]]:
    """The logical values of the flat example's requests of ``profile``."""
    document = orjson.loads((FLAT / "examples" / f"{profile}.json").read_bytes())
    return [read_values(raw, spec) for raw in resolve(document, spec.document["requests"].path)]


def test_a_required_field_beside_the_format_version_is_filled_and_the_file_accepted(tmp_path: Path) -> None:
    spec = load_spec(issuer_in_header(tmp_path))
    profile = avance_profile(spec)
    issuer_value = orjson.loads((FLAT / "schemas" / "commun.schema.json").read_bytes())["$defs"]["emetteur"]
    version = spec.document["format_version"]
    document = write_document([write_request(values, spec) for values in example_values(spec, profile)], spec)

    assert complete(document, profile, spec) == []

    header = resolve(document, version.path[:-1])
    assert header["emetteur"] == issuer_value["examples"][0]
    assert resolve(document, version.path) == spec.format_versions[-1], "the kit's own value is kept"
    answer = check_deposit(orjson.dumps(document), Deposit("avance", 20), spec=spec)
    assert answer.file_findings == [] and answer.all_accepted, answer.to_json()


def test_a_field_the_kit_writes_is_never_filled_even_in_an_object_it_fills(tmp_path: Path) -> None:
    """The format version left out stays out (a case or mutator that drops it means it)."""
    spec = load_spec(issuer_in_header(tmp_path))
    version = spec.document["format_version"]
    document: dict[str, Any] = {version.path[0]: {}}
    document[spec.document["requests"].path[0]] = []

    complete(document, avance_profile(spec), spec)

    assert document[version.path[0]] == {"emetteur": "Éditeur Exemple SAS"}


def test_a_written_document_carries_what_the_envelope_schema_requires() -> None:
    """A file the kit writes can be read (rule file-structure), even before a profile completes it:
    an editor's corrected request put back in the spec's envelope, for one."""
    spec = load_spec(FLAT)
    request = write_request(example_values(spec, avance_profile(spec))[0], spec)

    document = write_document([request], spec)

    assert document["emetteur"] == "Éditeur Exemple SAS"
    assert "canal" not in request, "a request is written as given"
    answer = check_deposit(orjson.dumps(document), Deposit("avance", 20), spec=spec)
    assert answer.file_findings == []


def test_the_envelope_alone_is_completed_around_requests_given_as_they_are() -> None:
    """An editor's corrected request is checked as sent: only the file around it is filled."""
    spec = load_spec(FLAT)
    profile = avance_profile(spec)
    request = write_request(example_values(spec, profile)[0], spec)  # no /canal: the kit does not know it
    document = write_document([request], spec)

    assert complete(document, profile, spec, requests=False) == []

    assert document["emetteur"] == "Éditeur Exemple SAS" and "canal" not in request
    answer = check_deposit(orjson.dumps(document), Deposit("avance", 20), spec=spec)
    assert answer.file_findings == [] and [(f.code, f.pointer) for f in answer.lines[0].findings] == [
        (spec.code_of("line-required"), "/canal")
    ]


def test_required_unknown_lists_the_fields_no_logical_field_maps_with_the_value_written(tmp_path: Path) -> None:
    spec = load_spec(issuer_in_header(tmp_path))
    found = {(field.scope, field.pointer): field.value for field in required_unknown(avance_profile(spec), spec)}
    assert found == {("document", "/entete/emetteur"): "Éditeur Exemple SAS", ("request", "/canal"): "EDI"}


def test_spec_check_names_a_required_field_the_kit_cannot_fill(tmp_path: Path) -> None:
    root = issuer_in_header(tmp_path, with_example=False)
    spec = load_spec(root)
    profile = avance_profile(spec)
    document = write_document([write_request(values, spec) for values in example_values(spec, profile)], spec)

    assert complete(document, profile, spec) == ["/entete/emetteur"]

    result = CliRunner().invoke(main, ["spec", "check", str(root)])
    assert result.exit_code == 1
    expected = "/entete/emetteur is required, no logical field maps it and its schema gives no value"
    assert expected in result.output, result.output


@pytest.mark.parametrize("spec_dir", [ROOT / "fixtures" / "segur-ms-v1", FLAT], ids=lambda p: p.name)
def test_each_shipped_example_is_written_back_identically_unknown_fields_included(spec_dir: Path) -> None:
    """Read as logical values, then written and completed: the same document, so the examples
    hold exactly what the writer gives the mandatory fields the kit does not know."""
    spec = load_spec(spec_dir)
    shipped = {profile: spec_dir / "examples" / f"{profile}.json" for profile in spec.profiles}
    assert any(path.exists() for path in shipped.values())
    version = spec.document.get("format_version")
    for profile, path in shipped.items():
        if not path.exists():
            continue
        example = orjson.loads(path.read_bytes())
        raw = resolve(example, spec.document["requests"].path)
        written = write_document(
            [write_request(read_values(request, spec), spec) for request in raw],
            spec,
            format_version=resolve(example, version.path) if version is not None else None,
        )
        assert complete(written, profile, spec) == []
        assert written == example, profile
