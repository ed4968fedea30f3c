"""The desired state a plan is computed from: frames, the columns the source provides, its files, its hold-backs.

One typed value instead of conventions hidden on the frames: planning needs to know which columns the source
fills (only those are compared and written: a customer file without a fax column must not wipe every fax
number), which files it came from (recorded in the plan with their SHA-256), and which customers validation
held back (a mirror must never take those for deleted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from custsync.model import ENTITIES, ENTITY_NAMES, Entity


@dataclass(frozen=True)
class SourceFile:
    """One file the desired state was read from, and its SHA-256 (recorded in the plan file)."""

    path: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "sha256": self.sha256}


@dataclass(frozen=True)
class Desired:
    """What the API should hold, per entity.

    ``frames[name]`` is ``None`` when the source does not provide that entity at all (then it is neither
    compared nor touched). ``provided[name]`` are the writable columns the source fills.
    """

    frames: Mapping[str, pd.DataFrame | None]
    provided: Mapping[str, tuple[str, ...]]
    sources: tuple[SourceFile, ...] = ()
    held_back: frozenset[str] = frozenset()
    """Customer numbers with a record validation held back (their own row or one of their addresses or
    contacts): a mirror deletes neither them nor any of their addresses and contacts."""
    unnumbered_rejects: int = 0
    """Rejected customer rows without a number: a mirror cannot tell their customers from deleted ones."""
    rejected_rows: int = 0
    """Source rows validation rejected (a mirror with rejected rows is refused unless forced)."""

    @classmethod
    def of(
        cls,
        frames: Mapping[str, pd.DataFrame | None],
        *,
        provided: Mapping[str, Iterable[str]] | None = None,
        sources: Iterable[SourceFile] = (),
        held_back: Iterable[str] = (),
        unnumbered_rejects: int = 0,
        rejected_rows: int = 0,
    ) -> Desired:
        """A desired state from canonical frames; an entity without declared columns gets them inferred
        (:func:`inferred_columns`)."""
        declared = dict(provided or {})
        full = {name: frames.get(name) for name in ENTITY_NAMES}
        columns: dict[str, tuple[str, ...]] = {}
        for name, frame in full.items():
            if frame is None:
                continue
            entity = ENTITIES[name]
            if name in declared:
                wanted = set(declared[name])
                columns[name] = tuple(c for c in entity.writable_columns if c in wanted)
            else:
                columns[name] = inferred_columns(entity, frame)
        return cls(
            frames=full,
            provided=columns,
            sources=tuple(sources),
            held_back=frozenset(str(n).strip() for n in held_back),
            unnumbered_rejects=unnumbered_rejects,
            rejected_rows=rejected_rows,
        )

    def frame(self, name: str) -> pd.DataFrame | None:
        return self.frames.get(name)

    def source_records(self) -> list[dict[str, str]]:
        return [s.as_dict() for s in self.sources]


def inferred_columns(entity: Entity, frame: pd.DataFrame) -> tuple[str, ...]:
    """The writable columns a frame provides when nobody declared them: the columns present; for a conformed
    frame (every column present) the columns holding at least one value."""
    if not set(entity.writable_columns) <= set(frame.columns):
        present = set(frame.columns)
    else:
        present = {c for c in entity.writable_columns if frame[c].notna().any()}
    return tuple(c for c in entity.writable_columns if c in present)


def as_desired(desired: Desired | Mapping[str, pd.DataFrame | None]) -> Desired:
    """``desired`` as a :class:`Desired`: plain frames get their provided columns inferred."""
    return desired if isinstance(desired, Desired) else Desired.of(desired)
