"""``custsync doctor``: find out, with a handful of GETs, how a live target really behaves.

The public sources disagree on details that decide whether a sync is right or merely looks right: how a list
pages (page number or cursor), how big a page may be, which filter operators exist and how they are spelt,
whether list items carry every field the diff compares, and in which shape ``groups``, references and countries
come back. The doctor asks the target instead of assuming: GETs only, at most :data:`MAX_CALLS`, through the
same rate-limited client as every other command. The answer is a :class:`Capabilities` record, printed and
saved in the state directory, where the commands read it (:func:`load_capabilities`) to choose their strategy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from custsync.api import OPERATOR_SPELLINGS
from custsync.errors import ApiError, AuthError, ConfigError

if TYPE_CHECKING:
    import httpx
    import pandas as pd

    from custsync.api import AsyncCustomerApi, Filter
    from custsync.api._envelope import ListAnswer

MAX_CALLS = 15
"""The most requests one probe sends: a doctor must not eat the tenant's rate limit."""

CAPABILITIES_FILE = "capabilities.json"
"""Where the last probe of a target is kept, inside the state directory."""

FULL_PAGE = 50
"""The page size custsync asks for; a target that serves fewer items per page caps it."""

UPDATED_SINCE_SPELLINGS = (*OPERATOR_SPELLINGS["greaterThanOrEquals"], "greaterThan")
"""How the sources spell "updatedAt at or after" (:data:`custsync.api.OPERATOR_SPELLINGS`), and last the v1
enum's strict ``greaterThan`` (usable with a one-second overlap)."""

FilterVerdict = Literal["supported", "refused", "ignored", "untested"]
Shape = Literal["ids", "objects", "text", "object", "iso", "name", "absent"]


@dataclass(frozen=True)
class Check:
    """One line of the capability table: what was asked, what the target did, and what custsync does about it."""

    name: str
    verdict: str
    detail: str
    ok: bool


@dataclass
class Capabilities:
    """What one target can do, as probed. Saved as JSON in the state directory."""

    api_url: str
    probed_at: str
    authenticated: bool
    page_size: int | None = None
    """The largest page the target serves (``None``: not learnt, e.g. too few customers to tell)."""
    paging: str = "unknown"
    """``page-number``, ``cursor``, ``single-page`` (everything fit on one page) or ``unknown``."""
    total_count: bool = False
    """Whether list answers carry ``extra.totalCount``."""
    filters: dict[str, str] = field(default_factory=dict)
    """``number equals``, ``number in``, ``id greaterThan`` (keyset paging) -> a :data:`FilterVerdict`."""
    updated_since_operator: str | None = None
    """The spelling of "updatedAt at or after" the target accepts, or ``None`` when it refuses them all."""
    list_missing_fields: list[str] = field(default_factory=list)
    """Fields a customer's view has and its list item lacks: non-empty means the diff would need a view each."""
    groups_shape: str = "absent"
    reference_shape: str = "absent"
    country_shape: str = "absent"
    rate_limit_headers: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    checks: list[Check] = field(default_factory=list)

    @property
    def incremental_listing(self) -> bool:
        """Whether customers can be listed by ``updatedAt``: incremental exports and runs rely on it."""
        return self.updated_since_operator is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Capabilities:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["checks"] = [Check(**c) for c in known.get("checks", [])]
        return cls(**known)


# -- probing ----------------------------------------------------------------------------------------------------


