"""The three resources, described by data (path template, version, key fields) and one small class each.

A sub-resource (addresses, contact persons) is reached through its customer's ``links`` when the caller holds
a customer resource; the URL is built from the template only when there is no link. Items are addressed by
their own ``links.self`` when the caller passes the resource, by id otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from custsync.api._envelope import ListAnswer
from custsync.api._pagination import KeysetRefused, Lister, Page, keyset_pages, pages, verified_items
from custsync.api._query import Filter, Order, QueryParams, encode_query
from custsync.errors import NotFoundError

if TYPE_CHECKING:
    from custsync.api._client import AsyncCustomerApi

PAGE_SIZE = 50
"""The most a page may hold; bigger pages mean fewer calls against the rate limit."""

Ref = str | int | Mapping[str, Any]
"""An id, or a resource as the API returned it (then its ``links.self`` is used)."""

Match = Callable[[Mapping[str, Any]], bool]

log = logging.getLogger("custsync.api")


@dataclass(frozen=True)
class ResourceSpec:
    """What a resource is, as data."""

    name: str
    """Name in call accounting and canonical frames."""
    version: str
    collection: str
    """Path template of the collection; ``{version}`` and ``{customer_id}`` are filled in."""
    key_fields: tuple[str, ...]
    """Fields that tell a record apart from its siblings: used to check whether an uncertain create happened."""
    parent_links: tuple[str, ...] = ()
    """Names under which a customer's ``links`` point at this collection (the seed's spelling included)."""
    keyset: bool = True
    """Whether its list may be filtered by ``id greaterThan`` (keyset listing); the spec's contact-person
    list has no ``id`` filter key, so contacts are listed by checked page numbers."""


CUSTOMERS_SPEC = ResourceSpec("customers", "v2", "/api/{version}/customers", key_fields=("number",))
ADDRESSES_SPEC = ResourceSpec(
    "addresses",
    "v2",
    "/api/{version}/customers/{customer_id}/addresses",
    key_fields=("type", "name", "street", "zip", "city", "country"),
    parent_links=("addresses", "address"),
)
CONTACTS_SPEC = ResourceSpec(
    "contacts",
    "v1",
    "/api/{version}/customers/{customer_id}/contactPerson",
    key_fields=("name",),
    parent_links=("contactPersons", "contactPerson"),
    keyset=False,
)


class Resource:
    """List, view, create, update and delete one kind of resource."""

    spec: ClassVar[ResourceSpec]

    def __init__(self, api: AsyncCustomerApi, collection_url: str) -> None:
        self.api = api
        self.collection_url = collection_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.collection_url!r})"

    # -- reading ---------------------------------------------------------------------------------------------

    async def pages(
        self, filters: Sequence[Filter] = (), order: Sequence[Order] = (), *, page_size: int = PAGE_SIZE
    ) -> AsyncIterator[Page]:
        """Stream the pages of a list call (page numbers or cursor), the next fetched only when asked for.

        It never stops while ``totalCount`` says there is more, refuses a repeated page and stops after
        ``max_pages`` with a :class:`~custsync.errors.ListingError`. It does not vouch for a list that changes
        meanwhile; :meth:`all` does.
        """
        _check_page_size(page_size)
        async for page in pages(self._lister(), encode_query(filters, order), page_size):
            yield page

    async def all(
        self,
        filters: Sequence[Filter] = (),
        order: Sequence[Order] = (),
        *,
        page_size: int = PAGE_SIZE,
        on_answer: Callable[[ListAnswer], None] | None = None,
    ) -> list[dict[str, Any]]:
        """All items, none skipped and none twice even while others write (or a :class:`ListingError`).

        Ordered by id (or unordered), the list is read by keyset (``id greaterThan <last id>``); when the
        server refuses that, or another order is asked for, by page numbers with a consistency check.
        ``on_answer`` sees every page's answer as it arrives (its ``server_time`` dates the listing).
        """
        _check_page_size(page_size)
        lister = self._lister(on_answer)
        by_id = not order or list(order) == [Order("id", "asc")]
        if by_id and self.spec.keyset and self.spec.name not in self.api.keyset_refused:
            items: list[dict[str, Any]] = []
            try:
                async for chunk in keyset_pages(lister, filters, page_size):
                    items.extend(chunk)
                return items
            except KeysetRefused as exc:
                log.info("%s: no keyset listing (%s); reading by page numbers, checked", lister.what, exc)
                self.api.keyset_refused.add(self.spec.name)
        return await verified_items(lister, filters, order or [Order("id", "asc")], page_size)

    async def count(self, filters: Sequence[Filter] = ()) -> int | None:
        """How many items the list holds, for one call (a page of size 1); ``None`` when it does not say."""
        return (await self._lister().first(encode_query(filters, ()), 1)).total

    async def list(
        self, filters: Sequence[Filter] = (), order: Sequence[Order] = (), *, page_size: int = PAGE_SIZE
    ) -> AsyncIterator[dict[str, Any]]:
        """The items of :meth:`all`, one by one (read completely first: a listing is vouched for at its end)."""
        for item in await self.all(filters, order, page_size=page_size):
            yield item

    async def get(self, ref: Ref, *, key: str | None = None) -> dict[str, Any]:
        """One resource; the ``{"data": {...}}`` envelope of view answers is required and unwrapped."""
        response = await self.api.send("GET", self.item_url(ref), resource=self.spec.name, key=key)
        return dict(self.api.read_item(response))

    def _lister(self, on_answer: Callable[[ListAnswer], None] | None = None) -> Lister:
        async def fetch(params: QueryParams) -> ListAnswer:
            response = await self.api.send("GET", self.collection_url, resource=self.spec.name, params=params)
            answer = self.api.read_list(response)
            if on_answer is not None:
                on_answer(answer)
            return answer

        settings = self.api.settings
        what = f"GET {httpx.URL(self.collection_url).path}"
        return Lister(fetch, what, self.api.paging_styles, self.spec.name, settings.paging, settings.max_pages)

    # -- writing ---------------------------------------------------------------------------------------------

    async def update(self, ref: Ref, fields: Mapping[str, Any], *, key: str | None = None) -> None:
        """PATCH only ``fields`` (a partial JSON body; ``None`` clears a field). Nothing to change, no call."""
        if not fields:
            return
        await self.api.send("PATCH", self.item_url(ref), resource=self.spec.name, json=dict(fields), key=key)

    async def delete(self, ref: Ref, *, key: str | None = None) -> None:
        """Delete; retried like GET, and a 404 after an attempt that may have taken effect counts as done."""
        await self.api.delete(self.item_url(ref), resource=self.spec.name, key=key)

    # -- URLs ------------------------------------------------------------------------------------------------

    def item_url(self, ref: Ref) -> str:
        if isinstance(ref, Mapping):
            link = (ref.get("links") or {}).get("self")
            if link:
                return self.api.follow(str(link))
            if ref.get("id") is None:
                raise ValueError(f"{self.spec.name}: the resource has neither links.self nor an id")
            ref = ref["id"]
        return f"{self.collection_url}/{_segment(ref)}"


class Customers(Resource):
    """Customers (v2); the customer number is the key."""

    spec = CUSTOMERS_SPEC

    def __init__(self, api: AsyncCustomerApi) -> None:
        super().__init__(api, self.spec.collection.format(version=self.spec.version))

    async def find_by_number(self, number: str) -> dict[str, Any] | None:
        """The customer with this number, or ``None`` (one list call)."""
        answer = await self._lister().first(encode_query([Filter("number", "equals", number)]), 10)
        for item in answer.items:
            if str(item.get("number")) == str(number):
                return dict(item)
        return None

    async def create(self, body: Mapping[str, Any], *, key: str | None = None) -> str:
        """Create a customer; returns its id. Never creates it twice (see :meth:`AsyncCustomerApi.create`).

        With a ``number`` in the body an uncertain POST is checked by looking the number up. Without one the
        server assigns the number, nothing identifies the record, and an uncertain POST is not retried: the error
        says the outcome is unknown.
        """
        number = body.get("number")
        key = key or (str(number) if number not in (None, "") else None)
        find_existing = None
        if number not in (None, ""):

            async def find_existing() -> str | None:
                found = await self.find_by_number(str(number))
                return None if found is None else str(found["id"])

        return await self.api.create(
            self.collection_url,
            body,
            resource=self.spec.name,
            key=key,
            find_existing=find_existing,
            why_unchecked="the customer has no number, so the API cannot be asked whether it exists",
        )

    async def delete(self, ref: Ref, *, key: str | None = None) -> str:  # type: ignore[override]
        """Delete a customer; returns the route that did it: ``v2``, ``v1``, or ``gone`` (it already was).

        The seed lists ``DELETE /api/v2/customers/{id}``, the newest public operation lists only the v1 route.
        A 404 is therefore not taken for "already gone": a GET must confirm it, and when the customer is still
        there the v1 route is tried.
        """
        route = await self._delete_by_any_route(ref, key)
        self.api.stats.record_customer_delete(route)
        return route

    async def _delete_by_any_route(self, ref: Ref, key: str | None) -> str:
        try:
            await self.api.delete(self.item_url(ref), resource=self.spec.name, key=key, trust_404=False)
            return "v2"
        except NotFoundError:
            pass
        if not await self.exists(ref, key=key):
            return "gone"
        v1 = CUSTOMERS_SPEC.collection.format(version="v1")
        record_id = ref.get("id") if isinstance(ref, Mapping) else ref
        await self.api.delete(f"{v1}/{_segment(str(record_id))}", resource=self.spec.name, key=key, trust_404=False)
        return "v1"

    async def exists(self, ref: Ref, *, key: str | None = None) -> bool:
        """Whether the customer can still be viewed (a 404 says it cannot)."""
        try:
            await self.get(ref, key=key)
        except NotFoundError:
            return False
        return True


class SubResource(Resource):
    """A collection under one customer, reached through the customer's links when given."""

    def __init__(self, api: AsyncCustomerApi, customer: Ref) -> None:
        self.customer = customer
        super().__init__(api, self._collection_of(api, customer))

    @classmethod
    def _collection_of(cls, api: AsyncCustomerApi, customer: Ref) -> str:
        if isinstance(customer, Mapping):
            links = customer.get("links") or {}
            for name in cls.spec.parent_links:
                if links.get(name):
                    return api.follow(str(links[name])).rstrip("/")
            if customer.get("id") is None:
                raise ValueError(f"{cls.spec.name}: the customer has neither links nor an id")
            customer = customer["id"]
        return cls.spec.collection.format(version=cls.spec.version, customer_id=_segment(customer))

    @property
    def customer_label(self) -> str:
        c = self.customer
        if isinstance(c, Mapping):
            return str(c.get("number") or c.get("id") or "?")
        return str(c)

    async def create(
        self,
        body: Mapping[str, Any],
        *,
        key: str | None = None,
        match: Match | Sequence[str] | None = None,
    ) -> str:
        """Create under the customer; returns the new id. Never creates it twice.

        If a POST fails without a usable answer, the customer's collection is listed and searched for a record
        that ``match`` accepts before sending again: ``match`` is a predicate, or field names compared between
        ``body`` and each record (default :attr:`ResourceSpec.key_fields`, compared trimmed and case-blind).
        """
        predicate = match if callable(match) else _fields_match(body, tuple(match or self.spec.key_fields))
        key = key or self._default_key(body)

        async def find_existing() -> str | None:
            async for item in self.list():
                if predicate(item):
                    return str(item["id"])
            return None

        return await self.api.create(
            self.collection_url, body, resource=self.spec.name, key=key, find_existing=find_existing
        )

    def _default_key(self, body: Mapping[str, Any]) -> str:
        parts = [str(body.get(f)) for f in self.spec.key_fields[:2] if body.get(f) not in (None, "")]
        return "/".join([f"customer {self.customer_label}", *parts])


class Addresses(SubResource):
    """Addresses (v2) of one customer."""

    spec = ADDRESSES_SPEC


class Contacts(SubResource):
    """Contact persons (v1) of one customer."""

    spec = CONTACTS_SPEC


def _check_page_size(page_size: int) -> None:
    if not 1 <= page_size <= PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {PAGE_SIZE}, got {page_size}")


def _fields_match(body: Mapping[str, Any], fields: tuple[str, ...]) -> Match:
    wanted = {f: _norm(body.get(f)) for f in fields}

    def predicate(item: Mapping[str, Any]) -> bool:
        return all(_norm(item.get(f)) == value for f, value in wanted.items())

    return predicate


def _norm(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    return value


def _segment(ref: str | int) -> str:
    """An id as one URL path segment; anything that could change the path is refused."""
    text = str(ref).strip()
    if not text or "/" in text or "?" in text or "#" in text or text in (".", ".."):
        raise ValueError(f"not a valid resource id: {text!r}")
    return text
