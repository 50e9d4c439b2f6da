"""Text and pages for people, on the ground floor both halves import: `printable` (hostile text is shown, never
obeyed, by a terminal, XML or HTML) and `environment`, the one jinja2 environment every HTML report is rendered in
(autoescape on, undefined names an error, every `{{ value }}` passed through `printable`), with the macros of
`templates/summary.html.j2`: the verdict box and the key/value table that head every report of both halves."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """`text` with control characters (terminal escapes, NULs, ...) shown as `\\xNN`: messages quote hostile input,
    and every report format (a terminal, XML, HTML) must show it, not obey it."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _finalize(value: Any) -> Any:
    """Every printed value made printable; markup a template marked safe (`|safe`) is left as it is."""
    from markupsafe import Markup

    if value is None or isinstance(value, Markup):
        return value
    return printable(str(value))


def environment(package: str, *, filters: Mapping[str, Callable[..., Any]] | None = None,
                globals: Mapping[str, Any] | None = None) -> Any:
    """A jinja2 environment for the templates in `package`'s `templates/` folder (package data), which also finds
    this floor's `summary.html.j2`; autoescape on for every template, whatever its name."""
    from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined

    loader = ChoiceLoader([PackageLoader(package, "templates"), PackageLoader(__name__, "templates")])
    env = Environment(loader=loader, autoescape=True, undefined=StrictUndefined, finalize=_finalize,
                      keep_trailing_newline=True)
    env.filters.update(filters or {})
    env.globals.update(globals or {})
    return env
