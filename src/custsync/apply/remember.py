"""After an apply: tell the state store what is now in sync, so the next run can skip it.

Customers with a failed operation (their own or one of their addresses/contacts) are forgotten — their next
run lists them again. Every other customer keeps the ``updatedAt`` the plan saw — also one this run wrote to:
re-reading it after the writes would swallow a change another client made meanwhile (its bump is
indistinguishable from ours), so the next run lists that customer's addresses and contacts once and sees
both. Only a customer this run created has its ``updatedAt`` re-read (one list call per 50): there is no
earlier value, and listing the sub-resources of every new customer again would double a migration's calls.
Column-wise throughout: a million customers are a few vectorised steps, not a million Python objects.
"""

from __future__ import annotations

import pandas as pd

from custsync.apply.executor import ApplyReport
from custsync.reconcile import SYNCED_COLUMNS, Plan, Remote, epoch_us, member
from custsync.state import StateStore


async def remember(plan: Plan, report: ApplyReport, remote: Remote, state: StateStore) -> None:
    state.remember_match_keys(
        [
            (c.customer_number, c.match_key, report.created_ids[f"addresses:{c.key}"])
            for c in plan.addresses.creates
            if c.match_key and f"addresses:{c.key}" in report.created_ids
        ]
        + [(cn, mk, aid) for cn, mk, aid in plan.match_keys]
    )
    synced = pd.DataFrame({c: plan.synced.get(c, []) for c in SYNCED_COLUMNS}).astype(
        {"number": "string", "id": "string", "addresses_hash": "Int64", "contacts_hash": "Int64", "updated_at": "Int64"}
    )
    created = {k.split(":", 1)[1]: v for k, v in report.created_ids.items() if k.startswith("customers:")}
    if created:
        synced["id"] = synced["id"].fillna(synced["number"].map(created).astype("string"))
    forget = member(synced["number"], {d.customer_number for d in plan.customers.deletes} | report.failed_customers)
    forget |= synced["id"].isna().to_numpy()
    touched = member(synced["number"], created.keys()) & ~forget
    if touched.any():
        fresh = await remote.customers_where("id", synced["id"][touched].tolist())
        seen = pd.Series(epoch_us(fresh["updatedAt"]).to_numpy(), index=fresh["id"].astype("string").to_numpy())
        synced.loc[touched, "updated_at"] = synced["id"][touched].map(seen).astype("Int64")
    state.forget_customers(synced["number"][forget].tolist())
    state.record_customers(synced[~forget])
