"""``segur spec check DIR``: is a spec folder one every command of the kit can work with?

Each problem names the file and the key at fault and says what is expected. The checks, in
order (a folder that does not load stops at the first):

1. the folder loads: manifest, schemas (they compile together), codes, calendar, ceilings,
   statuses, deposit types, logical fields and their value types, piece roles;
2. every logical field's place (and the pieces' role and file places) is in a profile's request
   schema, and the document's fields in its file schema; every field a schema requires and no
   logical field maps has a value the kit can write (its ``const``, ``default``, ``examples`` or
   ``enum``);
3. every rule bound to a code is one the controls raise; every rule the controls raise is bound
   to a code or declared in codes.json ``unenforced``; every label placeholder is one its rule
   gives (or ``{champ}``); every status key the workflow uses has a label; every window names an
   appel à financement of the calendar, which opens on its arrêté's publication day when it gives
   one; every ceiling's TTC is its HT at the reference VAT rate, rounded as the controls round;
4. the examples (``examples/<profile>.json``, with ``.zip`` and ``.history.json`` when given)
   are accepted on every line;
5. every golden case (``cases/*.json``) gets the answer it states, and every rule bound to a code
   has a case with a variant failing with it and one accepted;
6. for every profile, a generated bundle comes back accepted on every line, and each bound
   code's mutator gives exactly that code on the lines it breaks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Problem", "check_spec"]


@dataclass(frozen=True)
class Problem:
    """One thing to fix: where (a file and a key) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


Progress = Callable[[str], None]


def check_spec(root: Path, progress: Progress | None = None, *, seeds: int = 1) -> list[Problem]:
    """Every problem of the spec folder at ``root`` (empty: every command can use it)."""
    from segur.mock_portal.controls import SpecError, load_spec

    step = progress or (lambda _label: None)
    step("chargement")
    try:
        spec = load_spec(root)
    except SpecError as exc:
        return [Problem(str(root), str(exc))]
    problems: list[Problem] = []
    step("emplacements")
    problems += _locations(spec)
    unwritable = _unwritable(spec)
    problems += [problem for problems_of in unwritable.values() for problem in problems_of]
    step("règles et libellés")
    problems += _rules(spec)
    problems += _calendar_and_ceilings(spec)
    step("exemples")
    problems += _examples(spec)
    step("cas de rejet")
    problems += _cases(spec)
    step("générateurs et mutateurs")
    problems += _generated(spec, seeds, skip=frozenset(name for name, found in unwritable.items() if found))
    return problems


# ---------------------------------------------------------------------- calendar and ceilings


def _calendar_and_ceilings(spec: Any) -> list[Problem]:
    from segur.mock_portal.controls.money import euros

    calendar_file = spec.root / str(spec.files.get("calendar", "calendar.json"))
    ceilings_file = spec.root / str(spec.files.get("ceilings", "ceilings.json"))
    problems = []
    for name, window in spec.windows.items():
        if window.af and window.af not in spec.afs:
            problems.append(
                Problem(
                    f"{calendar_file} windows.{name}.af",
                    f"{window.af!r} is not an appel à financement of appelsAFinancement ({', '.join(spec.afs)})",
                )
            )
    for name, af in spec.afs.items():
        opens = af.opens.astimezone(spec.timezone).date()
        if af.publication is not None and opens != af.publication:
            problems.append(
                Problem(
                    f"{calendar_file} appelsAFinancement.{name}",
                    f"ouverture ({opens:%d/%m/%Y}) is not the arrêté's publication day ({af.publication:%d/%m/%Y}): "
                    "order forms are judged from 'ouverture'",
                )
            )
    for software, table in spec.ceilings.items():
        for category, ceiling in table.items():
            expected = ceiling.at_rate(ceiling.reference_rate)
            if ceiling.ttc != expected:
                problems.append(
                    Problem(
                        f"{ceilings_file} plafonds.{software}.{category}",
                        f"ttc {euros(ceiling.ttc)} € is not ht {euros(ceiling.ht)} € × (1 + {ceiling.reference_rate:g} %) "
                        f"= {euros(expected)} € (half a cent rounded up); the controls compare on the HT basis",
                    )
                )
    return problems


# ---------------------------------------------------------------------- locations


