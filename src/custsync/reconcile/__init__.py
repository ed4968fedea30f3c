"""Reconcile: normalise, key and diff the desired state against the API's, and produce a :class:`Plan`.

    plan = await plan_sync({"customers": c, "addresses": a, "contacts": p}, remote, options=PlanOptions())
    plan.save(Path("plan.json"))

:func:`build_plan` is the pure core (frames in, plan out); :func:`plan_sync` adds the fetching, spending as
few API calls as the state store allows. Code outside this package imports from here, never from its modules:
the key, fingerprint and value helpers listed below are what :mod:`custsync.apply` shares with planning.
"""

from custsync.reconcile.api_remote import ApiRemote
from custsync.reconcile.build import Current, PlanOptions, build_plan, compared_columns
from custsync.reconcile.desired import Desired, SourceFile, inferred_columns
from custsync.reconcile.diff import EntityDiff, diff_entity
from custsync.reconcile.fingerprint import record_digests
from custsync.reconcile.keys import CONTACT_KEY_COLUMNS, address_keys, contact_keys, customer_numbers, key_bases
from custsync.reconcile.modes import DeletePolicy, Mode, Scope, check_mirror_options, delete_limit
from custsync.reconcile.normalise import normalise_column, normalise_frame
from custsync.reconcile.plan import SYNCED_COLUMNS, Create, Delete, EntityPlan, Listing, Plan, PlanMeta, Update
from custsync.reconcile.planner import plan_sync
from custsync.reconcile.remote import Listed, Remote
from custsync.reconcile.values import epoch_us, member, plain

__all__ = [
    "CONTACT_KEY_COLUMNS",
    "SYNCED_COLUMNS",
    "ApiRemote",
    "Create",
    "Current",
    "Delete",
    "DeletePolicy",
    "Desired",
    "EntityDiff",
    "EntityPlan",
    "Listed",
    "Listing",
    "Mode",
    "Plan",
    "PlanMeta",
    "PlanOptions",
    "Remote",
    "Scope",
    "SourceFile",
    "Update",
    "address_keys",
    "build_plan",
    "check_mirror_options",
    "compared_columns",
    "contact_keys",
    "customer_numbers",
    "delete_limit",
    "diff_entity",
    "epoch_us",
    "inferred_columns",
    "key_bases",
    "member",
    "normalise_column",
    "normalise_frame",
    "plain",
    "plan_sync",
    "record_digests",
]
