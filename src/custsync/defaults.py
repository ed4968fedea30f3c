"""Defaults that commands show in their help: kept in a module that imports nothing heavy, so the CLI can
display them without loading pandas (the modules that use them import them from here)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_STATE_DIR = Path(".custsync")
"""Where journals and the state store live, relative to the working directory."""

DEFAULT_REPORT_DIR = DEFAULT_STATE_DIR / "reports"
"""Where the run reports (HTML, markdown) go unless told otherwise: ``custsync report`` and every flow."""

DEFAULT_ROLLING_SHARE = 7
"""Refresh the sub-resources of a seventh of the unchanged customers per run: nightly runs cover all in a week."""
