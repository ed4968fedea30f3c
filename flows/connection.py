"""Where the flows find the API and its token — never in a flow parameter.

Flow parameters are stored in plain text by the Prefect server and shown in its UI, so :class:`ApiTarget`
holds only the URL, the *name* of a Prefect ``Secret`` block and politeness settings. The token itself is read
when a task opens the client: from that block when it is named, else from an environment variable of the worker
(``CUSTSYNC_API_TOKEN`` unless ``token_env`` names another, e.g. for a rehearsal sandbox next to the real API).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from pydantic import BaseModel, ConfigDict, Field

from custsync.api import (
    ENV_RATE,
    ENV_TOKEN,
    ENV_URL,
    PRODUCTION_REQUESTS_PER_MINUTE,
    ApiSettings,
    CustomerApi,
    Secret,
)
from custsync.errors import ConfigError
from custsync.pipeline import Connection
from flows.ratelimit import global_rate_limit_transport


class ApiTarget(BaseModel):
    """The API a flow talks to. Contains no secret: safe as a flow parameter.

    Its settings are made as the CLI makes them (:meth:`ApiSettings.from_env` in the process running the task):
    what a field leaves unset comes from that process's environment (``CUSTSYNC_REQUESTS_PER_MINUTE``,
    ``CUSTSYNC_API_DEADLINE``, ``CUSTSYNC_FULL_CREATE_BODY``...) or the client's default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str | None = Field(default=None, description=f"base URL; default: ${ENV_URL} of the worker")
    token_secret: str | None = Field(
        default=None, description=f"name of a Prefect Secret block holding the token; default: ${ENV_TOKEN}"
    )
    token_env: str = Field(default=ENV_TOKEN, description="environment variable holding the token (no Secret block)")
    requests_per_minute: float | None = Field(
        default=None,
        gt=0,
        description=f"the client's rate limit; default: ${ENV_RATE} of the worker, else production's "
        f"{PRODUCTION_REQUESTS_PER_MINUTE}/min",
    )
    concurrency: int | None = Field(default=None, ge=1, description="requests in flight at most (default 8)")
    full_create_body: bool | None = Field(
        default=None,
        description="the target takes a customer's whole body at create (one call) instead of create + PATCH; "
        "default: $CUSTSYNC_FULL_CREATE_BODY of the worker, else off",
    )
    gcl_name: str | None = Field(
        default=None,
        description="a Prefect global concurrency limit (with slot decay) that every request takes a slot of, "
        "so that several workers share one rate limit",
    )

    @property
    def display_url(self) -> str | None:
        """The URL for reports and logs, or ``None`` when unset (the task that needs it fails clearly then)."""
        return self.url or os.environ.get(ENV_URL) or None

    def settings(self) -> ApiSettings:
        """Client settings with the token resolved now (from the Secret block or the environment)."""
        return ApiSettings.from_env(
            url=self.url,
            token=self._token(),
            requests_per_minute=self.requests_per_minute,
            concurrency=self.concurrency,
            full_create_body=self.full_create_body,
        )

    def _token(self) -> Secret:
        if self.token_secret:
            return Secret(_load_secret_block(self.token_secret))
        token = os.environ.get(self.token_env, "")
        if not token:
            raise ConfigError(
                f"no API token: {self.token_env} is not set and no Secret block is named",
                hint="set api.token_secret to a Prefect Secret block, or export the token in the worker's env",
            )
        return Secret(token)

    def connection(self) -> Connection:
        """How the import pipeline reaches this API: the settings (token resolved now) and, with ``gcl_name``,
        a transport that takes a slot of that global limit for every request."""
        transport = partial(global_rate_limit_transport, self.gcl_name) if self.gcl_name else None
        return Connection(self.settings(), transport)


@contextmanager
def open_api(target: ApiTarget) -> Iterator[CustomerApi]:
    """A blocking client for one task, reaching the API as :meth:`ApiTarget.connection` says."""
    connection = target.connection()
    transport = connection.transport(connection.settings) if connection.transport is not None else None
    api = CustomerApi(connection.settings, transport=transport)
    try:
        yield api
    finally:
        api.close()


def _load_secret_block(name: str) -> str:
    from prefect.blocks.system import Secret as SecretBlock

    try:
        block = SecretBlock.load(name)
    except ValueError as exc:
        raise ConfigError(
            f"no Prefect Secret block named {name!r}",
            hint=f"create it: prefect block create secret (name {name!r}), or set {ENV_TOKEN} instead",
        ) from exc
    value = block.get()
    if not isinstance(value, str) or not value:
        raise ConfigError(f"the Prefect Secret block {name!r} holds no token string")
    return value
