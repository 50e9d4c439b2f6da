"""Russian personal identifiers with check digits: INN (tax number) and SNILS (insurance account number).

INN: 10 digits for an organisation, 12 for a person; the last one or two digits are checksums with fixed weights,
mod 11 then mod 10. SNILS: 9 digits and a two-digit check number: the sum of the digits weighted 9..1, taken
mod 101, with 100 (and 101) written as 00. The check number is defined for numbers above 001-001-998.
"""

from __future__ import annotations

import random
import re

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)

SNILS_CHECKED_ABOVE = 1_001_998
"""SNILS numbers up to 001-001-998 were issued before the check number existed; they are not checked."""


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10


def inn_check_digits(body: str) -> str:
    """The check digit(s) completing a 9-digit (organisation) or 10-digit (person) INN body."""
    if not (body.isascii() and body.isdigit()) or len(body) not in (9, 10):
        raise ValueError(f"an INN body is 9 or 10 digits, got {body!r}")
    if len(body) == 9:
        return str(_weighted(body, _INN10))
    first = _weighted(body, _INN12_11)
    second = _weighted(body + str(first), _INN12_12)
    return f"{first}{second}"


def inn_is_valid(value: str) -> bool:
    """True for a 10- or 12-digit INN whose check digits are right."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) not in (10, 12):
        return False
    body_len = 9 if len(value) == 10 else 10
    return inn_check_digits(value[:body_len]) == value[body_len:]


def fake_inn(rng: random.Random, length: int = 12) -> str:
    """A valid INN of `length` 10 (organisation) or 12 (person): a real region code (01..89), then random digits."""
    if length not in (10, 12):
        raise ValueError("an INN has 10 or 12 digits")
    region = f"{rng.randint(1, 89):02d}"
    body = region + "".join(str(rng.randrange(10)) for _ in range(length - 2 - (1 if length == 10 else 2)))
    return body + inn_check_digits(body)


def snils_check_number(number: int | str) -> int:
    """The two-digit check number of the 9-digit SNILS `number`."""
    digits = f"{int(number):09d}" if isinstance(number, int) else number
    if len(digits) != 9 or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"a SNILS number is 9 digits, got {number!r}")
    total = sum(int(d) * w for d, w in zip(digits, range(9, 0, -1), strict=True))
    if total < 100:
        return total
    if total in (100, 101):
        return 0
    check = total % 101
    return 0 if check == 100 else check


_SNILS_TEXT = re.compile(r"^(\d{3})-?(\d{3})-?(\d{3})[ -]?(\d{2})$")


def snils_is_valid(value: str) -> bool:
    """True for a SNILS (`NNN-NNN-NNN CC` or 11 digits) whose check number is right.

    Numbers up to 001-001-998 carry no check number and are valid in any case.
    """
    match = _SNILS_TEXT.match(value) if isinstance(value, str) and value.isascii() else None
    if not match:
        return False
    number = "".join(match.groups()[:3])
    if int(number) <= SNILS_CHECKED_ABOVE:
        return True
    return snils_check_number(number) == int(match.group(4))


def format_snils(number: int, check: int | None = None) -> str:
    """`NNN-NNN-NNN CC`, computing the check number when not given."""
    digits = f"{number:09d}"
    if check is None:
        check = snils_check_number(digits)
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]} {check:02d}"


def fake_snils(rng: random.Random) -> str:
    """A valid SNILS above the unchecked range, written `NNN-NNN-NNN CC`."""
    return format_snils(rng.randint(SNILS_CHECKED_ABOVE + 1, 999_999_999))
