"""Quantities with explicit units, as scenarios, suites, catalogues and command lines write them, parsed into SI and
formatted back. The one parser of each kind for both halves (the simulator and the harness).

Grammar (spaces between number and unit are allowed; numbers may use `_` separators and exponents):

- duration:  `150ms`, `2s`, `5min` (or `5m`), `48h`, `2d`; units `ns us µs ms s min m h d`. `0` needs no unit.
- rate:      `2/s`, `120/min`, `7000/s`, `10/h`, `5/d` (events per unit of time) -> events per second.
- size:      `512B`, `1kB` (1000), `64KiB` (1024), `5MB`, `5MiB`, `1GB`, `1GiB` -> bytes (int).
- bandwidth: `100Mbit/s`, `1Gbit/s`, `64kbit/s`, `10bit/s` -> bits per second.
- share:     `99.9%` or a plain fraction `0.999` -> fraction in [0, 1].

A bare number other than 0 is refused (is `30` seconds or milliseconds?); the sign is the reader's to judge (a
negative duration may be an offset). A value with the wrong unit, or without one, raises `UnitError` naming what was expected, so the loader can point at
the field. `format_*` produce the shortest exact text that parses back to the same value (the round-trip property
the tests check).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "UnitError", "parse_duration", "parse_rate", "parse_size", "parse_bandwidth", "parse_share", "parse_number",
    "format_duration", "format_rate", "format_size", "format_bandwidth", "format_share", "DURATION_UNITS",
]


class UnitError(ValueError):
    """A quantity that does not read as the expected kind of value; the message says what was expected."""


DURATION_UNITS: dict[str, Decimal] = {
    "ns": Decimal("1e-9"), "us": Decimal("1e-6"), "µs": Decimal("1e-6"), "ms": Decimal("1e-3"), "s": Decimal(1),
    "min": Decimal(60), "m": Decimal(60), "h": Decimal(3600), "d": Decimal(86400),
}
_RATE_UNITS: dict[str, Decimal] = {"s": Decimal(1), "min": Decimal(60), "m": Decimal(60), "h": Decimal(3600), "d": Decimal(86400)}
_SIZE_UNITS: dict[str, int] = {
    "B": 1, "kB": 1000, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
    "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4,
}
_BANDWIDTH_UNITS: dict[str, Decimal] = {
    "bit/s": Decimal(1), "kbit/s": Decimal(10**3), "Mbit/s": Decimal(10**6), "Gbit/s": Decimal(10**9),
    "Tbit/s": Decimal(10**12),
}

_NUMBER = r"[+-]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"\s*({_NUMBER})\s*([^\s\d.+-][^\s]*)?\s*")


def _split(text: object, what: str, example: str) -> tuple[Decimal, str | None]:
    """Split `text` into (exact decimal number, unit or None). Bools and non-scalars are refused.

    Decimal arithmetic makes `99.9%` exactly the float nearest 0.999 (float 99.9 / 100 is not)."""
    if isinstance(text, bool) or not isinstance(text, (int, float, str)):
        raise UnitError(f"expected {what} such as {example!r}, got {_show(text)}")
    if isinstance(text, float) and not math.isfinite(text):
        raise UnitError(f"expected a finite {what}, got {_show(text)}")
    if isinstance(text, (int, float)):
        return Decimal(repr(text)), None
    match = _QUANTITY.fullmatch(text)
    if not match:
        raise UnitError(f"expected {what} such as {example!r}, got {text!r}")
    try:
        value = Decimal(match.group(1).replace("_", ""))
    except InvalidOperation:
        raise UnitError(f"expected {what} such as {example!r}, got {text!r}") from None
    return _finite(value, what, text), match.group(2)


def _finite(value: Decimal, what: str, text: object) -> Decimal:
    """`value` if it is a finite float too (`1e400s` would silently become an infinite duration)."""
    if not math.isfinite(float(value)):
        raise UnitError(f"{what} {text!r} is too large: expected a finite number")
    return value


def _show(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)


def parse_number(text: object, what: str = "a number") -> float:
    """A plain number, no unit."""
    value, unit = _split(text, what, "3")
    if unit is not None:
        raise UnitError(f"expected {what} without a unit, got {text!r}")
    return float(value)


def _measured(text: object, kind: str, example: str, units: dict[str, Any], hints: tuple[str, ...], *,
              prefix: str = "", listed: str | None = None, bare_zero: bool = True) -> tuple[Decimal, str] | None:
    """(number, unit name) of a quantity of `kind`; None for a bare 0, which needs no unit when `bare_zero`."""
    value, unit = _split(text, f"a {kind}", example)
    if unit is None:
        if value == 0 and bare_zero:
            return None
        written = " or ".join(f"'{_g(value)}{hint}'" for hint in hints)
        raise UnitError(f"{kind} {text!r} has no unit: write e.g. {written}")
    name = unit[len(prefix):] if unit.startswith(prefix) else ""
    if name not in units:
        raise UnitError(f"{unit!r} is not a {kind} unit (use {listed or 'one of ' + ', '.join(units)})")
    return value, name


def parse_duration(text: object) -> float:
    """Seconds from `150ms`, `2s`, `5min`, `48h`, `2d`. A bare number is refused unless it is 0."""
    measured = _measured(text, "duration", "150ms", DURATION_UNITS, ("s", "ms"))
    return 0.0 if measured is None else float(_finite(measured[0] * DURATION_UNITS[measured[1]], "a duration", text))


def parse_rate(text: object) -> float:
    """Events per second from `2/s`, `120/min`, `10/h`, `5/d`."""
    measured = _measured(text, "rate", "2/s", _RATE_UNITS, ("/s", "/min"), prefix="/", listed="/s, /min, /h or /d")
    return 0.0 if measured is None else float(_finite(measured[0] / _RATE_UNITS[measured[1]], "a rate", text))


def parse_size(text: object) -> int:
    """Bytes from `512B`, `1kB`, `64KiB`, `5MiB`; the result is rounded to a whole byte."""
    measured = _measured(text, "size", "64KiB", _SIZE_UNITS, ("B", "KiB"))
    return 0 if measured is None else int((measured[0] * _SIZE_UNITS[measured[1]]).to_integral_value())


def parse_bandwidth(text: object) -> float:
    """Bits per second from `100Mbit/s`, `1Gbit/s`."""
    measured = _measured(text, "bandwidth", "100Mbit/s", _BANDWIDTH_UNITS, ("Mbit/s",), bare_zero=False)
    assert measured is not None
    return float(_finite(measured[0] * _BANDWIDTH_UNITS[measured[1]], "a bandwidth", text))


def parse_share(text: object) -> float:
    """A fraction in [0, 1] from `99.9%` or `0.999`."""
    value, unit = _split(text, "a share", "99.9%")
    if unit == "%":
        value /= 100
    elif unit is not None:
        raise UnitError(f"{unit!r} is not a share unit (write a percentage like '99.9%' or a fraction like 0.999)")
    if not 0 <= value <= 1:
        raise UnitError(f"share {text!r} is outside 0%..100%")
    return float(value)


def _g(value: float) -> str:
    """Shortest text that reads back as exactly `value`."""
    text = repr(float(value))
    if text.endswith(".0"):
        text = text[:-2]
    return text


def _shortest(value: float, factor: Decimal | float, unit: str, parse) -> str | None:
    """The shortest `<number><unit>` that parses back to exactly `value`, or None."""
    scaled = value / float(factor)
    for digits in range(1, 18):
        number = format(scaled, f".{digits}g")
        if "e" in number or "inf" in number or "nan" in number:
            continue
        text = f"{number}{unit}"
        if parse(text) == value:
            return text
    return None


def format_duration(seconds: float) -> str:
    """`0.15` -> `150ms`; exact on reparse."""
    if seconds == 0:
        return "0s"
    for name in ("d", "h", "min", "s", "ms", "us", "ns"):
        factor = DURATION_UNITS[name]
        if abs(seconds) / float(factor) >= 1 and (text := _shortest(seconds, factor, name, parse_duration)):
            return text
    return f"{_g(seconds)}s"


def format_rate(per_second: float) -> str:
    """`2.0` -> `2/s`; `0.5` -> `30/min`; exact on reparse."""
    if per_second == 0:
        return "0/s"
    for name in ("s", "min", "h", "d"):
        if text := _shortest(per_second, 1 / _RATE_UNITS[name], f"/{name}", parse_rate):
            return text
    return f"{_g(per_second)}/s"


def format_size(n_bytes: int) -> str:
    """`65536` -> `64KiB`; exact."""
    for name in ("TiB", "GiB", "MiB", "KiB", "TB", "GB", "MB", "kB"):
        factor = _SIZE_UNITS[name]
        if n_bytes and n_bytes % factor == 0:
            return f"{n_bytes // factor}{name}"
    return f"{n_bytes}B"


def format_bandwidth(bits_per_second: float) -> str:
    """`1e8` -> `100Mbit/s`; exact on reparse."""
    for name in ("Tbit/s", "Gbit/s", "Mbit/s", "kbit/s", "bit/s"):
        factor = _BANDWIDTH_UNITS[name]
        if bits_per_second / float(factor) >= 1 and (text := _shortest(bits_per_second, factor, name, parse_bandwidth)):
            return text
    return f"{_g(bits_per_second)}bit/s"


def format_share(fraction: float) -> str:
    """`0.999` -> `99.9%` when that reads back exactly, else the plain fraction."""
    return _shortest(fraction, 0.01, "%", parse_share) or _g(fraction)
