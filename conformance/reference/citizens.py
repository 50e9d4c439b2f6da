"""The reference provider's data: a small "registry of citizens" in SQLite, seeded from faker, and its answers.

The registry holds the subjects of the harness's own fake requests: for every seed in `range(size)` and every
sample type, the person `conformance.registry.make_payload(spec, "request", seed=seed)` asks about (generated
at the generator's default time), with the identifiers the other types need (an INN, a SNILS, a passport status).
A request about anyone else is data the provider does not have: `RequestRejected` NO_DATA. (The INN and the
passport-validity requests of one seed ask about the same person and passport: one citizen.)

`answer(spec, request_element)` gives the business response element, or None when the subject is unknown.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime

from lxml import etree

from conformance.registry import MessageTypeSpec, Registry, fake_inn, fake_snils, make_payload

DEFAULT_SIZE = 200
"""Seeds 0..199 of each sample type are known subjects."""

INVALID_EVERY = 7
"""Every seventh passport of the registry is invalid (replaced), so both answers occur."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS citizens (
    id INTEGER PRIMARY KEY,
    last_name TEXT NOT NULL, first_name TEXT NOT NULL, middle_name TEXT, birth_date TEXT NOT NULL,
    gender TEXT NOT NULL, snils TEXT NOT NULL UNIQUE, inn TEXT NOT NULL UNIQUE,
    passport_series TEXT NOT NULL, passport_number TEXT NOT NULL, passport_status TEXT NOT NULL,
    invalid_reason TEXT, invalid_since TEXT,
    UNIQUE (passport_series, passport_number)
);
CREATE TABLE IF NOT EXISTS citizens_seeded (size INTEGER NOT NULL);
"""


def _text(element: etree._Element, local: str) -> str | None:
    namespace = etree.QName(element).namespace
    found = element.find(f".//{{{namespace}}}{local}" if namespace else f".//{local}")
    return found.text.strip() if found is not None and found.text else None


def _subject(spec: MessageTypeSpec, seed: int) -> dict[str, str | None]:
    """The citizen behind the fake request of `spec` with `seed`, completed with identifiers of its own."""
    request = make_payload(spec, "request", seed=seed)
    rng = random.Random(f"reference-citizen/{spec.name}/{seed}")
    person: dict[str, str | None] = {
        "last_name": _text(request, "LastName") or _text(request, "FamilyName"),
        "first_name": _text(request, "FirstName"),
        "middle_name": _text(request, "MiddleName") or _text(request, "Patronymic"),
        "birth_date": _text(request, "BirthDate"),
        "gender": _text(request, "Gender") or rng.choice(("Male", "Female")),
        "snils": _text(request, "SNILS") or fake_snils(rng),
        "inn": fake_inn(rng, 12),
        "passport_series": _text(request, "Series") or f"{rng.randint(1, 99):02d}{rng.randint(0, 25):02d}",
        "passport_number": _text(request, "Number") or f"{rng.randint(0, 999_999):06d}",
    }
    if seed % INVALID_EVERY == INVALID_EVERY - 1:
        person.update(passport_status="INVALID", invalid_reason="REPLACED", invalid_since="2024-03-01")
    else:
        person.update(passport_status="VALID", invalid_reason=None, invalid_since=None)
    return person


def seed_citizens(db: sqlite3.Connection, registry: Registry, size: int = DEFAULT_SIZE) -> int:
    """Fill the registry once (a database already seeded is left as it is); returns the number of citizens."""
    db.executescript(_SCHEMA)
    seeded = db.execute("SELECT size FROM citizens_seeded").fetchone()
    if seeded is None:
        rows = [_subject(spec, seed) for spec in registry.types if spec.sample is not None for seed in range(size)]
        db.execute("BEGIN IMMEDIATE")
        try:
            for row in rows:
                db.execute(f"INSERT OR IGNORE INTO citizens ({', '.join(row)}) "
                           f"VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
            db.execute("INSERT INTO citizens_seeded (size) VALUES (?)", (size,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return db.execute("SELECT COUNT(*) FROM citizens").fetchone()[0]


def _e(parent: etree._Element | None, namespace: str, local: str, text: str | None = None) -> etree._Element:
    tag = f"{{{namespace}}}{local}"
    element = etree.Element(tag, nsmap={None: namespace}) if parent is None else etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _by_passport(db: sqlite3.Connection, request: etree._Element) -> sqlite3.Row | None:
    series, number = _text(request, "Series"), _text(request, "Number")
    return db.execute("SELECT * FROM citizens WHERE passport_series = ? AND passport_number = ?",
                      (series, number)).fetchone()


def answer(db: sqlite3.Connection, spec: MessageTypeSpec, request: etree._Element,
           at: datetime | None = None) -> etree._Element | None:
    """The business answer of `spec` to `request` from the registry, or None when the subject is unknown.

    Reads only: answering never changes the registry (a TestMessage is answered the same way).
    """
    db.row_factory = sqlite3.Row
    ns, root = spec.response.namespace, spec.response.root
    stamp = (at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if spec.sample == "fns-inn-by-passport":
        row = _by_passport(db, request)
        if row is None:
            return None
        out = _e(None, ns, root)
        if request.get("RequestId"):
            out.set("RequestId", request.get("RequestId"))
        _e(out, ns, "INN", row["inn"])
        _e(out, ns, "ProcessedAt", stamp.isoformat())
        return out
    if spec.sample == "sfr-snils-check":
        row = db.execute("SELECT * FROM citizens WHERE snils = ?", (_text(request, "SNILS"),)).fetchone()
        if row is None:
            return None
        same = (_text(request, "FamilyName"), _text(request, "FirstName"), _text(request, "BirthDate"),
                _text(request, "Gender")) == (row["last_name"], row["first_name"], row["birth_date"], row["gender"])
        out = _e(None, ns, root)
        _e(out, ns, "SNILS", row["snils"])
        _e(out, ns, "Result", "MATCH" if same else "MISMATCH")
        _e(out, ns, "CheckDate", stamp.date().isoformat())
        return out
    if spec.sample == "mvd-passport-validity":
        row = _by_passport(db, request)
        if row is None:
            return None
        out = _e(None, ns, root)
        _e(out, ns, "Series", row["passport_series"])
        _e(out, ns, "Number", row["passport_number"])
        _e(out, ns, "Status", row["passport_status"])
        if row["invalid_reason"]:
            _e(out, ns, "InvalidityReason", row["invalid_reason"])
            _e(out, ns, "InvalidSince", row["invalid_since"])
        _e(out, ns, "CheckedAt", stamp.isoformat())
        return out
    return None
