#!/usr/bin/env python3
"""A reference editor tool for the Ségur numérique portal: small, and conformant.

It is what an editor's software does around the portal, in three commands that the
conformance kit drives (see ``segur.toml`` beside this file):

- ``produce --out DIR``: export the pending funding requests (here the JSON files in ``data/``,
  standing for the editor's database) as deposits: ``X.json``, the zip of their pieces (one PDF
  per piece, drawn with fpdf2), the deposit screen's choices ``X.deposit.json`` and, for
  soldes, the stored avances they close ``X.history.json``;
- ``ingest --answer FILE --receipt FILE [--state DIR]``: read a portal answer (or a status
  export) and write what the tool now records, in the kit's receipt format; with a status export
  and the state folder ``deposit`` keeps, bring its records up to date and list them (``suivi``);
- ``deposit --portal URL --login L --password P --bundles DIR --state DIR``: deposit every
  bundle of DIR on the portal, as a careful editor would: with the bundle's own deposit choices
  (``X.deposit.json``), send the missing pieces of incomplete requests, never send an accepted
  request again (same line reference, or same request type and order form), send a rejected line
  again only once corrected, a solde only once its avance is « Décidée et payée », simulate the
  very file it imports, stop when the simulation rejects the file as a whole (a closed window for
  one), retry a 503 or a dropped connection after a growing pause, and, when an import may have
  been stored though its answer never came (connection lost after sending, time-out), look for
  it among its imports before trying again; record every import's answer in the state folder and
  press « Terminer ».

``--flaw NAME`` turns one of these behaviours wrong, for the kit's own tests (each flawed
variant in ``examples/flawed/`` must fail the suite on the requirement it breaks).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import requests

DATA = Path(__file__).resolve().parent / "data"
ACCEPTED = "0000"
INCOMPLETE = "En attente PJ"
REJECTED = "Rejetée"
PAID = "Décidée et payée"
#: pauses before each new attempt at a call the portal could not serve (seconds)
BACKOFF = (0.5, 1.0, 2.0, 4.0)
#: a time-out an import's answer must come within (seconds; --import-timeout)
IMPORT_TIMEOUT = 30.0
#: after a time-out, how long to look for the import among one's imports before sending it again
LANDING_CHECKS = (0.5, 1.0, 2.0)
FLAWS = (
    "forgets-attachments",
    "ignores-rejected",
    "resends-accepted",
    "resends-rejected",
    "skips-simulate",
    "early-solde",
    "no-backoff",
    "ignores-window",
    "duplicate-bdc-across-bundles",
    "same-order-new-ref",
    "blind-retry",
    "resimulates-accepted",
    "records-simulation",
    "lost-answer-unrecorded",
    "hardcoded-vat",
)


# ---------------------------------------------------------------------- produce


def _pdf(title: str, lines: list[str]) -> bytes:
    from fpdf import FPDF  # imported here: ingest and deposit start faster without it

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _piece(request: dict[str, Any], nature: str) -> bytes:
    order = request["bonCommande"]
    site = request["etablissement"]
    return _pdf(
        f"{nature} - {order['numero']}",
        [
            f"Etablissement : {site['raisonSociale']}",
            f"Logiciel : {request['logiciel']['nom']} {request['logiciel']['version']}",
            "Financement Segur numerique - couloir medico-social, vague 1",
            f"Montant Segur HT : {order['montantSegurHt']:.2f} EUR",
        ],
    )


def _bundles() -> list[tuple[str, str, dict[str, Any]]]:
    """The deposits to produce: name, request type, document."""
    return [
        (name, kind, json.loads((DATA / f"{name}.json").read_text(encoding="utf-8")))
        for name, kind in (("avances", "avance"), ("soldes", "solde"))
    ]


def produce(out: Path, flaw: str | None) -> int:
    out.mkdir(parents=True, exist_ok=True)
    bundles = _bundles()
    if flaw == "duplicate-bdc-across-bundles":  # the avances split in two bundles, one order form in both
        name, kind, document = bundles[0]
        first, second = document["demandes"][:1], document["demandes"][1:]
        second[0]["bonCommande"]["numero"] = first[0]["bonCommande"]["numero"]
        bundles[0:1] = [
            (name, kind, {**document, "demandes": first}),
            (f"{name}-2", kind, {**document, "demandes": second}),
        ]
    for name, kind, document in bundles:
        requests_ = document["demandes"]
        (out / f"{name}.json").write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        with zipfile.ZipFile(out / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as zipped:
            for index, request in enumerate(requests_):
                if flaw == "forgets-attachments" and index == len(requests_) - 1:
                    continue
                for piece in request["piecesJointes"]:
                    zipped.writestr(piece["nomFichier"], _piece(request, piece["nature"]))
        first = requests_[0]
        choices = {
            "typeDemande": kind,
            "tauxTva": first["montants"]["tauxTva"],
            "numeroAns": first["logiciel"]["numeroReferencementAns"],
        }
        (out / f"{name}.deposit.json").write_text(json.dumps(choices, indent=2), encoding="utf-8")
        history = DATA / f"{name}.history.json"
        if history.is_file():
            (out / history.name).write_bytes(history.read_bytes())
    return 0


# ---------------------------------------------------------------------- records

# The tool's records live in the state folder (etat.json): per line reference imported, what the
# portal said of it ("lignes"), and the content of each rejected line ("rejetees"), to send it
# again only once corrected.


def load_state(folder: Path | None) -> dict[str, Any]:
    path = folder / "etat.json" if folder else None
    state = json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else {}
    state.setdefault("rejetees", {})
    state.setdefault("lignes", {})
    return state


def save_state(folder: Path | None, state: dict[str, Any]) -> None:
    if folder is not None:
        (folder / "etat.json").write_text(json.dumps(state, ensure_ascii=False, indent=2), encoding="utf-8")


def record_answer(
    state: dict[str, Any], sent: list[dict[str, Any]], answer: dict[str, Any], *, overwrite: bool = False
) -> None:
    """What an import's answer says of each line sent (``overwrite``: the flaw records-simulation,
    a simulation's answer put over what the imports established)."""
    for line in answer.get("lignes", []):
        request = sent[line["numLigne"] - 1]
        code = line["codetraitement"]
        if code == ACCEPTED:
            state_ = "acceptee"
        elif line.get("statut") == INCOMPLETE:
            state_ = "incomplete"
        else:
            state_ = "rejetee"
            state["rejetees"][request["referenceLigne"]] = _digest(request)
            known = state["lignes"].get(request["referenceLigne"])
            if known and known.get("numeroDemande") and known["etat"] != "rejetee" and not overwrite:
                known["codetraitement"] = code  # a refused resend leaves the request standing
                continue
        state["lignes"][request["referenceLigne"]] = {
            "etat": state_,
            "numeroDemande": line.get("numeroDemande"),
            "codetraitement": code,
            "typeDemande": request["typeDemande"],
            "numeroBdc": request["bonCommande"]["numero"],
        }


