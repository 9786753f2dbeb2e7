"""The Faker provider: identifiers cross-checked with python-stdnum, coherent requests, seeded."""

from __future__ import annotations

import random
import re
from datetime import date

import faker.generator
import orjson
import pytest
from faker import Faker
from segur.generators.provider import DEPARTEMENTS, LA_POSTE_SIREN, SegurProvider, ttc_cents
from stdnum import bic, iban, luhn
from stdnum.fr import siren, siret

from tests._support.paths import SPEC

PROFILES = ("ms1-avance", "ms2-avance", "ms1-solde", "ms2-solde")
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
def test_ans_number_has_the_model_form_of_its_profile(profile: str) -> None:
    fake = seeded()
    referencement = orjson.loads((SPEC.root / "referencement.json").read_bytes())
    type_logiciel = SPEC.profiles[profile].type_logiciel
    patterns = [p["pattern"] for p in referencement["patterns"] if p["typeLogiciel"] == type_logiciel]
    for _ in range(50):
        number = fake.numero_ans(profile)
        assert re.fullmatch(r"ANS-MS[12]-[A-Z]{4}-[0-9]{4}", number), number
        assert re.fullmatch(r"[A-Z0-9][A-Z0-9-]{3,39}", number)
        assert any(re.fullmatch(p, number) for p in patterns), number


def test_esms_category_name_and_address() -> None:
    fake = seeded()
    categories = orjson.loads((SPEC.root / "ceilings.json").read_bytes())["categories"]
    for _ in range(100):
        category = fake.categorie_esms()
        assert category in categories
        assert fake.categorie_esms("ms2-avance") in SPEC.ceilings["DUI-PDE"]
        name = fake.nom_esms(category)
        assert 1 <= len(name) <= 200
        assert name.startswith("EHPAD ") or category != "500"
        address = fake.adresse_esms()
        assert re.fullmatch(r"[0-9]{5}", address["codePostal"])
        assert re.fullmatch(r"[0-9]{1,5}( ?(bis|ter|quater|[A-Z]))?", address["numeroVoie"])
        assert address["libelleVoie"] and address["commune"]
    assert fake.adresse_esms("2A")["codePostal"].startswith("20")
    assert fake.adresse_esms("69")["codePostal"].startswith("69")


@pytest.mark.parametrize("profile", PROFILES)
def test_a_request_is_valid_for_the_schema_and_coherent(profile: str) -> None:
    made = provider()
    spec = SPEC
    p = spec.profiles[profile]
    window = spec.windows[profile]
    deposit_day = window.default_deposit.astimezone(spec.timezone).date()
    af_day = date(2023, 6, 1)
    organisme = made.organisme_gestionnaire()
    for index in range(40):
        line = made.demande(profile, index, organisme=organisme if index % 2 else None)
        assert spec.profile_validators[profile].is_valid({"versionFormat": "1.0", "demandes": [line]}), line
        amounts = line["montants"]
        ht, ttc, asked = (round(amounts[k] * 100) for k in ("montantHt", "montantTtc", "montantDemande"))
        assert ttc == ttc_cents(ht, amounts["tauxTva"])
        ceiling = round(spec.ceilings[p.type_logiciel][line["etablissement"]["categorieEsms"]] * 100)
        assert 0 < asked <= min(ttc, ceiling)
        assert line["bonCommande"]["montantSegurHt"] > 0
        bdc_day = date.fromisoformat(line["bonCommande"]["dateSignature"])
        assert af_day <= bdc_day <= deposit_day
        site = line["etablissement"]
        assert "finessGeographique" in site or "siret" in site
        if "siret" in site:
            assert site["siret"][:9] == line["organismeGestionnaire"]["siren"]
        if index % 2:
            assert line["organismeGestionnaire"] == organisme
        natures = [piece["nature"] for piece in line["piecesJointes"]]
        if p.type_demande == "AVANCE":
            assert natures == ["BDC"]
        else:
            assert natures == ["VA", "FACTURE"]
            va = date.fromisoformat(line["verificationAptitude"]["dateVa"])
            invoice = date.fromisoformat(line["facture"]["date"])
            assert bdc_day <= va <= invoice <= deposit_day
            assert line["facture"]["montantTtc"] > 0
            assert line["deploiementMss"]["indicateur"] in ("Cas 1", "Cas 2")
            assert re.fullmatch(r"[a-z0-9.-]+@[a-z0-9-]+\.mssante\.fr", line["deploiementMss"]["adresseMssante"])


def test_a_request_takes_the_vat_rate_and_software_given() -> None:
    made = provider()
    software = made.logiciel("ms2-avance", numero_ans="ANS-MS2-DPE-0107")
    line = made.demande("ms2-avance", 7, taux_tva=5.5, logiciel=software, categorie="183")
    assert line["montants"]["tauxTva"] == 5.5 and line["logiciel"] == software
    assert line["etablissement"]["categorieEsms"] == "183" and line["referenceLigne"] == "MS2A-0008"
    with pytest.raises(ValueError, match="unknown profile"):
        made.demande("ms3-avance", 0)
    with pytest.raises(ValueError, match="VAT"):
        made.demande("ms1-avance", 0, taux_tva=19.6)


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
    fake.bundle("ms1-solde", 30)
    fake.iban_fr()
    fake.bic()
    assert (random.getstate(), faker.generator.random.getstate()) == before
