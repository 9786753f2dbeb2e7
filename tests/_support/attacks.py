"""The bad inputs of issue 15, made at test time (nothing large is stored): the corpus the
hardening tests send to the mock portal in process, and ``benchmarks/bench_attack.py`` sends to
gunicorn on 127.0.0.1.

Each :class:`BadInput` builds its request's bytes (an HTTP body, its content type, extra headers)
and says what the portal must answer: the statuses allowed, the JSON ``code`` of the error or of
the lines of a deposit's answer. They need the state :func:`tests._support.openapi_run.seed`
leaves (the demo editor's requests, an incomplete one).
"""

from __future__ import annotations

import base64
import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import orjson
from segur.generators.pdf import pdf_document, pdf_with_objects
from urllib3 import encode_multipart_formdata

from tests._support.logical import code, example_ans, first_profile, piece_names, raw_requests
from tests._support.openapi_run import seeded_numbers
from tests._support.paths import EXAMPLES, SPEC
from tests._support.portal import enrolment_form, piece

__all__ = ["BadInput", "corpus", "pdf_document"]

#: the first avance profile, whose example the corpus deposits, and its ANS number
AVANCE = first_profile("avance")
ANS = example_ans(AVANCE)
#: the seeded state's requests (:func:`tests._support.openapi_run.seed`): the first decided and
#: paid, the second « À modifier » (a PUT corrects it), the other programme's incomplete
PAID, TO_MODIFY, _, INCOMPLETE = seeded_numbers()

Body = tuple[bytes | None, str | None]


@dataclass(frozen=True)
class BadInput:
    """One hostile request and what the portal must answer to it."""

    name: str
    method: str
    path: str
    #: "none", "editor", "admin", or the raw value of the Authorization header
    auth: str
    body: Callable[[], Body] = lambda: (None, None)
    statuses: tuple[int, ...] = (400,)
    #: the answer's JSON ``code``; for a deposit's answer, the code every line gets
    code: str | None = None
    lines: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: the worst of them: what the attackers of bench_attack.py send in a loop
    worst: bool = False
    #: only a real server answers it as stated (gunicorn's own limits)
    http_only: bool = False

    def check(self, status: int, answer: Any, allow: str | None) -> list[str]:
        """What is wrong with an answer (nothing: an empty list)."""
        problems = []
        if status not in self.statuses:
            problems.append(f"status {status}, expected one of {self.statuses}")
        if not isinstance(answer, dict):
            return [*problems, "the answer is not a JSON object"]
        if self.code is not None and answer.get("code") != self.code and answer.get("codetraitement") != self.code:
            problems.append(f"code {answer.get('code') or answer.get('codetraitement')}, expected {self.code}")
        if self.lines is not None:
            found = {line.get("codetraitement") for line in answer.get("lignes", [])}
            if found != {self.lines}:
                problems.append(f"line codes {sorted(map(str, found))}, expected {self.lines} on every line")
        if status == 405 and not allow:
            problems.append("405 without Allow")
        return problems


# ------------------------------------------------------------------ bodies


def json_body(value: Any) -> Body:
    return orjson.dumps(value), "application/json"


def raw_json(text: bytes) -> Body:
    return text, "application/json"


def multipart(fields: list[tuple[str, Any]]) -> Body:
    data, content_type = encode_multipart_formdata(fields)
    return data, content_type


def deposit(data: bytes, pieces: bytes | None = None, *, kind: str = "avance") -> Body:
    fields: list[tuple[str, Any]] = [
        ("typeDemande", kind),
        ("tauxTva", "20"),
        ("numeroAns", ANS),
        ("fichier", ("depot.json", data, "application/json")),
    ]
    if pieces is not None:
        fields.append(("pieces", ("pieces.zip", pieces, "application/zip")))
    return multipart(fields)


@cache
def example() -> bytes:
    return (EXAMPLES / f"{AVANCE}.json").read_bytes()


@cache
def costly_pdf() -> bytes:
    """Just under 3 MB of a PDF whose reading asks the most work: 119 000 empty objects and a
    cross-reference table that points wrong (the issue's 3 MB "PDF" of empty objects, ending
    with %%EOF so that it passes the structural check)."""
    return pdf_with_objects(119_000)


def nested(depth: int) -> bytes:
    """The example file with a field of ``depth`` nested lists in its first request."""
    document = orjson.loads(example())
    raw_requests(document)[0]["annexe"] = "@@imbrication@@"
    return orjson.dumps(document).replace(b'"@@imbrication@@"', b"[" * depth + b"]" * depth)


