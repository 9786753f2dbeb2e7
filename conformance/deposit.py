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
from segur.conformance.live import LivePortal, WireEntry
from segur.conformance.runner import KitError, Run, run_command
from segur.generators.documents import bundle_pieces
from segur.generators.mutators import Scenario, mutate
from segur.generators.strategies import make_bundle, written_document
from segur.mock_portal.controls import Spec

__all__ = ["MIN_BACKOFF", "Outcome", "Scenarios"]

#: the shortest wait, in seconds, that counts as a back-off before a retry (SEG-D06)
MIN_BACKOFF = 0.25
#: more attempts than this at one import is not "bounded"
MAX_ATTEMPTS = 8

#: avances closed by a solde are deposited late in their window (an hour before it closes),
#: after every order form's date
LATE_BEFORE_CLOSING = timedelta(hours=1)


@dataclass
class Outcome:
    """What a scenario found, by requirement: the problems (empty: the requirement holds)."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)

    def add(self, requirement: str, problem: str) -> None:
        self.problems.setdefault(requirement, []).append(problem)

    def report(self, requirement: str) -> list[str]:
        found = list(self.problems.get(requirement, []))
        if found and self.runs:
            found.append("the deposit command's runs:\n" + "\n".join(run.describe() for run in self.runs))
        return found


def _imports(journal: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in journal if e["methode"] == "POST" and e["chemin"] == "/api/imports"]


def _done_imports(journal: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in _imports(journal) if e["statut"] == 201]


def _sent(journal: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """Each line reference imported, with the code it got each time."""
    sent: dict[str, list[str]] = {}
    for entry in _done_imports(journal):
        for _number, reference, code, _numero in entry["detail"].get("lignes", []):
            sent.setdefault(str(reference), []).append(code)
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
        avance, solde = spec.profile_of(self.wave, "avance"), spec.profile_of(self.wave, "solde")
        if avance is None or solde is None:
            raise KitError(f"the spec {spec.label} has no avance and solde profiles for {self.wave}")
        self.profiles = {"avance": avance, "solde": solde}
        software = avance.type_logiciel
        self.ans = portal.enrolled_ans().get(software)
        if self.ans is None:
            raise KitError(f"the mock's demo editor is enrolled for no {software} software")
        self._cache: dict[str, Outcome] = {}

    def _time(self, kind: str, *, closing: bool = False, late: bool = False) -> str:
        """A deposit time of the spec's calendar for ``kind``: its window's default, its closing
        minute, or an hour before it closes."""
        window = self.spec.windows[self.profiles[kind].name]
        moment: datetime = window.closes if closing else window.default_deposit
        if late:
            moment = window.closes - LATE_BEFORE_CLOSING
        return moment.isoformat()

    # ------------------------------------------------------------------ helpers

    def outcome(self, name: str) -> Outcome:
        """The outcome of scenario ``name`` (run once per session)."""
        if name not in self._cache:
            self._cache[name] = getattr(self, f"_scenario_{name}")()
        return self._cache[name]

    def _folders(self, name: str) -> tuple[Path, Path]:
        bundles, state = self.workdir / name / "bundles", self.workdir / name / "state"
        bundles.mkdir(parents=True)
        state.mkdir(parents=True)
        return bundles, state

    def _lines(self, kind: str, size: int, salt: int) -> list[dict[str, Any]]:
        """Valid requests (logical values) of ``kind``, of the software the demo editor is enrolled for."""
        drawn = make_bundle(
            self.seed * 100 + salt, profile=self.profiles[kind].name, size=size, spec=self.spec, numero_ans=self.ans
        )
        return drawn.requests

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

    def _round(self, outcome: Outcome, bundles: Path, state: Path) -> tuple[list[dict[str, Any]], list[WireEntry]]:
        """Run the deposit command once; the journal and wire entries it caused."""
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
        return self.portal.since(mark)

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

    # ------------------------------------------------------------------ SEG-D01, SEG-D08

    def _scenario_simulate(self) -> Outcome:
        """Four valid avances: they must be simulated, imported, closed with Terminer."""
        outcome = Outcome()
        self.portal.reset(at=self._time("avance"))
        bundles, state = self._folders("simuler-importer")
        lines = self._lines("avance", 4, 1)
        self._write(bundles, "avances", lines, "avance")
        journal, _wire = self._round(outcome, bundles, state)
        done = _done_imports(journal)
        if not done:
            message = "the tool imported nothing: 4 valid avances were waiting in {bundles}"
            outcome.add("SEG-D01", message)
            outcome.add("SEG-D08", message)
            return outcome
        simulated: set[str] = set()
        for entry in journal:
            if entry["methode"] == "POST" and entry["chemin"] == "/api/simulations" and entry["statut"] == 200:
                if entry["detail"].get("statut") == "OK":
                    simulated.add(entry["detail"]["sha256"])
            elif entry in done and entry["detail"]["sha256"] not in simulated:
                outcome.add(
                    "SEG-D01",
                    f"import #{entry['id']} (file sha256 {entry['detail']['sha256'][:12]}…) was not simulated first "
                    "(or its simulation rejected the file)",
                )
        stored = self._stored()
        missing = [line["line_reference"] for line in lines if line["line_reference"] not in stored]
        if missing:
            outcome.add("SEG-D01", f"valid lines never imported: {', '.join(missing)}")
        closed = {e["chemin"] for e in journal if e["methode"] == "POST" and e["statut"] == 200}
        for entry in done:
            if (
                entry["detail"].get("statut") == "OK"
                and f"/api/imports/{entry['detail']['depot']}/terminer" not in closed
            ):
                outcome.add(
                    "SEG-D08", f"import #{entry['detail']['depot']} is « OK » but was never closed with « Terminer »"
                )
        return outcome

    # ------------------------------------------------------------------ SEG-D02

    def _scenario_accepted(self) -> Outcome:
        """Three avances accepted; then two more beside them; then nothing new."""
        outcome = Outcome()
        self.portal.reset(at=self._time("avance"))
        bundles, state = self._folders("deja-acceptees")
        lines = self._lines("avance", 5, 2)
        first, new = [line["line_reference"] for line in lines[:3]], [line["line_reference"] for line in lines[3:]]
        self._write(bundles, "avances", lines[:3], "avance")
        journal, _ = self._round(outcome, bundles, state)
        accepted = {ref for ref, codes in _sent(journal).items() if self.spec.accepted_code in codes}
        if accepted != set(first):
            outcome.add(
                "SEG-D02", f"round 1: the 3 valid avances should be accepted, the portal accepted {sorted(accepted)}"
            )
            return outcome
        self._write(bundles, "avances", lines, "avance")
        journal, _ = self._round(outcome, bundles, state)
        sent = _sent(journal)
        again = sorted(set(sent) & accepted)
        if again:
            outcome.add(
                "SEG-D02", f"round 2 (2 new lines beside 3 accepted): accepted lines sent again: {', '.join(again)}"
            )
        not_sent = [ref for ref in new if self.spec.accepted_code not in sent.get(ref, [])]
        if not_sent:
            outcome.add("SEG-D02", f"round 2: the new lines were not deposited: {', '.join(not_sent)}")
        journal, _ = self._round(outcome, bundles, state)
        sent = _sent(journal)
        if sent:
            outcome.add("SEG-D02", f"round 3 (nothing new): lines sent again: {', '.join(sorted(sent))}")
        return outcome

    # ------------------------------------------------------------------ SEG-D03

    def _scenario_rejected(self) -> Outcome:
        """Line 3 of 4 has TTC ≠ HT × (1 + VAT) (rule amount-ttc): rejected; left as is; then corrected."""
        outcome = Outcome()
        self.portal.reset(at=self._time("avance"))
        bundles, state = self._folders("rejetee-corrigee")
        drawn = make_bundle(
            self.seed * 100 + 3, profile=self.profiles["avance"].name, size=4, spec=self.spec, numero_ans=self.ans
        )
        lines = drawn.requests
        scenario = Scenario.from_drawn(drawn, self.spec)  # a deep copy: ``lines`` stay valid
        mutate(scenario, "amount-ttc", [2], self.spec)
        broken = scenario.requests
        code = self.spec.code_of("amount-ttc")
        reference = lines[2]["line_reference"]
        self._write(bundles, "avances", broken, "avance")
        journal, _ = self._round(outcome, bundles, state)
        stored = self._stored()
        others = [line["line_reference"] for i, line in enumerate(lines) if i != 2]
        if any(ref not in stored for ref in others):
            outcome.add("SEG-D03", f"round 1: the 3 valid lines should be accepted; stored: {sorted(stored)}")
            return outcome
        if reference in stored and stored[reference]["statut"] != self.spec.statuts["rejetee"]:
            raise KitError(f"the mock stored the broken line {reference} as {stored[reference]['statut']}")
        journal, _ = self._round(outcome, bundles, state)
        if reference in _sent(journal):
            outcome.add(
                "SEG-D03",
                f"round 2: line {reference}, rejected ({code}) and not corrected, was imported again",
            )
        self._write(bundles, "avances", lines, "avance")
        journal, _ = self._round(outcome, bundles, state)
        codes = _sent(journal).get(reference, [])
        if self.spec.accepted_code not in codes:
            outcome.add(
                "SEG-D03",
                f"round 3: line {reference}, now corrected, was not deposited again and accepted (codes got: {codes})",
            )
        return outcome

    # ------------------------------------------------------------------ SEG-D04

    def _scenario_pieces(self) -> Outcome:
        """Line 2 of 3 deposited without its order form: incomplete; then the zip is complete."""
        outcome = Outcome()
        self.portal.reset(at=self._time("avance"))
        bundles, state = self._folders("pieces-manquantes")
        lines = self._lines("avance", 3, 4)
        reference = lines[1]["line_reference"]
        missing = [name for _role, name in lines[1].get("pieces") or []]
        self._write(bundles, "avances", lines, "avance", leave_out=missing)
        self._round(outcome, bundles, state)
        stored = self._stored()
        incomplete = self.spec.statuts["incomplete"]
        if reference not in stored or stored[reference]["statut"] != incomplete:
            outcome.add(
                "SEG-D04",
                f"round 1: line {reference}, whose pieces were missing from the zip, should be stored « {incomplete} »; "
                f"it is {stored.get(reference, {}).get('statut', 'not stored')}",
            )
            return outcome
        numero = stored[reference]["numeroDemande"]
        self._write(bundles, "avances", lines, "avance")
        journal, _ = self._round(outcome, bundles, state)
        sent_pieces = [
            e
            for e in journal
            if e["methode"] == "POST" and e["chemin"] == f"/api/requests/{numero}/pieces" and e["statut"] == 200
        ]
        if not sent_pieces:
            outcome.add("SEG-D04", f"round 2: the missing pieces of {numero} ({', '.join(missing)}) were never sent")
        if reference in _sent(journal):
            outcome.add("SEG-D04", f"round 2: line {reference} was deposited again instead of completed")
        after = self._stored().get(reference, {}).get("statut")
        if after != self.spec.statuts["enAttente"] and sent_pieces:
            outcome.add("SEG-D04", f"round 2: {numero} is still « {after} » after the pieces were sent")
        return outcome

    # ------------------------------------------------------------------ SEG-D05

    def _scenario_solde(self) -> Outcome:
        """Three avances, two « Décidée et payée », one only « Décidée »: the soldes of the first two
        are due, the third only once its avance is paid."""
        outcome = Outcome()
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
        journal, _ = self._round(outcome, bundles, state)
        sent = _sent(journal)
        early = soldes[2]["line_reference"]
        if early in sent:
            outcome.add(
                "SEG-D05",
                f"round 1: the solde {early} was deposited while its avance {numbers[2]} was only « Décidée »",
            )
        due = [
            s["line_reference"] for s in soldes[:2] if self.spec.accepted_code not in sent.get(s["line_reference"], [])
        ]
        if due:
            outcome.add(
                "SEG-D05", f"round 1: soldes whose avance is « Décidée et payée » were not deposited: {', '.join(due)}"
            )
        self.portal.transition(numbers[2], "payee")
        journal, _ = self._round(outcome, bundles, state)
        if self.spec.accepted_code not in _sent(journal).get(early, []):
            outcome.add("SEG-D05", f"round 2: the solde {early} was not deposited once its avance was paid")
        return outcome

    # ------------------------------------------------------------------ SEG-D06

    def _scenario_retry(self) -> Outcome:
        """A 503 on the first import, then a dropped connection on the next one."""
        outcome = Outcome()
        self.portal.reset(at=self._time("avance"))
        bundles, state = self._folders("portail-indisponible")
        lines = self._lines("avance", 4, 6)
        for label, kind, part in (("503", "unavailable", lines[:2]), ("connexion coupée", "drop", lines)):
            self.portal.admin("DELETE", "/admin/faults")
            self.portal.fault("/api/imports", kind, method="POST", times=1)
            self._write(bundles, "avances", part, "avance")
            journal, wire = self._round(outcome, bundles, state)
            imports = [w for w in wire if w.method == "POST" and w.path == "/api/imports"]
            refused = [w for w in imports if w.status == 503]
            if not refused:
                raise KitError(f"the {label} fault on /api/imports never fired: the tool made no import")
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
                outcome.add("SEG-D06", f"{label}: lines deposited twice: {', '.join(twice)}")
            stored = self._stored()
            lost = sorted(line["line_reference"] for line in part if line["line_reference"] not in stored)
            if lost:
                outcome.add("SEG-D06", f"{label}: lines never stored: {', '.join(lost)}")
        return outcome

    # ------------------------------------------------------------------ SEG-D07

    def _scenario_window(self) -> Outcome:
        """Two valid avances once the avance window has closed: nothing may be imported."""
        outcome = Outcome()
        closing = self._time("avance", closing=True)
        self.portal.reset(at=closing)
        bundles, state = self._folders("fenetre-fermee")
        self._write(bundles, "avances", self._lines("avance", 2, 7), "avance")
        journal, _ = self._round(outcome, bundles, state)
        tried = _imports(journal)
        if tried:
            outcome.add(
                "SEG-D07",
                f"{len(tried)} import(s) tried at {closing}, the minute the avance window closed",
            )
        return outcome
