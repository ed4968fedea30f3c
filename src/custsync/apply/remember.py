"""After an apply: tell the state store what is now in sync, so the next run can skip it.

Customers with a failed operation (their own or one of their addresses/contacts) are forgotten — their next
run lists them again. Every other customer keeps the ``updatedAt`` the plan saw — also one this run wrote to:
re-reading it after the writes would swallow a change another client made meanwhile (its bump is
indistinguishable from ours), so the next run lists that customer's addresses and contacts once and sees
both. Only a customer this run created has its ``updatedAt`` re-read (one list call per 50): there is no
earlier value, and listing the sub-resources of every new customer again would double a migration's calls.
Column-wise throughout: a million customers are a few vectorised steps, not a million Python objects.

The listing memory follows the plan's listing (:class:`custsync.reconcile.Listing`): the ids it saw, the
customers this run created and not those it deleted, and its watermark — recorded only here, once the plan was
applied, so a dry run or an abandoned plan never moves it past changes that were not acted on.
"""

from __future__ import annotations

import pandas as pd

from custsync.apply.executor import ApplyReport
from custsync.reconcile import SYNCED_COLUMNS, Plan, Remote, epoch_us, member
from custsync.state import CUSTOMER_DTYPES, StateStore


async def remember(plan: Plan, report: ApplyReport, remote: Remote, state: StateStore) -> None:
    state.remember_match_keys(
        [
            (c.customer_number, c.match_key, report.created_ids[f"addresses:{c.key}"])
            for c in plan.addresses.creates
            if c.match_key and f"addresses:{c.key}" in report.created_ids
        ]
        + [(cn, mk, aid) for cn, mk, aid in plan.match_keys]
    )
    rows = len(plan.synced.get("number", []))
    synced = pd.DataFrame({c: plan.synced.get(c) or [None] * rows for c in SYNCED_COLUMNS}).astype(CUSTOMER_DTYPES)
    created = {k.split(":", 1)[1]: v for k, v in report.created_ids.items() if k.startswith("customers:")}
    deleted = [d.id for d in plan.customers.deletes if d.customer_number not in report.failed_customers]
    state.record_listing(
        added=[*plan.listing.ids, *created.values()],
        removed=deleted,
        complete=plan.listing.complete,
        watermark=plan.listing.watermark,
    )
    if created:
        synced["id"] = synced["id"].fillna(synced["number"].map(created).astype("string"))
    forget = member(synced["number"], {d.customer_number for d in plan.customers.deletes} | report.failed_customers)
    forget |= synced["id"].isna().to_numpy()
    touched = member(synced["number"], created.keys()) & ~forget
    if touched.any():
        listed = await remote.customers_where("id", synced["id"][touched].tolist())
        fresh, cutoff = listed.customers, listed.settled_before()
        stamps = epoch_us(fresh["updatedAt"])
        if cutoff is not None:  # a stamp of the re-read's second may be shared by a later change: look again
            stamps = stamps.mask((pd.to_datetime(fresh["updatedAt"], utc=True) >= cutoff).fillna(True))
        seen = pd.Series(stamps.to_numpy(), index=fresh["id"].astype("string").to_numpy())
        synced.loc[touched, "updated_at"] = synced["id"][touched].map(seen).astype("Int64")
    state.forget_customers(synced["number"][forget].tolist())
    state.record_customers(synced[~forget])
