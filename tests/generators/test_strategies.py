"""Hypothesis strategies: every drawn bundle is accepted line by line, the same seed gives the same."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from segur.generators.strategies import Drawn, make_bundle, valid_bundle
from segur.mock_portal.controls import Deposit, check_deposit, history_from_json
from segur.mock_portal.controls.context import beneficiary_keys
from segur.mock_portal.controls.spec import resolve

from tests._support.paths import SPEC

PROFILES = tuple(SPEC.profiles)
SOLDES = tuple(name for name, p in SPEC.profiles.items() if p.deposit_type == "solde")


def answer_codes(drawn: Drawn) -> list[str]:
    history = history_from_json(drawn.history_document())
    answer = check_deposit(
        drawn.data(),
        Deposit(drawn.deposit_type, drawn.taux_tva),
        spec=SPEC,
        history=history,
        mode="simulation",
    ).to_json()
    assert answer["statut"] == "OK", answer["erreurs"]
    assert len(answer["lignes"]) == len(drawn.requests)
    return [line["codetraitement"] for line in answer["lignes"]]


@pytest.mark.parametrize("profile", PROFILES)
@settings(max_examples=25, deadline=None, derandomize=True)
@given(data=st.data())
def test_every_drawn_bundle_is_accepted_on_every_line(profile: str, data: st.DataObject) -> None:
    drawn = data.draw(valid_bundle(profile=profile))
    assert drawn.profile == profile and drawn.deposit_type == SPEC.profiles[profile].deposit_type
    codes = answer_codes(drawn)
    accepted = SPEC.accepted_code
    assert codes == [accepted] * len(codes), (drawn.seed, len(codes), [c for c in codes if c != accepted][:5])


@pytest.mark.parametrize("profile", PROFILES)
def test_same_seed_same_bundle_and_history(profile: str) -> None:
    first = make_bundle(11, profile=profile, size=20)
    assert make_bundle(11, profile=profile, size=20).data() == first.data()
    other = make_bundle(12, profile=profile, size=20)
    assert other.data() != first.data()
    assert not {r["line_reference"] for r in other.requests} & {r["line_reference"] for r in first.requests}
    assert len(first.requests) == 20


@pytest.mark.parametrize("profile", PROFILES)
def test_lines_never_share_a_reference_an_order_form_a_site_or_a_file(profile: str) -> None:
    drawn = make_bundle(3, profile=profile, size=200)
    lines = drawn.requests
    for values in (
        [line["line_reference"] for line in lines],
        [line["bdc_number"] for line in lines],
        [name for line in lines for _role, name in line["pieces"]],
    ):
        assert len(set(values)) == len(values)
    sites = [key for line in lines for key in beneficiary_keys(line.get("site_finess"), line.get("site_siret"))]
    assert len(set(sites)) == len(sites)
    assert len({line["vat_rate"] for line in lines}) == 1
    assert len({line["ans_number"] for line in lines}) == 1


@pytest.mark.parametrize("profile", SOLDES)
def test_a_solde_bundle_comes_with_the_paid_avances_it_closes(profile: str) -> None:
    drawn = make_bundle(5, profile=profile, size=30)
    assert SPEC.history_validator is not None
    assert SPEC.history_validator.is_valid(drawn.history_document())
    stored = {request.numero_demande: request for request in history_from_json(drawn.history_document()).requests}
    assert len(stored) == len(drawn.requests)
    for line in drawn.requests:
        avance = stored[line["avance_number"]]
        assert avance.statut == SPEC.statuts["payee"] and avance.type_demande == SPEC.deposit_types["avance"]
        assert avance.numero_bdc == line["bdc_number"]
        assert avance.type_logiciel == line["software_type"]
        assert not avance.avenants or avance.avenants[-1] == SPEC.statuts["avenantPaye"]
    avances = next(name for name, p in SPEC.profiles.items() if p.deposit_type == "avance")
    assert make_bundle(5, profile=avances, size=30).history == []


def test_a_200_request_bundle_of_every_profile_is_drawn_whole() -> None:
    """The portal's maximum: every profile draws 200 distinct requests (its speed is measured by
    benchmarks/bench_generate.py, not here)."""
    for profile in PROFILES:
        drawn = make_bundle(1, profile=profile, size=200)
        assert len(drawn.requests) == 200
        written = {orjson.dumps(line) for line in resolve(drawn.document, SPEC.document["requests"].path)}
        assert len(written) == 200
        assert len({line["line_reference"] for line in drawn.requests}) == 200


def test_valid_bundle_takes_a_fixed_size_and_refuses_what_cannot_be_valid() -> None:
    last = PROFILES[-1]

    @settings(max_examples=3, deadline=None, derandomize=True)
    @given(drawn=valid_bundle(profile=last, size=4))
    def check(drawn: Drawn) -> None:
        assert len(drawn.requests) == 4 and drawn.deposit_type == SPEC.profiles[last].deposit_type

    check()
    with pytest.raises(ValueError, match="unknown profile"):
        valid_bundle(profile="profil-inconnu")
    maximum = SPEC.limits["maxDemandes"]
    with pytest.raises(ValueError, match=f"1 to {maximum}"):
        valid_bundle(size=maximum + 1)
