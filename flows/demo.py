"""``make demo``: the main job end to end, on this machine only, in well under a minute.

1. start an embedded sandbox of the customer API (SQLite in a temporary directory, 127.0.0.1, a free port);
2. run the Prefect sync flow on a copy of ``sample_data/legacy_erp`` with ``mappings/legacy_erp.yaml``;
3. change a few records in that copy (never in the repository) and sync again: a small plan, field by field;
4. run the export flow into ``./snapshots/`` and check the snapshot reads back as a valid canonical source;
5. print where the snapshot and the HTML reports are, and stop the sandbox.

Prefect runs embedded (a temporary local server, started in the background while the rest warms up), offline
and quiet: its own INFO chatter is hidden, the flow runs' log lines are shown.

Run as a script, ``python flows/demo.py`` (what ``make demo`` does), from anywhere: it sets the demo's Prefect
defaults before :mod:`flows` is imported (importing it prepares Prefect's home), so an unusable home is one
clear error. The demo belongs to the flows it shows; :mod:`custsync` itself never imports them.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custsync.defaults import DEFAULT_REPORT_DIR

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = Path("sample_data/legacy_erp")
MAPPING = Path("mappings/legacy_erp.yaml")
SNAPSHOTS = Path("snapshots")
REPORTS = DEFAULT_REPORT_DIR
TOKEN_ENV = "CUSTSYNC_DEMO_TOKEN"
"""The sandbox's throwaway token travels to the flows' tasks in this variable of the demo's own process."""

DEMO_ENV = {
    "PREFECT_HOME": str(Path(".custsync/prefect").resolve()),
    # Prefect's own INFO lines (temporary server start/stop, task states) hidden; flow-run lines shown
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
    # the demo uses no Prefect blocks: skip registering every block type in a fresh database (seconds saved)
    "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
}

EDITS: dict[str, dict[str, str]] = {
    # customer number -> column of the legacy export -> new value
    "K-10001": {"E-Mail": "buchhaltung@renner.de", "Kreditlimit": "5.000,00", "Ort": "Augsburg"},
    "K-10002": {
        "Telefon": "02314 658551",
        "AP2_Anrede": "Frau",
        "AP2_Vorname": "Greta",
        "AP2_Nachname": "Davids",
        "AP2_E-Mail": "greta.davids@example.de",
    },
}
"""Two customers change three fields between them (e-mail, credit limit, masterdata city), one gets a phone
number, and one gains a second contact person: the second sync must plan exactly these operations."""


@dataclass(frozen=True)
class DemoResult:
    snapshot: Path
    reports: tuple[tuple[str, Path], ...]
    """(what, HTML file) per flow run, in order."""
    snapshot_valid: bool
    runs: tuple[Any, ...] = ()
    """The :class:`custsync.report.RunReport` of each flow run, in order."""


def main() -> int:
    for name, value in DEMO_ENV.items():
        os.environ.setdefault(name, value)
    if not (Path.cwd() / SAMPLE).is_dir():
        os.chdir(REPO_ROOT)  # run from anywhere: the sample data and mapping are repository-relative
    from rich.console import Console

    from custsync.errors import CustsyncError

    console = Console(highlight=False)
    started = time.perf_counter()
    try:
        import flows  # noqa: F401  (quiet, offline Prefect with its home created, before prefect is imported)

        prefect_ready = _start_prefect_in_background()
        result = run_demo(console, prefect_ready=prefect_ready)
    except CustsyncError as exc:
        console.print(f"[bold red]demo failed:[/] {exc.message}")
        if exc.hint:
            console.print(f"[yellow]hint:[/] {exc.hint}")
        return exc.exit_code
    console.rule("[bold]done")
    console.print(f"snapshot:      [bold]{result.snapshot}[/]")
    for label, path in result.reports:
        console.print(f"{label + ':':<14} [bold]{path}[/]")
    console.print(f"finished in {time.perf_counter() - started:.1f} s; the sandbox is stopped")
    return 0 if result.snapshot_valid else 1


