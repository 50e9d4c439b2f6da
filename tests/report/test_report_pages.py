"""The ground floor's pages (`conformance.pages`): one jinja2 environment for every HTML report of both halves,
autoescaping and making printable whatever a template prints, and the summary macros both halves' reports open with."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.pages import environment, printable

TEMPLATE_DIRS = [Path(__file__).resolve().parents[2] / p for p in
                 ("conformance/report/templates", "conformance/pages/templates", "sim/report/templates")]


_ENV = environment("sim.report")


@settings(deadline=None)
@given(st.text())
def test_printed_values_are_escaped_and_printable(text):
    env = _ENV
    page = env.from_string("<p>{{ value }}</p>").render(value=text)
    inner = page[3:-4]
    assert "<" not in inner and ">" not in inner
    assert not any(ord(c) < 0x20 and c not in "\t\n\r" for c in inner)
    assert inner == env.from_string("{{ value }}").render(value=printable(text))


def test_markup_marked_safe_is_left_alone_and_none_is_not_text():
    env = environment("conformance.report")
    assert env.from_string("{{ v|safe }}").render(v="<b>\x1b</b>") == "<b>\x1b</b>"
    assert env.from_string("{% if v is none %}none{% endif %}").render(v=None) == "none"


def test_the_summary_macros_are_found_from_either_half():
    for package in ("conformance.report", "sim.report"):
        env = environment(package)
        page = env.from_string('{% from "summary.html.j2" import verdict_box, meta_table %}'
                               "{{ verdict_box('fail', 'FAIL', ': <x>') }}{{ meta_table([('seed', 7)]) }}").render()
        assert '<div class="box verdict-fail" id=headline><b>FAIL</b>: &lt;x&gt;</div>' in page
        assert "<tr><td>seed</td><td><code>7</code></td></tr>" in page


def test_an_undefined_name_is_an_error_not_an_empty_string():
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        environment("sim.report").from_string("{{ missing.field }}").render()


def test_every_template_compiles_and_no_python_builds_html():
    """Each shipped template parses; the simulator's report modules hold no HTML tags in code (only templates)."""
    names = [p.name for d in TEMPLATE_DIRS for p in d.glob("*.j2")]
    assert {"report.html.j2", "capacity.html.j2", "stations.html.j2", "summary.html.j2"} <= set(names)
    from conformance.report.html import _environment
    from sim.report.html import templates

    for env, folder in ((_environment(), TEMPLATE_DIRS[0]), (templates(), TEMPLATE_DIRS[2])):
        for path in folder.glob("*.j2"):
            env.get_template(path.name)
    import re

    for module in (Path(__file__).resolve().parents[2] / "sim" / "report").glob("*.py"):
        code = re.sub(r'""".*?"""', "", module.read_text(encoding="utf-8"), flags=re.S)
        assert not re.search(r"<(table|tr|td|p|h[1-6]|div|img|details)\b", code), module.name
