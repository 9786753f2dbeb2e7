"""In the browser, the documents a paid request carries, downloaded from its accordions: the
décision d'attribution and the avis de paiement read as administrative documents. Their text is
asserted after extraction (pypdf), and their first page is rendered (pypdfium2) beside the
screenshots in build/e2e-screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from segur.mock_portal.controls.money import euros

from tests._support.logical import example_requests, first_profile
from tests._support.paths import SPEC
from tests.e2e._data import Api
from tests.e2e._live import SCREENSHOTS, Actor, Live, follow
from tests.e2e._pages import sign_in

PROFILE = first_profile()


def text_of(path: Path) -> str:
    """The first page's text, its spaces folded (the PDF writes no narrow no-break space)."""
    return re.sub(r"\s+", " ", PdfReader(path).pages[0].extract_text())


def rendered(path: Path, name: str) -> Path:
    """The first page as a PNG in build/e2e-screenshots/."""
    import pypdfium2

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    document = pypdfium2.PdfDocument(path)
    try:
        document[0].render(scale=1.4).to_pil().save(target)
    finally:
        document.close()
    assert target.stat().st_size > 10_000, target
    return target


def download(actor: Actor, area: str, link: Any, folder: Path) -> Path:
    with actor.page.expect_download() as started:
        actor.page.locator(area).get_by_role("link", name=link).first.click()
    found = started.value
    path = folder / found.suggested_filename
    found.save_as(str(path))
    assert path.read_bytes().startswith(b"%PDF-")
    return path


def amount(cents: int) -> str:
    return euros(cents).replace("\u202f", " ") + " EUR"


def test_the_decision_and_the_payment_notice_read_as_administrative_documents(
    live: Live, actors: Any, tmp_path: Path
) -> None:
    api = Api(live)
    numero = api.import_example(PROFILE)[0]
    api.move(numero, "enCours", "validee", "decidee", "payee")
    editor: Actor = actors()
    sign_in(editor)
    editor.go("/espace")
    follow(editor.page.get_by_role("link", name="Demandes déposées").first)
    follow(editor.page.get_by_role("link", name=numero))
    request = example_requests(PROFILE)[0]
    granted = request["amount_requested"]
    share = SPEC.workflow["payments"]["avancePercent"]
    avance = (granted * share + 50) // 100
    window = SPEC.windows[PROFILE]
    me = editor.page.locator("header").inner_text()
    enrolment = re.search(r"\((ENR-[^)]+)\)", me)
    assert enrolment, me

    decision = download(editor, "#pieces-justificatives", re.compile("^Télécharger decision-attribution"), tmp_path)
    text = text_of(decision)
    for expected in (
        "Agence de Services et de Paiement (ASP)",
        f"Programme Ségur numérique - {SPEC.af_labels[window.af]}",
        "DÉCISION D'ATTRIBUTION",
        f"Référence : DA-{numero}",
        f"N° de demande ASP : {numero}",
        f"Appel à financement : {window.af} - {SPEC.af_labels[window.af]}",
        "Raison sociale : Éditeur de démonstration",
        "SIRET : 732 829 320 00074",
        f"N° d'enrôlement : {enrolment.group(1)}",
        f"FINESS géographique : {request['site_finess']}",
        f"Montant attribué : {amount(granted)}",
        f"Avance ({share} %) : {amount(avance)}",
        f"Solde ({100 - share} %) : {amount(granted - avance)}",
        f"Bon de commande : {request['bdc_number']}, signé le {request['bdc_date']:%d/%m/%Y}",
        "Portail de test : document sans valeur juridique ni financière.",
    ):
        assert expected in text, f"Expected in the décision: {expected!r}. Received: {text}"
    if "site_name" in request:
        assert f"Établissement : {request['site_name']}" in text
    assert re.search(r"Date : \d\d/\d\d/\d{4}", text) and "Demande déposée le : " in text
    rendered(decision, "40-decision-attribution")

    notice = download(editor, "#suivi-financier", re.compile("^Télécharger l'avis de paiement"), tmp_path)
    text = text_of(notice)
    reference = f"VIR-{numero}-1"
    for expected in (
        "AVIS DE PAIEMENT",
        f"Référence du paiement : {reference}",
        f"Montant du versement : {amount(avance)}",
        f"Nature : Avance ({share} % du montant attribué)",
        f"Montant attribué : {amount(granted)}",
        f"Reste à verser : {amount(granted - avance)}",
        "Titulaire : Éditeur de démonstration",
        f"FINESS géographique : {request['site_finess']}",
        "Portail de test : document sans valeur juridique ni financière.",
    ):
        assert expected in text, f"Expected in the avis: {expected!r}. Received: {text}"
    iban = re.search(r"IBAN : (FR\d\d[ *]+\S+ \S+)", text)
    assert iban and "*" in iban.group(1) and not re.search(r"\d{5}", iban.group(1).replace(" ", "")[4:-4]), text
    rendered(notice, "41-avis-paiement")
