"""The wheel an editor installs: it ships every file a command reads, under the one ``segur``
namespace, with the metadata a user expects. Built once per session from this checkout."""

from __future__ import annotations

import email.parser
import subprocess
import sys
import zipfile
from collections.abc import Iterator

import pytest

from tests._support.paths import ROOT

#: each folder of the repository and where the wheel puts it
MAPPED = {
    "segur": "segur",
    "mock_portal": "segur/mock_portal",
    "generators": "segur/generators",
    "conformance": "segur/conformance",
    "fixtures": "segur/fixtures",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (path,) = out.glob("*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def _tracked(folder: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--", folder], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    return [name for name in listed if "__pycache__" not in name]


def test_every_file_a_command_reads_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    """Code, the suite's modules, templates, static files, the OpenAPI document, the spec folder
    with its schemas, examples and cases, the declaration schema, the certification settings."""
    names = set(wheel.namelist())
    missing = []
    for folder, target in MAPPED.items():
        tracked = _tracked(folder)
        assert tracked, f"git lists no file under {folder}/"
        missing += [name for name in tracked if target + name.removeprefix(folder) not in names]
    assert missing == [], f"the wheel lacks {len(missing)} file(s) the kit reads, e.g. {missing[:10]}"


def test_the_files_the_commands_open_by_name_are_there(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    needed = [
        "segur/conformance/suite/test_producer.py",
        "segur/conformance/suite/test_consumer.py",
        "segur/conformance/suite/test_deposit.py",
        "segur/conformance/declaration.schema.json",
        "segur/certify.ini",
        "segur/mock_portal/openapi.json",
        "segur/fixtures/segur-ms-v1/spec.json",
        "segur/fixtures/segur-ms-v1/codes.json",
        "segur/fixtures/segur-ms-v1/requirements.csv",
        "segur/conformance/receipt.schema.json",
        "segur/py.typed",
    ]
    assert [name for name in needed if name not in names] == []
    assert any(name.startswith("segur/mock_portal/templates/") for name in names)
    assert any(name.startswith("segur/mock_portal/static/") for name in names)
    assert any(name.startswith("segur/fixtures/segur-ms-v1/cases/") for name in names)


def test_nothing_is_installed_outside_the_segur_namespace(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"segur"}


def test_the_metadata_a_user_expects(wheel: zipfile.ZipFile) -> None:
    info = next(name.split("/", 1)[0] for name in wheel.namelist() if name.endswith(".dist-info/METADATA"))
    metadata = email.parser.Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["License-Expression"] == "MIT"
    assert "LICENSE" in metadata.get_all("License-File", [])
    assert f"{info}/licenses/LICENSE" in wheel.namelist()
    classifiers = metadata.get_all("Classifier", [])
    assert "Framework :: Pytest" in classifiers and "Programming Language :: Python :: 3.11" in classifiers
    urls = dict(line.split(", ", 1) for line in metadata.get_all("Project-URL", []))
    assert urls and all(url.startswith("https://") for url in urls.values()), urls
    requires = [line.split(";")[0] for line in metadata.get_all("Requires-Dist", [])]
    extras_free = [line for line in metadata.get_all("Requires-Dist", []) if "extra ==" not in line]
    assert any(line.startswith("hypothesis") for line in extras_free), "segur generate needs Hypothesis"
    assert any(line.startswith("pytest-html") for line in extras_free), "segur certify needs pytest-html"
    assert requires
    entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert "segur = segur.cli:run" in entry_points and "segur = segur.conformance.plugin" in entry_points
