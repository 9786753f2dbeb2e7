"""Hypothesis strategies: every drawn bundle is accepted line by line, the same seed gives the same."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from segur.generators.strategies import Drawn, make_bundle, valid_bundle
from segur.mock_portal.controls import Deposit, check_deposit, history_from_json
from segur.mock_portal.controls.context import beneficiary_keys

from tests._support.paths import SPEC

PROFILES = ("ms1-avance", "ms2-avance", "ms1-solde", "ms2-solde")


def answer_codes(drawn: Drawn) -> list[str]:
    history = history_from_json({"demandes": drawn.history})
    answer = check_deposit(
        orjson.dumps(drawn.bundle),
        Deposit(drawn.deposit_type, drawn.taux_tva),
        spec=SPEC,
        history=history,
        mode="simulation",
    ).to_json()
    assert answer["statut"] == "OK", answer["erreurs"]
    assert len(answer["lignes"]) == len(drawn.bundle["demandes"])
    return [line["codetraitement"] for line in answer["lignes"]]


@pytest.mark.parametrize("profile", PROFILES)
@settings(max_examples=25, deadline=None, derandomize=True)
@given(data=st.data())
def test_every_drawn_bundle_is_accepted_on_every_line(profile: str, data: st.DataObject) -> None:
    drawn = data.draw(valid_bundle(profile=profile))
    assert drawn.profile == profile and drawn.deposit_type == profile.split("-")[1]
    codes = answer_codes(drawn)
    assert codes == ["0000"] * len(codes), (drawn.seed, len(codes), [c for c in codes if c != "0000"][:5])


@pytest.mark.parametrize("profile", PROFILES)
def test_same_seed_same_bundle_and_history(profile: str) -> None:
    first = make_bundle(11, profile=profile, size=20)
    assert make_bundle(11, profile=profile, size=20) == first
    assert make_bundle(12, profile=profile, size=20).bundle != first.bundle
    assert first.bundle["versionFormat"] == "1.0" and len(first.bundle["demandes"]) == 20


@pytest.mark.parametrize("profile", PROFILES)
def test_lines_never_share_a_reference_an_order_form_a_site_or_a_file(profile: str) -> None:
    drawn = make_bundle(3, profile=profile, size=200)
    lines = drawn.bundle["demandes"]
    for values in (
        [line["referenceLigne"] for line in lines],
        [line["bonCommande"]["numero"] for line in lines],
        [piece["nomFichier"] for line in lines for piece in line["piecesJointes"]],
    ):
        assert len(set(values)) == len(values)
    sites = [
        key
        for line in lines
        for key in beneficiary_keys(line["etablissement"].get("finessGeographique"), line["etablissement"].get("siret"))
    ]
    assert len(set(sites)) == len(sites)
    assert len({line["montants"]["tauxTva"] for line in lines}) == 1
    assert len({line["logiciel"]["numeroReferencementAns"] for line in lines}) == 1


@pytest.mark.parametrize("profile", ["ms1-solde", "ms2-solde"])
def test_a_solde_bundle_comes_with_the_paid_avances_it_closes(profile: str) -> None:
    drawn = make_bundle(5, profile=profile, size=30)
    assert SPEC.history_validator is not None
    assert SPEC.history_validator.is_valid(drawn.history_document())
    by_number = {entry["numeroDemande"]: entry for entry in drawn.history}
    assert len(by_number) == len(drawn.bundle["demandes"])
    for line in drawn.bundle["demandes"]:
        avance = by_number[line["numeroDemandeAvance"]]
        assert avance["statut"] == "Décidée et payée" and avance["typeDemande"] == "AVANCE"
        assert avance["numeroBdc"] == line["bonCommande"]["numero"]
        assert avance["typeLogiciel"] == line["typeLogiciel"]
        assert not avance["avenants"] or avance["avenants"][-1] == "Décidé et payé"
    assert make_bundle(5, profile="ms1-avance", size=30).history == []


def test_a_200_request_bundle_of_every_profile_is_drawn_whole() -> None:
    """The portal's maximum: every profile draws 200 distinct requests (its speed is measured by
    benchmarks/bench_generate.py, not here)."""
    for profile in PROFILES:
        drawn = make_bundle(1, profile=profile, size=200)
        assert len(drawn.bundle["demandes"]) == 200
        references = {orjson.dumps(line) for line in drawn.bundle["demandes"]}
        assert len(references) == 200


def test_valid_bundle_takes_a_fixed_size_and_refuses_what_cannot_be_valid() -> None:
    @settings(max_examples=3, deadline=None, derandomize=True)
    @given(drawn=valid_bundle(profile="ms2-avance", size=4))
    def check(drawn: Drawn) -> None:
        assert len(drawn.bundle["demandes"]) == 4 and drawn.deposit_type == "avance"

    check()
    with pytest.raises(ValueError, match="unknown profile"):
        valid_bundle(profile="ms9-avance")
    with pytest.raises(ValueError, match="1 to 200"):
        valid_bundle(size=201)
