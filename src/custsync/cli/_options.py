"""Arguments and options that several commands share, declared once as ``Annotated`` types.

A command uses one as ``mode: ModeOpt = "upsert"``: the name and help come from here, the default from the
signature (Typer's rule for ``Annotated``). This module stays light — typer and the standard library only — so
that ``custsync --help`` does not import pandas and friends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from custsync.api import ApiSettings
    from custsync.pipeline import Connection

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout instead of tables.")]

# plan and sync

SourcesArg = Annotated[list[Path], typer.Argument(help="Source files or directories (CSV/Parquet).")]
MappingOpt = Annotated[
    Path | None, typer.Option("--mapping", "-m", help="Mapping file (default: the canonical layout).")
]
ModeOpt = Annotated[str, typer.Option("--mode", help="upsert, insert (create only), update (patch only) or mirror.")]
ScopeOpt = Annotated[str | None, typer.Option("--scope", help="Mirror only: number-prefix=K, group=ID or all.")]
MaxDeletesOpt = Annotated[
    int | None, typer.Option("--max-deletes", help="Most deletes without --force (default 5% of scope, ≤50).")
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Allow more deletes than --max-deletes.")]
FullOpt = Annotated[
    bool, typer.Option("--full", help="List every customer and their addresses and contacts, not only what changed.")
]
ContactKeyOpt = Annotated[
    str, typer.Option("--contact-key", help="What identifies a contact person under its customer: name or email.")
]
OnInvalidOpt = Annotated[str, typer.Option("--on-invalid", help="fail: any invalid row stops before any write; skip.")]
StrictColumnsOpt = Annotated[
    bool, typer.Option("--strict-columns", help="Fail when the source has columns the mapping never reads.")
]
MaxInvalidOpt = Annotated[
    str | None, typer.Option("--max-invalid", help="With --on-invalid skip: most invalid rows (n or n%).")
]

# plan, apply and sync

StateDirOpt = Annotated[Path, typer.Option("--state-dir", help="Where the state store and journal live.")]
RateOpt = Annotated[
    float | None, typer.Option("--requests-per-minute", help="Client rate limit (default: production's 100/min).")
]
ConcurrencyOpt = Annotated[int | None, typer.Option("--concurrency", help="Requests in flight at most.")]


@dataclass(frozen=True)
class ClientOptions:
    """The client options of the command line (``--requests-per-minute``, ``--concurrency``): every command
    builds its API settings here; the URL and token come from the environment."""

    requests_per_minute: float | None = None
    concurrency: int | None = None

    def settings(self) -> ApiSettings:
        from custsync.api import ApiSettings

        return ApiSettings.from_env(requests_per_minute=self.requests_per_minute, concurrency=self.concurrency)

    def connection(self) -> Connection:
        from custsync.pipeline import Connection

        return Connection(self.settings())
