"""The pages of a cancellation (SEG-N01) and of an avenant created incomplete (SEG-W03): the
editor asks from its request's page, the gestionnaire decides from the request's instruction
page; errors in French on the page, never a traceback."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

from flask.testing import FlaskClient
from segur.generators.pdf import pdf_document

from tests._support.logical import workflow_label
from tests._support.pages import AVANCE, csrf, flashes, html_text, import_ok, sign_in, sign_in_gestionnaire, structure
from tests._support.paths import SPEC
from tests._support.portal import admin_headers, make_app, transition

PIECES = f"{AVANCE}.zip"
MOTIF = "Le client renonce : l'établissement ferme en juin."


def editor_page(client: FlaskClient, numero: str) -> str:
    return client.get(f"/espace/demandes/{numero}").get_data(as_text=True)


def status(html: str) -> str:
    found = re.search(r'id="statut-demande">([^<]+)<', html)
    assert found
    return unescape(found.group(1))


def ask(client: FlaskClient, numero: str, **fields: object) -> str:
    form: dict[str, object] = {
        "_csrf": csrf(client),
        "motif": MOTIF,
        "attestation": (io.BytesIO(pdf_document("Attestation sur l'honneur", [MOTIF])), "attestation.pdf"),
        **fields,
    }
    response = client.post(f"/espace/demandes/{numero}/annulation", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return flashes(client.get(response.headers["Location"]).get_data(as_text=True))


def test_the_editor_asks_and_the_gestionnaire_cancels_from_the_pages(client: FlaskClient) -> None:
    sign_in(client)
    numero = import_ok(client, zip_name=PIECES)[0]
    page = editor_page(client, numero)
    assert "Demander l'annulation" in page and 'id="attestation"' in page
    assert all(c.get("id") in structure(page).label_for for c in structure(page).controls)
    # the client agreed, but no renunciation: the reason in French, nothing stored
    refused = ask(client, numero, accordClient="oui")
    assert "joignez sa renonciation" in refused
    assert client.get(f"/api/requests/{numero}", headers=admin_headers()).status_code == 401  # editor's API only
    assert "Joignez l'attestation sur l'honneur signée (PDF)." in ask(client, numero, attestation=(io.BytesIO(b""), ""))
    assert "transmise au gestionnaire" in ask(client, numero)
    page = editor_page(client, numero)
    assert "en attente de la décision du gestionnaire" in page and "Demander l'annulation" not in page
    assert status(page) == SPEC.status("enAttente")
    sign_in_gestionnaire(client)
    home = html_text(client.get("/gestion").get_data(as_text=True))
    assert f"Demandes d'annulation à décider : 1 — {numero}" in home
    instruction = client.get(f"/gestion/demandes/{numero}").get_data(as_text=True)
    assert MOTIF in unescape(instruction) and "attestation.pdf" in instruction
    link = re.search(rf'href="(/gestion/demandes/{numero}/documents/\d+)" download>Attestation', instruction)
    assert link and client.get(link.group(1)).data.startswith(b"%PDF-")
    # the plain moves of the instruction never offer the cancelled status
    assert "annulee" not in re.findall(r'name="vers" value="(\w+)"', instruction)
    no_reason = client.post(
        f"/gestion/demandes/{numero}/annulation", data={"_csrf": csrf(client), "decision": "refusee", "motif": ""}
    )
    assert "Donnez le motif" in flashes(client.get(no_reason.headers["Location"]).get_data(as_text=True))
    done = client.post(f"/gestion/demandes/{numero}/annulation", data={"_csrf": csrf(client), "decision": "acceptee"})
    assert "demande annulée" in flashes(client.get(done.headers["Location"]).get_data(as_text=True))
    assert status(client.get(f"/gestion/demandes/{numero}").get_data(as_text=True)) == SPEC.status("annulee")
    sign_in(client)
    page = editor_page(client, numero)
    assert status(page) == SPEC.status("annulee") and "acceptée" in page and "Demander l'annulation" not in page
    assert "Attestation sur l'honneur (annulation)" in unescape(page)


def test_an_avenant_created_incomplete_is_completed_from_the_incomplete_requests(client: FlaskClient) -> None:
    sign_in(client)
    numero = import_ok(client, zip_name=PIECES)[0]
    for target in ("enCours", "validee", "decidee", "payee"):
        transition(client, numero, target)
    page = editor_page(client, numero)
    assert "Demander un avenant" in page
    asked = client.post(
        f"/espace/demandes/{numero}/avenants",
        data={
            "_csrf": csrf(client),
            "montant": "1 000,00",
            "motif": "second site",
            "pieces": (io.BytesIO(b"not a pdf"), "avenant-signe.pdf"),
        },
    )
    said = flashes(client.get(asked.headers["Location"]).get_data(as_text=True))
    assert "créé incomplet" in said and "avenant-signe.pdf" in said
    bad_amount = client.post(
        f"/espace/demandes/{numero}/avenants",
        data={"_csrf": csrf(client), "montant": "mille", "pieces": (io.BytesIO(pdf_document("A")), "a.pdf")},
    )
    assert "Saisissez le montant de l'avenant" in flashes(
        client.get(bad_amount.headers["Location"]).get_data(as_text=True)
    )
    listed = client.get("/espace/demandes-incompletes").get_data(as_text=True)
    assert "Avenants incomplets" in listed and "avenant-signe.pdf" in listed
    avenant_id = re.search(r'action="/espace/avenants/(\d+)/pieces"', listed)
    assert avenant_id
    sent = client.post(
        f"/espace/avenants/{avenant_id.group(1)}/pieces",
        data={"_csrf": csrf(client), "pieces": (io.BytesIO(pdf_document("Avenant signé")), "avenant-signe.pdf")},
    )
    said = flashes(client.get(sent.headers["Location"]).get_data(as_text=True))
    assert f"statut « {workflow_label('avenant', 'demande')} »" in said
    assert "Avenants incomplets" not in client.get("/espace/demandes-incompletes").get_data(as_text=True)


def test_forms_over_their_routes_limit_are_said_on_their_page_and_nothing_is_stored(tmp_path: Path) -> None:
    """A form over its route's body limit is refused when the CSRF check reads it, before the view:
    a request's pieces, a cancellation's, an avenant's and an avenant's pieces come back to their
    page with a French message; the zip for many incomplete requests to its form. Nothing is
    stored."""
    small = ("demande_annulation", "demande_avenant", "avenant_pieces", "demande_pieces", "incompletes_archive")
    app = make_app(tmp_path, PAGES_DIR=str(tmp_path / "pages"), BODY_LIMITS={f"pages.{name}": 20_000 for name in small})
    client = app.test_client()
    sign_in(client)
    numero = import_ok(client, zip_name=PIECES)[0]
    for target in ("enCours", "validee", "decidee", "payee"):
        transition(client, numero, target)

    def heavy() -> tuple[io.BytesIO, str]:
        return io.BytesIO(b"%PDF-1.4\n" + b"0" * 30_000), "lourd.pdf"

    for path, form, back, subject in (
        (f"/espace/demandes/{numero}/annulation", {"motif": MOTIF, "attestation": heavy()}, numero, "Demande"),
        (f"/espace/demandes/{numero}/avenants", {"montant": "100", "pieces": heavy()}, numero, "Demande"),
        (f"/espace/demandes/{numero}/pieces", {"pieces": heavy()}, numero, "Demande"),
        ("/espace/avenants/1/pieces", {"pieces": heavy()}, "demandes-incompletes", "Avenant n° 1"),
    ):
        sent = client.post(path, data={"_csrf": csrf(client), **form})
        assert sent.status_code == 302 and sent.headers["Location"].endswith(back), path
        said = flashes(client.get(sent.headers["Location"]).get_data(as_text=True))
        assert f"{subject}" in said and "envoi trop volumineux" in said and "Rien n'a été enregistré" in said, path
    detail = client.get(f"/espace/demandes/{numero}").get_data(as_text=True)
    assert "Demande d'annulation n°" not in detail and "Avenant n°" not in detail
    refused = client.post("/espace/demandes-incompletes/archive", data={"_csrf": csrf(client), "archive": heavy()})
    text = html_text(refused.get_data(as_text=True))
    assert refused.status_code == 413 and "l'archive ne doit pas dépasser" in text and "Traceback" not in text
