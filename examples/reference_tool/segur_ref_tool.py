#!/usr/bin/env python3
"""A reference editor tool for the Ségur numérique portal: small, and conformant.

It is what an editor's software does around the portal, in three commands that the
conformance kit drives (see ``segur.toml`` beside this file):

- ``produce --out DIR``: export the pending funding requests (here the JSON files in ``data/``,
  standing for the editor's database) as deposits: ``X.json``, the zip of their pieces (one PDF
  per piece, drawn with fpdf2), the deposit screen's choices ``X.deposit.json`` and, for
  soldes, the stored avances they close ``X.history.json``;
- ``ingest --answer FILE --receipt FILE``: read a portal answer (or a status export) and write
  what the tool now records, in the kit's receipt format;
- ``deposit --portal URL --login L --password P --bundles DIR --state DIR``: deposit every
  bundle of DIR on the portal, as a careful editor would: send the missing pieces of incomplete
  requests, never send an accepted line again, send a rejected line again only once corrected,
  a solde only once its avance is « Décidée et payée », simulate the very file it imports, stop
  when the simulation rejects the file as a whole (a closed window for one), retry a 503 or a
  dropped connection after a growing pause, and press « Terminer ».

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
INCOMPLETE = "Incomplète"
REJECTED = "Rejetée"
PAID = "Décidée et payée"
#: pauses before each new attempt at a call the portal could not serve (seconds)
BACKOFF = (0.5, 1.0, 2.0, 4.0)
FLAWS = (
    "forgets-attachments",
    "ignores-rejected",
    "resends-accepted",
    "resends-rejected",
    "skips-simulate",
    "early-solde",
    "no-backoff",
    "ignores-window",
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


def produce(out: Path, flaw: str | None) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for name, kind in (("avances", "avance"), ("soldes", "solde")):
        document = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
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


# ---------------------------------------------------------------------- ingest


def receipt_of(answer: dict[str, Any], flaw: str | None) -> dict[str, Any]:
    if "lignes" not in answer:  # a status export
        return {
            "demandes": [
                {"numeroDemande": r["numeroDemande"], "statut": r["statut"], "motif": r.get("motif")}
                for r in answer["demandes"]
            ]
        }
    lines = []
    for line in answer["lignes"]:
        if line["codetraitement"] == ACCEPTED:
            state = "acceptee"
        elif line.get("statut") == INCOMPLETE:
            state = "incomplete"
        else:
            state = "acceptee" if flaw == "ignores-rejected" else "rejetee"
        entry = {
            "numLigne": line["numLigne"],
            "referenceLigne": line.get("referenceLigne"),
            "etat": state,
            "codetraitement": line["codetraitement"],
            "libelletraitement": line["libelletraitement"],
        }
        if line.get("numeroDemande"):
            entry["numeroDemande"] = line["numeroDemande"]
        lines.append(entry)
    verdict = {k: answer[k] for k in ("statut", "codetraitement", "libelletraitement")}
    return {"fichier": verdict, "lignes": lines}


def ingest(answer_path: Path, receipt_path: Path, flaw: str | None) -> int:
    try:
        answer = json.loads(answer_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{answer_path}: cannot read it as JSON ({exc})") from None
    if not isinstance(answer, dict) or not ("lignes" in answer or "demandes" in answer):
        raise SystemExit(f"{answer_path}: neither a portal answer ('lignes') nor a status export ('demandes')")
    receipt_path.write_text(json.dumps(receipt_of(answer, flaw), ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


# ---------------------------------------------------------------------- deposit


class Portal:
    """The portal's API, each call tried again after a pause when the portal cannot serve it."""

    def __init__(self, url: str, flaw: str | None) -> None:
        self.url = url.rstrip("/")
        self.flaw = flaw
        self.http = requests.Session()

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        pauses = [0.0] * len(BACKOFF) if self.flaw == "no-backoff" else list(BACKOFF)
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

    def login(self, login: str, password: str) -> None:
        response = self.call("POST", "/api/login", json={"login": login, "password": password})
        response.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {response.json()['token']}"

    def stored(self) -> dict[str, dict[str, Any]]:
        """The requests already deposited, by line reference (a rejected one may come again)."""
        found: dict[str, dict[str, Any]] = {}
        for request in self.call("GET", "/api/requests").json()["demandes"]:
            if request["referenceLigne"] not in found or found[request["referenceLigne"]]["statut"] == REJECTED:
                found[request["referenceLigne"]] = request
        return found


