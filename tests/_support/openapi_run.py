"""Schemathesis' engine, as ``st run`` drives it, on the mock portal: every check, every phase
(examples, coverage, fuzzing, stateful through the document's links), a fixed seed, a bound on
the examples. Used in process by the test suite (the Flask app) and over HTTP by
``benchmarks/bench_schemathesis.py`` (gunicorn, longer).

The formats the document names beyond JSON Schema's own (``mock_portal/formats.py``) get a
generator here, as any client generating data for the document needs one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import schemathesis
from hypothesis import strategies as st

from tests._support.logical import data as written
from tests._support.logical import example_ans, example_requests, first_profile, other_profile
from tests._support.paths import SPEC
from tests._support.portal import admin_headers, deposit_form, enrolment_form, login, transition

#: what would blind the other operations, tested by hand: /admin/reset (the whole state),
#: POST /admin/faults (503s and dropped connections on the editor's API: what it is for) and
#: POST /api/logout (the run's own token)
EXCLUDED = ("/admin/reset",)
EXCLUDED_OPERATIONS = ("ajouterPanne", "seDeconnecter")
#: the operations whose 422 carries rules JSON Schema cannot state, as their document says (an
#: ANS number of the référentiel, the e-mail typed twice, a readable PDF, a piece named as the
#: avenant's missing ones; a request's line controls: keys, amounts, ceilings): schema-valid data may get it
SEMANTIC_422 = (
    "deposerEnrolement",
    "deposerEnrolementComplementaire",
    "modifierDemande",
    "demanderAvenant",
    "envoyerPiecesAvenant",
    "demanderAnnulation",
)
#: what positive_data_acceptance expects by default, and 413: a body over its route's limit (its
#: size, or more than 32 multipart parts: a schema-valid form of 30 pieces and a few extra
#: fields) is refused before it is read, as each operation's document says
ACCEPTED = ["2xx", "3xx", 401, 403, 404, 409, 413, 429, "5xx"]
#: what negative_data_rejection expects by default, and 413: a body over its route's limit is
#: refused before it is read (a string thousands of times longer than its maxLength)
REJECTED = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]


@dataclass
class Failure:
    operation: str
    check: str
    message: str
    reproduce: str = ""


@dataclass
class Outcome:
    """What a run did: cases sent (by phase), the failures, the operations never reached."""

    cases: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    checks_run: set[str] = field(default_factory=set)
    #: accepted "negative" cases no server could refuse (a file part's type), dropped by the hook
    filtered: int = 0

    @property
    def total(self) -> int:
        return sum(self.cases.values())

    def report(self) -> str:
        lines = [
            f"{self.total} cases ({', '.join(f'{k}: {v}' for k, v in sorted(self.cases.items()))}); "
            f"{self.filtered} negative case(s) a server cannot tell from a file dropped"
        ]
        lines += [f"FAILURE {f.operation} [{f.check}] {f.message}\n    {f.reproduce}" for f in self.failures]
        lines += [f"ERROR {e}" for e in self.errors]
        return "\n".join(lines)


_REGISTERED: list[bool] = []


def register_formats() -> None:
    """A generator for each format of ``mock_portal/formats.py`` (once per process)."""
    if _REGISTERED:
        return
    from segur.generators.provider import SegurProvider  # the kit's own valid identifiers
    from segur.mock_portal.formats import FORMATS

    def drawn(method: str) -> st.SearchStrategy[str]:
        from faker import Faker

        def make(seed: int) -> str:
            faker = Faker("fr_FR")
            faker.seed_instance(seed)
            faker.add_provider(SegurProvider)
            value: str = getattr(faker, method)()
            return value

        return st.integers(0, 2**32).map(make)

    clock = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30))
    strategies: dict[str, st.SearchStrategy[str]] = {
        "iban": drawn("iban_fr"),
        "bic": drawn("bic"),
        "siret": drawn("siret"),
        "date-heure": clock.map(lambda moment: moment.isoformat(timespec="minutes")),
    }
    assert set(strategies) == set(FORMATS), "a format of mock_portal/formats.py has no generator"
    for name, strategy in strategies.items():
        schemathesis.openapi.format(name, strategy)
    schemathesis.hook(filter_failure)
    # the pieces of a request: real PDFs (the document's multipart encoding says application/pdf)
    from segur.generators.pdf import pdf_document

    pdfs = [pdf_document(f"Pièce {n}", ["pièce de test"], seed=n) for n in range(4)]
    # (the strategy stands for the whole multipart property: a list of files)
    schemathesis.openapi.media_type("application/pdf", st.lists(st.sampled_from(pdfs), min_size=1, max_size=3))
    _REGISTERED.append(True)


#: the multipart parts that carry a file: on the wire a file's bytes, whatever value a fuzzer meant
#: (``true`` "as a boolean" and the text "true" are the same bytes)
FILE_PARTS = ("fichier", "pieces")
#: the multipart text parts of free words (a reason): the integer 12 a fuzzer means is on the wire
#: the text "12", which is words like any other
FREE_TEXT_PARTS = ("motif",)
_VIOLATION = re.compile(r"violates `(\w+)`(?:, `(\w+)`)* at /properties/(\w+)")


def _undetectable(failure: Any, multipart: bool = True) -> bool:
    """A schema-violating multipart case whose only violations are the type or format of a file
    part, or the type of a part of free words: the server receives a file, or words, like any
    other, so no server can refuse it (a limit of multipart, not of the API)."""
    message = str(getattr(failure, "message", ""))
    found = [m for line in message.splitlines() if (m := _VIOLATION.search(line))]
    if not multipart or not found or "Invalid component" not in message:
        return False

    def blind(match: re.Match[str]) -> bool:
        kinds = {match.group(1), match.group(2) or match.group(1)}
        if match.group(3) in FILE_PARTS:
            return kinds <= {"type", "format"}
        return match.group(3) in FREE_TEXT_PARTS and kinds == {"type"}

    return all(blind(m) for m in found)


def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Schemathesis' hook: every failure is kept, but an accepted "negative" case that no server
    could tell from a valid one (:func:`_undetectable`)."""
    from schemathesis.core.failures import AcceptedNegativeData

    multipart = str(getattr(case, "media_type", "") or "").startswith("multipart/")
    return not (isinstance(failure, AcceptedNegativeData) and _undetectable(failure, multipart))