@cache
def zip_of_costly_pdfs(count: int, tag: str = "") -> bytes:
    """``count`` copies of the costly PDF, deflated (28:1, under the ratio limit), named as the
    pieces of ``bundle_of(count, tag)``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in piece_names(orjson.loads(bundle_of(count, tag))):
            archive.writestr(name, costly_pdf())
    return buffer.getvalue()


@cache
def bundle_of(count: int, tag: str = "") -> bytes:
    """``count`` requests replicated from the example (their pieces named after the spec's role
    words: <word>-REP-0001.pdf…), their line references and order forms marked with ``tag``: each
    import of the corpus deposits requests of its own (none is a duplicate of another's)."""
    from segur.generators.bundle import scaled

    return orjson.dumps(scaled(orjson.loads(example()), count, SPEC, prefix=f"REP{tag}" if tag else "REP"))


def zip_of_empty_members(count: int, name: bytes = b"a") -> bytes:
    """A zip of ``count`` empty members, all named ``name``, whose central directory entries all
    point at one local header: about 47 bytes per member (a million members: 47 MB)."""
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
    entry = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0)
    directory = (entry + name) * count
    declared = min(count, 0xFFFF)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, declared, declared, len(directory), len(local), 0)
    return local + directory + end


def zip64_declaring(count: int) -> bytes:
    """Only the end records of an archive whose Zip64 record declares ``count`` members."""
    directory = 46 * count
    zip64 = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, directory, 0)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, 0, 1)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return zip64 + locator + end


