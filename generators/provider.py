"""A Faker provider of Ségur médico-social data: identifiers with their keys, ESMS, requests.

Use it with a French Faker seeded on its own::

    fake = Faker("fr_FR")
    fake.seed_instance(42)
    fake.add_provider(SegurProvider)
    fake.siret(siren=fake.siren())
    fake.demande("ms1-avance", 0)

Every value is drawn from the Faker instance's random generator (``self.generator.random``),
never from the ``random`` module: seed the instance with ``seed_instance`` (an unseeded Faker
draws from Faker's shared generator), and the same seed and the same calls give the same data. Keys are computed by python-stdnum (Luhn for
SIREN, SIRET and FINESS, ISO 7064 mod 97-10 for the IBAN).

Profiles, VAT rates, ceilings, ESMS categories, required pieces, statuses and dates come
from the spec (the default one, or the ``spec`` given to the provider). Requests are made
as logical values (the kit's field names, amounts in cents, dates as dates): the spec's writer
puts them in its format, whatever that format is.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from faker.providers import BaseProvider
from segur.mock_portal.controls import Spec, load_spec
from segur.mock_portal.controls.context import StoredRequest, beneficiary_keys
from segur.mock_portal.controls.fields import ENUM_KEYS
from segur.mock_portal.controls.spec import Profile
from stdnum import iban, luhn
from stdnum.fr import siret as stdnum_siret

from .bundle import finess_with_key

#: the departments a FINESS number starts with in the model: 01 to 95 (Corsica as 2A/2B)
DEPARTEMENTS: tuple[str, ...] = (*(f"{n:02d}" for n in range(1, 96) if n != 20), "2A", "2B")
LA_POSTE_SIREN = "356000000"

_TYPES_VOIE = ("RUE", "AVENUE", "BOULEVARD", "PLACE", "ALLEE", "CHEMIN", "IMPASSE", "ROUTE", "QUAI", "COURS")
_ARBRES = ("Tilleuls", "Glycines", "Lilas", "Mimosas", "Peupliers", "Cèdres", "Chênes", "Oliviers", "Acacias")
_LIEUX = ("Libération", "République", "Gare", "Paix", "Mairie", "Fontaine", "Source", "Colline")
_SAINTS = ("Roch", "Joseph", "Vincent", "Jean", "Martin", "Louis", "Michel", "Pierre", "Anne", "Claire")
_MSS_BOITES = ("secretariat", "accueil", "direction", "cadre.sante", "infirmerie", "soins")
_LOGICIELS = ("Dossier Usager", "Parcours", "Accompagnement", "Suivi Résident", "DUI")
_SITE_IDS = ("finess", "finess", "finess", "finess", "both", "both", "both", "siret")
_MAX_TRIES = 1000
_ABBREVIATION = re.compile(r"\(([^()]+)\)\s*$")


def ttc_cents(ht_cents: int, taux_tva: float) -> int:
    """TTC in cents: HT × (1 + VAT), rounded half up to the cent (the portal's rule)."""
    factor = 1 + Decimal(str(taux_tva)) / 100
    return int((Decimal(ht_cents) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _slug(text: str, limit: int = 40) -> str:
    """Lower-case ASCII letters, digits and hyphens (a DNS label)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].strip("-")
    return slug or "etab"


@lru_cache(maxsize=8)
def _category_labels(root: Path) -> dict[str, str]:
    """ESMS category code → label, from the spec's ceilings file (``categories``)."""
    manifest = orjson.loads((root / "spec.json").read_bytes())
    relative = manifest.get("files", {}).get("ceilings", "ceilings.json")
    data = orjson.loads((root / relative).read_bytes())
    return {str(code): str(label) for code, label in data.get("categories", {}).items()}


class SegurProvider(BaseProvider):
    """Ségur numérique data for Faker: SIREN/SIRET/FINESS with their keys, IBAN/BIC, ANS and
    BDC numbers, ESMS (category, name, address), and whole valid requests of a profile.

    ``fake.add_provider(SegurProvider)`` uses the default spec; for another spec folder add an
    instance: ``fake.add_provider(SegurProvider(fake, spec=load_spec(folder)))``.
    """

    def __init__(self, generator: Any, *, spec: Spec | None = None) -> None:
        super().__init__(generator)
        self._spec = spec

    # -- plumbing ---------------------------------------------------------------------------

    def _the_spec(self) -> Spec:
        if self._spec is None:
            self._spec = load_spec()
        return self._spec

    def _rng(self) -> random.Random:
        rng: random.Random = self.generator.random
        return rng

    def _chance(self, probability: float) -> bool:
        return self._rng().random() < probability

    def _digits(self, count: int) -> str:
        return "".join(str(self.random_digit()) for _ in range(count))

    def _letters(self, count: int) -> str:
        return "".join(self.random_uppercase_letter() for _ in range(count))

    def _day_between(self, first: date, last: date) -> date:
        if last < first:
            raise ValueError(f"no day between {first.isoformat()} and {last.isoformat()}")
        return first + timedelta(days=self.random_int(0, (last - first).days))

    def _profile(self, name: str) -> Profile:
        spec = self._the_spec()
        try:
            return spec.profiles[name]
        except KeyError:
            raise ValueError(f"unknown profile {name!r}; the spec has: {', '.join(spec.profiles)}") from None

    def _is_solde(self, profile: Profile) -> bool:
        return profile.type_demande == self._the_spec().deposit_types.get("solde")

    def _avance_profile(self, profile: Profile) -> Profile:
        """The avance profile of the same software (a solde closes one of its avances)."""
        spec = self._the_spec()
        found = spec.profile_for(profile.couloir, profile.type_logiciel, spec.deposit_types.get("avance", ""))
        if found is None:
            raise ValueError(f"the spec has no avance profile for {profile.couloir}/{profile.type_logiciel}")
        return found

    def _str(self, value: Any) -> str:
        return str(value)

    # -- identifiers ------------------------------------------------------------------------

    def siren(self) -> str:
        """A SIREN: 9 digits, the last the Luhn key of the first 8."""
        body = str(self.random_int(1, 9)) + self._digits(7)
        return body + luhn.calc_check_digit(body)

    def siret(self, siren: str | None = None) -> str:
        """A SIRET of an establishment of ``siren`` (a new SIREN if None): SIREN, 4-digit NIC,
        Luhn key over the 13 digits; under La Poste's SIREN, the digit sum rule stdnum knows."""
        siren = siren if siren is not None else self.siren()
        if len(siren) != 9 or not siren.isdigit():
            raise ValueError(f"a SIREN is 9 digits, not {siren!r}")
        body = siren + f"{self.random_int(1, 9999):04d}"
        if siren != LA_POSTE_SIREN:
            return body + luhn.calc_check_digit(body)
        for key in self.random_sample("0123456789", 10):  # La Poste: sum of digits multiple of 5
            if stdnum_siret.is_valid(body + key):
                return body + key
        raise AssertionError("unreachable: two keys in ten satisfy La Poste's rule")

    def finess(self, departement: str | None = None) -> str:
        """A FINESS number: department (2 digits, 2A/2B for Corsica), 6 digits, Luhn key over
        the 9 characters with 2A/2B read as 20 (``segur.generators.bundle.finess_with_key``)."""
        dept = departement if departement is not None else self.departement()
        if dept not in DEPARTEMENTS and not (len(dept) == 2 and dept.isdigit()):
            raise ValueError(f"a FINESS department is 2 digits or 2A/2B, not {dept!r}")
        return finess_with_key(dept + self._digits(6))

    def finess_juridique(self, departement: str | None = None) -> str:
        """The FINESS of a legal entity (entité juridique)."""
        return self.finess(departement)

    def finess_geographique(self, departement: str | None = None) -> str:
        """The FINESS of a site (établissement géographique)."""
        return self.finess(departement)

    def departement(self) -> str:
        """A metropolitan department code as FINESS writes it (01 to 95, 2A, 2B)."""
        return self.random_element(DEPARTEMENTS)

    def iban_fr(self) -> str:
        """A French IBAN (27 characters): bank, branch, 11-digit account, RIB key, with its
        ISO 7064 check digits computed by ``stdnum.iban.calc_check_digits``."""
        bank, branch, account = f"{self.random_int(10000, 99999)}", self._digits(5), self._digits(11)
        # the RIB key (not checked by stdnum, which has no French BBAN module): 97 - (89 B + 15 G + 3 C) mod 97
        rib = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
        bban = f"{bank}{branch}{account}{rib:02d}"
        return "FR" + iban.calc_check_digits("FR00" + bban) + bban

    def bic(self) -> str:
        """A French BIC: 4-letter bank code, FR, a location code (never a test one, second
        character 0), and the primary office XXX or a 3-digit branch."""
        location = self.random_uppercase_letter() + self.random_element("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        branch = "XXX" if self._chance(0.5) else f"{self.random_int(100, 999)}"
        return self._letters(4) + "FR" + location + branch

    def numero_ans(self, profile: str) -> str:
        """An ANS référencement number the spec's référentiel (``referencement.json``) knows for
        ``profile``'s software: one the mock portal's demo account is enrolled for."""
        found = self._profile(profile)
        numbers = [
            numero
            for numero, solution in self._the_spec().referencement().get("solutions", {}).items()
            if (solution.get("couloir"), solution.get("typeLogiciel")) == (found.couloir, found.type_logiciel)
        ]
        if not numbers:
            raise ValueError(
                f"the spec's référentiel ({self._the_spec().files.get('referencement')}) lists no solution for "
                f"{found.couloir}/{found.type_logiciel}: add one to its 'solutions'"
            )
        return str(self.random_element(numbers))

    def numero_bdc(self, *, sequence: int | None = None, year: int | None = None) -> str:
        """An order-form number such as ``BDC-2023-KDZT00042``; distinct ``sequence`` numbers give
        distinct order forms, and seeds their own letters."""
        year = year if year is not None else self.random_int(2023, 2024)
        serial = sequence if sequence is not None else self.random_int(1, 99999)
        return f"BDC-{year}-{self._letters(4)}{serial:05d}"

    # -- ESMS -------------------------------------------------------------------------------

    def categorie_esms(self, profile: str | None = None) -> str:
        """An ESMS category code (FINESS category) of the spec's ceilings: one with a ceiling
        for the profile's software when ``profile`` is given."""
        spec = self._the_spec()
        if profile is not None:
            codes = sorted(spec.ceilings.get(self._profile(profile).type_logiciel, {}))
        else:
            codes = sorted(_category_labels(spec.root)) or sorted({c for t in spec.ceilings.values() for c in t})
        if not codes:
            raise ValueError("the spec's ceilings list no ESMS category")
        return self.random_element(codes)

    def nom_esms(self, categorie: str) -> str:
        """A site's name: the category's usual abbreviation (EHPAD, IME, …) or label, then a
        name (« EHPAD Les Tilleuls », « IME Saint-Roch », « SSIAD de Propriano »)."""
        label = _category_labels(self._the_spec().root).get(categorie, "Établissement")
        found = _ABBREVIATION.search(label)
        short = found.group(1) if found else label
        form = self.random_int(0, 3)
        if form == 0:
            name = f"Les {self.random_element(_ARBRES)}"
        elif form == 1:
            name = f"Saint-{self.random_element(_SAINTS)}"
        elif form == 2:
            name = f"de {self._str(self.generator.city())}"
        else:
            name = f"{self._str(self.generator.first_name())} {self._str(self.generator.last_name())}"
        return f"{short} {name}"[:200]

    def adresse_esms(self, departement: str | None = None) -> dict[str, str]:
        """A site's postal address (logical fields ``site_street_number`` … ``site_city``), its
        5-digit postcode in ``departement`` (Corsica: 200xx-201xx for 2A, 202xx-206xx for 2B)."""
        dept = departement if departement is not None else self.departement()
        if dept == "2A":
            postcode = f"20{self.random_int(0, 19) * 10:03d}"
        elif dept == "2B":
            postcode = f"20{self.random_int(20, 69) * 10:03d}"
        else:
            postcode = f"{dept}{self.random_int(0, 99) * 10:03d}"
        numero = str(self.random_int(1, 250)) + (
            self.random_element((" bis", " ter", "A")) if self._chance(0.1) else ""
        )
        form = self.random_int(0, 2)
        if form == 0:
            libelle = f"des {self.random_element(_ARBRES)}"
        elif form == 1:
            libelle = f"de la {self.random_element(_LIEUX)}"
        else:
            libelle = f"{self._str(self.generator.first_name())} {self._str(self.generator.last_name())}"
        adresse = {
            "site_street_number": numero,
            "site_street_type": self.random_element(_TYPES_VOIE),
            "site_street_name": libelle,
            "site_postcode": postcode,
            "site_city": self._str(self.generator.city())[:200],
        }
        if self._chance(0.2):
            adresse["site_address_extra"] = f"Bâtiment {self.random_uppercase_letter()}"
        return adresse

    def organisme_gestionnaire(self, departement: str | None = None) -> dict[str, str]:
        """The legal entity running ESMS (logical fields ``manager_finess``, ``manager_name``,
        ``manager_siren``)."""
        form = self.random_int(0, 3)
        if form == 0:
            name = f"Association {self._str(self.generator.last_name())}"
        elif form == 1:
            name = f"Fondation Saint-{self.random_element(_SAINTS)}"
        elif form == 2:
            name = f"CCAS de {self._str(self.generator.city())}"
        else:
            name = self._str(self.generator.company())
        return {
            "manager_finess": self.finess_juridique(departement),
            "manager_name": name[:200],
            "manager_siren": self.siren(),
        }

    def logiciel(self, profile: str, *, numero_ans: str | None = None) -> dict[str, str]:
        """The software sold (logical fields ``ans_number``, ``software_name``, ``software_version``)."""
        return {
            "ans_number": numero_ans if numero_ans is not None else self.numero_ans(profile),
            "software_name": f"{self.random_element(_LOGICIELS)} {self._str(self.generator.last_name())}"[:200],
            "software_version": f"{self.random_int(1, 9)}.{self.random_int(0, 20)}",
        }

    def adresse_mssante(self, nom: str, commune: str) -> str:
        """An MSSanté address of a site: ``secretariat.ehpad-les-tilleuls@commune.mssante.fr``."""
        return f"{self.random_element(_MSS_BOITES)}.{_slug(nom, 30)}@{_slug(commune)}.mssante.fr"

    # -- requests ---------------------------------------------------------------------------

    def demande(
        self,
        profile: str,
        index: int,
        *,
        taux_tva: float | None = None,
        numero_ans: str | None = None,
        logiciel: Mapping[str, str] | None = None,
        organisme: Mapping[str, str] | None = None,
        categorie: str | None = None,
        at: datetime | None = None,
        prefix: str | None = None,
    ) -> dict[str, Any]:
        """One valid request of ``profile``, line ``index`` (0-based) of its file, as logical
        values (:mod:`segur.mock_portal.controls.fields`: amounts in cents, dates as dates);
        ``segur.mock_portal.controls.writer.write_request`` writes it in the spec's format.

        ``index`` makes the line reference, the order-form, invoice and avance numbers: lines of
        distinct indexes never share them; ``prefix`` (default: the profile's numbering code and
        four letters drawn from the seed) starts the reference. The site (FINESS géographique,
        SIRET or both) is drawn; its SIRET is under ``organisme``'s SIREN. Amounts: HT × (1 +
        VAT) = TTC to the cent (half up), Ségur BDC amount = HT > 0, requested amount in ]0,
        min(TTC, ceiling)]. Dates: order form between the AF opening and the deposit day (for a
        solde, before its avance window closed), then VA, then invoice, none after the deposit
        day. A solde carries the MSS indicator and an MSSanté address, and the pieces its type
        requires; an avance its order form. ``at`` is the deposit time (default: the calendar's
        for the profile); ``taux_tva``, ``numero_ans``/``logiciel``, ``organisme`` and
        ``categorie`` are drawn when not given (give the same VAT rate and software to every
        line of a file).
        """
        spec = self._the_spec()
        p = self._profile(profile)
        if index < 0:
            raise ValueError(f"index is 0-based, not {index}")
        moment = at if at is not None else spec.default_deposit_time(p.name, p.type_demande)
        deposit_day = moment.astimezone(spec.timezone).date()
        af = spec.af_of(p.name)
        first_day = af.opens.astimezone(spec.timezone).date() if af else deposit_day - timedelta(days=365)
        solde = self._is_solde(p)

        rate = float(taux_tva) if taux_tva is not None else float(self.random_element(spec.vat_rates))
        if rate not in spec.vat_rates:
            raise ValueError(f"VAT rate must be one of {spec.vat_rates}, not {taux_tva!r}")
        software = dict(logiciel) if logiciel is not None else self.logiciel(profile, numero_ans=numero_ans)
        entity = dict(organisme) if organisme is not None else self.organisme_gestionnaire()
        category = categorie if categorie is not None else self.categorie_esms(profile)
        ceiling = spec.ceilings.get(p.type_logiciel, {}).get(category)
        if ceiling is None:
            raise ValueError(f"category {category!r} has no ceiling for {p.type_logiciel}")
        # an order form signed before the software's référencement is at most the AF's limit in
        # days before its complete proof dossier reached the ANS: signed from then on, it passes
        dossier, _referenced = spec.solution_dates(str(software.get("ans_number", "")))
        if af is not None and af.bdc_days_before_dossier is not None and dossier is not None:
            first_day = max(first_day, dossier - timedelta(days=af.bdc_days_before_dossier))

        # dates
        last_bdc_day = deposit_day
        avance_window = spec.windows.get(self._avance_profile(p).name) if solde else None
        if avance_window is not None:
            last_bdc_day = min(last_bdc_day, avance_window.closes.astimezone(spec.timezone).date())
        bdc_day = self._day_between(first_day, last_bdc_day)

        # amounts, in cents; the ceiling at the file's VAT rate (HT × (1 + rate))
        ceiling_cents = ceiling.at_rate(rate)
        max_ht = max(1, ceiling_cents * 3 // 2 * 10000 // (10000 + round(rate * 100)))
        ht = self.random_int(max(1, max_ht // 10), max_ht)
        ttc = ttc_cents(ht, rate)
        cap = min(ttc, ceiling_cents)
        requested = cap if self._chance(0.5) else self.random_int(max(1, cap // 2), cap)

        # the site
        dept = entity["manager_finess"][:2] if self._chance(0.8) else self.departement()
        if dept not in DEPARTEMENTS:
            dept = self.departement()
        nom = self.nom_esms(category)
        adresse = self.adresse_esms(dept)
        sequence = index + 1
        bdc = self.numero_bdc(sequence=sequence, year=bdc_day.year)
        reference = f"{prefix if prefix is not None else p.code_numerotation + '-' + self._letters(4)}-{sequence:04d}"
        values: dict[str, Any] = {
            "line_reference": reference,
            "request_type": p.type_demande,
            "corridor": p.couloir,
            "software_type": p.type_logiciel,
            **software,
            "bdc_number": bdc,
            "bdc_date": bdc_day,
            "bdc_segur_amount": ht,
            **entity,
            "site_name": nom,
            "site_category": category,
            **adresse,
            "amount_ht": ht,
            "vat_rate": rate,
            "amount_ttc": ttc,
            "amount_requested": requested,
        }
        ids = self.random_element(_SITE_IDS)
        if ids in ("finess", "both"):
            values["site_finess"] = self.finess_geographique(dept)
        if ids in ("siret", "both"):
            values["site_siret"] = self.siret(entity["manager_siren"])
        files = {"order_form": f"{bdc}.pdf"}
        if solde:
            avance = self._avance_profile(p)
            avance_year = self._day_between(bdc_day, last_bdc_day).year  # when the avance was deposited
            va_day = self._day_between(bdc_day, deposit_day)
            invoice_day = self._day_between(va_day, deposit_day)
            invoice = f"FAC-{invoice_day.year}-{self._letters(2)}{sequence:05d}"
            values["avance_number"] = spec.numbering.format(
                code=avance.code_numerotation, annee=avance_year, sequence=sequence * 1000 + self.random_int(0, 999)
            )
            values |= {
                "va_date": va_day,
                "invoice_number": invoice,
                "invoice_date": invoice_day,
                "invoice_amount": ttc,
                "mss_indicator": self.random_element(self._mss_keys()),
                "mss_address": self.adresse_mssante(nom, adresse["site_city"]),
            }
            files |= {"va": f"VA-{bdc}.pdf", "invoice": f"{invoice}.pdf"}
        values["pieces"] = [
            (role, files.get(role, f"{spec.pieces.roles[role]}-{reference}.pdf"))
            for role in spec.pieces.required.get(p.deposit_type, ())
        ]
        return values

    def _mss_keys(self) -> tuple[str, ...]:
        found = self._the_spec().fields.get("mss_indicator")
        keys = tuple(getattr(found.codec, "to_spec", {})) if found is not None else ()
        return keys or ENUM_KEYS["mss_indicator"]

    def avance_stockee(self, solde: Mapping[str, Any]) -> dict[str, Any]:
        """The stored avance a solde request (logical values) closes, in the JSON form of the
        kit's history file (``schemas/history.schema.json``): same software, order form and site,
        status « Décidée et payée », no avenant or avenants whose last is « Décidé et payé », and the
        amount the solde requests as the amount it declared."""
        spec = self._the_spec()
        numero = str(solde["avance_number"])
        paid_avenant = spec.statuts["avenantPaye"]
        rejected_avenant = spec.workflow.get("avenant", {}).get("statuts", {}).get("rejete", paid_avenant)
        earlier = [self.random_element((paid_avenant, rejected_avenant)) for _ in range(self.random_int(0, 1))]
        avenants = [*earlier, paid_avenant] if self._chance(0.3) else []
        stored = StoredRequest(
            numero_demande=numero,
            type_demande=spec.deposit_types["avance"],
            couloir=str(solde["corridor"]),
            type_logiciel=str(solde["software_type"]),
            statut=spec.statuts["payee"],
            reference_ligne=f"AV-{numero}",
            numero_bdc=solde.get("bdc_number"),
            finess_geographique=solde.get("site_finess"),
            siret=solde.get("site_siret"),
            avenants=tuple(avenants),
            montant_demande=solde.get("amount_requested"),
        )
        return stored.to_json()

    def bundle(
        self,
        profile: str,
        size: int,
        *,
        taux_tva: float | None = None,
        numero_ans: str | None = None,
        at: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """The requests (logical values) of a valid file of ``size`` requests of ``profile``.

        The lines share the VAT rate and the software (ANS number); their references, order
        forms and sites (FINESS géographique and SIRET) are all distinct. Organismes run a few
        sites each, so SIRETs share SIRENs. For a solde file, :meth:`avance_stockee` of each
        line gives the history it needs. ``segur.generators.strategies.make_bundle`` writes them.
        """
        spec = self._the_spec()
        self._profile(profile)
        maximum = spec.limits.get("maxDemandes", 200)
        if not 1 <= size <= maximum:
            raise ValueError(f"a file holds 1 to {maximum} requests, not {size}")
        rate = float(taux_tva) if taux_tva is not None else float(self.random_element(spec.vat_rates))
        software = self.logiciel(profile, numero_ans=numero_ans)
        organismes = [self.organisme_gestionnaire() for _ in range(max(1, size // 4))]
        prefix = f"{self._profile(profile).code_numerotation}-{self._letters(4)}"
        seen: set[str] = set()
        lines = []
        for index in range(size):
            for _ in range(_MAX_TRIES):
                line = self.demande(
                    profile,
                    index,
                    taux_tva=rate,
                    logiciel=software,
                    organisme=self.random_element(organismes),
                    at=at,
                    prefix=prefix,
                )
                keys = set(beneficiary_keys(line.get("site_finess"), line.get("site_siret")))
                if not keys & seen:
                    break
            else:  # pragma: no cover - millions of identifiers for at most a few hundred sites
                raise RuntimeError(f"could not draw a site not already in the file for line {index + 1}")
            seen |= keys
            lines.append(line)
        return lines