def config(*, seed: int, examples: int, steps: int, editor_token: str, admin_token: str) -> Any:
    return schemathesis.Config.from_dict(
        {
            "seed": seed,
            "cache": {"enabled": False},  # no .schemathesis/ folder left in the current one
            "generation": {"max-examples": examples, "deterministic": True},
            # values seen in answers are not reused in requests: the engine puts them in fields
            # whose pattern they do not match (an empty 'motif' of an answer as a reason that must
            # not be blank) and then calls the refusal a failure
            "phases": {
                "stateful": {"max-steps": steps},
                **{
                    phase: {"extra-data-sources": {"responses": False}} for phase in ("examples", "coverage", "fuzzing")
                },
            },
            "auth": {"openapi": {"editeur": {"bearer": editor_token}, "gestionnaire": {"bearer": admin_token}}},
            "operations": [
                {"include-path": list(EXCLUDED), "enabled": False},
                {"include-operation-id": list(EXCLUDED_OPERATIONS), "enabled": False},
                {
                    "include-operation-id": list(SEMANTIC_422),
                    "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, 422]}},
                },
            ],
            "checks": {"negative_data_rejection": {"expected-statuses": REJECTED}},
            "continue-on-failure": True,
            "max-failures": 10_000,
        }
    )


def run(schema: Any, *, between: Callable[[], None] | None = None) -> Outcome:
    """Run the engine on ``schema``; ``between`` is called after each scenario (to put back state
    a call may have changed: the clock, faults)."""
    from schemathesis.engine import Status, events, from_schema

    outcome = Outcome()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            phase = str(event.phase.value if hasattr(event.phase, "value") else event.phase)
            outcome.cases[phase] = outcome.cases.get(phase, 0) + len(recorder.cases)
            outcome.filtered += sum(recorder.filtered_failures.values())
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    outcome.checks_run.add(check.name)
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        node = recorder.cases.get(case_id)
                        operation = node.value.operation.label if node is not None else recorder.label
                        message = f"{failure.title}: {failure.message}".strip()
                        interaction = recorder.interactions.get(case_id)
                        if interaction is not None and interaction.response is not None:
                            answered = interaction.response
                            message += f"\n    answered {answered.status_code}: {answered.content[:300]!r}"
                        outcome.failures.append(Failure(operation, check.name, message, check.failure_info.code_sample))
            if between is not None:
                between()
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            outcome.errors.append(str(getattr(event, "info", event)))
    # one failure per operation, check and message (the engine reports each reproduction)
    unique = {(f.operation, f.check, f.message): f for f in outcome.failures}
    outcome.failures = list(unique.values())
    return outcome


