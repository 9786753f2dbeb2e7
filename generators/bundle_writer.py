"""Write a generated deposit to a folder, with the portal's expected answer.

:func:`write_bundle` writes, for a :class:`~segur.generators.strategies.Drawn` of profile ``P`` and
seed ``S``:

- ``P-S.json``: the deposit file (UTF-8 JSON without BOM, by orjson, indented: stable bytes);
- ``P-S.zip``: one PDF per piece the requests reference (:mod:`segur.generators.documents`),
  made and written member by member (one PDF in memory at a time);
- ``historique.json``: the stored requests the file needs (the avances soldes close), when any;
- ``manifest.json``: seed, spec id and version, kit version, profile, count, the files with
  their SHA-256, the deposit parameters, the expected answer (the controls run in import mode
  on the files as written), the warnings of the checks by hand on its pieces
  (``avertissementsAttendus``) and the ``segur check`` command that replays it.

The same drawn bundle, spec and ``pdf_size`` give the same bytes in every file.

Extension point (broken bundles): every input is a parameter. A mutator that returns another
``Drawn`` (a changed bundle or history) passes it as ``drawn``; one that damages the file's
bytes (BOM, other encoding, truncation) passes them as ``data``; one that alters the zip
(a missing, oversized or unreadable PDF, an unsafe name) passes ``members``, a function of
the default member stream returning the stream to write. The expected answer is always
computed from the files as written, so it stays true whatever was broken.
"""

from __future__ import annotations

import hashlib
import shlex
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from segur.mock_portal.controls import IMPORT, Deposit, Spec, check_deposit, history_from_json
from segur.mock_portal.controls.attachments import attachment_report
from segur.mock_portal.controls.hand_checks import deposit_warnings, hand_roles
from segur.mock_portal.controls.spec import shipped_spec_dir

from segur import __version__

from .archive import write_zip
from .documents import bundle_pieces, piece_refs
from .strategies import Drawn

__all__ = [
    "HISTORY_NAME",
    "MANIFEST_NAME",
    "Manifest",
    "Members",
    "file_names",
    "piece_count",
    "record",
    "replay_command",
    "write_bundle",
]

HISTORY_NAME = "historique.json"
MANIFEST_NAME = "manifest.json"

#: a zip member stream: (file name, content) pairs
Members = Iterable[tuple[str, bytes]]


@dataclass(frozen=True)
class Manifest:
    """What :func:`write_bundle` wrote and what the portal will answer (``answer``: the JSON
    of :meth:`segur.mock_portal.controls.Answer.to_json`)."""

    out_dir: Path
    seed: int
    profile: str
    count: int
    deposit: dict[str, Any]
    files: dict[str, str]  # name → sha256
    answer: dict[str, Any]
    command: str
    document: dict[str, Any] = field(repr=False)

    @property
    def all_accepted(self) -> bool:
        return bool(self.document["toutesAcceptees"])

    def path(self, name: str) -> Path:
        return self.out_dir / name


def file_names(drawn: Drawn) -> tuple[str, str]:
    """The names of the deposit file and of its zip: ``<profile>-<seed>.json`` / ``.zip``."""
    stem = f"{drawn.profile}-{drawn.seed}"
    return f"{stem}.json", f"{stem}.zip"


def piece_count(drawn: Drawn, spec: Spec) -> int:
    """How many PDFs the zip of ``drawn`` holds (e.g. the length of a progress bar)."""
    return len(piece_refs(drawn.requests, spec))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _counted(members: Members, progress: Callable[[int], None] | None) -> Iterator[tuple[str, bytes]]:
    for member in members:
        yield member
        if progress is not None:
            progress(1)


