"""``segur fuzz``: send generated deposits, valid and broken, to a portal and compare its answers.

Each case is drawn from its own seed (printed with every mismatch, and replayed alone with
``--case-seed``): a valid bundle of an avance profile the account is enrolled for, broken or
not for one catalogue code. The expected answer comes from the kit's controls, run at the
time the portal says it answered (``dateDepot``) with the account's enrolments. Codes whose
breaking needs another deposit time, other enrolments or stored requests (which a remote
portal cannot be given) are left out of the draw.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from segur.generators.mutators import Scenario, materialise, mutate, mutators
from segur.generators.strategies import make_bundle
from segur.mock_portal.controls import IMPORT, SIMULATION, Deposit, Enrolment, Spec, check_deposit

#: at most this many cases in one run, whatever --count says
MAX_CASES = 10_000
_TIMEOUT = 60


class FuzzError(Exception):
    """The portal could not be reached or refused the account."""


@dataclass
class Mismatch:
    case_seed: int
    step: str
    profile: str
    code: str | None
    lines: list[int]
    expected: Any
    received: Any


@dataclass
class Summary:
    cases: int = 0
    simulates: int = 0
    imports: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)


class Portal:
    """The editor's API of a portal (the mock, or any service that speaks it)."""

    def __init__(self, url: str, login: str, password: str, spec: Spec) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        try:
            answer = self.session.post(
                f"{self.url}/api/login", json={"login": login, "password": password}, timeout=_TIMEOUT
            )
        except requests.RequestException as exc:
            raise FuzzError(f"{self.url}: cannot reach the portal ({exc})") from None
        if answer.status_code != 200:
            raise FuzzError(f"{self.url}/api/login answered {answer.status_code}: {answer.text[:200]}")
        self.session.headers["Authorization"] = f"Bearer {answer.json()['token']}"
        me = self.session.get(f"{self.url}/api/me", timeout=_TIMEOUT).json()
        validated = spec.workflow.get("enrolment", {}).get("statuts", {}).get("validee")
        self.enrolments = tuple(
            Enrolment(e["numeroAns"], e["couloir"], e["typeLogiciel"])
            for e in me.get("enrolements", [])
            if e.get("statut") == validated
        )

    def deposit(self, route: str, data: bytes, deposit: Deposit, zip_path: Path | None) -> dict[str, Any]:
        form = {
            "typeDemande": deposit.type_demande,
            "tauxTva": f"{deposit.taux_tva:g}",
            "numeroAns": deposit.numero_ans or "",
        }
        files: dict[str, Any] = {"fichier": ("depot.json", data, "application/json")}
        with zip_path.open("rb") if zip_path is not None else _Nothing() as handle:
            if handle is not None:
                files["pieces"] = ("pieces.zip", handle, "application/zip")
            try:
                answer = self.session.post(f"{self.url}{route}", data=form, files=files, timeout=_TIMEOUT)
            except requests.RequestException as exc:
                raise FuzzError(f"{self.url}{route}: {exc}") from None
        if answer.status_code not in (200, 201):
            raise FuzzError(f"{self.url}{route} answered {answer.status_code}: {answer.text[:300]}")
        body: dict[str, Any] = answer.json()
        return body


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


@dataclass
class Case:
    seed: int
    profile: str
    code: str | None
    lines: list[int]
    scenario: Scenario


