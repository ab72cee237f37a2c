# conftest.py: the SpamAssassin compatibility suite reuses the e2e helpers
# (build location, CLI path). It lives outside tests/e2e until sluice
# agrees with SpamAssassin on >= 95% of rule hits; then it moves in.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
