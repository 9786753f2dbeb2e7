"""Write requests and files in a spec's format from logical values (the reader's inverse).

:func:`write_request` puts each logical value at its field's pointer, written by the field's
codec (cents as euros or cents, a date in the spec's format…); :func:`write_document` puts the
requests and the format version in the file's envelope. A field the spec does not map is not
written. What a spec's schemas require and no logical field covers (a mandatory field the kit
does not know) is filled from the schema itself (:func:`complete`): its ``const``, ``default``,
first ``examples`` or first ``enum`` value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

from .fields import PieceValue
from .spec import Spec, make_pointer, resolve

__all__ = [
    "RequiredField",
    "complete",
    "put",
    "remove",
    "required_unknown",
    "unfilled",
    "write_document",
    "write_request",
]


def put(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set ``value`` at ``path`` in ``target``, making the objects on the way."""
    for key in path[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    target[path[-1]] = value


def remove(target: Any, path: tuple[str, ...]) -> None:
    """Remove the value at ``path`` if it is there (and nothing else)."""
    for key in path[:-1]:
        target = target.get(key) if isinstance(target, dict) else None
    if isinstance(target, dict):
        target.pop(path[-1], None)


def _piece_items(pieces: Iterable[Any], spec: Spec) -> list[dict[str, Any]]:
    items = []
    for piece in pieces:
        role, name = (piece.role, piece.name) if isinstance(piece, PieceValue) else piece
        item: dict[str, Any] = {}
        put(item, spec.pieces.role_path, spec.pieces.roles.get(str(role), role))
        put(item, spec.pieces.file_path, name)
        items.append(item)
    return items


def write_request(values: Mapping[str, Any], spec: Spec) -> dict[str, Any]:
    """A request in the spec's format from logical values (``None`` values are left out)."""
    request: dict[str, Any] = {}
    for name, definition in spec.fields.items():
        value = values.get(name)
        if value is None:
            continue
        if definition.kind == "pieces":
            put(request, definition.path, _piece_items(value, spec))
        else:
            put(request, definition.path, definition.codec.write(value))
    return request


def write_document(requests: list[dict[str, Any]], spec: Spec, *, format_version: str | None = None) -> dict[str, Any]:
    """The file's document: the requests (already written), the format version, and what the
    spec's envelope schema requires around them and the kit does not know (from the schema's own
    values, as :func:`complete` fills them): a file the kit writes can always be read. What a
    profile's schema requires beyond the envelope is :func:`complete`'s."""
    document: dict[str, Any] = {}
    version = spec.document.get("format_version")
    if version is not None:
        put(document, version.path, format_version if format_version is not None else spec.format_versions[-1])
    put(document, spec.document["requests"].path, requests)
    path = (spec.root / str(spec.files["envelope"])).resolve()
    envelope = spec.schemas.get(str(path))
    if isinstance(envelope, dict):
        base = str(envelope.get("$id") or path.as_uri())
        kit = _KitPaths.of(field.path for field in spec.document.values())
        _fill(document, envelope, base, _Schemas(spec), "", [], 0, kit)
    return document


# ---------------------------------------------------------------------- required fields the kit does not know


class _Schemas:
    """The spec's schemas by URI, to follow ``$ref`` within and across files."""

    def __init__(self, spec: Spec) -> None:
        self.by_uri: dict[str, Any] = {}
        for path, schema in spec.schemas.items():
            uri = str(schema.get("$id") or _file_uri(path))
            self.by_uri[uri] = schema

    def follow(self, schema: Any, base: str) -> tuple[Any, str]:
        """The schema a ``$ref`` points to (and its base URI); the schema itself otherwise."""
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 32:
            target, fragment = urldefrag(urljoin(base, schema["$ref"]))
            document = self.by_uri.get(target)
            if document is None:
                return {}, base
            found: Any = document
            for part in [p for p in fragment.split("/") if p]:
                part = part.replace("~1", "/").replace("~0", "~")
                found = found.get(part, {}) if isinstance(found, dict) else {}
            schema, base, seen = found, target, seen + 1
        return schema, base


def _file_uri(path: str) -> str:
    from pathlib import Path

    return Path(path).resolve().as_uri()


def _sample(schema: Any) -> tuple[bool, Any]:
    """A value the schema gives itself: const, default, first example, first enum value."""
    if not isinstance(schema, dict):
        return False, None
    for key in ("const", "default"):
        if key in schema:
            return True, schema[key]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return True, schema["examples"][0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return True, schema["enum"][0]
    return False, None


def _branches(schema: Any, base: str, schemas: _Schemas) -> list[tuple[Any, str]]:
    """The schema and the ``allOf`` parts that apply together (each ref followed)."""
    schema, base = schemas.follow(schema, base)
    found = [(schema, base)]
    if isinstance(schema, dict):
        for part in schema.get("allOf", []) or []:
            found += _branches(part, base, schemas)
    return found


def _fill(
    instance: Any,
    schema: Any,
    base: str,
    schemas: _Schemas,
    where: str,
    missing: list[str],
    depth: int,
    kit: _KitPaths,
    at: tuple[str, ...] = (),
) -> None:
    """Give ``instance`` what ``schema`` requires, from the schema's own values. The places where
    the kit writes a value itself (``kit.written``) are left as they are (a field left out stays
    out); an object holding such places (``kit.holders``) is filled around them when it is there."""
    if depth > 24:
        return
    for part, part_base in _branches(schema, base, schemas):
        if not isinstance(part, dict):
            continue
        if isinstance(instance, dict):
            properties = part.get("properties", {}) or {}
            for key in part.get("required", []) or []:
                if key in instance or (*at, key) in kit.written or (*at, key) in kit.holders:
                    continue
                sub, _ = schemas.follow(properties.get(key, {}), part_base)
                has, value = _sample(sub)
                if has:
                    instance[key] = value
                elif isinstance(sub, dict) and (sub.get("type") == "object" or "properties" in sub):
                    instance[key] = {}
                else:
                    missing.append(f"{where}/{key}")
            for key, value in instance.items():
                if key in properties and (*at, key) not in kit.written:
                    _fill(
                        value,
                        properties[key],
                        part_base,
                        schemas,
                        f"{where}/{key}",
                        missing,
                        depth + 1,
                        kit,
                        (*at, key),
                    )


@dataclass(frozen=True)
class _KitPaths:
    """Where the kit writes values itself: the fields' own places, and the objects above them."""

    written: frozenset[tuple[str, ...]]
    holders: frozenset[tuple[str, ...]]

    @classmethod
    def of(cls, paths: Iterable[tuple[str, ...]]) -> _KitPaths:
        written = frozenset(paths)
        holders = frozenset(path[:depth] for path in written for depth in range(1, len(path)))
        return cls(written, holders - written)


def complete(document: Any, profile: str, spec: Spec, *, requests: bool = True) -> list[str]:
    """Fill in ``document`` (in place) what the profile's schema requires and no logical field
    covers, from the schema's own values; returns the pointers it could not fill. A place where
    the kit writes a logical field is never filled (a field left out stays out); the objects
    that hold such places are filled around them (a required field the kit does not know beside
    one it writes gets its value too). ``requests=False``: the envelope alone (requests given
    by someone else, e.g. an editor's corrected request, are checked as they are)."""
    schemas = _Schemas(spec)
    path = spec.profiles[profile].schema_path
    schema = spec.schemas[str(path)]
    base = str(schema.get("$id") or path.resolve().as_uri())
    missing: list[str] = []
    if not isinstance(document, dict):
        return missing
    envelope = _KitPaths.of(field.path for field in spec.document.values())
    _fill(document, schema, base, schemas, "", missing, 0, envelope)
    if not requests:
        return missing
    items, items_base, _ = _request_schema(profile, spec)
    mapped = _KitPaths.of(field.path for field in spec.fields.values())
    listed = spec.document["requests"]
    written = resolve(document, listed.path)
    for index, request in enumerate(written if isinstance(written, list) else []):
        if isinstance(request, dict):
            _fill(request, items, items_base, schemas, f"{listed.pointer}/{index}", missing, 0, mapped)
    return missing


@dataclass(frozen=True)
class RequiredField:
    """A field a profile's schema requires and no logical field maps (a mandatory field the kit
    does not know): where it sits (``scope`` "document": from the file's root; "request": from
    one request's root) and the value the kit writes there (``has_value`` False: none, the kit
    cannot write it)."""

    scope: str
    path: tuple[str, ...]
    has_value: bool
    value: Any

    @property
    def pointer(self) -> str:
        return make_pointer(self.path)


def required_unknown(profile: str, spec: Spec) -> list[RequiredField]:
    """The fields the profile's schema requires that no logical field (nor the document's
    format version and requests) maps: in the file's envelope, then in each request; with the
    value :func:`complete` writes there (an object is written empty, then its own required
    fields)."""
    schemas = _Schemas(spec)
    path = spec.profiles[profile].schema_path
    schema = spec.schemas[str(path)]
    base = str(schema.get("$id") or path.resolve().as_uri())
    out: list[RequiredField] = []
    envelope = _KitPaths.of(field.path for field in spec.document.values())
    _walk_required(schema, base, schemas, (), envelope, "document", out, 0)
    items, items_base, _ = _request_schema(profile, spec)
    mapped = _KitPaths.of(field.path for field in spec.fields.values())
    _walk_required(items, items_base, schemas, (), mapped, "request", out, 0)
    return out


def _walk_required(
    schema: Any,
    base: str,
    schemas: _Schemas,
    at: tuple[str, ...],
    kit: _KitPaths,
    scope: str,
    out: list[RequiredField],
    depth: int,
) -> None:
    if depth > 12:
        return
    merged, merged_base = _merged(schema, base, schemas)
    for key in dict.fromkeys(merged.get("required", [])):
        here = (*at, key)
        if here in kit.written:
            continue
        child = merged["properties"].get(key, {})
        if here not in kit.holders:
            sub, _ = schemas.follow(child, merged_base)
            has, value = _sample(sub)
            if has:
                out.append(RequiredField(scope, here, True, value))
                continue
            if not (isinstance(sub, dict) and (sub.get("type") == "object" or "properties" in sub)):
                out.append(RequiredField(scope, here, False, None))
                continue
            out.append(RequiredField(scope, here, True, {}))
        _walk_required(child, merged_base, schemas, here, kit, scope, out, depth + 1)


def unfilled(profile: str, spec: Spec, request: dict[str, Any]) -> list[str]:
    """What a request written by the kit still lacks for the profile's schema (for ``segur spec
    check``): the required fields neither mapped to a logical field nor given a value by the schema."""
    document = write_document([request], spec)
    return complete(document, profile, spec)


def _request_schema(profile: str, spec: Spec) -> tuple[Any, str, _Schemas]:
    """The schema of one request of ``profile`` (the items of the requests list) and its base."""
    schemas = _Schemas(spec)
    path = spec.profiles[profile].schema_path
    schema = spec.schemas[str(path)]
    base = str(schema.get("$id") or path.resolve().as_uri())
    for key in spec.document["requests"].path:
        schema, base = _merged(schema, base, schemas)
        schema = (schema.get("properties", {}) or {}).get(key, {}) if isinstance(schema, dict) else {}
    schema, base = _merged(schema, base, schemas)
    items = schema.get("items", {}) if isinstance(schema, dict) else {}
    return items, base, schemas


def _merged(schema: Any, base: str, schemas: _Schemas) -> tuple[dict[str, Any], str]:
    """A schema with its ``allOf`` parts' properties, required and additionalProperties merged."""
    parts = _branches(schema, base, schemas)
    merged: dict[str, Any] = {"properties": {}, "required": []}
    merged_base = parts[0][1] if parts else base
    for part, _ in parts:
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if key == "properties":
                merged["properties"].update(value or {})
            elif key == "required":
                merged["required"] += list(value or [])
            elif key not in merged:
                merged[key] = value
    return merged, merged_base


def request_shape(profile: str, spec: Spec) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """What the profile's schema says of a request, as request-relative paths: the fields it
    requires (each required key, at any depth under required objects), and the objects that
    forbid fields they do not list (``additionalProperties: false``)."""
    items, base, schemas = _request_schema(profile, spec)
    required: list[tuple[str, ...]] = []
    closed: list[tuple[str, ...]] = []

    def walk(schema: Any, schema_base: str, where: tuple[str, ...], depth: int) -> None:
        merged, merged_base = _merged(schema, schema_base, schemas)
        if depth > 12:
            return
        if merged.get("additionalProperties") is False or merged.get("unevaluatedProperties") is False:
            closed.append(where)
        for key in merged.get("required", []):
            required.append((*where, key))
            walk(merged["properties"].get(key, {}), merged_base, (*where, key), depth + 1)

    walk(items, base, (), 0)
    return required, closed
