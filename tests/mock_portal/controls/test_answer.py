"""The shape of the portal's answer: simulation stores nothing, import numbers the OK lines."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
from segur.mock_portal.controls import Deposit, SequenceNumbering, check_deposit

from tests._support.paths import EXAMPLES, SPEC, example


def bundle_bytes(change_line_2: bool = False) -> bytes:
    bundle = orjson.loads(example("ms1-avance").read_bytes())
    if change_line_2:
        bundle["demandes"][1]["montants"]["montantDemande"] = 0
    return orjson.dumps(bundle)


def test_simulation_gives_codes_and_labels_but_no_asp_number() -> None:
    answer = check_deposit(bundle_bytes(), Deposit("avance", 20), spec=SPEC).to_json()
    assert answer["mode"] == "SIMULATION" and answer["statut"] == "OK"
    for line in answer["lignes"]:
        assert (line["codetraitement"], line["libelletraitement"]) == ("0000", "Demande acceptée")
        assert "numeroDemande" not in line and "statut" not in line


def test_import_numbers_accepted_lines_in_the_spec_format_and_not_rejected_ones() -> None:
    answer = check_deposit(
        bundle_bytes(change_line_2=True),
        Deposit("avance", 20),
        spec=SPEC,
        mode="import",
        attachments=EXAMPLES / "ms1-avance.zip",
        numbering=SequenceNumbering(SPEC, start=41),
    ).to_json()
    first, second, third = answer["lignes"]
    assert first["numeroDemande"] == "MS1A2024000041" and third["numeroDemande"] == "MS1A2024000042"
    assert first["statut"] == "En attente d'instruction"
    assert second["codetraitement"] == "2032" and "numeroDemande" not in second
    assert answer["recapitulatif"] == {
        "nombreDemandes": 3,
        "acceptees": 2,
        "rejetees": 1,
        "incompletes": 0,
        "montantDemandeAccepte": 19200.0,
    }


def test_import_without_zip_creates_incomplete_requests_with_a_number() -> None:
    answer = check_deposit(bundle_bytes(), Deposit("avance", 20), spec=SPEC, mode="import", attachments=None)
    data = answer.to_json()
    assert [line["codetraitement"] for line in data["lignes"]] == ["3008"] * 3
    assert all(
        line["statut"] == "Incomplète" and re.fullmatch(r"MS1A2024\d{6}", line["numeroDemande"])
        for line in data["lignes"]
    )
    assert not answer.all_accepted and data["recapitulatif"]["incompletes"] == 3


def test_whole_file_rejection_has_no_lines_and_states_the_time() -> None:
    data = check_deposit(b"[]", Deposit("avance", 20), spec=SPEC).to_json()
    assert (data["statut"], data["codetraitement"], data["lignes"]) == ("KO", "1004", [])
    assert data["dateDepot"] == "2024-02-01T10:00:00+01:00"


def test_a_line_with_several_problems_reports_them_all_sorted_by_code() -> None:
    bundle = orjson.loads(example("ms1-avance").read_bytes())
    line = bundle["demandes"][0]
    line["organismeGestionnaire"]["siren"] = "775667210"
    line["montants"]["montantTtc"] = 1.0
    line["bonCommande"]["dateSignature"] = "2025-01-01"
    del line["logiciel"]["version"]
    answer = check_deposit(orjson.dumps(bundle), Deposit("avance", 20), spec=SPEC)
    codes = [f.code for f in answer.lines[0].findings]
    assert codes == sorted(codes)
    assert {"2001", "2010", "2020", "2031"} <= set(codes)
    assert answer.to_json()["lignes"][0]["codetraitement"] == codes[0]


def test_the_same_deposit_gives_the_same_bytes(tmp_path: Path) -> None:
    def once() -> bytes:
        return orjson.dumps(
            check_deposit(
                bundle_bytes(True),
                Deposit("avance", 20),
                spec=SPEC,
                mode="import",
                attachments=EXAMPLES / "ms1-avance.zip",
            ).to_json()
        )

    assert once() == once()
