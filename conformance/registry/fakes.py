"""Fake but valid business payloads for the shipped message types, from `faker` (ru_RU), reproducible by seed.

A generator builds the request or the response element of its type in the namespace the registry gives, so a
registry can move a type to another namespace without touching code. Everything random comes from the `Fake` handed
in, which a seed fixes: the same seed gives the same payload.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from lxml import etree

from conformance.registry.identifiers import fake_inn, fake_snils
from conformance.registry.model import PayloadSpec

_FIRST_RF_PASSPORT = date(1997, 10, 1)
"""Russian Federation internal passports were issued from 1 October 1997."""


@lru_cache(maxsize=1)
def _faker():
    from faker import Faker

    return Faker("ru_RU")


class Fake:
    """A seeded source of fake Russian personal data: one `random.Random` and a `Faker` seeded from it."""

    def __init__(self, seed: int, at: datetime | None = None):
        self.rng = random.Random(seed)
        self.faker = _faker()
        self.faker.seed_instance(seed)
        self.at = (at or datetime(2026, 1, 15, 12, 0, tzinfo=UTC)).astimezone(UTC)

    @property
    def today(self) -> date:
        return self.at.date()

    def person(self) -> dict[str, str]:
        """A person: gender, last, first and middle names (Cyrillic), birth date (18..80 years before `at`)."""
        male = self.rng.random() < 0.5
        f = self.faker
        names = ((f.last_name_male(), f.first_name_male(), f.middle_name_male()) if male
                 else (f.last_name_female(), f.first_name_female(), f.middle_name_female()))
        born = self.today - timedelta(days=self.rng.randint(18 * 366, 80 * 365))
        return {"gender": "Male" if male else "Female", "last": names[0], "first": names[1], "middle": names[2],
                "birth": born.isoformat(), "birth_place": f"г. {f.city_name()}"}

    def passport(self, birth: str) -> dict[str, str]:
        """A passport issued after the 14th birthday: series = region code + issue year, number, issuer code."""
        born = date.fromisoformat(birth)
        earliest = max(born + timedelta(days=14 * 366), _FIRST_RF_PASSPORT)
        latest = max(earliest, self.today - timedelta(days=30))
        issued = earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))
        region = self.rng.randint(1, 99)
        return {"series": f"{region:02d}{issued.year % 100:02d}", "number": f"{self.rng.randint(0, 999_999):06d}",
                "issued": issued.isoformat(), "issuer": f"{region:02d}{self.rng.randint(0, 9)}-"
                                                        f"{self.rng.randint(0, 999):03d}"}


def _uuid4_text(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _e(parent: etree._Element | None, namespace: str, local: str, text: str | None = None,
       **attrs: str) -> etree._Element:
    tag = f"{{{namespace}}}{local}"
    element = etree.Element(tag, nsmap={None: namespace}) if parent is None else etree.SubElement(parent, tag)
    for key, value in attrs.items():
        element.set(key, value)
    if text is not None:
        element.text = text
    return element


@dataclass(frozen=True)
class SampleGenerator:
    """Makes a type's request and response business elements. `response` may read the request to stay coherent."""

    request: Callable[[Fake, PayloadSpec], etree._Element]
    response: Callable[[Fake, PayloadSpec, etree._Element | None], etree._Element]


# --- FNS: INN by passport ----------------------------------------------------------------------------------------


def _inn_request(fake: Fake, spec: PayloadSpec) -> etree._Element:
    ns = spec.namespace
    person = fake.person()
    passport = fake.passport(person["birth"])
    root = _e(None, ns, spec.root, RequestId=_uuid4_text(fake.rng))
    p = _e(root, ns, "Person")
    _e(p, ns, "LastName", person["last"])
    _e(p, ns, "FirstName", person["first"])
    _e(p, ns, "MiddleName", person["middle"])
    _e(p, ns, "BirthDate", person["birth"])
    _e(p, ns, "BirthPlace", person["birth_place"])
    d = _e(root, ns, "Passport")
    _e(d, ns, "Series", passport["series"])
    _e(d, ns, "Number", passport["number"])
    _e(d, ns, "IssueDate", passport["issued"])
    _e(d, ns, "IssuerCode", passport["issuer"])
    return root


def _inn_response(fake: Fake, spec: PayloadSpec, request: etree._Element | None) -> etree._Element:
    ns = spec.namespace
    request_id = request.get("RequestId") if request is not None else None
    root = _e(None, ns, spec.root, RequestId=request_id or _uuid4_text(fake.rng))
    _e(root, ns, "INN", fake_inn(fake.rng, 12))
    _e(root, ns, "ProcessedAt", fake.at.replace(microsecond=0).isoformat())
    return root


# --- SFR: SNILS check ---------------------------------------------------------------------------------------------


def _snils_request(fake: Fake, spec: PayloadSpec) -> etree._Element:
    ns = spec.namespace
    person = fake.person()
    root = _e(None, ns, spec.root)
    _e(root, ns, "SNILS", fake_snils(fake.rng))
    _e(root, ns, "FamilyName", person["last"])
    _e(root, ns, "FirstName", person["first"])
    _e(root, ns, "Patronymic", person["middle"])
    _e(root, ns, "BirthDate", person["birth"])
    _e(root, ns, "Gender", person["gender"])
    return root


def _snils_response(fake: Fake, spec: PayloadSpec, request: etree._Element | None) -> etree._Element:
    ns = spec.namespace
    snils = None
    if request is not None:
        snils = request.findtext(f"{{{etree.QName(request).namespace}}}SNILS")
    root = _e(None, ns, spec.root)
    _e(root, ns, "SNILS", snils or fake_snils(fake.rng))
    _e(root, ns, "Result", "MATCH")
    _e(root, ns, "CheckDate", fake.today.isoformat())
    return root


# --- MVD: passport validity ---------------------------------------------------------------------------------------


def _passport_request(fake: Fake, spec: PayloadSpec) -> etree._Element:
    ns = spec.namespace
    person = fake.person()
    passport = fake.passport(person["birth"])
    root = _e(None, ns, spec.root)
    _e(root, ns, "Series", passport["series"])
    _e(root, ns, "Number", passport["number"])
    _e(root, ns, "IssueDate", passport["issued"])
    holder = _e(root, ns, "Holder")
    _e(holder, ns, "LastName", person["last"])
    _e(holder, ns, "FirstName", person["first"])
    _e(holder, ns, "MiddleName", person["middle"])
    _e(holder, ns, "BirthDate", person["birth"])
    return root


def _passport_response(fake: Fake, spec: PayloadSpec, request: etree._Element | None) -> etree._Element:
    ns = spec.namespace
    series = number = None
    if request is not None:
        req_ns = etree.QName(request).namespace
        series = request.findtext(f"{{{req_ns}}}Series")
        number = request.findtext(f"{{{req_ns}}}Number")
    if series is None or number is None:
        passport = fake.passport(fake.person()["birth"])
        series, number = passport["series"], passport["number"]
    root = _e(None, ns, spec.root)
    _e(root, ns, "Series", series)
    _e(root, ns, "Number", number)
    _e(root, ns, "Status", "VALID")
    _e(root, ns, "CheckedAt", fake.at.replace(microsecond=0).isoformat())
    return root


GENERATORS: dict[str, SampleGenerator] = {
    "fns-inn-by-passport": SampleGenerator(_inn_request, _inn_response),
    "sfr-snils-check": SampleGenerator(_snils_request, _snils_response),
    "mvd-passport-validity": SampleGenerator(_passport_request, _passport_response),
}
"""Generator name (the registry's `sample` field) -> generator."""