def run_demo(
    console: Any,
    *,
    snapshots: Path = SNAPSHOTS,
    reports: Path = REPORTS,
    prefect_ready: Callable[[], None] = lambda: None,
) -> DemoResult:
    """The demo's steps; ``snapshots`` and ``reports`` are where the export and the HTML reports go."""
    from custsync.cli.sandbox import local_sandbox
    from custsync.model import ENTITY_NAMES
    from custsync.source import read_source
    from flows.connection import ApiTarget
    from flows.export import export_flow
    from flows.sync import sync_flow

    with tempfile.TemporaryDirectory(prefix="custsync-demo-") as tmp, local_sandbox(Path(tmp) / "sandbox.db") as box:
        os.environ[TOKEN_ENV] = box.token
        api = ApiTarget(url=box.url, token_env=TOKEN_ENV, requests_per_minute=60_000, concurrency=8)
        source = Path(tmp) / "legacy_erp"
        shutil.copytree(REPO_ROOT / SAMPLE, source, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        mapping = REPO_ROOT / MAPPING
        state = Path(tmp) / "state"
        console.rule("[bold]custsync demo")
        console.print(f"sandbox API on {box.url} (SQLite in {tmp}); source: a copy of {SAMPLE}/")
        with console.status(
            "waiting for Prefect's embedded server to start (its first start creates its database: 10-30 s)"
        ):
            prefect_ready()

        console.rule("[bold]1. sync the legacy ERP export into the empty API")
        first = sync_flow([source], mapping, api=api, state_dir=state, report_dir=reports, on_invalid="skip")
        _show(console, first.report)

        console.rule("[bold]2. change a few records in the source, sync again")
        for number, changes in EDITS.items():
            console.print(f"  {number}: " + ", ".join(f"{column} -> {value!r}" for column, value in changes.items()))
        edit_legacy_csv(next(source.glob("*.csv")), EDITS)
        second = sync_flow([source], mapping, api=api, state_dir=state, report_dir=reports, on_invalid="skip")
        _show(console, second.report)

        console.rule("[bold]3. export a snapshot of the API")
        exported = export_flow(out=snapshots, format="both", api=api, report_dir=reports)
        assert exported.report.export is not None
        snapshot = Path(exported.report.export.path)
        # the Parquet files are the canonical round-trip format (the CSV files next to them are for people)
        check = read_source([snapshot / f"{name}.parquet" for name in ENTITY_NAMES])
        rows = ", ".join(f"{c['rows']} {name}" for name, c in check.counts.items())
        verdict = "valid" if check.ok else f"{len(check.failures)} failures"
        console.print(f"  snapshot {snapshot.name}: {rows}; read back as a canonical source: {verdict}")
        os.environ.pop(TOKEN_ENV, None)
        runs = (("sync report", first.html), ("sync report", second.html), ("export report", exported.html))
        return DemoResult(
            snapshot.resolve(),
            tuple((label, path.resolve()) for label, path in runs),
            check.ok,
            (first.report, second.report, exported.report),
        )


def _show(console: Any, report: Any) -> None:
    """The plan per entity, the first changes field by field, the results and the calls spent."""
    from rich.table import Table

    from custsync.api import calls_text

    table = Table("entity", "create", "update", "delete", "unchanged", "failed", title_justify="left")
    failed = {e.entity: e.failed_total for e in report.results.entities} if report.results else {}
    for e in report.plan.entities:
        table.add_row(
            e.entity, str(e.create), str(e.update), str(e.delete), str(e.unchanged), str(failed.get(e.entity, 0))
        )
    console.print(table)
    updates = [c for c in report.plan.first_changes if c.fields]
    for change in updates:
        for f in change.fields:
            console.print(f"  update {change.entity} {change.key}: {f.field} {f.before!r} -> {f.after!r}")
    creates = [c for c in report.plan.first_changes if c.operation == "create"]
    if creates and report.plan.writes <= 10:
        for change in creates:
            console.print(f"  create {change.entity} {change.key}")
    console.print(f"  API calls: {calls_text(report.calls)}")


def edit_legacy_csv(path: Path, edits: dict[str, dict[str, str]]) -> None:
    """Change cells of the legacy export in place, keeping its encoding, delimiter and line endings."""
    with path.open(encoding="cp1252", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header = rows[0]
    number = header.index("Kundennr")
    for row in rows[1:]:
        for column, value in edits.get(row[number], {}).items():
            row[header.index(column)] = value
    with path.open("w", encoding="cp1252", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(rows)


def _start_prefect_in_background() -> Callable[[], None]:
    """Start Prefect's temporary local server while the sandbox and the libraries load; returns a wait().

    Without a configured ``PREFECT_API_URL`` the first flow run would start it anyway, but only then; here
    its 10–20 s start overlaps the rest of the warm-up. The server's own output goes to a log file in
    ``PREFECT_HOME``; when it exits early or does not answer in time, wait() raises one :class:`ConfigError`
    naming what failed, the log and what to do, instead of minutes of retried tracebacks.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME

    if PREFECT_API_URL.value():
        return lambda: None
    server = _logged_server_class()()
    server.log = Path(PREFECT_HOME.value()) / "embedded-server.log"
    failure: list[BaseException] = []

    def start() -> None:
        try:
            server.start()
        except BaseException as exc:  # reported by wait()
            failure.append(exc)

    thread = threading.Thread(target=start, name="prefect-server-start", daemon=True)
    thread.start()

    def wait() -> None:
        exited_at_start: list[Any] = []  # the processes themselves, so that identities stay unique
        while thread.is_alive():
            thread.join(0.2)
            process = server.server_process
            exited = process.poll() if process is not None else None
            if exited is None:
                continue
            if not any(p is process for p in exited_at_start):
                exited_at_start.append(process)
            # Prefect restarts a process that exits with 3 (uvicorn's "startup failed") on another port, assuming
            # the port was taken; a second such exit means the server itself cannot start
            if exited != 3 or len(exited_at_start) > 1:
                raise _server_failed(server.log, f"its process exited with code {exited}")
        if failure:
            raise _server_failed(server.log, str(failure[0]).split(" stdout:")[0])

    return wait


def _logged_server_class() -> type:
    """Prefect's temporary server, with the output of its process written to a log file instead of the terminal.

    Prefect keeps one server per port in a class-level registry, so the instance made here is the one every
    later ``SubprocessASGIServer()`` call (the flow runs') finds and uses.
    """
    from prefect.server.api.server import SubprocessASGIServer

    class LoggedServer(SubprocessASGIServer):
        log: Path

        def _run_uvicorn_command(self) -> Any:
            # the child inherits descriptors 1 and 2 at spawn: point them at the log just for that moment
            saved = os.dup(1), os.dup(2)
            with self.log.open("ab") as log:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
                try:
                    return super()._run_uvicorn_command()
                finally:
                    os.dup2(saved[0], 1)
                    os.dup2(saved[1], 2)
                    os.close(saved[0])
                    os.close(saved[1])

    return LoggedServer


def _server_failed(log: Path, why: str) -> Exception:
    from custsync.errors import ConfigError

    lines = [line.strip() for line in log.read_text(errors="replace").splitlines()] if log.is_file() else []
    raised = [line for line in lines if re.match(r"^[\w.]+(Error|Exception): ", line)]
    cause = f": {raised[-1]}" if raised else ""
    return ConfigError(
        f"Prefect's embedded server did not start ({why}){cause}; its log is {log}",
        hint=(
            f"check that {log.parent} (PREFECT_HOME) is writable and not used by a different Prefect version "
            "(delete it to start afresh), or set PREFECT_API_URL to a running Prefect server"
        ),
    )


if __name__ == "__main__":
    # a script's own directory leads sys.path; the flows are imported as the package they are, from the repository
    sys.path[0] = str(REPO_ROOT)
    sys.exit(main())
