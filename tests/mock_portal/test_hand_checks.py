"""The mock keeps what the pieces said at the import (and when pieces are sent), and shows the
gestionnaire what it did not find: warnings in the admin API, suggested motifs of « À modifier »
on the instruction page (SEG-H01 to H04); never a code, the answers unchanged."""

from __future__ import annotations

import io
import re
from html import unescape

import orjson
import pytest
from flask.testing import FlaskClient
from segur.generators.archive import write_zip
from segur.generators.documents import bundle_pieces

from tests._support.logical import data as written
from tests._support.logical import example_ans, example_requests, first_profile
from tests._support.pages import csrf, flashes, sign_in_gestionnaire
from tests._support.paths import SPEC
from tests._support.portal import admin_headers, login, transition

AVANCE = first_profile("avance")
ANS = example_ans(AVANCE)

pytestmark = pytest.mark.skipif(
    not SPEC.hand_checks, reason="the spec in force names no checks by hand (spec.json files.handChecks)"
)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    write_zip(buffer, members.items())
    return buffer.getvalue()


def import_with(client: FlaskClient, headers: dict[str, str], pieces: dict[str, bytes]) -> list[str]:
    form = {
        "typeDemande": "avance",
        "tauxTva": "20",
        "numeroAns": ANS,
        "fichier": (io.BytesIO(written(example_requests(AVANCE), AVANCE)), "depot.json"),
        "pieces": (io.BytesIO(zipped(pieces)), "pieces.zip"),
    }
    answer = client.post("/api/imports", data=form, headers=headers)
    assert answer.status_code == 201, answer.json
    return [line["numeroDemande"] for line in answer.json["lignes"]]


def warnings_of(client: FlaskClient, numero: str) -> list[tuple[str, str]]:
    detail = client.get(f"/admin/requests/{numero}", headers=admin_headers()).json
    return [(w["controle"], w["fichier"]) for w in detail["avertissements"]]


def test_the_gestionnaire_sees_what_the_pieces_lack(client: FlaskClient) -> None:
    headers = login(client)
    requests = example_requests(AVANCE)
    flaws = {1: frozenset({"bdc-state-mention", "bdc-signature"})}
    numbers = import_with(client, headers, dict(bundle_pieces(requests, SPEC, flaws=flaws)))
    assert len(numbers) == len(requests)  # accepted: a warning is never a code
    second = requests[1]["pieces"][0][1]
    assert warnings_of(client, numbers[0]) == []
    assert warnings_of(client, numbers[1]) == [("bdc-state-mention", second), ("bdc-signature", second)]
    # the editor's own view of its request carries no warning (the gestionnaire's work)
    assert "avertissements" not in client.get(f"/api/requests/{numbers[1]}", headers=headers).json
    transition(client, numbers[1], "enCours")
    sign_in_gestionnaire(client)
    page = client.get(f"/gestion/demandes/{numbers[1]}").get_data(as_text=True)
    listed = re.search(r'<ul id="liste-avertissements">(.*?)</ul>', page, re.S)
    assert listed and "bdc-state-mention" in listed.group(1) and "bdc-signature" in listed.group(1)
    motif = re.search(r'<input[^>]*id="motif-aModifier"[^>]*>', page)
    assert motif and 'list="motifs-suggeres"' in motif.group(0)
    suggested = [unescape(m) for m in re.findall(r'<option value="([^"]*)"></option>', page)]
    mention = SPEC.hand_checks["bdc-state-mention"]["mention"]
    assert any(mention in text for text in suggested) and len(suggested) == 2
    moved = client.post(
        f"/gestion/demandes/{numbers[1]}/transition",
        data={"_csrf": csrf(client), "vers": "aModifier", "motif": suggested[0]},
    )
    assert SPEC.status("aModifier") in flashes(client.get(moved.headers["Location"]).get_data(as_text=True))
    assert client.get(f"/admin/requests/{numbers[1]}", headers=admin_headers()).json["motif"] == suggested[0]
    # a request whose pieces carry everything: no section at all
    clean = client.get(f"/gestion/demandes/{numbers[0]}").get_data(as_text=True)
    assert "liste-avertissements" not in clean and "motifs-suggeres" not in clean


def test_pieces_sent_later_are_read_too(client: FlaskClient) -> None:
    headers = login(client)
    requests = example_requests(AVANCE)
    pieces = dict(bundle_pieces(requests, SPEC))
    first = requests[0]["pieces"][0][1]
    numbers = import_with(client, headers, {name: content for name, content in pieces.items() if name != first})
    detail = client.get(f"/api/requests/{numbers[0]}", headers=headers).json
    assert detail["statut"] == SPEC.status("incomplete") and detail["piecesManquantes"] == [first]
    assert warnings_of(client, numbers[0]) == []  # nothing read yet: the controls say what is missing
    flawed = dict(bundle_pieces(requests, SPEC, flaws={0: frozenset({"bdc-amount-shown"})}))[first]
    sent = client.post(
        f"/api/requests/{numbers[0]}/pieces", data={"pieces": (io.BytesIO(flawed), first)}, headers=headers
    )
    assert sent.status_code == 200, sent.json
    assert warnings_of(client, numbers[0]) == [("bdc-amount-shown", first)]
    stored = client.get(f"/admin/requests/{numbers[0]}", headers=admin_headers()).json["avertissements"][0]
    assert first in stored["message"]


def test_the_import_answer_is_the_controls_whatever_the_pieces_say(client: FlaskClient) -> None:
    headers = login(client)
    requests = example_requests(AVANCE)
    flaws = {i: frozenset(SPEC.hand_checks) for i in range(len(requests))}
    form = {
        "typeDemande": "avance",
        "tauxTva": "20",
        "numeroAns": ANS,
        "fichier": (io.BytesIO(written(requests, AVANCE)), "depot.json"),
        "pieces": (io.BytesIO(zipped(dict(bundle_pieces(requests, SPEC, flaws=flaws)))), "pieces.zip"),
    }
    answer = client.post("/api/simulations", data=form, headers=headers).json
    assert {line["codetraitement"] for line in answer["lignes"]} == {SPEC.accepted_code}
    assert "avertissements" not in orjson.dumps(answer).decode()


def _pdf_with_content(content: bytes) -> bytes:
    """A one-page PDF whose page content is ``content``, deflated (written by hand: a reader's
    limits are what is tested, so no writer may refuse it first)."""
    import zlib

    body = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body_of in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body_of + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def test_a_pieces_text_is_read_within_the_verdicts_limits() -> None:
    """The text the checks by hand read is taken under the same pypdf limits as the verdict: a
    30 kB piece whose page decompresses to 30 MB gives no text, instead of 30 MB to scan."""
    from segur.mock_portal.controls.hand_checks import piece_text

    text = b"BT /F1 12 Tf 72 712 Td (Bon pour accord) Tj ET\n"
    assert piece_text(_pdf_with_content(text)) == "Bon pour accord"
    bomb = _pdf_with_content(text + b" " * 30_000_000)
    assert len(bomb) < 100_000 and piece_text(bomb) is None
