"""The shape of the portal's answer: simulation stores nothing, import numbers the OK lines."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import orjson
from segur.mock_portal.controls import Deposit, SequenceNumbering, check_deposit
from segur.mock_portal.controls.answer import format_number

from tests._support.logical import code, data, example_requests, first_profile, number_pattern
from tests._support.paths import EXAMPLES, SPEC

PROFILE = SPEC.profiles[first_profile("avance")]
PIECES = EXAMPLES / f"{PROFILE.name}.zip"
DEPOSITED = SPEC.windows[PROFILE.name].default_deposit


def bundle_bytes(change_line_2: bool = False) -> bytes:
    """The first avance example; ``change_line_2``: its second line asks for nothing."""
    requests = example_requests()
    if change_line_2:
        requests[1]["amount_requested"] = 0
    return data(requests)


def test_simulation_gives_codes_and_labels_but_no_asp_number() -> None:
    answer = check_deposit(bundle_bytes(), Deposit("avance", 20), spec=SPEC).to_json()
    assert answer["mode"] == "SIMULATION" and answer["statut"] == "OK"
    assert len(answer["lignes"]) == len(example_requests())
    for line in answer["lignes"]:
        assert (line["codetraitement"], line["libelletraitement"]) == (
            SPEC.accepted_code,
            SPEC.codes[SPEC.accepted_code].label,
        )
        assert "numeroDemande" not in line and "statut" not in line


def test_import_numbers_accepted_lines_in_the_spec_format_and_not_rejected_ones() -> None:
    requests = example_requests()
    answer = check_deposit(
        bundle_bytes(change_line_2=True),
        Deposit("avance", 20),
        spec=SPEC,
        mode="import",
        attachments=PIECES,
        numbering=SequenceNumbering(SPEC, start=41),
    ).to_json()
    first, second, third = answer["lignes"]
    assert first["numeroDemande"] == format_number(SPEC, PROFILE, DEPOSITED, 41)
    assert third["numeroDemande"] == format_number(SPEC, PROFILE, DEPOSITED, 42)
    assert first["statut"] == SPEC.status("enAttente")
    assert second["codetraitement"] == code("amount-requested-positive") and "numeroDemande" not in second
    accepted_cents = requests[0]["amount_requested"] + requests[2]["amount_requested"]
    assert answer["recapitulatif"] == {
        "nombreDemandes": 3,
        "acceptees": 2,
        "rejetees": 1,
        "incompletes": 0,
        "montantDemandeAccepte": accepted_cents / 100,
    }


def test_import_without_zip_creates_incomplete_requests_with_a_number() -> None:
    answer = check_deposit(bundle_bytes(), Deposit("avance", 20), spec=SPEC, mode="import", attachments=None)
    data_ = answer.to_json()
    count = len(example_requests())
    assert [line["codetraitement"] for line in data_["lignes"]] == [code("zip-absent")] * count
    assert all(
        line["statut"] == SPEC.status("incomplete")
        and re.fullmatch(number_pattern(PROFILE.name, DEPOSITED.year), line["numeroDemande"])
        for line in data_["lignes"]
    )
    assert not answer.all_accepted and data_["recapitulatif"]["incompletes"] == count


def test_whole_file_rejection_has_no_lines_and_states_the_time() -> None:
    data_ = check_deposit(b"[]", Deposit("avance", 20), spec=SPEC).to_json()
    assert (data_["statut"], data_["codetraitement"], data_["lignes"]) == ("KO", code("file-structure"), [])
    assert data_["dateDepot"] == DEPOSITED.isoformat()


def test_a_line_with_several_problems_reports_them_all_sorted_by_code() -> None:
    requests = example_requests()
    line = requests[0]
    line["manager_siren"] = "775667210"  # wrong key
    line["amount_ttc"] = 100  # 1 € TTC for its HT
    line["bdc_date"] = date(DEPOSITED.year + 1, 1, 1)
    line["software_version"] = None  # left out
    assert SPEC.has("software_version")
    answer = check_deposit(data(requests), Deposit("avance", 20), spec=SPEC)
    codes = [f.code for f in answer.lines[0].findings]
    assert codes == sorted(codes)
    assert {code("line-required"), code("siren-key"), code("date-future"), code("amount-ttc")} <= set(codes)
    assert answer.to_json()["lignes"][0]["codetraitement"] == codes[0]


def test_the_same_deposit_gives_the_same_bytes(tmp_path: Path) -> None:
    def once() -> bytes:
        return orjson.dumps(
            check_deposit(
                bundle_bytes(True),
                Deposit("avance", 20),
                spec=SPEC,
                mode="import",
                attachments=PIECES,
            ).to_json()
        )

    assert once() == once()
