"""The suite's own rule that lets `make test` run its tests in parallel (tests/conftest.py): no test binds a fixed
port; it binds port 0 and reads the port it got. (`--strict-markers` already refuses an unregistered marker.)"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for p in (ROOT / "tests").rglob("*.py")
                 if "vectors" not in p.parts and p != Path(__file__).resolve())  # not this file's own examples
FIXED = [re.compile(r"""\.bind\(\(\s*["'][^"']*["']\s*,\s*([0-9]+)\s*\)\)"""),  # socket.bind((host, N))
         re.compile(r"""["']--port["']\s*,\s*["']?([0-9]+)"""),  # a command line's --port N
         re.compile(r"""\bport\s*=\s*([0-9]+)\b""")]  # start(..., port=N)


def fixed_ports(text: str) -> list[int]:
    """The fixed TCP ports a source binds or serves on (0, any free port, and numbers that are no port are fine)."""
    return [int(m.group(1)) for pattern in FIXED for m in pattern.finditer(text) if 0 < int(m.group(1)) < 65536]


def test_the_pattern_finds_fixed_ports_and_passes_port_zero():
    assert fixed_ports('s.bind(("127.0.0.1", 7575))\nrun(["serve", "--port", "8088"])\nstart(bus, port=9000)') == [
        7575, 8088, 9000]
    assert fixed_ports('s.bind(("127.0.0.1", 0))\n["--port", "0"]\n["--port", "70000"]\nstart(bus, port=0)') == []


def test_no_test_binds_a_fixed_port():
    found = {str(p.relative_to(ROOT)): ports for p in SOURCES if (ports := fixed_ports(p.read_text(encoding="utf-8")))}
    assert found == {}, f"tests that bind a fixed port (two runs would collide; use port 0): {found}"

