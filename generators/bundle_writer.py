"""Write a generated deposit to a folder, with the portal's expected answer.

:func:`write_bundle` writes, for a :class:`~generators.strategies.Drawn` of profile ``P`` and
seed ``S``:

- ``P-S.json``: the deposit file (UTF-8 JSON without BOM, by orjson, indented: stable bytes);
- ``P-S.zip``: one PDF per piece the requests reference (:mod:`generators.documents`),
  made and written member by member (one PDF in memory at a time);
- ``historique.json``: the stored requests the file needs (the avances soldes close), when any;
- ``manifest.json``: seed, spec id and version, kit version, profile, count, the files with
  their SHA-256, the deposit parameters, the expected answer (the controls run in import mode
  on the files as written) and the ``segur check`` command that replays it.

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

from mock_portal import __version__
from mock_portal.controls import IMPORT, Deposit, Spec, check_deposit, default_spec_dir, history_from_json

from .archive import write_zip
from .documents import bundle_pieces, piece_refs
from .strategies import Drawn

__all__ = ["HISTORY_NAME", "MANIFEST_NAME", "Manifest", "Members", "file_names", "piece_count", "write_bundle"]

HISTORY_NAME = "historique.json"
MANIFEST_NAME = "manifest.json"

#: a zip member stream: (file name, content) pairs
Members = Iterable[tuple[str, bytes]]


@dataclass(frozen=True)
class Manifest:
    """What :func:`write_bundle` wrote and what the portal will answer (``answer``: the JSON
    of :meth:`mock_portal.controls.Answer.to_json`)."""

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
    return len(piece_refs(drawn.bundle, spec))


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

    payload = data if data is not None else orjson.dumps(drawn.bundle, option=orjson.OPT_INDENT_2)
    bundle_path.write_bytes(payload)

    stream: Members = bundle_pieces(drawn.bundle, spec, seed=drawn.seed, size=pdf_size)
    if members is not None:
        stream = members(stream)
    # padded PDFs are random bytes that do not compress: store them rather than deflate for nothing
    compression = zipfile.ZIP_STORED if pdf_size is not None else zipfile.ZIP_DEFLATED
    partial = zip_path.with_name(zip_path.name + ".part")
    write_zip(partial, _counted(stream, progress), compression=compression)
    partial.replace(zip_path)

    written = [bundle_name, zip_name]
    history_path = out / HISTORY_NAME
    if drawn.history:
        history_path.write_bytes(orjson.dumps(drawn.history_document(), option=orjson.OPT_INDENT_2))
        written.append(HISTORY_NAME)
    elif history_path.exists():
        history_path.unlink()  # a stale one from an earlier run would change the replay

    deposit = Deposit(drawn.deposit_type, drawn.taux_tva, numero_ans=drawn.numero_ans)
    answer = check_deposit(
        payload,
        deposit,
        spec=spec,
        history=history_from_json(drawn.history_document()),
        attachments=zip_path,
        mode=IMPORT,
    )
    answer_json = answer.to_json()
    at = answer.at.astimezone(spec.timezone).isoformat()

    command = [
        "segur",
        "check",
        bundle_name,
        "--attachments",
        zip_name,
        "--type",
        drawn.deposit_type,
        "--vat",
        f"{drawn.taux_tva:g}",
        "--ans",
        drawn.numero_ans,
        "--at",
        at,
        "--mode",
        "import",
    ]
    if drawn.history:
        command += ["--history", HISTORY_NAME]
    if spec.root.resolve() != default_spec_dir().resolve():
        command += ["--spec", str(spec.root.resolve())]
    command_text = shlex.join(command)

    files = {name: _sha256(out / name) for name in written}
    parameters = {
        "type": drawn.deposit_type,
        "tauxTva": drawn.taux_tva,
        "numeroAns": drawn.numero_ans,
        "dateDepot": at,
        "mode": "import",
    }
    document: dict[str, Any] = {
        "graine": drawn.seed,
        "specification": {"id": spec.id, "version": spec.version},
        "versionKit": __version__,
        "profil": drawn.profile,
        "nombreDemandes": len(drawn.bundle.get("demandes", [])),
        "taillePdf": pdf_size,
        "fichiers": [{"nom": name, "sha256": digest} for name, digest in files.items()],
        "depot": parameters,
        "commande": command_text,
        "toutesAcceptees": answer.all_accepted,
        "reponseAttendue": answer_json,
    }
    (out / MANIFEST_NAME).write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return Manifest(
        out_dir=out,
        seed=drawn.seed,
        profile=drawn.profile,
        count=document["nombreDemandes"],
        deposit=parameters,
        files=files,
        answer=answer_json,
        command=command_text,
        document=document,
    )