def draw_case(
    case_seed: int, spec: Spec, enrolments: tuple[Enrolment, ...], broken_share: float, max_size: int
) -> Case:
    """The case a seed gives: profile, size, valid or broken for one code the portal can be sent."""
    rng = random.Random(case_seed)
    avance = spec.deposit_types["avance"]
    profiles = [
        p
        for p in spec.profiles.values()
        if p.type_demande == avance
        and any((e.couloir, e.type_logiciel) == (p.couloir, p.type_logiciel) for e in enrolments)
    ]
    if not profiles:
        raise FuzzError("the account is enrolled for no avance profile of the spec: nothing can be deposited")
    profile = rng.choice(profiles)
    ans = next(
        e.numero_ans for e in enrolments if (e.couloir, e.type_logiciel) == (profile.couloir, profile.type_logiciel)
    )
    size = rng.randint(1, max_size)
    drawn = make_bundle(case_seed, profile=profile.name, size=size, spec=spec, numero_ans=ans)
    for index, line in enumerate(drawn.requests):  # unique in the portal across cases
        line["line_reference"] = f"FZ{case_seed}-{index + 1:04d}"
        line["bdc_number"] = f"BDC-FZ{case_seed}-{index + 1:04d}"
    codes = sorted(mutators(spec))
    for _ in range(20):  # draw a code whose breaking a remote portal can be sent
        scenario = Scenario.from_drawn(drawn, spec)
        scenario.deposit["ans"] = ans
        scenario.deposit["mode"] = IMPORT
        scenario.with_zip(spec)
        if rng.random() >= broken_share:
            return Case(case_seed, profile.name, None, [], scenario)
        code = rng.choice(codes)
        wanted = sorted(rng.sample(range(size), rng.randint(1, size)))
        try:
            lines = list(mutate(scenario, code, wanted, spec))
        except (ValueError, LookupError):  # a rule this profile or this spec cannot be broken for
            continue
        if (
            scenario.deposit.get("at") is None
            and scenario.deposit.get("enrolments") is None
            and not scenario.history
            and scenario.deposit["ans"] == ans
            and scenario.deposit["type"] == "avance"
        ):
            return Case(case_seed, profile.name, code, [n + 1 for n in lines], scenario)
    scenario = Scenario.from_drawn(drawn, spec)
    scenario.deposit["ans"] = ans
    scenario.with_zip(spec)
    return Case(case_seed, profile.name, None, [], scenario)


def _codes(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "fichier": answer["codetraitement"],
        "lignes": [line["codetraitement"] for line in answer["lignes"]],
        "numerotees": [bool(line.get("numeroDemande")) for line in answer["lignes"]],
    }


def run_case(case: Case, portal: Portal, spec: Spec, work: Path, do_import: bool) -> list[Mismatch]:
    data, deposit, history, zip_path, _mode = materialise(case.scenario, work)
    out: list[Mismatch] = []
    steps: list[tuple[str, str, str, Path | None]] = [("simulate", "/api/simulations", SIMULATION, None)]
    if do_import:
        steps.append(("import", "/api/imports", IMPORT, zip_path))
    for step, route, mode, attachments in steps:
        received = portal.deposit(route, data, deposit, attachments)
        at = datetime.fromisoformat(received["dateDepot"])
        local = Deposit(deposit.type_demande, deposit.taux_tva, at, deposit.numero_ans, portal.enrolments)
        kwargs: dict[str, Any] = {"spec": spec, "history": history, "mode": mode}
        if mode == IMPORT:
            kwargs["attachments"] = attachments
        answer = check_deposit(data, local, **kwargs)
        expected = answer.to_json()
        if case.code is None and answer.file_rejected:
            # a valid deposit the kit's own controls refuse: the portal's state (its clock, the
            # account) makes the comparison meaningless, whatever the portal answered
            raise FuzzError(
                f"case {case.seed} ({case.profile}): a valid deposit is refused as a whole at the portal's time "
                f"{received.get('dateDepot')}: {expected['codetraitement']} {expected['libelletraitement']} — "
                "set the portal's clock inside the deposit window (segur serve starts there) and enrol the account"
            )
        if _codes(expected) != _codes(received):
            out.append(
                Mismatch(case.seed, step, case.profile, case.code, case.lines, _codes(expected), _codes(received))
            )
    return out


def fuzz(
    portal: Portal,
    spec: Spec,
    *,
    seed: int,
    count: int,
    max_seconds: float,
    broken_share: float,
    max_size: int,
    do_import: bool,
    case_seed: int | None = None,
    progress: Any = None,
) -> Summary:
    summary = Summary()
    master = random.Random(seed)
    seeds = [case_seed] if case_seed is not None else [master.randrange(2**31) for _ in range(min(count, MAX_CASES))]
    deadline = time.monotonic() + max_seconds
    with tempfile.TemporaryDirectory(prefix="segur-fuzz-") as tmp:
        for index, case_seed_ in enumerate(seeds):
            if time.monotonic() > deadline:
                break
            case = draw_case(case_seed_, spec, portal.enrolments, broken_share, max_size)
            work = Path(tmp) / str(index)
            work.mkdir()
            summary.mismatches += run_case(case, portal, spec, work, do_import)
            summary.cases += 1
            summary.simulates += 1
            summary.imports += int(do_import)
            if progress is not None:
                progress(1)
    return summary