def _schema_paths(spec: Any, profile: str) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]], set[tuple[str, ...]]]:
    """(request paths, piece item paths, document paths) a profile's schema describes."""
    from segur.mock_portal.controls.writer import _merged, _request_schema

    items, base, schemas = _request_schema(profile, spec)

    def walk(schema: Any, schema_base: str, where: tuple[str, ...], out: set[tuple[str, ...]], depth: int) -> None:
        merged, merged_base = _merged(schema, schema_base, schemas)
        for key, child in merged.get("properties", {}).items():
            out.add((*where, key))
            if depth < 12:
                walk(child, merged_base, (*where, key), out, depth + 1)

    request: set[tuple[str, ...]] = set()
    walk(items, base, (), request, 0)
    pieces: set[tuple[str, ...]] = set()
    if "pieces" in spec.fields:
        holder, holder_base = items, base
        for key in spec.fields["pieces"].path:
            merged, holder_base = _merged(holder, holder_base, schemas)
            holder = merged.get("properties", {}).get(key, {})
        merged, holder_base = _merged(holder, holder_base, schemas)
        walk(merged.get("items", {}), holder_base, (), pieces, 0)
    root_schema = spec.schemas[str(spec.profiles[profile].schema_path)]
    document: set[tuple[str, ...]] = set()
    walk(
        root_schema,
        str(root_schema.get("$id") or spec.profiles[profile].schema_path.resolve().as_uri()),
        (),
        document,
        0,
    )
    return request, pieces, document


def _locations(spec: Any) -> list[Problem]:
    problems = []
    seen_request: set[tuple[str, ...]] = set()
    seen_pieces: set[tuple[str, ...]] = set()
    seen_document: set[tuple[str, ...]] = set()
    for name in spec.profiles:
        request, pieces, document = _schema_paths(spec, name)
        seen_request |= request
        seen_pieces |= pieces
        seen_document |= document
    for name, definition in spec.fields.items():
        if definition.path not in seen_request:
            problems.append(
                Problem(
                    f"{spec.root / 'spec.json'} fields.{name}",
                    f"{definition.pointer} is in no profile's request schema (check the pointer against the schemas)",
                )
            )
    for key, path in (("role", spec.pieces.role_path), ("file", spec.pieces.file_path)):
        if "pieces" in spec.fields and path not in seen_pieces:
            problems.append(
                Problem(
                    f"{spec.root / 'spec.json'} fields.pieces.{key}", f"/{'/'.join(path)} is in no piece item's schema"
                )
            )
    for name, definition in spec.document.items():
        if definition.path not in seen_document:
            problems.append(
                Problem(
                    f"{spec.root / 'spec.json'} document.fields.{name}", f"{definition.pointer} is in no file schema"
                )
            )
    return problems


def _unwritable(spec: Any) -> dict[str, list[Problem]]:
    """Per profile, the fields its schema requires that the kit can neither map nor fill (no
    logical field, no ``const``, ``default``, ``examples`` or ``enum``): every file the kit writes
    for that profile would lack them."""
    from segur.mock_portal.controls.writer import required_unknown

    requests = spec.document["requests"].pointer
    out: dict[str, list[Problem]] = {}
    for name, profile in spec.profiles.items():
        where = f"{profile.schema_path}"
        out[name] = [
            Problem(
                where,
                f"{field.pointer} is required, no logical field maps it and its schema gives no value the kit can "
                "write"
                + ("" if field.scope == "document" else f" (in each request of {requests})")
                + ": map it in spec.json fields, or give it a 'const', 'default', 'examples' or 'enum'",
            )
            for field in required_unknown(name, spec)
            if not field.has_value
        ]
    return out


# ---------------------------------------------------------------------- rules, labels, statuses


