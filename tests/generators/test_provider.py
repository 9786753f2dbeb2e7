"""The Faker provider: identifiers cross-checked with python-stdnum, coherent requests, seeded."""

from __future__ import annotations

import random
import re

import faker.generator
import orjson
import pytest
from faker import Faker
from segur.generators.provider import DEPARTEMENTS, LA_POSTE_SIREN, SegurProvider, ttc_cents
from segur.generators.strategies import written_document
from stdnum import bic, iban, luhn
from stdnum.fr import siren, siret

from tests._support.paths import SPEC

PROFILES = tuple(SPEC.profiles)
DRAWS = 300


def seeded(seed: int = 2024) -> Faker:
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    fake.add_provider(SegurProvider)
    return fake


def provider(seed: int = 2024) -> SegurProvider:
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    made = SegurProvider(fake, spec=SPEC)
    fake.add_provider(made)
    return made


def finess_key_ok(value: str) -> bool:
    """FINESS key, independently of the kit: Luhn over the 9 characters, 2A/2B read as 20."""
    digits = "20" + value[2:] if value[:2] in ("2A", "2B") else value
    return re.fullmatch(r"(?:[0-9]{2}|2A|2B)[0-9]{7}", value) is not None and luhn.is_valid(digits)


def test_siren_and_siret_are_valid_for_stdnum_and_siret_is_under_its_siren() -> None:
    fake = provider()
    for _ in range(DRAWS):
        number = fake.siren()
        assert siren.is_valid(number), number
        site = fake.siret(siren=number)
        assert siret.is_valid(site) and siret.to_siren(site) == number, site
        assert siret.is_valid(fake.siret())


def test_siret_under_la_poste_follows_its_exception() -> None:
    fake = provider()
    for _ in range(50):
        site = fake.siret(siren=LA_POSTE_SIREN)
        assert site.startswith(LA_POSTE_SIREN) and siret.is_valid(site), site


def test_siret_refuses_a_siren_that_is_not_nine_digits() -> None:
    with pytest.raises(ValueError, match="9 digits"):
        provider().siret(siren="12345")


def test_the_provider_replaces_the_locale_siren_and_siret_in_faker() -> None:
    fake = seeded()
    number = fake.siren()  # fr_FR's own writes "### ### ###" and has no key
    assert siren.is_valid(number) and len(number) == 9
    site = getattr(fake, "siret")(siren=number)  # noqa: B009 (Faker's stub types the fr_FR siret)
    assert siret.is_valid(site) and site.startswith(number)


def test_finess_numbers_have_their_key_and_department_corsica_included() -> None:
    fake = seeded()
    for _ in range(DRAWS):
        for number in (fake.finess(), fake.finess_juridique(), fake.finess_geographique()):
            assert finess_key_ok(number) and number[:2] in DEPARTEMENTS, number
    for dept in ("2A", "2B", "01", "75", "95"):
        number = fake.finess(departement=dept)
        assert number.startswith(dept) and finess_key_ok(number), number
    with pytest.raises(ValueError):
        fake.finess(departement="2C")


def test_iban_and_bic_are_valid_for_stdnum() -> None:
    fake = seeded()
    for _ in range(DRAWS):
        number = fake.iban_fr()
        assert iban.is_valid(number) and number.startswith("FR") and len(number) == 27, number
        bank, branch, account, key = number[4:9], number[9:14], number[14:25], number[25:]
        assert (89 * int(bank) + 15 * int(branch) + 3 * int(account) + int(key)) % 97 == 0  # the RIB key
        code = fake.bic()
        assert bic.is_valid(code) and code[4:6] == "FR" and code[7] != "0", code


@pytest.mark.parametrize("profile", PROFILES)
def test_ans_number_is_one_the_referentiel_knows_for_the_profile(profile: str) -> None:
    """The default ANS number is one of the référentiel's solutions for the profile's software,
    which the mock's demo account is enrolled for."""
    fake = seeded()
    solutions = SPEC.referencement()["solutions"]
    found = SPEC.profiles[profile]
    for _ in range(20):
        number = fake.numero_ans(profile)
        assert (solutions[number]["couloir"], solutions[number]["typeLogiciel"]) == (found.couloir, found.type_logiciel)