def seeded_numbers() -> tuple[str, str, str, str]:
    """The request numbers :func:`seed` makes, in the spec's numbering: the first avance
    example's three requests (the first decided and paid, the second « À modifier », the third
    waiting), then the other programme's first (incomplete)."""
    from segur.mock_portal.controls.answer import format_number

    avance, other = SPEC.profiles[first_profile("avance")], SPEC.profiles[other_profile("avance")]
    first, second, third = (format_number(SPEC, avance, STARTS, sequence) for sequence in (1, 2, 3))
    return first, second, third, format_number(SPEC, other, STARTS, 1)


#: the clock the seeding and the fuzzing start from (the mock's at its start)
STARTS = SPEC.default_deposit_time(None, SPEC.deposit_types["avance"])
START = f"{STARTS:%Y-%m-%dT%H:%M}"
#: the request the seeding leaves « À modifier »
TO_MODIFY = seeded_numbers()[1]
#: the first enrolment deposited: the demo editor's, one per solution of the référentiel, come before
NEW_ENROLMENT = len(SPEC.referencement()["solutions"]) + 1


def seed(client: Any) -> str:
    """Log the demo editor in (its token is returned), after seeding what the document's examples
    name (``client``: a Flask test client of a fresh portal), in the spec's numbering
    (:func:`seeded_numbers`):

    the first avance example's requests 1 decided and paid (documents 1 and 2, avenant 1), 2
    « À modifier », 3 waiting; the other programme's example incomplete; deposits 1 (OK), 2
    (incomplete lines), 3 (KO); the demo's enrolments (validated) and one deposited."""
    avance, other = first_profile("avance"), other_profile("avance")
    first_number, second_number, _, incomplete_number = seeded_numbers()
    headers = login(client)
    imported = client.post(
        "/api/imports", data=deposit_form(avance, type_demande="avance", ans=example_ans(avance)), headers=headers
    )
    assert imported.status_code == 201, imported.json
    first, second, *_ = (line["numeroDemande"] for line in imported.json["lignes"])
    assert (first, second) == (first_number, second_number)
    for target in ("enCours", "validee", "decidee", "payee"):
        transition(client, first, target)
    transition(client, second, "enCours")
    transition(client, second, "aModifier", "écart entre le BDC et le JSON")
    added = client.post(f"/admin/requests/{first}/avenants", json={"montant": 100.5}, headers=admin_headers())
    assert added.status_code == 201, added.json
    others = example_requests(other)
    for request in others:  # the example may share its order forms with the first one
        request["bdc_number"] = f"{request['bdc_number']}-AUTRE"
    incomplete = client.post(
        "/api/imports",
        data=deposit_form(
            other, type_demande="avance", ans=example_ans(other), data=written(others, other), with_zip=False
        ),
        headers=headers,
    )
    assert incomplete.json["lignes"][0]["numeroDemande"] == incomplete_number, incomplete.json
    rejected = client.post(
        "/api/imports",
        data=deposit_form("ko", type_demande="avance", ans=example_ans(avance), data=b"{", with_zip=False),
        headers=headers,
    )
    assert (rejected.json["depot"], rejected.json["statut"]) == (3, "KO")
    assert client.post("/api/enrolments", json=enrolment_form()).json["id"] == NEW_ENROLMENT
    return str(headers["Authorization"].split()[1])
