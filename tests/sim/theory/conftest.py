"""The theory modules import their shared helpers (`theory_cases`) from this folder, whatever pytest's import mode."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