# ---------------------------------------------------------------------- ingest


def receipt_of(answer: dict[str, Any], flaw: str | None, state: dict[str, Any] | None = None) -> dict[str, Any]:
    if "lignes" not in answer:  # a status export
        receipt: dict[str, Any] = {
            "demandes": [
                {"numeroDemande": r["numeroDemande"], "statut": r["statut"], "motif": r.get("motif")}
                for r in answer["demandes"]
            ]
        }
        if state is not None:  # the records, brought up to date from the export
            by_number = {r["numeroDemande"]: r for r in answer["demandes"]}
            for record in state["lignes"].values():
                found = by_number.get(record.get("numeroDemande"))
                if found is None:
                    continue
                record["statut"] = found["statut"]
                record["etat"] = {INCOMPLETE: "incomplete", REJECTED: "rejetee"}.get(found["statut"], "acceptee")
            receipt["suivi"] = [
                {
                    "referenceLigne": reference,
                    "etat": record["etat"],
                    "numeroDemande": record.get("numeroDemande"),
                    "statut": record.get("statut"),
                    "codetraitement": record.get("codetraitement"),
                }
                for reference, record in sorted(state["lignes"].items())
            ]
        return receipt
    lines = []
    for line in answer["lignes"]:
        if line["codetraitement"] == ACCEPTED:
            etat = "acceptee"
        elif line.get("statut") == INCOMPLETE:
            etat = "incomplete"
        else:
            etat = "acceptee" if flaw == "ignores-rejected" else "rejetee"
        entry = {
            "numLigne": line["numLigne"],
            "referenceLigne": line.get("referenceLigne"),
            "etat": etat,
            "codetraitement": line["codetraitement"],
            "libelletraitement": line["libelletraitement"],
        }
        if line.get("numeroDemande"):
            entry["numeroDemande"] = line["numeroDemande"]
        lines.append(entry)
    verdict = {k: answer[k] for k in ("statut", "codetraitement", "libelletraitement")}
    return {"fichier": verdict, "lignes": lines}


