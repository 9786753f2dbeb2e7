"""Cross-check: the schemas are valid 2020-12 schemas and the reference `jsonschema`
library agrees with jsonschema-rs on every example and golden case."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from segur.generators import cases

from tests._support.paths import EXAMPLES, SPEC


def reference_validator(profile: str) -> Draft202012Validator:
    resources = []
    for schema in SPEC.schemas.values():
        if "$id" in schema:
            resources.append((schema["$id"], Resource.from_contents(schema)))
    schema = SPEC.schemas[str(SPEC.profiles[profile].schema_path)]
    return Draft202012Validator(
        schema, registry=Registry().with_resources(resources), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize("path", sorted(SPEC.schemas), ids=lambda p: Path(p).name)
def test_every_schema_is_a_valid_2020_12_schema(path: str) -> None:
    schema = SPEC.schemas[path]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


EXAMPLE_BUNDLES = sorted(p for p in EXAMPLES.glob("*.json") if not p.name.endswith(".history.json"))


@pytest.mark.parametrize("path", EXAMPLE_BUNDLES, ids=lambda p: p.name)
def test_every_shipped_example_passes_both_validators(path: Path) -> None:
    document = orjson.loads(path.read_bytes())
    errors = [e.message for e in reference_validator(path.stem).iter_errors(document)]
    assert errors == []
    assert SPEC.profile_validators[path.stem].is_valid(document)


def schema_cases() -> list[tuple[str, str, Any]]:
    """Golden variants whose file is JSON, with the profile they are checked against."""
    out = []
    for test_id, case, variant in cases.variants(SPEC):
        if "bytes" in variant:
            continue
        profile = cases.base_profile(case, SPEC)
        with tempfile.TemporaryDirectory(prefix="segur-schema-") as tmp:
            built = cases.build(case, variant, SPEC, Path(tmp))
        out.append((test_id, profile, orjson.loads(built.data)))
    return out


SCHEMA_CASES = schema_cases()


@pytest.mark.parametrize(("test_id", "profile", "document"), SCHEMA_CASES, ids=[c[0] for c in SCHEMA_CASES])
def test_both_validators_agree_on_every_golden_case(test_id: str, profile: str, document: Any) -> None:
    reference = reference_validator(profile).is_valid(document)
    assert SPEC.profile_validators[profile].is_valid(document) == reference, test_id
