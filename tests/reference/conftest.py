"""The `stand` fixture: a signing bus double that knows the reference provider and consumer."""

from __future__ import annotations

import pytest
from reference_helpers import make_stand


@pytest.fixture
def stand():
    s = make_stand()
    yield s
    s.close()
