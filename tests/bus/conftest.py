"""The `served` fixture: a bus double (signatures off) on a free local port."""

from __future__ import annotations

import pytest
from bus_helpers import serve


@pytest.fixture
def served():
    s = serve()
    yield s
    s.running.close()