def _rules(spec: Any) -> list[Problem]:
    from segur.mock_portal.controls import known_rules
    from segur.mock_portal.controls.rules import RULES, placeholders

    codes_file = spec.root / str(spec.files.get("codes", "codes.json"))
    problems = []
    unbound = sorted(known_rules() - set(spec.rule_codes) - set(spec.unenforced))
    if unbound:
        problems.append(
            Problem(
                f"{codes_file} codes",
                f"rules the controls raise that no code binds: {', '.join(unbound)} — bind each to a code, or list "
                "it in 'unenforced' to say the format does not have it",
            )
        )
    stale = sorted(set(spec.unenforced) & set(spec.rule_codes))
    if stale:
        problems.append(Problem(f"{codes_file} unenforced", f"{', '.join(stale)} are bound to codes too"))
    for code, entry in spec.codes.items():
        if entry.rule is None:
            continue
        known = {*RULES.get(entry.rule, RULES["line-format"]).params, "champ"}
        extra = sorted(placeholders(entry.label) - known)
        if extra:
            problems.append(
                Problem(
                    f"{codes_file} code {code} ({entry.rule})",
                    f"label placeholders {', '.join('{' + p + '}' for p in extra)} are not given by the rule; it gives "
                    + ", ".join("{" + p + "}" for p in sorted(known)),
                )
            )
        unknown_requirements = sorted(set(entry.requirements) - set(spec.requirements))
        if spec.requirements and unknown_requirements:
            problems.append(
                Problem(f"{codes_file} code {code}", f"requirements {unknown_requirements} are not in requirements.csv")
            )
    workflow_file = spec.root / str(spec.files.get("workflow", "workflow.json"))
    request = spec.workflow.get("request", {})
    used = {request.get("initial"), request.get("initialIncomplete")}
    used |= {key for move in request.get("transitions", []) for key in (move.get("from"), move.get("to"))}
    missing = sorted(key for key in used if key and key not in spec.statuts)
    if missing:
        problems.append(
            Problem(f"{workflow_file} request", f"status keys {missing} have no label in spec.json statuts")
        )
    return problems


# ---------------------------------------------------------------------- examples and cases


def _examples(spec: Any) -> list[Problem]:
    import orjson

    from segur.mock_portal.controls import IMPORT, SIMULATION, Deposit, HistoryFileError, check_deposit, read_history
    from segur.mock_portal.controls.line import read_values
    from segur.mock_portal.controls.spec import resolve

    problems = []
    folder = spec.root / "examples"
    for path in sorted(folder.glob("*.json")):
        if path.name.endswith(".history.json"):
            continue
        profile = spec.profiles.get(path.stem)
        where = f"{path}"
        if profile is None:
            problems.append(Problem(where, f"not named after a profile of spec.json ({', '.join(spec.profiles)})"))
            continue
        data = path.read_bytes()
        try:
            requests = resolve(orjson.loads(data), spec.document["requests"].path)
            rate = read_values(requests[0], spec).get("vat_rate")
        except (orjson.JSONDecodeError, TypeError, IndexError, KeyError):
            rate = None
        history_path = path.with_name(path.stem + ".history.json")
        kwargs: dict[str, Any] = {"spec": spec, "mode": SIMULATION}
        if history_path.exists():
            try:
                kwargs["history"] = read_history(history_path.read_bytes(), spec, str(history_path))
            except HistoryFileError as exc:
                problems.append(Problem(str(history_path), str(exc)))
                continue
        if path.with_suffix(".zip").exists():
            kwargs |= {"mode": IMPORT, "attachments": path.with_suffix(".zip")}
        answer = check_deposit(data, Deposit(profile.deposit_type, float(rate or spec.vat_rates[-1])), **kwargs)
        problems += [Problem(where, text) for text in _refusals(answer)]
    return problems


def _refusals(answer: Any) -> Iterator[str]:
    for finding in answer.file_findings:
        yield f"the file is refused: {finding.code} {finding.label}"
    for line in answer.lines:
        for finding in line.findings:
            yield f"line {line.number}: {finding.code} {finding.label}"


def _cases(spec: Any) -> list[Problem]:
    from segur.generators import cases

    problems = []
    for path in cases.case_files(spec):
        try:
            case = cases.load_case(path)
        except ValueError as exc:
            problems.append(Problem(str(path), f"not valid JSON ({exc})"))
            continue
        unknown = sorted(cases.case_rules(case) - set(spec.rule_codes))
        if unknown:
            problems.append(Problem(f"{path} rule", f"rules {unknown} are bound to no code of the catalogue"))
            continue
        for number, variant in enumerate(case.get("variants", []), start=1):
            where = f"{path} variants[{number}] « {variant.get('name', '')} »"
            with tempfile.TemporaryDirectory(prefix="segur-spec-check-") as tmp:
                try:
                    answer, warned = cases.run_with_warnings(case, variant, spec, Path(tmp))
                except (ValueError, KeyError, LookupError, TypeError) as exc:
                    problems.append(Problem(where, f"cannot be built with this spec: {exc}"))
                    continue
            problems += [Problem(where, text) for text in cases.mismatches(answer, variant["expect"], spec)]
            problems += [Problem(where, text) for text in cases.warning_mismatches(warned, variant)]
    return problems + _case_coverage(spec)


