"""Reconcile: normalise, key and diff the desired state against the API's, and produce a :class:`Plan`.

    plan = await plan_sync({"customers": c, "addresses": a, "contacts": p}, remote, options=PlanOptions())
    plan.save(Path("plan.json"))

:func:`build_plan` is the pure core (frames in, plan out); :func:`plan_sync` adds the fetching, spending as
few API calls as the state store allows.
"""

from custsync.reconcile.build import Current, PlanOptions, build_plan
from custsync.reconcile.desired import Desired, SourceFile, inferred_columns
from custsync.reconcile.diff import EntityDiff, diff_entity
from custsync.reconcile.keys import CONTACT_KEY_COLUMNS
from custsync.reconcile.modes import DeletePolicy, Mode, Scope, delete_limit
from custsync.reconcile.normalise import normalise_column, normalise_frame
from custsync.reconcile.plan import SYNCED_COLUMNS, Create, Delete, EntityPlan, Plan, PlanMeta, Update
from custsync.reconcile.planner import plan_sync
from custsync.reconcile.remote import Remote

__all__ = [
    "CONTACT_KEY_COLUMNS",
    "SYNCED_COLUMNS",
    "Create",
    "Current",
    "Delete",
    "DeletePolicy",
    "Desired",
    "EntityDiff",
    "EntityPlan",
    "Mode",
    "Plan",
    "PlanMeta",
    "PlanOptions",
    "Remote",
    "Scope",
    "SourceFile",
    "Update",
    "build_plan",
    "delete_limit",
    "diff_entity",
    "inferred_columns",
    "normalise_column",
    "normalise_frame",
    "plan_sync",
]
