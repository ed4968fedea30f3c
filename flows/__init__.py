"""Prefect flows that run the custsync pipeline: nightly sync, export, one-off migration.

The flows are thin: each task calls one library function from :mod:`custsync`, so everything a flow does can
also be done from the CLI, and the flows add what Prefect is for — schedules, retries, logs and artifacts.

Importing this package makes Prefect quiet and offline unless the environment already says otherwise: no
analytics, no telemetry, no UI (see :mod:`flows.quiet`). Import it before anything imports :mod:`prefect`.
"""

from flows.quiet import quiet_prefect

quiet_prefect()
