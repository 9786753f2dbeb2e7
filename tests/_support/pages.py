"""Helpers to drive the mock portal's web pages through Flask's test client."""

from __future__ import annotations

import io
import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

import orjson
from flask.testing import FlaskClient
from segur.generators.archive import write_zip
from segur.generators.bundle import scaled
from segur.generators.pdf import pdf_document
from werkzeug.test import TestResponse

from tests._support.logical import example_ans, first_profile, number_pattern, other_profile, piece_names
from tests._support.paths import EXAMPLES, SPEC
from tests._support.portal import ADMIN

#: the first avance profile (whose example the pages' tests deposit), another software's
AVANCE, OTHER = first_profile("avance"), other_profile("avance")
#: the ANS numbers their examples carry (the demo account is enrolled for both)
ANS, ANS_OTHER = example_ans(AVANCE), example_ans(OTHER)


def csrf(client: FlaskClient) -> str:
    """The session's form token (read from a page's form, as a browser would)."""
    html = client.get("/connexion").get_data(as_text=True)
    found = re.search(r'name="_csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def sign_in(client: FlaskClient, login: str = "demo", password: str = "demo-segur-2024") -> str:
    token = csrf(client)
    response = client.post("/connexion", data={"_csrf": token, "identifiant": login, "motDePasse": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return csrf(client)


def sign_in_gestionnaire(client: FlaskClient) -> str:
    response = client.post("/gestion/connexion", data={"_csrf": csrf(client), "jeton": ADMIN})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return csrf(client)


def deposit(
    client: FlaskClient,
    action: str,
    *,
    name: str = AVANCE,
    data: bytes | None = None,
    pieces: bytes | None = None,
    zip_name: str | None = None,
    vat: str = "20",
    kind: str = "avance",
    ans: str | None = ANS,
    confirm_without_zip: bool = True,
) -> TestResponse:
    """POST the « Demande de financement » form (``action``: simuler or importer); an import
    without a zip confirms it is meant unless ``confirm_without_zip`` is False."""
    form: dict[str, Any] = {"_csrf": csrf(client), "action": action, "tauxTva": vat, "typeDemande": kind}
    if ans is not None:
        form["numeroAns"] = ans
    content = data if data is not None else (EXAMPLES / f"{name}.json").read_bytes()
    form["fichier"] = (io.BytesIO(content), f"{name}.json")
    if zip_name is not None:
        form["pieces"] = (io.BytesIO((EXAMPLES / zip_name).read_bytes()), zip_name)
    elif pieces is not None:
        form["pieces"] = (io.BytesIO(pieces), "pieces.zip")
    elif action == "importer" and confirm_without_zip:
        form["sansPieces"] = "oui"  # « Importer sans archive de pièces », ticked once the form asked
    return client.post("/espace/demande-de-financement", data=form)


def import_ok(client: FlaskClient, **kwargs: Any) -> list[str]:
    """Import then « Terminer »; the ASP numbers of the lines stored."""
    response = deposit(client, "importer", **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    numbers = re.findall(rf"<td class=\"numero\">((?:{'|'.join(number_pattern(p) for p in SPEC.profiles)}))</td>", page)
    done = client.post(response.headers["Location"] + "/terminer", data={"_csrf": csrf(client)})
    assert done.status_code == 302
    return numbers


def big_deposit(count: int, prefix: str = "PAGE") -> tuple[bytes, bytes]:
    """``count`` distinct valid avance requests of the first avance profile and the zip of their pieces."""
    bundle = scaled(orjson.loads((EXAMPLES / f"{AVANCE}.json").read_bytes()), count, SPEC, prefix=prefix)
    names = piece_names(bundle)
    pieces = io.BytesIO()
    pdf = pdf_document("Bon de commande", ["bon de commande de test"])
    write_zip(pieces, ((name, pdf) for name in names))
    return orjson.dumps(bundle), pieces.getvalue()


def line_codes(html: str) -> list[str]:
    return re.findall(r'<td class="code">([^<]+)</td>', html)


def field_error(html: str, field: str) -> str:
    """The error text tied to a field, checked to be referenced by the field's aria-describedby."""
    control = re.search(rf'<(?:input|select|textarea|fieldset)[^>]*\bid="{re.escape(field)}"[^>]*>', html)
    assert control, f"Expected: a field #{field}. Received: none"
    described = re.search(r'aria-describedby="([^"]+)"', control.group(0))
    assert described and f"{field}-erreur" in described.group(1).split(), control.group(0)
    assert 'aria-invalid="true"' in control.group(0)
    found = re.search(rf'<p class="erreur" id="{re.escape(field)}-erreur">(.*?)</p>', html, re.S)
    assert found, f"Expected: #{field}-erreur. Received: none"
    return html_text(found.group(1))


def html_text(fragment: str) -> str:
    """A fragment of HTML as the reader sees it: tags dropped, entities decoded, spaces folded."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def flashes(html: str) -> str:
    found = re.search(r'<div class="annonces" role="status">(.*?)</div>', html, re.S)
    return html_text(found.group(1)) if found else ""


class Structure(HTMLParser):
    """What the accessibility and same-origin checks read in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.described: list[str] = []
        self.urls: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self.lang: str | None = None
        self._label_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = attributes.get("lang")
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if "aria-describedby" in attributes:
            self.described += attributes["aria-describedby"].split()
        for key in ("src", "href", "action"):
            if key in attributes:
                self.urls.append(attributes[key])
        if tag == "label":
            self._label_depth += 1
            if "for" in attributes:
                self.label_for.add(attributes["for"])
        if tag == "form":
            self.forms.append({"method": attributes.get("method", "get").lower(), "csrf": False})
        if tag in ("input", "select", "textarea"):
            kind = attributes.get("type", "text")
            if tag == "input" and kind == "hidden" and attributes.get("name") == "_csrf" and self.forms:
                self.forms[-1]["csrf"] = True
            if kind not in ("hidden", "submit", "button"):
                self.controls.append({**attributes, "_tag": tag, "_wrapped": str(self._label_depth > 0)})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth = max(0, self._label_depth - 1)


def structure(html: str) -> Structure:
    parser = Structure()
    parser.feed(html)
    return parser