def example_zip_with(name: str, content: bytes) -> bytes:
    """The example's zip plus one member (its name written as given, NUL included)."""
    buffer = io.BytesIO()
    placeholder = name.replace("\x00", "Z")
    with (
        zipfile.ZipFile(io.BytesIO((EXAMPLES / f"{AVANCE}.zip").read_bytes())) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr(placeholder, content)
    return buffer.getvalue().replace(placeholder.encode(), name.encode())


def deflated_zeros(size: int, bundle: bytes) -> bytes:
    """The pieces of ``bundle`` and a member of ``size`` zero bytes, deflated (a ratio far
    beyond the limit)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in piece_names(orjson.loads(bundle)):
            archive.writestr(member, pdf_document(member))
        archive.writestr("annexe.bin", bytes(size))
    return buffer.getvalue()


def enrolment_with(**changes: Any) -> Body:
    form = enrolment_form()
    form.update(changes)
    return json_body(form)


@cache
def enrolment_of_costly_pieces() -> Body:
    costly = base64.b64encode(costly_pdf()).decode()
    pieces = [{"nature": "RIB", "nomFichier": f"rib-{n}.pdf", "contenu": costly} for n in range(7)]
    pieces += [piece("CERTIFICAT_ANS"), piece("PIECE_IDENTITE_REPRESENTANT")]
    return enrolment_with(pieces=pieces)


def pieces_of(files: list[tuple[str, bytes]]) -> Body:
    return multipart([("pieces", (name, content, "application/pdf")) for name, content in files])


def many_parts(count: int) -> Body:
    return multipart([(f"champ{n}", "x") for n in range(count)])


# ------------------------------------------------------------------ the corpus


def corpus(run: int = 0) -> list[BadInput]:
    """Every bad input, in a fixed order; ``run`` gives the deposits of another pass requests of
    their own (a request imported once is a duplicate the next time)."""
    big = 40_000_000
    again = f"-{run}" if run else ""
    return [
        # memory: a huge field in small routes, and bodies over a route's limit
        BadInput(
            "enrolment with a 40 MB field",
            "POST",
            "/api/enrolments",
            "none",
            lambda: enrolment_with(raisonSociale="x" * big),
            (422,),
            "ENROLEMENT_INVALIDE",
            worst=True,
        ),
        BadInput(
            "enrolment of 50 MB (over its limit)",
            "POST",
            "/api/enrolments",
            "none",
            lambda: enrolment_with(raisonSociale="x" * 50_000_000),
            (413,),
            "TROP_VOLUMINEUX",
        ),
        BadInput(
            "login with a 1 MB password",
            "POST",
            "/api/login",
            "none",
            lambda: json_body({"login": "demo", "password": "x" * 1_000_000}),
            (413,),
            "TROP_VOLUMINEUX",
        ),
        BadInput(
            "login with a 40 MB field",
            "POST",
            "/api/login",
            "none",
            lambda: json_body({"login": "x" * big, "password": "x"}),
            (413,),
            "TROP_VOLUMINEUX",
            worst=True,
        ),
        BadInput(
            "complementary enrolment of 20 MB",
            "POST",
            "/api/enrolments/complementaires",
            "editor",
            lambda: json_body({"numeroAns": ANS, "pieces": [], "x": "y" * 20_000_000}),
            (413,),
            "TROP_VOLUMINEUX",
        ),
        BadInput(
            "admin body of 1 MB",
            "POST",
            "/admin/clock",
            "admin",
            lambda: json_body({"at": "x" * 1_000_000}),
            (413,),
            "TROP_VOLUMINEUX",
        ),
        BadInput(
            "JSON deposit file of 11 MB",
            "POST",
            "/api/simulations",
            "editor",
            lambda: deposit(b" " * 11_000_000 + example()),
            (413,),
            "TROP_VOLUMINEUX",
        ),
        BadInput(
            "a form of 1000 parts",
            "POST",
            "/api/simulations",
            "editor",
            lambda: many_parts(1000),
            (413,),
            "TROP_VOLUMINEUX",
        ),
        # processor: PDFs that ask the reader for the most work
        BadInput(
            "import of 40 costly PDFs (zip of 4 MB)",
            "POST",
            "/api/imports",
            "editor",
            lambda: deposit(bundle_of(40, "-C" + again), zip_of_costly_pdfs(40, "-C" + again)),
            (201,),
            lines=code("attachment-budget"),
            worst=True,
        ),
        BadInput(
            "10 costly PDFs sent for an incomplete request",
            "POST",
            f"/api/requests/{INCOMPLETE}/pieces",
            "editor",
            lambda: pieces_of([(f"p{n}.pdf", costly_pdf()) for n in range(10)]),
            (422,),
            "PIECES_NON_CONFORMES",
            worst=True,
        ),
        BadInput(
            "60 files of 3 MB sent for a request",
            "POST",
            f"/api/requests/{INCOMPLETE}/pieces",
            "editor",
            lambda: pieces_of([(f"p{n}.pdf", costly_pdf()) for n in range(60)]),
            (413,),
            "TROP_VOLUMINEUX",
        ),
        BadInput(
            "enrolment of 7 costly PDFs (public route)",
            "POST",
            "/api/enrolments",
            "none",
            enrolment_of_costly_pieces,
            (422,),
            "ENROLEMENT_INVALIDE",
            worst=True,
        ),
        BadInput(
            "a 3 MB PDF of empty objects without %%EOF",
            "POST",
            f"/api/requests/{INCOMPLETE}/pieces",
            "editor",
            lambda: pieces_of([("p.pdf", b"%PDF-1.4\n" + b"1 0 obj\nendobj\n" * 199_000)]),
            (422,),
            "PIECES_NON_CONFORMES",
        ),
        # the zip's central directory
        BadInput(
            "zip of 1 000 000 members (47 MB)",
            "POST",
            "/api/imports",
            "editor",
            lambda: deposit(bundle_of(3, "-M" + again), zip_of_empty_members(1_000_000)),
            (201,),
            lines=code("zip-bomb"),
            worst=True,
        ),
        BadInput(
            "zip whose Zip64 record declares 3 000 000 members",
            "POST",
            "/api/imports",
            "editor",
            lambda: deposit(bundle_of(3, "-Z" + again), zip64_declaring(3_000_000)),
            (201,),
            lines=code("zip-bomb"),
        ),
        BadInput(
            "zip of 100 MB of zeros deflated",
            "POST",
            "/api/imports",
            "editor",
            lambda: deposit(bundle_of(3, "-B" + again), deflated_zeros(100_000_000, bundle_of(3, "-B" + again))),
            (201,),
            lines=code("zip-bomb"),
        ),
        BadInput(
            "zip member named X.pdf NUL .exe",
            "POST",
            "/api/imports",
            "editor",
            lambda: deposit(bundle_of(3, "-N" + again), example_zip_with("X.pdf\x00.exe", pdf_document("X"))),
            (201,),
            lines=code("zip-unsafe-name"),
        ),
        BadInput(
            "zip member named ../evil.pdf",
            "POST",
            "/api/imports",
            "editor",
            lambda: deposit(bundle_of(3, "-U" + again), example_zip_with("../evil.pdf", pdf_document("X"))),
            (201,),
            lines=code("zip-unsafe-name"),
        ),
        BadInput(
            "a zip that is not one",
            "POST",
            "/api/imports",
            "editor",
            lambda: deposit(bundle_of(3, "-P" + again), b"PK" + b"\x00" * 1000),
            (201,),
            lines=code("zip-unreadable"),
        ),
        # nesting, at any depth
        BadInput(
            "a line nested 255 levels (simulate)",
            "POST",
            "/api/simulations",
            "editor",
            lambda: deposit(nested(255)),
            (200,),
            code("file-depth"),
        ),
        BadInput(
            "a line nested 255 levels (import)",
            "POST",
            "/api/imports",
            "editor",
            lambda: deposit(nested(255)),
            (201,),
            code("file-depth"),
        ),
        BadInput(
            "a line nested 5000 levels",
            "POST",
            "/api/simulations",
            "editor",
            lambda: deposit(nested(5000)),
            (200,),
            code("file-depth"),
        ),
        BadInput(
            "a file of 1 000 000 opening brackets",
            "POST",
            "/api/simulations",
            "editor",
            lambda: deposit(b"[" * 1_000_000),
            (200,),
            code("file-depth"),
            worst=True,
        ),
        BadInput(
            "a corrected request nested 300 levels",
            "PUT",
            f"/api/requests/{TO_MODIFY}",
            "editor",
            lambda: raw_json(b'{"a":' + b"[" * 300 + b"]" * 300 + b"}"),
            (400,),
            "REQUETE_INVALIDE",
        ),
        BadInput(
            "an admin body nested 30 000 levels",
            "POST",
            "/admin/scenarios",
            "admin",
            lambda: raw_json(b"[" * 30_000 + b"]" * 30_000),
            (400,),
            "REQUETE_INVALIDE",
        ),
        # what no JSON parser of the portal's may take
        BadInput(
            "a lone surrogate in a login",
            "POST",
            "/api/login",
            "none",
            lambda: raw_json(b'{"login": "\\ud800", "password": "x"}'),
            (400,),
            "REQUETE_INVALIDE",
        ),
        BadInput(
            "NaN as an amount",
            "POST",
            f"/admin/requests/{PAID}/avenants",
            "admin",
            lambda: raw_json(b'{"montant": NaN}'),
            (400,),
            "REQUETE_INVALIDE",
        ),
        BadInput(
            "an integer beyond 64 bits",
            "POST",
            "/admin/scenarios",
            "admin",
            lambda: raw_json(b'{"etapes": ["enCours"], "ligne": 1180591620717411303424}'),
            (400,),
            "REQUETE_INVALIDE",
        ),
        BadInput(
            "a body that is not JSON",
            "POST",
            "/admin/clock",
            "admin",
            lambda: raw_json(b"{'at': 1}"),
            (400,),
            "REQUETE_INVALIDE",
        ),
        BadInput(
            "an enrolment that is a JSON list",
            "POST",
            "/api/enrolments",
            "none",
            lambda: raw_json(b"[1, 2, 3]"),
            (400,),
            "REQUETE_INVALIDE",
        ),
        BadInput(
            "a deposit without its file",
            "POST",
            "/api/imports",
            "editor",
            lambda: multipart([("typeDemande", "avance"), ("tauxTva", "20")]),
            (400,),
            "REQUETE_INVALIDE",
        ),
        # authentication
        BadInput(
            "a non-ASCII admin token", "GET", "/admin/clock", "Bearer jéton€", statuses=(401,), code="NON_AUTHENTIFIE"
        ),
        BadInput(
            "a wrong admin token", "GET", "/admin/clock", "Bearer not-the-token", statuses=(403,), code="ACCES_REFUSE"
        ),
        BadInput(
            "an unknown editor token", "GET", "/api/me", "Bearer not-a-session", statuses=(401,), code="NON_AUTHENTIFIE"
        ),
        # routing and the server's own limits
        BadInput(
            "TRACE on the import route",
            "TRACE",
            "/api/imports",
            "editor",
            statuses=(405,),
            code="METHODE_NON_AUTORISEE",
        ),
        BadInput(
            "PUT on the incomplete requests' list",
            "PUT",
            "/api/requests/incompletes",
            "editor",
            statuses=(405,),
            code="METHODE_NON_AUTORISEE",
        ),
        BadInput("an unknown path", "GET", "/api/nothing-here", "editor", statuses=(404,), code="INTROUVABLE"),
        BadInput(
            "a request line of 6 000 bytes", "GET", "/api/" + "a" * 6000, "none", statuses=(404, 414), http_only=True
        ),
        BadInput(
            "a header of 9 000 bytes",
            "GET",
            "/health",
            "none",
            statuses=(431,),
            code="EN_TETES_TROP_VOLUMINEUX",
            headers={"X-Long": "b" * 9000},
            http_only=True,
        ),
    ]