def _case_coverage(spec: Any) -> list[Problem]:
    """Every rule bound to a code needs a golden case failing with it and one accepted: a case
    file naming the rule, with a variant expecting it and an ``"accepted"`` one."""
    from segur.generators import cases

    files = cases.case_files(spec)
    bound = sorted(spec.rule_codes.items(), key=lambda item: item[1].code)
    if not files and bound:
        return [
            Problem(
                str(spec.root / "cases"),
                "no case file: every rule bound to a code needs a golden case (a variant failing with it, one "
                f"accepted); codes without: {', '.join(entry.code for _, entry in bound)}",
            )
        ]
    failing: set[str] = set()
    passing: set[str] = set()
    for path in files:
        try:
            case = cases.load_case(path)
        except ValueError:
            continue  # already reported
        failing |= cases.case_rules(case)
        if any(variant.get("expect") == "accepted" for variant in case.get("variants", [])):
            passing.add(str(case.get("rule")))
    codes_file = spec.root / str(spec.files.get("codes", "codes.json"))
    problems = []
    for rule, entry in bound:
        if rule not in failing and rule not in passing:
            text = (
                f'no golden case: add cases/*.json of rule "{rule}" with a variant failing with it and one "accepted"'
            )
        elif rule not in failing:
            text = f'no golden case fails with it: add a variant expecting "{rule}"'
        elif rule not in passing:
            text = f'no case of rule "{rule}" has a variant "accepted" (the passing control case): add one'
        else:
            continue
        problems.append(Problem(f"{codes_file} code {entry.code} ({rule})", text))
    return problems


# ---------------------------------------------------------------------- generators and mutators


def _generated(spec: Any, seeds: int, *, skip: frozenset[str] = frozenset()) -> list[Problem]:
    """Generated bundles of each profile accepted, each bound code's mutator giving exactly its
    code; the profiles in ``skip`` (whose files the kit cannot write: already reported) left out."""
    from segur.generators.mutators import NotApplicable, Scenario, materialise, mutate, mutators
    from segur.generators.strategies import make_bundle
    from segur.mock_portal.controls import check_deposit
    from segur.mock_portal.controls.writer import complete, write_document, write_request

    problems = []
    for name in spec.profiles:
        if name in skip:
            continue
        where = f"{spec.root / 'spec.json'} profiles.{name}"
        for seed in range(seeds):
            try:
                drawn = make_bundle(seed, profile=name, size=5, spec=spec)
            except (ValueError, KeyError, LookupError) as exc:
                problems.append(Problem(where, f"no bundle can be generated: {exc}"))
                break
            unfilled = complete(write_document([write_request(drawn.requests[0], spec)], spec), name, spec)
            if unfilled:
                problems.append(
                    Problem(
                        where,
                        f"required fields no logical field covers and the schema gives no value for: {', '.join(unfilled)} "
                        "— map them in spec.json fields, or give them an 'examples', 'default', 'const' or 'enum' "
                        "in the schema",
                    )
                )
                break
            with tempfile.TemporaryDirectory(prefix="segur-spec-check-") as tmp:
                scenario = Scenario.from_drawn(drawn, spec)
                data, deposit, history, zip_path, mode = materialise(scenario, Path(tmp))
                answer = check_deposit(data, deposit, spec=spec, history=history, attachments=zip_path, mode=mode)
            refused = list(_refusals(answer))
            if refused:
                problems.append(Problem(where, f"a generated bundle (seed {seed}) is not accepted: {refused[0]}"))
                break
    by_code = mutators(spec)
    for code, found in sorted(by_code.items()):
        where = f"{spec.root / str(spec.files.get('codes', 'codes.json'))} code {code} ({found.rule})"
        profiles = found.profiles_in(spec)
        if not profiles:
            problems.append(Problem(where, f"the spec has no profile of the types the mutator breaks ({found.types})"))
            continue
        for profile in [profile for profile in profiles if profile not in skip]:
            drawn = make_bundle(1, profile=profile, size=max(3, found.min_lines), spec=spec)
            scenario = Scenario.from_drawn(drawn, spec)
            lines = [1] if found.scope == "line" else []
            try:
                broken = mutate(scenario, code, lines, spec)
            except NotApplicable as exc:
                problems.append(
                    Problem(where, f"this spec cannot carry the mistake ({exc}): leave the rule unenforced")
                )
                break
            except (ValueError, LookupError) as exc:
                problems.append(Problem(where, f"{profile}: cannot be broken ({exc})"))
                break
            with tempfile.TemporaryDirectory(prefix="segur-spec-check-") as tmp:
                data, deposit, history, zip_path, mode = materialise(scenario, Path(tmp))
                answer = check_deposit(data, deposit, spec=spec, history=history, attachments=zip_path, mode=mode)
            problem = _exactly(answer, code, broken, spec)
            if problem:
                problems.append(Problem(where, f"{profile}: {problem}"))
                break
    problems += _hand_checks(spec, skip)
    unbound_mutators = sorted(code for code in spec.codes if code != spec.accepted_code and code not in by_code)
    for code in unbound_mutators:
        problems.append(Problem(f"codes.json code {code}", "no mutator breaks a bundle for its rule"))
    return problems