class _Prober:
    """Sends the probe's GETs, never more than :data:`MAX_CALLS`, and collects rate-limit headers on the way."""

    def __init__(self, api: AsyncCustomerApi) -> None:
        self.api = api
        self.calls = 0
        self.rate_limit_headers: dict[str, str] = {}

    async def get(self, url: str, params: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
        if self.calls >= MAX_CALLS:
            raise ConfigError(f"the doctor would need more than {MAX_CALLS} requests")  # a bug, never the target
        self.calls += 1
        response = await self.api.send("GET", url, resource="doctor", params=list(params) or None)
        self._note_headers(response)
        try:
            body = response.json()
        except ValueError:
            raise ApiError("the answer is not JSON", method="GET", path=response.request.url.path) from None
        if not isinstance(body, dict):
            raise ApiError("the answer is not a JSON object", method="GET", path=response.request.url.path)
        return body

    def _note_headers(self, response: httpx.Response) -> None:
        for name, value in response.headers.items():
            if re.search(r"rate-?limit|retry-after", name, re.IGNORECASE):
                self.rate_limit_headers[name.lower()] = value


def _list_params(
    filters: Sequence[tuple[str, str, Any]] = (),
    *,
    page: int = 1,
    size: int = FULL_PAGE,
    order: str | None = None,
) -> list[tuple[str, str]]:
    """Query parameters in the API's bracketed form. Operators are passed through as spelt, so that spellings
    outside :data:`custsync.api.OPERATORS` can be tried too."""
    params: list[tuple[str, str]] = []
    for i, (key, op, value) in enumerate(filters):
        params += [(f"filter[{i}][key]", key), (f"filter[{i}][op]", op)]
        if isinstance(value, list):
            params += [(f"filter[{i}][value][]", str(v)) for v in value]
        else:
            params.append((f"filter[{i}][value]", str(value)))
    if order:
        params += [("order[0][field]", order), ("order[0][dir]", "asc")]
    # both paging styles are asked for the same size: a list ignores the parameters it does not declare
    return [*params, ("page[number]", str(page)), ("page[size]", str(size)), ("cursor[size]", str(size))]


async def probe(api: AsyncCustomerApi, *, customers_url: str = "/api/v2/customers") -> Capabilities:
    """Probe the target behind ``api`` with GETs only; never raises for what the target does, only records it."""
    from custsync.urls import safe_url

    prober = _Prober(api)
    caps = Capabilities(api_url=safe_url(api.settings.url), probed_at=_now(), authenticated=False)
    try:
        first = await prober.get(customers_url, _list_params())
    except AuthError as exc:
        caps.checks.append(Check("authentication", "refused", exc.message, ok=False))
        caps.calls = prober.calls
        return caps
    caps.authenticated = True
    caps.checks.append(Check("authentication", "accepted", "the token may list customers", ok=True))
    items = _items(first)
    if items is None:
        caps.checks.append(Check("list envelope", "malformed", "a list answer without a data array", ok=False))
        caps.calls = prober.calls
        return caps
    total = _total(first)
    caps.total_count = total is not None
    caps.checks.append(
        Check(
            "totalCount",
            "given" if total is not None else "missing",
            f"extra.totalCount = {total}" if total is not None else "lists cannot be checked for completeness",
            ok=total is not None,
        )
    )
    await _probe_paging(prober, caps, customers_url, first, items, total)
    if items:
        await _probe_filters(prober, caps, customers_url, items)
        await _probe_shapes(prober, caps, customers_url, items)
    else:
        caps.checks.append(Check("filters and shapes", "untested", "the target holds no customer yet", ok=True))
    caps.rate_limit_headers = dict(prober.rate_limit_headers)
    caps.checks.append(
        Check(
            "rate-limit headers",
            "sent" if caps.rate_limit_headers else "none",
            ", ".join(sorted(caps.rate_limit_headers)) or "custsync keeps to its own limit (--requests-per-minute)",
            ok=True,
        )
    )
    caps.calls = prober.calls
    return caps


async def _probe_paging(
    prober: _Prober,
    caps: Capabilities,
    url: str,
    first: dict[str, Any],
    items: list[dict[str, Any]],
    total: int | None,
) -> None:
    served = len(items)
    cursor = _next_cursor(first)
    more = (total is not None and total > served) or served == FULL_PAGE or cursor is not None
    if total is not None and served < FULL_PAGE and total > served:
        caps.page_size = served
        caps.checks.append(
            Check("page size", f"capped at {served}", f"asked for {FULL_PAGE}; custsync pages on by totalCount", False)
        )
    elif served == FULL_PAGE:
        caps.page_size = FULL_PAGE
        caps.checks.append(Check("page size", f"{FULL_PAGE}", "full pages as asked", ok=True))
    else:
        caps.checks.append(Check("page size", "unknown", f"only {served} customers: everything fit one page", True))
    if not more:
        caps.paging = "single-page"
        caps.checks.append(Check("paging", "single page", "nothing to page through yet", ok=True))
        return
    second = _items(await prober.get(url, _list_params(page=2)))
    ids_first = {str(i.get("id")) for i in items}
    ids_second = {str(i.get("id")) for i in second or []}
    if ids_second and not ids_second & ids_first:
        caps.paging = "page-number"
        caps.checks.append(Check("paging", "page number", "page[number]=2 answers the next items", ok=True))
    elif cursor is not None:
        caps.paging = "cursor"
        caps.checks.append(Check("paging", "cursor", "page[number] is not honoured; a cursor is given", ok=False))
    else:
        caps.paging = "unknown"
        caps.checks.append(
            Check("paging", "broken", "page 2 repeats page 1 and no cursor is given: listings cannot be trusted", False)
        )


async def _probe_filters(prober: _Prober, caps: Capabilities, url: str, items: list[dict[str, Any]]) -> None:
    numbers = [str(i["number"]) for i in items if i.get("number") not in (None, "")]
    if numbers:
        found = await _filtered(prober, url, [("number", "equals", numbers[0])])
        caps.filters["number equals"] = _verdict(found, lambda item: str(item.get("number")) == numbers[0], 1)
        pair = numbers[:2]
        found = await _filtered(prober, url, [("number", "in", pair)])
        caps.filters["number in"] = _verdict(found, lambda item: str(item.get("number")) in pair, len(pair))
    ids = sorted((str(i["id"]) for i in items if i.get("id") is not None), key=_id_order)
    if len(ids) >= 2:
        pivot = ids[0]
        found = await _filtered(prober, url, [("id", "greaterThan", pivot)], order="id", size=2)
        caps.filters["id greaterThan"] = _verdict(found, lambda item: _id_order(str(item.get("id"))) > _id_order(pivot))
    stamps = sorted(str(i["updatedAt"]) for i in items if i.get("updatedAt"))
    if stamps:
        since = stamps[len(stamps) // 2]
        for spelling in UPDATED_SINCE_SPELLINGS:
            found = await _filtered(prober, url, [("updatedAt", spelling, since)])
            verdict = _verdict(found, lambda item, s=since: str(item.get("updatedAt") or "") >= s)
            caps.filters[f"updatedAt {spelling}"] = verdict
            if verdict == "supported":
                caps.updated_since_operator = spelling
                break
    for name, verdict in caps.filters.items():
        caps.checks.append(Check(f"filter {name}", verdict, _FILTER_CONSEQUENCE[verdict], ok=verdict == "supported"))
    if caps.updated_since_operator is None and stamps:
        caps.checks.append(
            Check("incremental listing", "unavailable", "exports and syncs list every customer (full listing)", False)
        )


_FILTER_CONSEQUENCE = {
    "supported": "used as is",
    "refused": "answered 400: custsync lists fully instead",
    "ignored": "accepted but not applied (returned non-matching items): custsync must not rely on it",
    "untested": "not enough data to tell",
}


async def _filtered(
    prober: _Prober,
    url: str,
    filters: Sequence[tuple[str, str, Any]],
    *,
    order: str | None = None,
    size: int = FULL_PAGE,
) -> list[dict[str, Any]] | None:
    """The items a filtered list answers, or ``None`` when the target refuses the filter (400/422)."""
    try:
        return _items(await prober.get(url, _list_params(filters, order=order, size=size))) or []
    except ApiError as exc:
        if exc.status in (400, 422):
            return None
        raise


def _verdict(found: list[dict[str, Any]] | None, matches: Any, expected: int | None = None) -> str:
    if found is None:
        return "refused"
    if any(not matches(item) for item in found):
        return "ignored"
    if expected is not None and len(found) != expected:
        return "ignored"
    return "supported"


async def _probe_shapes(prober: _Prober, caps: Capabilities, url: str, items: list[dict[str, Any]]) -> None:
    sample = items[0]
    listed = _paths(sample)
    viewed = await prober.get(_self_link(sample, url))
    view = viewed.get("data") if isinstance(viewed.get("data"), dict) else viewed
    missing = sorted(p for p in _paths(view) - listed if not p.startswith("links"))
    caps.list_missing_fields = missing
    caps.checks.append(
        Check(
            "list items complete",
            "yes" if not missing else f"{len(missing)} fields only in the view",
            "the diff reads lists only" if not missing else "missing: " + ", ".join(missing[:8]),
            ok=not missing,
        )
    )
    caps.groups_shape = _shape_of_groups(items)
    caps.reference_shape = _shape_of_reference(items)
    addresses = await _first_addresses(prober, items)
    caps.country_shape = _shape_of_country(addresses)
    normalised = "read in either shape and normalised by the codec"
    caps.checks += [
        Check("groups", caps.groups_shape, normalised, ok=True),
        Check("payment/shipping method", caps.reference_shape, normalised, ok=True),
        Check("address country", caps.country_shape, normalised, ok=True),
    ]


async def _first_addresses(prober: _Prober, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for item in items[:1]:
        links = item.get("links") or {}
        link = links.get("addresses") or links.get("address")
        if isinstance(link, str):
            return _items(await prober.get(prober.api.follow(link), [("page[size]", str(FULL_PAGE))])) or []
    return []


def _shape_of_groups(items: list[dict[str, Any]]) -> str:
    for item in items:
        for group in item.get("groups") or []:
            return "objects" if isinstance(group, dict) else "ids"
    return "absent"


def _shape_of_reference(items: list[dict[str, Any]]) -> str:
    for item in items:
        for holder, name in (("financial", "paymentMethod"), ("shipping", "shippingMethod")):
            value = (item.get(holder) or {}).get(name)
            if value not in (None, ""):
                return "object" if isinstance(value, dict) else "text"
    return "absent"


def _shape_of_country(addresses: list[dict[str, Any]]) -> str:
    for address in addresses:
        country = address.get("country")
        if isinstance(country, str) and country:
            return "iso" if re.fullmatch(r"[A-Z]{2}", country) else "name"
    return "absent"


# -- reading answers ------------------------------------------------------------------------------------------


def _items(body: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    data = body.get("data")
    return [i for i in data if isinstance(i, dict)] if isinstance(data, list) else None


def _total(body: Mapping[str, Any]) -> int | None:
    total = (body.get("extra") or {}).get("totalCount")
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def _next_cursor(body: Mapping[str, Any]) -> str | None:
    """A cursor for the next page, wherever the target puts it (``extra``, ``meta`` or ``links.next``)."""
    for holder in ("extra", "meta", "links", "pagination"):
        section = body.get(holder)
        if not isinstance(section, dict):
            continue
        for name, value in section.items():
            if isinstance(value, dict):  # {"cursor": {"nextCursor": "...", "size": 50}}
                value = next((v for k, v in value.items() if "cursor" in k.lower() or k == "next"), None)
            if value and ("cursor" in name.lower() or name == "next"):
                return str(value)
    return None


def _paths(obj: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every leaf, as the canonical columns name them (``financial.paymentTerms.days``)."""
    if not isinstance(obj, dict):
        return {prefix} if prefix else set()
    out: set[str] = set()
    for name, value in obj.items():
        path = f"{prefix}.{name}" if prefix else name
        out |= _paths(value, path) if isinstance(value, dict) and value else {path}
    return out


def _self_link(item: Mapping[str, Any], collection: str) -> str:
    link = (item.get("links") or {}).get("self")
    return link if isinstance(link, str) else f"{collection}/{item.get('id')}"


def _id_order(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- keeping the answer -----------------------------------------------------------------------------------------


def save_capabilities(caps: Capabilities, state_dir: Path) -> Path:
    """Write ``caps`` into ``state_dir`` (created with its parents), atomically."""
    from custsync.io import atomic_write_bytes

    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / CAPABILITIES_FILE
    atomic_write_bytes(path, (json.dumps(caps.to_json(), indent=2) + "\n").encode())
    return path


def load_capabilities(state_dir: Path, api_url: str) -> Capabilities | None:
    """The saved probe of ``api_url`` in ``state_dir``, or ``None`` (never probed, another target, unreadable)."""
    from custsync.urls import safe_url

    path = state_dir / CAPABILITIES_FILE
    try:
        caps = Capabilities.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return caps if caps.api_url == safe_url(api_url) else None


def adopt_capabilities(api: AsyncCustomerApi, state_dir: Path) -> Capabilities | None:
    """Tell a new client what the doctor found about its target: where ``id greaterThan`` was refused or
    silently ignored, customers are listed by checked page numbers from the start instead of by keyset."""
    caps = load_capabilities(state_dir, api.settings.url)
    if caps is not None and caps.filters.get("id greaterThan") in ("refused", "ignored"):
        api.keyset_refused.add("customers")
    return caps


def updated_since_operator(state_dir: Path, api_url: str) -> str | None:
    """How to ask ``api_url`` for "updatedAt at or after": the spelling the doctor (or an earlier run) found
    accepted, custsync's own when the target was never probed, ``None`` when the target refuses them all."""
    caps = load_capabilities(state_dir, api_url)
    if caps is None:
        return "greaterThanOrEquals"
    return caps.updated_since_operator


async def customers_updated_since(
    api: AsyncCustomerApi,
    mark: str,
    *,
    state_dir: Path | None,
    filters: Sequence[Filter] = (),
    on_answer: Callable[[ListAnswer], None] | None = None,
) -> tuple[pd.DataFrame | None, str | None]:
    """Customers with ``updatedAt`` at or after ``mark``, asked as the target spells it; ``(None, why)`` when
    the target refuses the filter — known from the doctor or an earlier run, or answering 400 now (then it is
    remembered in ``state_dir``). The caller lists every customer instead and says why.

    The v1 spelling ``greaterThan`` is strict: it is asked from a second earlier, so a change stamped at the
    mark itself is not missed."""
    import pandas as pd

    from custsync.api import Filter
    from custsync.api.fetch import afetch_customers
    from custsync.errors import RequestValidationError

    operator = updated_since_operator(state_dir, api.settings.url) if state_dir is not None else None
    if state_dir is not None and operator is None:
        return None, "the target refuses updatedAt filters (see custsync doctor)"
    operator = operator or "greaterThanOrEquals"
    if operator == "greaterThan":
        mark = (pd.Timestamp(mark) - pd.Timedelta(seconds=1)).isoformat()
    try:
        since = Filter("updatedAt", operator, mark)
        return await afetch_customers(api, (*filters, since), on_answer=on_answer), None
    except RequestValidationError:
        if state_dir is not None:
            remember_refused_filter(state_dir, api.settings.url, operator)
    where = f" (remembered in {state_dir}; run custsync doctor to find a spelling it accepts)" if state_dir else ""
    return None, f"the target answered 400 to the filter updatedAt {operator}{where}"


def remember_refused_filter(state_dir: Path, api_url: str, spelling: str) -> None:
    """Record that the target answered 400 to "updatedAt ``spelling``", so later runs list fully at once."""
    from custsync.urls import safe_url

    caps = load_capabilities(state_dir, api_url) or Capabilities(
        api_url=safe_url(api_url), probed_at=_now(), authenticated=True
    )
    caps.filters[f"updatedAt {spelling}"] = "refused"
    if caps.updated_since_operator == spelling:
        caps.updated_since_operator = None
    caps.checks.append(Check(f"filter updatedAt {spelling}", "refused", "learnt during a run: answered 400", False))
    save_capabilities(caps, state_dir)
