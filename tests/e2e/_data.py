"""What the browser tests deposit: bundles made by ``segur generate`` (as a trainer makes them), and
the portal filled through its own API when a test only needs something to look at. Everything is
read through the spec in force (profiles, ANS numbers, VAT rates, statuses)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import requests

from tests._support.logical import example_ans, example_requests, first_profile, other_profile
from tests._support.paths import EXAMPLES, SPEC
from tests.e2e._live import HTTP_TIMEOUT_S, Live

DEMO = ("demo", "demo-segur-2024")
GENERATE_TIMEOUT_S = 120


@dataclass(frozen=True)
class Bundle:
    """A bundle written by ``segur generate``: its files and the deposit choices its manifest gives."""

    data: Path
    zip: Path
    type_demande: str
    vat: str
    ans: str
    manifest: dict[str, Any]


def generate(folder: Path, *, seed: int, count: int, breaks: tuple[str, ...] = (), lines: str | None = None) -> Bundle:
    """``segur generate`` for the first avance profile's programme, as a user runs it."""
    profile = SPEC.profiles[first_profile("avance")]
    command = [sys.executable, "-m", "segur", "generate", "--profile", profile.program, "--type", "avance"]
    command += ["--count", str(count), "--seed", str(seed), "--out", str(folder)]
    for code in breaks:
        command += ["--break", code]
    if lines:
        command += ["--lines", lines]
    done = subprocess.run(command, capture_output=True, text=True, timeout=GENERATE_TIMEOUT_S, check=False)
    assert done.returncode == 0, f"Expected: segur generate to write a bundle. Received: {done.stderr[-2000:]}"
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    names = [entry["nom"] for entry in manifest["fichiers"]]
    data = next(folder / n for n in names if n.endswith(".json") and ".history" not in n)
    archive = next(folder / n for n in names if n.endswith(".zip"))
    chosen = manifest["depot"]
    return Bundle(
        data=data,
        zip=archive,
        type_demande=chosen["type"],
        vat=f"{float(chosen['tauxTva']):g}",
        ans=chosen["numeroAns"],
        manifest=manifest,
    )


class Api:
    """The demo editor's and the gestionnaire's API calls (to fill the portal a test looks at)."""

    def __init__(self, live: Live) -> None:
        self.live = live
        answer = requests.post(
            f"{live.url}/api/login", json={"login": DEMO[0], "password": DEMO[1]}, timeout=HTTP_TIMEOUT_S
        )
        assert answer.status_code == 200, answer.text
        self.headers = {"Authorization": f"Bearer {answer.json()['token']}"}

    def import_example(self, profile: str | None = None, *, with_zip: bool = True) -> list[str]:
        """Import a spec example (with its zip or not); the ASP numbers of its stored lines."""
        profile = profile or first_profile()
        files: dict[str, Any] = {"fichier": (f"{profile}.json", (EXAMPLES / f"{profile}.json").read_bytes())}
        if with_zip:
            files["pieces"] = (f"{profile}.zip", (EXAMPLES / f"{profile}.zip").read_bytes())
        form = {"typeDemande": SPEC.profiles[profile].deposit_type, "tauxTva": example_vat(profile)}
        form["numeroAns"] = example_ans(profile)
        answer = requests.post(
            f"{self.live.url}/api/imports", files=files, data=form, headers=self.headers, timeout=HTTP_TIMEOUT_S
        )
        assert answer.status_code == 201, answer.text
        return [line["numeroDemande"] for line in answer.json()["lignes"] if line.get("numeroDemande")]

    def import_bundle(self, bundle: Bundle, *, with_zip: bool = True) -> list[str]:
        """Import a generated bundle with its manifest's choices (its zip or not); the numbers stored."""
        files: dict[str, Any] = {"fichier": (bundle.data.name, bundle.data.read_bytes())}
        if with_zip:
            files["pieces"] = (bundle.zip.name, bundle.zip.read_bytes())
        form = {"typeDemande": bundle.type_demande, "tauxTva": bundle.vat, "numeroAns": bundle.ans}
        answer = requests.post(
            f"{self.live.url}/api/imports", files=files, data=form, headers=self.headers, timeout=HTTP_TIMEOUT_S
        )
        assert answer.status_code == 201, answer.text
        return [line["numeroDemande"] for line in answer.json()["lignes"] if line.get("numeroDemande")]

    def move(self, numero: str, *targets: str, motif: str = "écart entre le JSON et le bon de commande") -> None:
        """The gestionnaire's moves, a motif given where the move needs one (workflow.json)."""
        needing = {t["to"] for t in SPEC.workflow["request"]["transitions"] if t.get("reason")}
        for target in targets:
            body = {"vers": target, **({"motif": motif} if target in needing else {})}
            self.live.admin("POST", f"/admin/requests/{numero}/transition", body)

    def enrol(self, form: dict[str, Any]) -> int:
        answer = requests.post(f"{self.live.url}/api/enrolments", json=form, timeout=HTTP_TIMEOUT_S)
        assert answer.status_code == 201, answer.text
        found: int = answer.json()["id"]
        return found


def example_vat(profile: str | None = None) -> str:
    """The VAT rate (percent, as the deposit form offers it) of an example's first request."""
    return f"{float(example_requests(profile)[0]['vat_rate']):g}"


def other_avance() -> str:
    """A second avance profile (another software type), whose example the demo account deposits too."""
    return other_profile("avance")