def test_esms_category_name_and_address() -> None:
    fake = seeded()
    categories = orjson.loads((SPEC.root / "ceilings.json").read_bytes())["categories"]
    for _ in range(100):
        category = fake.categorie_esms()
        assert category in categories
        for name, profile in SPEC.profiles.items():
            assert fake.categorie_esms(name) in SPEC.ceilings[profile.type_logiciel]
        name = fake.nom_esms(category)
        assert 1 <= len(name) <= 200
        address = fake.adresse_esms()
        assert re.fullmatch(r"[0-9]{5}", address["site_postcode"])
        assert re.fullmatch(r"[0-9]{1,5}( ?(bis|ter|quater|[A-Z]))?", address["site_street_number"])
        assert address["site_street_name"] and address["site_city"]
    assert fake.adresse_esms("2A")["site_postcode"].startswith("20")
    assert fake.adresse_esms("69")["site_postcode"].startswith("69")


@pytest.mark.parametrize("profile", PROFILES)
def test_a_request_is_valid_for_the_schema_and_coherent(profile: str) -> None:
    made = provider()
    spec = SPEC
    p = spec.profiles[profile]
    window = spec.windows[profile]
    deposit_day = window.default_deposit.astimezone(spec.timezone).date()
    af_day = spec.af_openings[window.af].astimezone(spec.timezone).date()
    organisme = made.organisme_gestionnaire()
    for index in range(40):
        line = made.demande(profile, index, organisme=organisme if index % 2 else None)
        document = written_document([line], profile, spec)
        assert spec.profile_validators[profile].is_valid(document), document
        ht, ttc, asked = line["amount_ht"], line["amount_ttc"], line["amount_requested"]
        assert ttc == ttc_cents(ht, line["vat_rate"])
        ceiling = spec.ceilings[p.type_logiciel][line["site_category"]].at_rate(line["vat_rate"])
        assert 0 < asked <= min(ttc, ceiling)
        assert line["bdc_segur_amount"] > 0
        bdc_day = line["bdc_date"]
        assert af_day <= bdc_day <= deposit_day
        assert "site_finess" in line or "site_siret" in line
        if "site_siret" in line:
            assert line["site_siret"][:9] == line["manager_siren"]
        if index % 2:
            assert {k: line[k] for k in organisme} == organisme
        roles = [role for role, _name in line["pieces"]]
        assert roles == list(spec.pieces.required[p.deposit_type])
        if p.deposit_type == "solde":
            va, invoice = line["va_date"], line["invoice_date"]
            assert bdc_day <= va <= invoice <= deposit_day
            assert line["invoice_amount"] > 0
            assert line["mss_indicator"] in spec.fields["mss_indicator"].codec.to_spec  # type: ignore[attr-defined]
            assert re.fullmatch(r"[a-z0-9.-]+@[a-z0-9-]+\.mssante\.fr", line["mss_address"])


def test_a_request_takes_the_vat_rate_and_software_given() -> None:
    made = provider()
    profile = PROFILES[-1]
    numero = next(iter(SPEC.referencement()["solutions"]))
    software = made.logiciel(profile, numero_ans=numero)
    category = sorted(SPEC.ceilings[SPEC.profiles[profile].type_logiciel])[0]
    rate = SPEC.vat_rates[1]
    line = made.demande(profile, 7, taux_tva=rate, logiciel=software, categorie=category, prefix="REF")
    assert line["vat_rate"] == rate and {k: line[k] for k in software} == software
    assert line["site_category"] == category and line["line_reference"] == "REF-0008"
    with pytest.raises(ValueError, match="unknown profile"):
        made.demande("profil-inconnu", 0)
    with pytest.raises(ValueError, match="VAT"):
        made.demande(profile, 0, taux_tva=19.6)


def test_same_seed_same_data_whatever_the_shared_random_state() -> None:
    random.seed(1)
    first = [seeded(7).demande(profile, 0) for profile in PROFILES]
    random.seed(2)
    faker.generator.random.seed(3)
    assert [seeded(7).demande(profile, 0) for profile in PROFILES] == first
    assert [seeded(8).demande(profile, 0) for profile in PROFILES] != first


def test_the_provider_leaves_the_shared_random_state_alone() -> None:
    random.seed(5)
    faker.generator.random.seed(6)
    before = random.getstate(), faker.generator.random.getstate()
    fake = seeded(9)
    fake.bundle(PROFILES[-1], 30)
    fake.iban_fr()
    fake.bic()
    assert (random.getstate(), faker.generator.random.getstate()) == before
