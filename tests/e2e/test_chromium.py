"""The browser tests need Debian's Chromium and say so: they fail, they never skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e._live import chromium_path


def test_a_missing_chromium_fails_with_the_package_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEGUR_CHROMIUM", str(tmp_path / "no-chromium-here"))
    with pytest.raises(pytest.fail.Exception) as failed:
        chromium_path()
    assert "install Debian's `chromium` package" in str(failed.value)
    assert str(tmp_path / "no-chromium-here") in str(failed.value)


def test_the_chromium_found_is_an_executable_file() -> None:
    found = Path(chromium_path())
    assert found.is_file() and found.stat().st_mode & 0o111