def _digest(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def _form(choices: dict[str, Any]) -> dict[str, str]:
    return {
        "typeDemande": choices["typeDemande"],
        "tauxTva": f"{choices['tauxTva']:g}",
        "numeroAns": choices["numeroAns"],
    }


def _deposit_bundle(portal: Portal, path: Path, state: dict[str, Any], flaw: str | None) -> None:
    choices = json.loads(path.with_name(path.stem + ".deposit.json").read_text(encoding="utf-8"))
    requests_ = json.loads(path.read_text(encoding="utf-8"))["demandes"]
    zip_path = path.with_suffix(".zip")
    members = {}
    if zip_path.is_file():
        with zipfile.ZipFile(zip_path) as zipped:
            members = {name: zipped.read(name) for name in zipped.namelist()}
    stored = portal.stored()

    # the missing pieces of incomplete requests, from the zip as it is now
    for request in requests_:
        known = stored.get(request["referenceLigne"])
        if known and known["statut"] == INCOMPLETE:
            names = [p["nomFichier"] for p in request["piecesJointes"] if p["nomFichier"] in known["piecesManquantes"]]
            files = [("pieces", (name, members[name], "application/pdf")) for name in names if name in members]
            if files:
                portal.call("POST", f"/api/requests/{known['numeroDemande']}/pieces", files=files)

    todo = []
    for request in requests_:
        reference = request["referenceLigne"]
        known = stored.get(reference)
        if known and known["statut"] != REJECTED and (flaw != "resends-accepted" or known["statut"] == INCOMPLETE):
            continue  # deposited already: never again
        if state["rejetees"].get(reference) == _digest(request) and flaw != "resends-rejected":
            continue  # rejected as it is: waits for a correction
        if choices["typeDemande"] == "solde" and flaw != "early-solde":
            avance = portal.call("GET", f"/api/requests/{request['numeroDemandeAvance']}")
            if avance.status_code != 200 or avance.json()["statut"] != PAID:
                continue  # its avance is not « Décidée et payée » yet
        todo.append(request)
    if not todo:
        return

    data = json.dumps({"versionFormat": "1.0", "demandes": todo}, ensure_ascii=False).encode("utf-8")
    form = _form(choices)
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
    response = portal.call(
        "POST",
        "/api/imports",
        data=form,
        files={"fichier": (path.name, data), "pieces": (zip_path.name, archive.getvalue())},
    )
    answer = response.json()
    for line in answer.get("lignes", []):
        request = todo[line["numLigne"] - 1]
        if line["codetraitement"] != ACCEPTED and line.get("statut") != INCOMPLETE:
            state["rejetees"][request["referenceLigne"]] = _digest(request)
    if response.status_code == 201 and answer.get("statut") == "OK":
        portal.call("POST", f"/api/imports/{answer['depot']}/terminer")


def deposit(url: str, login: str, password: str, bundles: Path, state_dir: Path, flaw: str | None) -> int:
    state_path = state_dir / "etat.json"
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() else {"rejetees": {}}
    portal = Portal(url, flaw)
    portal.login(login, password)
    for path in sorted(bundles.glob("*.json")):
        if not path.name.endswith((".deposit.json", ".history.json")):
            _deposit_bundle(portal, path, state, flaw)
    state_path.write_text(json.dumps(state, indent=2), encoding="utf-8")
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
    p = commands.add_parser("deposit")
    for name in ("--portal", "--login", "--password"):
        p.add_argument(name, required=True)
    p.add_argument("--bundles", type=Path, required=True)
    p.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "produce":
        return produce(args.out, args.flaw)
    if args.command == "ingest":
        return ingest(args.answer, args.receipt, args.flaw)
    return deposit(args.portal, args.login, args.password, args.bundles, args.state, args.flaw)


if __name__ == "__main__":
    sys.exit(main())
