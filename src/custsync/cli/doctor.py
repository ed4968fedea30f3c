"""``custsync doctor``: a read-only probe of a live target, printed as a capability table and saved."""

from __future__ import annotations

import asyncio

from rich.table import Table

from custsync.cli._app import app, console, emit_json, friendly_errors
from custsync.cli._options import ClientOptions, JsonOpt, RateOpt, StateDirOpt
from custsync.defaults import DEFAULT_STATE_DIR
from custsync.errors import AuthError


@app.command("doctor")
@friendly_errors
def doctor_command(
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    requests_per_minute: RateOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Probe the API at CUSTSYNC_API_URL with GETs only (at most 15) and report what it can do.

    Checks the token, page size and paging style, the filters and operators custsync relies on, whether list
    items carry every field the diff needs, the shapes of groups, references and countries, and rate-limit
    headers. The result is saved in the state directory; plan, sync and export read it to pick their strategy.
    """
    from custsync.api import AsyncCustomerApi
    from custsync.doctor import probe, save_capabilities

    settings = ClientOptions(requests_per_minute).settings()

    async def run():  # type: ignore[no-untyped-def]
        async with AsyncCustomerApi(settings) as api:
            return await probe(api)

    caps = asyncio.run(run())
    if not caps.authenticated:
        raise AuthError(
            f"the target refused the token ({caps.checks[0].detail})",
            hint="check CUSTSYNC_API_TOKEN: a personal access token with the rights to read customers",
        )
    saved = save_capabilities(caps, state_dir)
    if json_output:
        emit_json({**caps.to_json(), "saved": str(saved)})
    else:
        table = Table("check", "target", "what custsync does", title=f"{caps.api_url} ({caps.calls} GETs)")
        for check in caps.checks:
            verdict = check.verdict if check.ok else f"[yellow]{check.verdict}[/]"
            table.add_row(check.name, verdict, check.detail)
        console.print(table)
        console.print(f"saved in {saved}", highlight=False)
