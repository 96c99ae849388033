from __future__ import annotations

import sys
from pathlib import Path

# Test modules import the tiny-data builders in tests/helpers.py.
sys.path.insert(0, str(Path(__file__).parent))