def write_bundle(
    drawn: Drawn,
    out_dir: str | Path,
    *,
    spec: Spec,
    pdf_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    data: bytes | None = None,
    members: Callable[[Members], Members] | None = None,
) -> Manifest:
    """Write ``drawn``'s deposit file, zip, history and manifest into ``out_dir`` (created).

    ``pdf_size`` makes every PDF exactly that many bytes. ``progress`` is called with 1 after
    each zip member is written (``click.progressbar``'s ``update`` fits). ``data`` replaces the
    deposit file's bytes and ``members`` filters the zip's member stream: the extension point
    of broken bundles (see the module's docstring).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bundle_name, zip_name = file_names(drawn)
    bundle_path, zip_path = out / bundle_name, out / zip_name

    payload = data if data is not None else orjson.dumps(drawn.document, option=orjson.OPT_INDENT_2)
    bundle_path.write_bytes(payload)

    stream: Members = bundle_pieces(drawn.requests, spec, seed=drawn.seed, size=pdf_size)
    if members is not None:
        stream = members(stream)
    # padded PDFs are random bytes that do not compress: store them rather than deflate for nothing
    compression = zipfile.ZIP_STORED if pdf_size is not None else zipfile.ZIP_DEFLATED
    partial = zip_path.with_name(zip_path.name + ".part")
    write_zip(partial, _counted(stream, progress), compression=compression)
    partial.replace(zip_path)

    deposit = Deposit(drawn.deposit_type, drawn.taux_tva, numero_ans=drawn.numero_ans)
    return record(
        out,
        seed=drawn.seed,
        profile=drawn.profile,
        count=len(drawn.requests),
        spec=spec,
        bundle_name=bundle_name,
        data=payload,
        deposit=deposit,
        history_doc=drawn.history_document(),
        zip_path=zip_path,
        mode=IMPORT,
        extra={"taillePdf": pdf_size},
    )


def replay_command(
    bundle_name: str,
    deposit: Deposit,
    at: str,
    mode: str,
    spec: Spec,
    *,
    zip_name: str | None,
    history_name: str | None,
) -> str:
    """The ``segur check`` command (run in the folder of the files) that gives the same answer;
    it names the spec folder (``--spec``) unless it is the one shipped with the kit, so that it
    replays without ``$SEGUR_SPEC``."""
    command = [
        "segur",
        "check",
        bundle_name,
        "--type",
        deposit.type_demande,
        "--vat",
        f"{deposit.taux_tva:g}",
        "--at",
        at,
        "--mode",
        "import" if mode == IMPORT else "simulate",
    ]
    if deposit.corrected_at is not None:
        command += ["--corrected-at", deposit.corrected_at.astimezone(spec.timezone).isoformat()]
    if zip_name is not None:
        command += ["--attachments", zip_name]
    if deposit.numero_ans:
        command += ["--ans", deposit.numero_ans]
    if history_name is not None:
        command += ["--history", history_name]
    for enrolment in deposit.enrolments or ():
        command += ["--enrolment", f"{enrolment.numero_ans}={enrolment.couloir}/{enrolment.type_logiciel}"]
    if spec.root.resolve() != shipped_spec_dir().resolve():
        command += ["--spec", str(spec.root.resolve())]
    return shlex.join(command)


def record(
    out: Path,
    *,
    seed: int,
    profile: str,
    count: int,
    spec: Spec,
    bundle_name: str,
    data: bytes,
    deposit: Deposit,
    history_doc: dict[str, Any],
    zip_path: Path | None,
    mode: str,
    extra: dict[str, Any] | None = None,
) -> Manifest:
    """Beside a written deposit file (and zip): the history it needs, the expected answer of the
    controls on the files as written, and ``manifest.json`` with the command replaying it."""
    written = [bundle_name] + ([zip_path.name] if zip_path is not None else [])
    history_path = out / HISTORY_NAME
    if history_from_json(history_doc).requests:
        history_path.write_bytes(orjson.dumps(history_doc, option=orjson.OPT_INDENT_2))
        written.append(HISTORY_NAME)
    elif history_path.exists():
        history_path.unlink()  # a stale one from an earlier run would change the replay
    report = None
    if zip_path is not None and spec.hand_checks:  # one pass over the zip: the controls, the pieces' text
        report = attachment_report(data, zip_path, spec, read_roles=hand_roles(spec))
    answer = check_deposit(
        data,
        deposit,
        spec=spec,
        history=history_from_json(history_doc),
        attachments=report if report is not None else zip_path,
        mode=mode,
    )
    answer_json = answer.to_json()
    warnings = deposit_warnings(data, report.texts, spec) if report is not None else []
    at = answer.at.astimezone(spec.timezone).isoformat()
    command_text = replay_command(
        bundle_name,
        deposit,
        at,
        mode,
        spec,
        zip_name=zip_path.name if zip_path is not None else None,
        history_name=HISTORY_NAME if HISTORY_NAME in written else None,
    )
    files = {name: _sha256(out / name) for name in written}
    parameters = {
        "type": deposit.type_demande,
        "tauxTva": deposit.taux_tva,
        "numeroAns": answer.numero_ans,
        "dateDepot": at,
        "mode": mode,
    }
    document: dict[str, Any] = {
        "graine": seed,
        "specification": {"id": spec.id, "version": spec.version},
        "versionKit": __version__,
        "profil": profile,
        "nombreDemandes": count,
        **(extra or {}),
        "fichiers": [{"nom": name, "sha256": digest} for name, digest in files.items()],
        "depot": parameters,
        "commande": command_text,
        "toutesAcceptees": answer.all_accepted,
        "reponseAttendue": answer_json,
        "avertissementsAttendus": [warning.to_json() for warning in warnings],
    }
    (out / MANIFEST_NAME).write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return Manifest(
        out_dir=out,
        seed=seed,
        profile=profile,
        count=document["nombreDemandes"],
        deposit=parameters,
        files=files,
        answer=answer_json,
        command=command_text,
        document=document,
    )
