"""Reading a list to its end, and only to its end: page numbers or cursors, keyset listing, and its checks.

Three ways through a list, from the most to the least trustworthy:

- **keyset** (:func:`keyset_pages`): ``id greaterThan <last id>`` ordered by id, always the first page. A record
  deleted or created meanwhile cannot shift the others, so nothing is skipped or read twice. Used whenever the
  listing is ordered by id and the server honours the filter.
- **verified page numbers** (:func:`verified_items`): every page, then a check that the ids seen are unique and as
  many as ``totalCount`` said, before and after. A mismatch re-lists; a second and third mismatch is an error.
- **pages** (:func:`pages`): the raw walk both build on, page by page or cursor by cursor, which never stops early
  while ``totalCount`` says there is more (servers may cap pages below the size asked for), refuses a page that
  repeats the one before, and gives up with an error after ``max_pages``.

Everything here talks to the server through one ``fetch(params) -> ListAnswer`` callable, so the rules can be
tested without HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from custsync.api._envelope import ListAnswer
from custsync.api._query import Filter, Order, QueryParams, encode_query
from custsync.errors import ListingError, RequestValidationError

log = logging.getLogger("custsync.api")

Fetch = Callable[[QueryParams], Awaitable[ListAnswer]]

LISTING_ATTEMPTS = 3
"""How often a page-number listing is read again when its ids and ``totalCount`` disagree."""


@dataclass(frozen=True)
class Page:
    """One page of a list call."""

    number: int
    size: int
    items: list[dict[str, Any]]
    total: int | None
    """``extra.totalCount`` as the server reported it with this page."""


@dataclass
class Lister:
    """One kind of list on one server: how to ask for a page, and what was learnt about the server."""

    fetch: Fetch
    what: str
    """Names the list in errors, e.g. ``GET /api/v2/customers``."""
    styles: dict[str, str]
    """Shared memory of paging styles per list kind (the client's ``paging_styles``)."""
    kind: str
    configured: str = "auto"
    max_pages: int = 10_000

    @property
    def style(self) -> str:
        if self.configured != "auto":
            return self.configured
        return self.styles.get(self.kind, "page")

    async def first(self, query: QueryParams, size: int, cursor: str | None = None, number: int = 1) -> ListAnswer:
        """One page; in ``auto`` mode a server that refuses ``page[...]`` is asked again by cursor, once."""
        style = self.style
        try:
            answer = await self.fetch(query + _paging(style, size, number, cursor))
        except RequestValidationError as exc:
            if not (self.configured == "auto" and style == "page" and number == 1 and "page" in str(exc).lower()):
                raise
            log.info("%s refuses page[...]; asking by cursor", self.what)
            self.styles[self.kind] = "cursor"
            answer = await self.fetch(query + _paging("cursor", size, 1, None))
        if answer.by_cursor and self.configured == "auto" and self.styles.get(self.kind) != "cursor":
            log.info("%s pages by cursor", self.what)
            self.styles[self.kind] = "cursor"
        return answer


async def pages(lister: Lister, query: QueryParams, size: int) -> AsyncIterator[Page]:
    """Every page of one listing, the next fetched only when the previous is consumed."""
    number, seen, cursor = 1, 0, None
    previous: tuple[str, ...] | None = None
    while True:
        if number > lister.max_pages:
            raise _error(lister, f"still more after {lister.max_pages} pages ({seen} items); giving up")
        answer = await lister.first(query, size, cursor, number)
        items = answer.items
        ids = tuple(str(item.get("id")) for item in items)
        if ids and ids == previous:
            raise _error(lister, f"page {number} repeats page {number - 1} (ids {ids[0]}…{ids[-1]})")
        yield Page(number=number, size=size, items=items, total=answer.total)
        seen += len(items)
        previous = ids
        if not items or (answer.total is not None and seen >= answer.total):
            return
        if answer.by_cursor:
            if answer.next_cursor is None:
                if answer.total is not None:
                    raise _error(lister, f"no next cursor after {seen} of {answer.total} items")
                return
            if answer.next_cursor == cursor:
                raise _error(lister, f"the cursor did not advance after page {number}")
            cursor = answer.next_cursor
        else:
            full = answer.page_size or size
            if len(items) < full and answer.total is None:
                return
            if len(items) < size:
                # a server capping pages below what was asked: ask for its size from here on, same offset
                if seen % len(items):
                    raise _error(lister, f"page {number} holds {len(items)} items where {size} were expected")
                size = len(items)
                number = seen // size
        number += 1


async def keyset_pages(lister: Lister, filters: Sequence[Filter], size: int) -> AsyncIterator[list[dict[str, Any]]]:
    """Pages by ``id greaterThan <last id>`` ordered by id: immune to records deleted or created meanwhile.

    Raises :class:`KeysetRefused` (before yielding anything past the first page) when the server refuses the
    filter or ignores it; the caller then lists by page numbers instead.
    """
    last: int | None = None
    for _ in range(lister.max_pages):
        keyed = [*filters, Filter("id", "greaterThan", last)] if last is not None else list(filters)
        query = encode_query(keyed, [Order("id", "asc")])
        try:
            answer = await lister.first(query, size)
        except RequestValidationError as exc:
            if last is None:
                raise
            raise KeysetRefused(f"the server refused 'id greaterThan': {exc.message}") from None
        ids = [_numeric_id(item) for item in answer.items]
        if any(i is None for i in ids) or ids != sorted(set(ids)):  # type: ignore[type-var]
            raise KeysetRefused("ids are not increasing numbers")
        if last is not None and ids and ids[0] <= last:  # type: ignore[operator]
            raise KeysetRefused("the server ignored 'id greaterThan'")
        yield answer.items
        if not answer.items or (answer.total is not None and len(answer.items) >= answer.total):
            return
        if answer.total is None and answer.by_cursor and answer.next_cursor is None:
            return
        last = ids[-1]
    raise _error(lister, f"still more after {lister.max_pages} pages; giving up")


async def verified_items(
    lister: Lister, filters: Sequence[Filter], order: Sequence[Order], size: int
) -> list[dict[str, Any]]:
    """All items by page numbers, vouched for: unique ids, as many as ``totalCount`` said before and after.

    A listing that changed underneath (a record deleted or created between two pages shifts every later page) is
    read again, up to :data:`LISTING_ATTEMPTS` times in all; then it is a :class:`ListingError`.
    """
    query = encode_query(filters, order)
    problem = ""
    for attempt in range(1, LISTING_ATTEMPTS + 1):
        items: list[dict[str, Any]] = []
        totals: list[int | None] = []
        async for page in pages(lister, query, size):
            items.extend(page.items)
            totals.append(page.total)
        problem = _inconsistency(items, totals)
        if not problem:
            return items
        log.warning("%s: %s; reading the list again (attempt %d)", lister.what, problem, attempt + 1)
    raise _error(
        lister,
        f"the list kept changing while it was read ({problem}), {LISTING_ATTEMPTS} times",
        hint="other clients are writing right now; try again later, when the data holds still",
    )


class KeysetRefused(Exception):
    """The server does not support keyset listing (``id greaterThan`` refused, ignored, or ids not numeric)."""


def _inconsistency(items: list[dict[str, Any]], totals: list[int | None]) -> str:
    ids = [str(item.get("id")) for item in items]
    unique = set(ids)
    if len(unique) != len(ids):
        return f"{len(ids) - len(unique)} items appeared twice"
    known = [t for t in totals if t is not None]
    if known and min(known) != max(known):
        return f"totalCount changed from {known[0]} to {known[-1]}"
    if known and len(unique) != known[-1]:
        return f"{len(unique)} items read, totalCount says {known[-1]}"
    return ""


def _paging(style: str, size: int, number: int, cursor: str | None) -> QueryParams:
    if style == "cursor":
        params = [("cursor[size]", str(size))]
        return [*params, ("cursor[nextCursor]", cursor)] if cursor else params
    return [("page[number]", str(number)), ("page[size]", str(size))]


def _numeric_id(item: dict[str, Any]) -> int | None:
    text = str(item.get("id", ""))
    return int(text) if text.isdigit() else None


def _error(lister: Lister, what: str, hint: str | None = None) -> ListingError:
    method, _, path = lister.what.partition(" ")
    return ListingError(
        what,
        method=method,
        path=path,
        hint=hint or "the server's paging is broken or the data changed while it was read; nothing was written",
    )
