"""Bundles scaled from an example: distinct valid requests, written in the spec's format with
what its schemas require and the kit does not know."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from segur.generators.bundle import scaled
from segur.mock_portal.controls import Deposit, check_deposit, load_spec
from segur.mock_portal.controls.spec import resolve
from segur.mock_portal.controls.writer import required_unknown

from tests._support.paths import MODEL, ROOT

FLAT = ROOT / "fixtures" / "exemple-format-plat"


@pytest.mark.parametrize("spec_dir", [MODEL, FLAT], ids=lambda p: p.name)
def test_a_scaled_bundle_is_accepted_and_carries_the_mandatory_fields_the_kit_does_not_know(spec_dir: Path) -> None:
    spec = load_spec(spec_dir)
    profile = next(name for name, p in spec.profiles.items() if p.deposit_type == "avance")
    example = orjson.loads((spec_dir / "examples" / f"{profile}.json").read_bytes())

    bundle = scaled(example, 5, spec, prefix="T")

    requests = resolve(bundle, spec.document["requests"].path)
    assert len(requests) == 5
    for field in required_unknown(profile, spec):
        for place in [bundle] if field.scope == "document" else requests:
            assert resolve(place, field.path) == field.value, field.pointer
    answer = check_deposit(orjson.dumps(bundle), Deposit("avance", 20), spec=spec)
    assert answer.file_findings == [] and answer.all_accepted, answer.to_json()


def test_the_flat_example_has_mandatory_fields_the_kit_does_not_know_in_each_request() -> None:
    """What the test above relies on: without the writer's completion the flat bundle is refused."""
    spec = load_spec(FLAT)
    assert any(field.scope == "request" for profile in spec.profiles for field in required_unknown(profile, spec))
