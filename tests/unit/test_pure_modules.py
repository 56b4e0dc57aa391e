"""The rules of the trade load without the web framework, the database layer or pandas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PURE = (
    "app.incentives.engine",
    "app.incentives.interessement",
    "app.recognition.ledger",
    "app.feedback.kpi",
    "app.feedback.anomalies",
    "app.money",
    "app.periods",
    "app.pulse.anonymity",
    "app.notify.kinds",
    "app.recognition.goals",
)
HEAVY = ("flask", "sqlalchemy", "pandas")
ROOT = Path(__file__).parents[2]


def test_the_pure_modules_import_without_flask_sqlalchemy_or_pandas():
    # A fresh interpreter: this one has loaded the whole application already.
    code = f"import sys\nimport {', '.join(PURE)}\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
