"""Deposit behaviour: the editor's ``deposit`` command against the live mock portal, in scripted
scenarios, checked from the mock's journal (and, for back-off delays, the wire log).

Each scenario starts from an empty portal with its clock frozen, gives the tool a folder of
bundles (``{bundles}``: ``X.json``, ``X.zip``, ``X.deposit.json``) and a state folder of its own
(``{state}``, kept between the rounds of a scenario), and runs the command once per round,
changing the bundles or the portal between rounds as an editor's week would. What the tool
does is then read from the journal: which files it simulated and imported, which lines each
import carried and what they got, which pieces it sent, when it called « Terminer ».
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from segur.conformance.config import ToolConfig
from segur.conformance.consumer import read_receipt
from segur.conformance.live import LivePortal, WireEntry
from segur.conformance.runner import KitError, Run, run_command
from segur.generators.documents import bundle_pieces
from segur.generators.mutators import Scenario, mutate
from segur.generators.strategies import make_bundle, written_document
from segur.mock_portal.controls import Spec

__all__ = ["LATE_ANSWER_SECONDS", "MIN_BACKOFF", "Call", "Outcome", "Round", "Scenarios"]

#: the shortest wait, in seconds, that counts as a back-off before a retry (SEG-D06)
MIN_BACKOFF = 0.25
#: more attempts than this at one import is not "bounded"
MAX_ATTEMPTS = 8

#: avances closed by a solde are deposited late in their window (an hour before it closes),
#: after every order form's date
LATE_BEFORE_CLOSING = timedelta(hours=1)


#: a late answer (fault ``stored-then-late``) is held this long: longer than a client that gives
#: up after a few seconds waits, short enough for the suite
LATE_ANSWER_SECONDS = 8.0

ROUTES = {"/api/simulations": "simulation", "/api/imports": "import"}


@dataclass(frozen=True)
class Call:
    """A simulation or an import the tool made, as the mock's journal kept it: the HTTP status
    (the portal's, also when the answer was then lost), the deposit id for a stored import, the
    file's digest, the deposit screen's choices sent, and per line: number, reference, code, ASP
    number."""

    route: str
    status: int
    depot: int | None
    sha256: str | None
    verdict: str | None
    choices: dict[str, Any]
    lines: tuple[tuple[int, str | None, str, str | None], ...]
    fault: str | None = None

    @classmethod
    def of(cls, entry: dict[str, Any]) -> Call | None:
        route = ROUTES.get(entry["chemin"]) if entry["methode"] == "POST" else None
        if route is None:
            return None
        detail = entry.get("detail") or {}
        return cls(
            route=route,
            status=int(entry["statut"]),
            depot=detail.get("depot"),
            sha256=detail.get("sha256"),
            verdict=detail.get("statut"),
            choices=dict(detail.get("choix") or {}),
            lines=tuple(tuple(line) for line in detail.get("lignes") or ()),
            fault=detail.get("fault") or detail.get("faute"),
        )

    @property
    def answered(self) -> bool:
        """The portal ran its controls (an import: stored, even if the answer was then lost)."""
        return self.status in (200, 201)

    @property
    def name(self) -> str:
        return f"import (dépôt {self.depot})" if self.depot is not None else self.route

    def describe(self) -> str:
        head = f"POST /api/{self.route}s → {self.status}"
        if self.depot is not None:
            head += f", dépôt {self.depot}"
        if self.fault in ("stored-then-drop", "stored-then-late"):
            head += f" (fault {self.fault}: stored, but the answer did not reach the tool in time)"
        elif self.fault:
            head += f" (fault {self.fault}: the portal did not serve it)"
        if self.sha256:
            head += f", file sha256 {self.sha256[:12]}…"
        if self.choices:
            head += ", " + _choices_text(self.choices)
        if self.lines:
            shown = ", ".join(f"{ref} {code}" for _n, ref, code, _numero in self.lines[:8])
            head += f", lines: {shown}" + (f" (+{len(self.lines) - 8})" if len(self.lines) > 8 else "")
        return head


def _choices_text(choices: dict[str, Any]) -> str:
    return " ".join(f"{key}={choices.get(key)!s}" for key in ("typeDemande", "tauxTva", "numeroAns"))


def _same_choices(sent: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """The deposit screen's choices ``sent`` are those of the bundle (the VAT rate as a number)."""
    try:
        same_rate = float(str(sent.get("tauxTva"))) == float(wanted["tauxTva"])
    except ValueError:
        same_rate = False
    return (
        same_rate
        and str(sent.get("typeDemande")) == str(wanted["typeDemande"])
        and str(sent.get("numeroAns")) == str(wanted["numeroAns"])
    )


@dataclass
class Round:
    """One run of the deposit command in a scenario: what was expected, what the tool sent."""

    number: int
    expected: str
    calls: list[Call] = field(default_factory=list)

    def describe(self) -> str:
        sent = "\n".join(f"      {call.describe()}" for call in self.calls) or "      (no simulation, no import)"
        return f"  round {self.number}: expected {self.expected}\n    the tool sent:\n{sent}"


@dataclass
class Outcome:
    """What a scenario found, by requirement: the problems (empty: the requirement holds), the
    rounds (what the tool sent), and whether the tool deposited with choices other than its
    bundles' (then what the rounds show of the other requirements cannot be judged)."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)
    wrong_choices: bool = False

    def add(self, requirement: str, problem: str) -> None:
        self.problems.setdefault(requirement, []).append(problem)

    def report(self, requirement: str) -> list[str]:
        found = list(self.problems.get(requirement, []))
        if found and self.rounds:
            found.append("what the tool sent, round by round:\n" + "\n".join(r.describe() for r in self.rounds))
        if found and self.runs:
            found.append("the deposit command's runs:\n" + "\n".join(run.describe() for run in self.runs))
        return found


def _imports(journal: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in journal if e["methode"] == "POST" and e["chemin"] == "/api/imports"]


def _done_imports(journal: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in _imports(journal) if e["statut"] == 201]


def _sent(journal: Iterable[dict[str, Any]], *, simulations: bool = False) -> dict[str, list[str]]:
    """Each line reference imported (and, with ``simulations``, simulated), with the code it got
    each time (a simulated one's code is prefixed with "simulation ")."""
    sent: dict[str, list[str]] = {}
    for entry in journal:
        call = Call.of(entry)
        if call is None or not call.answered or (call.route == "simulation" and not simulations):
            continue
        for _number, reference, code, _numero in call.lines:
            sent.setdefault(str(reference), []).append(code if call.route == "import" else f"simulation {code}")
    return sent


class Scenarios:
    """The deposit scenarios of one session (one live portal, one tool)."""

    def __init__(self, config: ToolConfig, portal: LivePortal, spec: Spec, workdir: Path, seed: int) -> None:
        self.config = config
        self.portal = portal
        self.spec = spec
        self.workdir = workdir
        self.seed = seed
        self.wave = config.profile
        wave = self.wave or ""
        avance, solde = spec.profile_of(wave, "avance"), spec.profile_of(wave, "solde")
        if avance is None or solde is None:
            raise KitError(f"the spec {spec.label} has no avance and solde profiles for {self.wave}")
        self.profiles = {"avance": avance, "solde": solde}
        software = avance.type_logiciel
        self.ans = portal.enrolled_ans().get(software)
        if self.ans is None:
            raise KitError(f"the mock's demo editor is enrolled for no {software} software")
        self._cache: dict[str, Outcome] = {}
        #: per bundles folder: each bundle's deposit choices and line references, as last written
        self._written: dict[Path, dict[str, tuple[dict[str, Any], set[str]]]] = {}
        #: per scenario: its state folder (for ingest afterwards) and its outcome
        self._state: dict[str, Path] = {}
        self._current = ""

    def _time(self, kind: str, *, closing: bool = False, late: bool = False) -> str:
        """A deposit time of the spec's calendar for ``kind``: its window's default, its closing
        minute, or an hour before it closes."""
        window = self.spec.windows[self.profiles[kind].name]
        moment: datetime = window.closes if closing else window.default_deposit
        if late:
            moment = window.closes - LATE_BEFORE_CLOSING
        return moment.isoformat()

    # ------------------------------------------------------------------ helpers

    #: every scenario, in the order the suite runs them
    NAMES = ("simulate", "accepted", "rejected", "pieces", "solde", "retry", "window")

    def outcome(self, name: str) -> Outcome:
        """The outcome of scenario ``name`` (run once per session), the tool's records compared
        with the portal's at its end (SEG-C05) when ``ingest`` is declared."""
        if name not in self._cache:
            outcome = Outcome()
            self._cache[name] = outcome
            self._current = name
            getattr(self, f"_scenario_{name}")(outcome)
            if self.config.has("ingest") and name in self._state:
                self._records(outcome, name)
        return self._cache[name]

    def _folders(self, name: str) -> tuple[Path, Path]:
        bundles, state = self.workdir / name / "bundles", self.workdir / name / "state"
        bundles.mkdir(parents=True)
        state.mkdir(parents=True)
        self._state[self._current] = state
        return bundles, state

    def _rate(self, salt: int) -> float:
        """The VAT rate of a scenario's bundles: a different one from scenario to scenario (a tool
        that does not send its bundle's rate shows), never the rate 0 when another exists."""
        rates = [rate for rate in self.spec.vat_rates if rate] or list(self.spec.vat_rates)
        return float(rates[salt % len(rates)])

    def _lines(self, kind: str, size: int, salt: int) -> list[dict[str, Any]]:
        """Valid requests (logical values) of ``kind``, of the software the demo editor is enrolled for."""
        found: list[dict[str, Any]] = self._drawn(kind, size, salt).requests
        return found

    def _drawn(self, kind: str, size: int, salt: int) -> Any:
        return make_bundle(
            self.seed * 100 + salt,
            profile=self.profiles[kind].name,
            size=size,
            spec=self.spec,
            numero_ans=self.ans,
            taux_tva=self._rate(salt),
        )

    def _write(
        self, folder: Path, stem: str, lines: Sequence[dict[str, Any]], kind: str, *, leave_out: Iterable[str] = ()
    ) -> None:
        """``stem``.json, its zip (without the pieces named in ``leave_out``) and the deposit choices."""
        for old in folder.glob(f"{stem}.*"):
            old.unlink()
        bundle = written_document(list(lines), self.profiles[kind].name, self.spec)
        (folder / f"{stem}.json").write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
        skipped = set(leave_out)
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for name, content in bundle_pieces(list(lines), self.spec, seed=self.seed):
                if name not in skipped:
                    zipped.writestr(name, content)
        (folder / f"{stem}.zip").write_bytes(archive.getvalue())
        choices = {"typeDemande": kind, "tauxTva": float(lines[0]["vat_rate"]), "numeroAns": self.ans}
        (folder / f"{stem}.deposit.json").write_bytes(orjson.dumps(choices, option=orjson.OPT_INDENT_2))
        self._written.setdefault(folder, {})[stem] = (choices, {str(line["line_reference"]) for line in lines})

    def _round(
        self, outcome: Outcome, bundles: Path, state: Path, expected: str
    ) -> tuple[list[dict[str, Any]], list[WireEntry]]:
        """Run the deposit command once (``expected``: what a conformant tool does in this round);
        the journal and wire entries it caused. Every simulation and import must carry the deposit
        choices of the bundle its lines come from (SEG-D09)."""
        mark = self.portal.mark()
        run = run_command(
            self.config,
            "deposit",
            {
                "portal_url": self.portal.url,
                "login": self.portal.login,
                "password": self.portal.password,
                "bundles": bundles,
                "state": state,
            },
            check=False,
        )
        outcome.runs.append(run)
        journal, wire = self.portal.since(mark)
        this = Round(len(outcome.rounds) + 1, expected, [c for c in map(Call.of, journal) if c is not None])
        outcome.rounds.append(this)
        self._check_choices(outcome, this, bundles)
        return journal, wire

    def _check_choices(self, outcome: Outcome, this: Round, bundles: Path) -> None:
        """SEG-D09: each simulation and import of the round was made with the deposit choices of
        the bundle (X.deposit.json) its lines come from."""
        written = self._written.get(bundles, {})
        by_reference = {ref: (stem, choices) for stem, (choices, refs) in written.items() for ref in refs}
        for call in this.calls:
            if not call.choices:  # a fault answered before the portal read the form
                continue
            owners = {by_reference[str(ref)][0] for _n, ref, _c, _numero in call.lines if str(ref) in by_reference}
            wanted = [(stem, written[stem][0]) for stem in sorted(owners or written)]
            if wanted and not any(_same_choices(call.choices, choices) for _stem, choices in wanted):
                stem, choices = wanted[0]
                outcome.wrong_choices = True
                outcome.add(
                    "SEG-D09",
                    f"round {this.number}: the {call.name} was sent with {_choices_text(call.choices)}; "
                    f"its bundle's {stem}.deposit.json says {_choices_text(choices)}",
                )

    def _stored(self) -> dict[str, dict[str, Any]]:
        """The stored requests by line reference (the last one for a reference sent twice)."""
        return {r["referenceLigne"]: r for r in self.portal.stored_requests()}

    def _editor_import(self, lines: Sequence[dict[str, Any]], kind: str, folder: Path) -> list[str]:
        """Import ``lines`` as the demo editor (a set-up, not the tool): their ASP numbers."""
        self._write(folder, "setup", lines, kind)
        with self.portal.editor() as session:
            response = session.post(
                self.portal.url + "/api/imports",
                data={"typeDemande": kind, "tauxTva": f"{float(lines[0]['vat_rate']):g}", "numeroAns": self.ans},
                files={
                    "fichier": ("setup.json", (folder / "setup.json").read_bytes()),
                    "pieces": ("setup.zip", (folder / "setup.zip").read_bytes()),
                },
                timeout=60,
            )
        answer = response.json()
        if response.status_code != 201 or answer.get("statut") != "OK":
            raise KitError(f"the suite's own set-up import was refused: {response.text[:500]}")
        numbers = [line.get("numeroDemande") for line in answer["lignes"]]
        if not all(numbers) or any(line["codetraitement"] != self.spec.accepted_code for line in answer["lignes"]):
            raise KitError(f"the suite's own set-up lines were not all accepted: {answer['lignes']}")
        for path in folder.glob("setup.*"):
            path.unlink()
        return [str(n) for n in numbers]

    # ------------------------------------------------------------------ SEG-C05

    def _records(self, outcome: Outcome, name: str) -> None:
        """SEG-C05: ``ingest``, given the portal's status export and the scenario's state folder,
        says of every line the tool imported what the portal holds."""
        state = self._state[name]
        export = self.portal.status_export()
        answer, receipt = state.parent / "export-statuts.json", state.parent / "recepisse-suivi.json"
        answer.write_bytes(orjson.dumps(export, option=orjson.OPT_INDENT_2))
        run = run_command(self.config, "ingest", {"answer": answer, "receipt": receipt, "state": state}, check=False)
        if run.returncode != 0:
            outcome.add("SEG-C05", f"ingest failed on the status export, with the scenario's state: {run.describe()}")
            return
        got, problems = read_receipt(receipt)
        for problem in problems:
            outcome.add("SEG-C05", f"after the scenario, ingest of the status export: {problem}")
        imported = {
            str(ref)
            for this in outcome.rounds
            for call in this.calls
            if call.route == "import" and call.answered
            for _n, ref, _code, _numero in call.lines
        }
        if got is None or not imported:
            return
        if "suivi" not in got:
            outcome.add(
                "SEG-C05",
                "the receipt of the status export has no `suivi`: given the scenario's state folder ({state}, also "
                f"SEGUR_STATE), ingest must say what the tool records of each line it imported ({len(imported)} here)",
            )
            return
        rejected, incomplete = self.spec.statuts["rejetee"], self.spec.statuts["incomplete"]
        standing = {str(r["referenceLigne"]): r for r in export["demandes"] if r["statut"] != rejected}
        records = {str(entry["referenceLigne"]): entry for entry in got["suivi"]}
        for reference in sorted(imported):
            truth, have = standing.get(reference), records.get(reference)
            if truth is None:
                want = {"etat": "rejetee"}
                said = "no request of this reference stands on the portal (etat rejetee)"
            else:
                want = {
                    "etat": "incomplete" if truth["statut"] == incomplete else "acceptee",
                    "numeroDemande": truth["numeroDemande"],
                }
                said = f"the portal holds {truth['numeroDemande']} « {truth['statut']} » (etat {want['etat']})"
            if have is None:
                outcome.add("SEG-C05", f"line {reference}: not in the tool's records (`suivi`); {said}")
                continue
            wrong = [key for key, value in want.items() if have.get(key) != value]
            if truth is not None and have.get("statut") not in (None, truth["statut"]):
                wrong.append("statut")
            if wrong:
                recorded = ", ".join(f"{key} {have.get(key)!r}" for key in ("etat", "numeroDemande", "statut"))
                outcome.add("SEG-C05", f"line {reference}: the tool records {recorded}; {said}")
        for reference, have in sorted(records.items()):
            if reference not in imported and reference not in standing and have["etat"] != "rejetee":
                outcome.add(
                    "SEG-C05",
                    f"line {reference}: the tool records it {have['etat']} ({have.get('numeroDemande')}), "
                    "but it was never imported and no request of this reference stands on the portal",
                )

    # ------------------------------------------------------------------ SEG-D01, SEG-D08

    def _scenario_simulate(self, outcome: Outcome) -> None:
        """Four valid avances: they must be simulated, imported, closed with Terminer."""
        self.portal.reset(at=self._time("avance"))
        bundles, state = self._folders("simuler-importer")
        lines = self._lines("avance", 4, 1)
        self._write(bundles, "avances", lines, "avance")
        journal, _wire = self._round(
            outcome, bundles, state, "the 4 avances simulated, then imported as simulated, then « Terminer »"
        )
        done = [c for c in map(Call.of, journal) if c is not None and c.route == "import" and c.answered]
        if not done:
            message = "the tool imported nothing: 4 valid avances were waiting in {bundles}"
            outcome.add("SEG-D01", message)
            outcome.add("SEG-D08", message)
            return
        simulated: set[str | None] = set()
        for call in map(Call.of, journal):
            if call is None or not call.answered:
                continue
            if call.route == "simulation" and call.verdict == "OK":
                simulated.add(call.sha256)
            elif call.route == "import" and call.sha256 not in simulated:
                outcome.add(
                    "SEG-D01",
                    f"the {call.name} (file sha256 {str(call.sha256)[:12]}…) was not simulated first "
                    "(no simulation of that very file was accepted before it)",
                )
        stored = self._stored()
        missing = [line["line_reference"] for line in lines if line["line_reference"] not in stored]
        if missing:
            outcome.add("SEG-D01", f"valid lines never imported: {', '.join(missing)}")
        closed = {e["chemin"] for e in journal if e["methode"] == "POST" and e["statut"] == 200}
        for call in done:
            if call.verdict == "OK" and f"/api/imports/{call.depot}/terminer" not in closed:
                outcome.add("SEG-D08", f"the {call.name} is « OK » but was never closed with « Terminer »")

    # ------------------------------------------------------------------ SEG-D02

    def _scenario_accepted(self, outcome: Outcome) -> None:
        """Three avances accepted; then two more beside them; then nothing new; then the five
        accepted orders again under new line references (the same requests: nothing to send)."""
        self.portal.reset(at=self._time("avance"))
        bundles, state = self._folders("deja-acceptees")
        lines = self._lines("avance", 5, 2)
        first, new = [line["line_reference"] for line in lines[:3]], [line["line_reference"] for line in lines[3:]]
        self._write(bundles, "avances", lines[:3], "avance")
        journal, _ = self._round(outcome, bundles, state, "the 3 avances deposited and accepted")
        accepted = {ref for ref, codes in _sent(journal).items() if self.spec.accepted_code in codes}
        if accepted != set(first):
            outcome.add(
                "SEG-D02", f"round 1: the 3 valid avances should be accepted, the portal accepted {sorted(accepted)}"
            )
            return
        self._write(bundles, "avances", lines, "avance")
        journal, _ = self._round(
            outcome,
            bundles,
            state,
            f"only the 2 new lines ({', '.join(new)}) simulated and imported; the 3 accepted ones neither",
        )
        sent = _sent(journal, simulations=True)
        again = sorted(set(sent) & accepted)
        if again:
            outcome.add(
                "SEG-D02",
                "round 2 (2 new lines beside 3 accepted): accepted lines sent again: "
                + ", ".join(f"{ref} ({', '.join(sent[ref])})" for ref in again),
            )
        imported = _sent(journal)
        not_sent = [ref for ref in new if self.spec.accepted_code not in imported.get(ref, [])]
        if not_sent:
            outcome.add("SEG-D02", f"round 2: the new lines were not deposited: {', '.join(not_sent)}")
        journal, _ = self._round(outcome, bundles, state, "nothing sent: every line is accepted")
        sent = _sent(journal, simulations=True)
        if sent:
            outcome.add(
                "SEG-D02",
                "round 3 (nothing new): lines sent again: "
                + ", ".join(f"{ref} ({', '.join(codes)})" for ref, codes in sorted(sent.items())),
            )
        renamed = [dict(line) for line in lines]
        others = self._lines("avance", len(lines), 12)
        for line, other in zip(renamed, others, strict=True):
            line["line_reference"] = other["line_reference"]
        self._write(bundles, "avances", renamed, "avance")
        journal, _ = self._round(
            outcome,
            bundles,
            state,
            "nothing sent: the same 5 orders (request type and order form), already accepted, under new line "
            "references",
        )
        sent = _sent(journal, simulations=True)
        if sent:
            was = {line["line_reference"]: old for line, old in zip(renamed, lines, strict=True)}
            outcome.add(
                "SEG-D02",
                "round 4 (the accepted orders under new line references): accepted requests sent again: "
                + ", ".join(
                    f"{ref} ({', '.join(codes)}) is order {was[ref]['bdc_number']}, accepted as {was[ref]['line_reference']}"
                    for ref, codes in sorted(sent.items())
                    if ref in was
                ),
            )

    # ------------------------------------------------------------------ SEG-D03

    def _scenario_rejected(self, outcome: Outcome) -> None:
        """Line 3 of 4 has TTC ≠ HT × (1 + VAT) (rule amount-ttc): rejected; left as is; then corrected."""
        self.portal.reset(at=self._time("avance"))
        bundles, state = self._folders("rejetee-corrigee")
        drawn = self._drawn("avance", 4, 3)
        lines = drawn.requests
        scenario = Scenario.from_drawn(drawn, self.spec)  # a deep copy: ``lines`` stay valid
        mutate(scenario, "amount-ttc", [2], self.spec)
        broken = scenario.requests
        code = self.spec.code_of("amount-ttc")
        reference = lines[2]["line_reference"]
        self._write(bundles, "avances", broken, "avance")
        self._round(
            outcome, bundles, state, f"the 4 lines deposited; {reference} rejected ({code}), the others accepted"
        )
        stored = self._stored()
        others = [line["line_reference"] for i, line in enumerate(lines) if i != 2]
        if any(ref not in stored for ref in others):
            outcome.add("SEG-D03", f"round 1: the 3 valid lines should be accepted; stored: {sorted(stored)}")
            return
        if reference in stored and stored[reference]["statut"] != self.spec.statuts["rejetee"]:
            raise KitError(f"the mock stored the broken line {reference} as {stored[reference]['statut']}")
        journal, _ = self._round(
            outcome, bundles, state, f"nothing sent: {reference} is still as it was rejected, the others accepted"
        )
        sent = _sent(journal, simulations=True)
        if reference in sent:
            outcome.add(
                "SEG-D03",
                f"round 2: line {reference}, rejected ({code}) and not corrected, was sent again "
                f"({', '.join(sent[reference])})",
            )
        self._write(bundles, "avances", lines, "avance")
        journal, _ = self._round(outcome, bundles, state, f"{reference}, now corrected, deposited again and accepted")
        codes = _sent(journal).get(reference, [])
        if self.spec.accepted_code not in codes:
            outcome.add(
                "SEG-D03",
                f"round 3: line {reference}, now corrected, was not deposited again and accepted (codes got: {codes})",
            )

    # ------------------------------------------------------------------ SEG-D04

    def _scenario_pieces(self, outcome: Outcome) -> None:
        """Line 2 of 3 deposited without its order form: incomplete; then the zip is complete."""
        self.portal.reset(at=self._time("avance"))
        bundles, state = self._folders("pieces-manquantes")
        lines = self._lines("avance", 3, 4)
        reference = lines[1]["line_reference"]
        missing = [name for _role, name in lines[1].get("pieces") or []]
        self._write(bundles, "avances", lines, "avance", leave_out=missing)
        incomplete = self.spec.statuts["incomplete"]
        self._round(
            outcome,
            bundles,
            state,
            f"the 3 lines deposited; {reference}, its pieces missing from the zip, stored « {incomplete} »",
        )
        stored = self._stored()
        if reference not in stored or stored[reference]["statut"] != incomplete:
            outcome.add(
                "SEG-D04",
                f"round 1: line {reference}, whose pieces were missing from the zip, should be stored « {incomplete} »; "
                f"it is {stored.get(reference, {}).get('statut', 'not stored')}",
            )
            return
        numero = stored[reference]["numeroDemande"]
        self._write(bundles, "avances", lines, "avance")
        journal, _ = self._round(
            outcome, bundles, state, f"the missing pieces of {numero} ({', '.join(missing)}) sent; no line deposited"
        )
        sent_pieces = [
            e
            for e in journal
            if e["methode"] == "POST" and e["chemin"] == f"/api/requests/{numero}/pieces" and e["statut"] == 200
        ]
        if not sent_pieces:
            outcome.add("SEG-D04", f"round 2: the missing pieces of {numero} ({', '.join(missing)}) were never sent")
        sent = _sent(journal, simulations=True)
        if reference in sent:
            outcome.add(
                "SEG-D04",
                f"round 2: line {reference} was deposited again ({', '.join(sent[reference])}) instead of completed",
            )
        after = self._stored().get(reference, {}).get("statut")
        if after != self.spec.statuts["enAttente"] and sent_pieces:
            outcome.add("SEG-D04", f"round 2: {numero} is still « {after} » after the pieces were sent")

    # ------------------------------------------------------------------ SEG-D05

    def _scenario_solde(self, outcome: Outcome) -> None:
        """Three avances, two « Décidée et payée », one only « Décidée »: the soldes of the first two
        are due, the third only once its avance is paid."""
        self.portal.reset(at=self._time("avance", late=True))
        bundles, state = self._folders("solde")
        soldes = self._lines("solde", 3, 5)
        avances = []
        roles = self.spec.pieces
        for solde in soldes:
            avance = {
                name: value
                for name, value in solde.items()
                if name not in ("avance_number", "va_date", "invoice_number", "invoice_date", "invoice_amount")
                and not name.startswith("mss_")
            }
            avance["request_type"] = self.spec.deposit_types["avance"]
            avance["line_reference"] = "AV-" + solde["line_reference"]
            avance["pieces"] = [
                (role, f"{roles.roles[role]}-{avance['bdc_number']}.pdf") for role in roles.required.get("avance", ())
            ]
            avances.append(avance)
        numbers = self._editor_import(avances, "avance", bundles)
        for numero in numbers[:2]:
            self.portal.transition(numero, "enCours", "validee", "decidee", "payee")
        self.portal.transition(numbers[2], "enCours", "validee", "decidee")
        for solde, numero in zip(soldes, numbers, strict=True):
            solde["avance_number"] = numero
        self.portal.set_clock(self._time("solde"))
        self._write(bundles, "soldes", soldes, "solde")
        paid = self.spec.statuts["payee"]
        early = soldes[2]["line_reference"]
        journal, _ = self._round(
            outcome,
            bundles,
            state,
            f"the 2 soldes whose avance is « {paid} » deposited; {early} not (its avance {numbers[2]} is not paid)",
        )
        sent = _sent(journal, simulations=True)
        if early in sent:
            outcome.add(
                "SEG-D05",
                f"round 1: the solde {early} was deposited ({', '.join(sent[early])}) while its avance {numbers[2]} "
                f"was only « {self.spec.statuts['decidee']} »",
            )
        imported = _sent(journal)
        due = [
            s["line_reference"]
            for s in soldes[:2]
            if self.spec.accepted_code not in imported.get(s["line_reference"], [])
        ]
        if due:
            outcome.add("SEG-D05", f"round 1: soldes whose avance is « {paid} » were not deposited: {', '.join(due)}")
        self.portal.transition(numbers[2], "payee")
        journal, _ = self._round(outcome, bundles, state, f"the solde {early} deposited, its avance now « {paid} »")
        if self.spec.accepted_code not in _sent(journal).get(early, []):
            outcome.add("SEG-D05", f"round 2: the solde {early} was not deposited once its avance was paid")

    # ------------------------------------------------------------------ SEG-D06

    def _scenario_retry(self, outcome: Outcome) -> None:
        """Four imports, each meeting a fault: a 503, a connection dropped before the portal reads
        the file, a connection dropped once the import is stored (the answer is lost), and an
        answer held longer than a short client time-out. The tool tries again after a pause when
        nothing was stored, and finds out whether its import landed (its imports, its requests)
        before trying again when it may have been: every line stored once."""
        self.portal.reset(at=self._time("avance"))
        bundles, state = self._folders("portail-indisponible")
        lines = self._lines("avance", 8, 6)
        rounds = (
            ("503", "unavailable", lines[:2], True),
            ("connexion coupée", "drop", lines[:4], True),
            ("import enregistré, réponse perdue", "stored-then-drop", lines[:6], False),
            (f"réponse après {LATE_ANSWER_SECONDS:g} s", "stored-then-late", lines, False),
        )
        for label, kind, part, must_retry in rounds:
            self.portal.admin("DELETE", "/admin/faults")
            latency = int(LATE_ANSWER_SECONDS * 1000) if kind == "stored-then-late" else None
            self.portal.fault("/api/imports", kind, method="POST", times=1, latency_ms=latency)
            self._write(bundles, "avances", part, "avance")
            new = [line["line_reference"] for line in part[-2:]]
            expected = (
                f"the import of {', '.join(new)} answered {label}: tried again after a pause, each line stored once"
                if must_retry
                else f"the import of {', '.join(new)} stored but {label}: the tool finds it landed "
                "(GET /api/imports, GET /api/requests) instead of importing again; each line stored once"
            )
            journal, wire = self._round(outcome, bundles, state, expected)
            imports = [w for w in wire if w.method == "POST" and w.path == "/api/imports"]
            if not imports:
                raise KitError(f"the {label} fault on /api/imports never fired: the tool made no import")
            if must_retry:
                refused = [w for w in imports if w.status == 503]
                if not refused:
                    raise KitError(f"the {label} fault on /api/imports never fired")
                later = [w for w in imports if w.at > refused[0].at and w.status != 503]
                if not later:
                    outcome.add("SEG-D06", f"{label}: the import was not tried again")
                    continue
                wait = later[0].at - refused[0].at
                if wait < MIN_BACKOFF:
                    outcome.add(
                        "SEG-D06", f"{label}: tried again after {wait:.3f} s, without a back-off (≥ {MIN_BACKOFF} s)"
                    )
            if len(imports) > MAX_ATTEMPTS:
                outcome.add("SEG-D06", f"{label}: {len(imports)} import attempts, more than {MAX_ATTEMPTS}")
            sent = _sent(journal)
            twice = sorted(ref for ref, codes in sent.items() if len(codes) > 1)
            if twice:
                outcome.add(
                    "SEG-D06",
                    f"{label}: lines imported twice: " + ", ".join(f"{ref} ({', '.join(sent[ref])})" for ref in twice),
                )
            stored = self._stored()
            lost = sorted(line["line_reference"] for line in part if line["line_reference"] not in stored)
            if lost:
                outcome.add("SEG-D06", f"{label}: lines never stored: {', '.join(lost)}")

    # ------------------------------------------------------------------ SEG-D07

    def _scenario_window(self, outcome: Outcome) -> None:
        """Two valid avances once the avance window has closed: nothing may be imported."""
        closing = self._time("avance", closing=True)
        self.portal.reset(at=closing)
        bundles, state = self._folders("fenetre-fermee")
        self._write(bundles, "avances", self._lines("avance", 2, 7), "avance")
        journal, _ = self._round(outcome, bundles, state, f"no import: the avance window closed at {closing}")
        tried = _imports(journal)
        if tried:
            outcome.add(
                "SEG-D07",
                f"{len(tried)} import(s) tried at {closing}, the minute the avance window closed",
            )