def _hand_checks(spec: Any, skip: frozenset[str]) -> list[Problem]:
    """For every check by hand: a generated bundle's pieces give no warning, and the pieces of one
    line written without what the check reads give exactly that warning on that line."""
    from segur.generators.mutators import Scenario, flaw, materialise
    from segur.generators.strategies import make_bundle
    from segur.mock_portal.controls.attachments import attachment_report
    from segur.mock_portal.controls.hand_checks import HAND_CHECKS, deposit_warnings, hand_roles

    problems: list[Problem] = []
    where = f"{spec.root / str(spec.files.get('handChecks', ''))}"
    for check in spec.hand_checks:
        roles = set(HAND_CHECKS[check].roles)
        profiles = [
            name
            for name in spec.profiles
            if name not in skip and roles <= set(spec.pieces.required.get(spec.profiles[name].deposit_type, ()))
        ]
        if not profiles:
            problems.append(Problem(f"{where} checks.{check}", f"no profile requires the pieces it reads ({roles})"))
            continue
        for profile in profiles:
            scenario = Scenario.from_drawn(make_bundle(1, profile=profile, size=3, spec=spec), spec)
            scenario.with_zip(spec)
            with tempfile.TemporaryDirectory(prefix="segur-spec-check-") as tmp:
                data, _, _, zip_path, _ = materialise(scenario, Path(tmp))
                clean = deposit_warnings(
                    data, attachment_report(data, zip_path, spec, read_roles=hand_roles(spec)).texts, spec
                )
                flaw(scenario, check, [1], spec)
                data, _, _, zip_path, _ = materialise(scenario, Path(tmp))
                found = deposit_warnings(
                    data, attachment_report(data, zip_path, spec, read_roles=hand_roles(spec)).texts, spec
                )
            if clean:
                problems.append(
                    Problem(f"{where} checks.{check}", f"{profile}: the generated pieces warn: {clean[0].message}")
                )
                break
            got = [(w.line + 1, w.check) for w in found]
            if got != [(2, check)]:
                problems.append(
                    Problem(
                        f"{where} checks.{check}",
                        f"{profile}: pieces of line 2 written without what it reads should warn {check} alone "
                        f"on line 2, got {got or 'no warning'} (are its words found in other lines of the pieces?)",
                    )
                )
                break
    return problems


def _exactly(answer: Any, code: str, lines: tuple[int, ...], spec: Any) -> str | None:
    if spec.codes[code].level == "file":
        got = [f.code for f in answer.file_findings]
        return None if got[:1] == [code] else f"the file should be refused with {code}, got {got or 'no refusal'}"
    if answer.file_findings:
        return f"the file is refused ({answer.file_findings[0].code}) instead of lines answering {code}"
    for index, line in enumerate(answer.lines):
        codes = {f.code for f in line.findings}
        if index in lines and codes != {code}:
            return f"line {index + 1} should answer {code} alone, got {sorted(codes) or [spec.accepted_code]}"
        if index not in lines and codes:
            return f"line {index + 1} should be accepted, got {sorted(codes)}"
    return None