def ingest(answer_path: Path, receipt_path: Path, state_dir: Path | None, flaw: str | None) -> int:
    try:
        answer = json.loads(answer_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{answer_path}: cannot read it as JSON ({exc})") from None
    if not isinstance(answer, dict) or not ("lignes" in answer or "demandes" in answer):
        raise SystemExit(f"{answer_path}: neither a portal answer ('lignes') nor a status export ('demandes')")
    state = load_state(state_dir) if state_dir is not None and "demandes" in answer else None
    receipt = receipt_of(answer, flaw, state)
    receipt_path.write_text(json.dumps(receipt, ensure_ascii=False, indent=2), encoding="utf-8")
    if state is not None:
        save_state(state_dir, state)
    return 0


# ---------------------------------------------------------------------- deposit


class Portal:
    """The portal's API, each call tried again after a pause when the portal cannot serve it."""

    def __init__(self, url: str, flaw: str | None, import_timeout: float = IMPORT_TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.flaw = flaw
        self.import_timeout = import_timeout
        self.http = requests.Session()

    def _pauses(self) -> list[float]:
        return [0.0] * len(BACKOFF) if self.flaw == "no-backoff" else list(BACKOFF)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A call that may be sent again as it is (a read, or one whose effect is the same twice)."""
        pauses = self._pauses()
        for attempt in range(len(pauses) + 1):
            try:
                response = self.http.request(method, self.url + path, timeout=60, **kwargs)
                if response.status_code != 503:
                    return response
                problem = "503 Service Unavailable"
            except requests.ConnectionError as exc:
                problem = f"connection lost ({exc.__class__.__name__})"
            if attempt == len(pauses):
                break
            print(f"{method} {path}: {problem}; new attempt in {pauses[attempt]:g} s", file=sys.stderr)
            time.sleep(pauses[attempt])
        raise SystemExit(f"{method} {path}: the portal stayed unavailable after {len(pauses) + 1} attempts")

    def imports_of(self, digest: str) -> list[int]:
        """The ids of one's imports of the file whose SHA-256 is ``digest``."""
        found: list[int] = []
        after = None
        for _page in range(1000):
            params = {"sha256": digest, **({"apres": after} if after else {})}
            page = self.call("GET", "/api/imports", params=params).json()
            found += [d["depot"] for d in page["depots"]]
            after = page.get("suivant")
            if not after:
                break
        return found

    def import_file(self, data: bytes, form: dict[str, str], files: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """POST /api/imports, never twice for one file: when the answer is lost after the file was
        sent (connection cut, time-out), look for the import among one's imports first. Returns
        the answer and whether it was found that way (the answer was lost)."""
        digest = hashlib.sha256(data).hexdigest()
        known = set(self.imports_of(digest))
        pauses = self._pauses()
        for attempt in range(len(pauses) + 1):
            try:
                response = self.http.post(
                    self.url + "/api/imports", data=form, files=files, timeout=self.import_timeout
                )
                if response.status_code != 503:
                    return response.json(), False
                problem = "503 Service Unavailable"
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"no answer ({exc.__class__.__name__})"
                if self.flaw != "blind-retry":
                    checks = LANDING_CHECKS if isinstance(exc, requests.Timeout) else (0.0,)
                    for wait in checks:  # a timed-out import may still be running: give it time
                        time.sleep(wait)
                        landed = sorted(set(self.imports_of(digest)) - known)
                        if landed:
                            print(
                                f"POST /api/imports: {problem}, but the import landed (dépôt {landed[-1]})",
                                file=sys.stderr,
                            )
                            return self.call("GET", f"/api/imports/{landed[-1]}").json(), True
            if attempt == len(pauses):
                break
            print(f"POST /api/imports: {problem}; new attempt in {pauses[attempt]:g} s", file=sys.stderr)
            time.sleep(pauses[attempt])
        raise SystemExit(f"POST /api/imports: the portal stayed unavailable after {len(pauses) + 1} attempts")

    def login(self, login: str, password: str) -> None:
        response = self.call("POST", "/api/login", json={"login": login, "password": password})
        response.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {response.json()['token']}"

    def requests(self) -> list[dict[str, Any]]:
        """One's requests, every page of the list."""
        found: list[dict[str, Any]] = []
        after = None
        for _page in range(1000):
            page = self.call("GET", "/api/requests", params={"apres": after} if after else {}).json()
            found += page["demandes"]
            after = page.get("suivant")
            if not after:
                break
        return found


def _digest(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def _form(choices: dict[str, Any], flaw: str | None) -> dict[str, str]:
    return {
        "typeDemande": choices["typeDemande"],
        "tauxTva": "20" if flaw == "hardcoded-vat" else f"{float(choices['tauxTva']):g}",
        "numeroAns": choices["numeroAns"],
    }


def _file(requests_: list[dict[str, Any]]) -> bytes:
    return json.dumps({"versionFormat": "1.0", "demandes": requests_}, ensure_ascii=False).encode("utf-8")


def _deposit_bundle(portal: Portal, path: Path, state: dict[str, Any], flaw: str | None) -> None:
    choices = json.loads(path.with_name(path.stem + ".deposit.json").read_text(encoding="utf-8"))
    requests_ = json.loads(path.read_text(encoding="utf-8"))["demandes"]
    zip_path = path.with_suffix(".zip")
    members = {}
    if zip_path.is_file():
        with zipfile.ZipFile(zip_path) as zipped:
            members = {name: zipped.read(name) for name in zipped.namelist()}
    on_portal = portal.requests()
    standing = [r for r in on_portal if r["statut"] != REJECTED]
    by_reference = {r["referenceLigne"]: r for r in standing}
    by_order = {(r["typeDemande"], r["numeroBdc"]): r for r in standing}

    # the missing pieces of incomplete requests, from the zip as it is now
    for request in requests_:
        known = by_reference.get(request["referenceLigne"])
        if known and known["statut"] == INCOMPLETE:
            names = [p["nomFichier"] for p in request["piecesJointes"] if p["nomFichier"] in known["piecesManquantes"]]
            files = [("pieces", (name, members[name], "application/pdf")) for name in names if name in members]
            if files:
                portal.call("POST", f"/api/requests/{known['numeroDemande']}/pieces", files=files)

    todo, accepted = [], []
    for request in requests_:
        reference = request["referenceLigne"]
        known = by_reference.get(reference)
        if flaw != "same-order-new-ref" and known is None:
            known = by_order.get((request["typeDemande"], request["bonCommande"]["numero"]))
            if known is not None:
                print(
                    f"{reference}: order {known['numeroBdc']} already deposited as {known['numeroDemande']}",
                    file=sys.stderr,
                )
        if known and (flaw != "resends-accepted" or known["statut"] == INCOMPLETE):
            if known["statut"] != INCOMPLETE:
                accepted.append(request)
            continue  # deposited already: never again
        if state["rejetees"].get(reference) == _digest(request) and flaw != "resends-rejected":
            continue  # rejected as it is: waits for a correction
        if choices["typeDemande"] == "solde" and flaw != "early-solde":
            avance = portal.call("GET", f"/api/requests/{request['numeroDemandeAvance']}")
            if avance.status_code != 200 or avance.json()["statut"] != PAID:
                continue  # its avance is not « Décidée et payée » yet
        todo.append(request)

    form = _form(choices, flaw)
    if flaw in ("resimulates-accepted", "records-simulation") and accepted:
        # lets the simulation sort out what is already deposited (2042), then imports the rest
        everything = [*accepted, *todo]
        simulation = portal.call(
            "POST", "/api/simulations", data=form, files={"fichier": (path.name, _file(everything))}
        )
        answer = simulation.json()
        if flaw == "records-simulation":
            record_answer(state, everything, answer, overwrite=True)
        fresh = {line["numLigne"] for line in answer.get("lignes", []) if line["codetraitement"] != "2042"}
        todo = [request for number, request in enumerate(everything, 1) if number in fresh and request in todo]
    if not todo:
        return

    data = _file(todo)
    if flaw != "skips-simulate":
        simulation = portal.call("POST", "/api/simulations", data=form, files={"fichier": (path.name, data)}).json()
        if simulation.get("statut") != "OK" and flaw != "ignores-window":
            print(
                f"{path.name}: the simulation rejects the file: {simulation.get('codetraitement')} "
                f"{simulation.get('libelletraitement')}",
                file=sys.stderr,
            )
            return
    needed = {p["nomFichier"] for r in todo for p in r["piecesJointes"]}
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name in sorted(needed & set(members)):
            zipped.writestr(name, members[name])
    answer, recovered = portal.import_file(
        data, form, {"fichier": (path.name, data), "pieces": (zip_path.name, archive.getvalue())}
    )
    if not (recovered and flaw == "lost-answer-unrecorded"):
        record_answer(state, todo, answer)
    if answer.get("statut") == "OK" and "depot" in answer and not answer.get("termine"):
        portal.call("POST", f"/api/imports/{answer['depot']}/terminer")


def deposit(
    url: str, login: str, password: str, bundles: Path, state_dir: Path, flaw: str | None, import_timeout: float
) -> int:
    state = load_state(state_dir)
    portal = Portal(url, flaw, import_timeout)
    portal.login(login, password)
    try:
        for path in sorted(bundles.glob("*.json")):
            if not path.name.endswith((".deposit.json", ".history.json")):
                _deposit_bundle(portal, path, state, flaw)
    finally:  # what was learnt is kept, even when a later bundle fails
        save_state(state_dir, state)
    return 0


# ---------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="segur_ref_tool", description=__doc__.split("\n\n")[0])
    parser.add_argument("--flaw", choices=FLAWS, help="turn one behaviour wrong (the kit's own tests)")
    parser.add_argument("--version", action="version", version="segur_ref_tool 1.0.0")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("produce")
    p.add_argument("--out", type=Path, required=True)
    p = commands.add_parser("ingest")
    p.add_argument("--answer", type=Path, required=True)
    p.add_argument("--receipt", type=Path, required=True)
    p.add_argument("--state", type=Path, help="the records deposit keeps (a status export brings them up to date)")
    p = commands.add_parser("deposit")
    for name in ("--portal", "--login", "--password"):
        p.add_argument(name, required=True)
    p.add_argument("--bundles", type=Path, required=True)
    p.add_argument("--state", type=Path, required=True)
    p.add_argument("--import-timeout", type=float, default=IMPORT_TIMEOUT, help="seconds an import's answer may take")
    args = parser.parse_args(argv)
    if args.command == "produce":
        return produce(args.out, args.flaw)
    if args.command == "ingest":
        return ingest(args.answer, args.receipt, args.state, args.flaw)
    return deposit(args.portal, args.login, args.password, args.bundles, args.state, args.flaw, args.import_timeout)


if __name__ == "__main__":
    sys.exit(main())
