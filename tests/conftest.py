"""Test-wide setup: Prefect runs quiet and offline; shared fixtures live in tests/fixtures/."""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PREFECT_HOME", str(_ROOT / ".custsync" / "prefect-test"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
os.environ.setdefault("PREFECT_SERVER_UI_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

REPO_ROOT = _ROOT
