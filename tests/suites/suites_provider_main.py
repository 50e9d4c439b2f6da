"""A provider participant as a process (for the end-to-end `run` test): `python suites_provider_main.py URL MNEMONIC`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from suites_participants import Provider  # noqa: E402

if __name__ == "__main__":
    url, mnemonic = sys.argv[1], sys.argv[2]
    provider = Provider(url, sender=mnemonic)
    provider.start()
    while True:
        time.sleep(1)
