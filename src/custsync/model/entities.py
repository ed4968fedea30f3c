"""The three entities described as data: name, schema, key, columns and their Arrow types.

Everything that needs to know "which columns does a customer have, and of which type" asks an :class:`Entity`
here, so the mapping, the fetch, the diff and the export cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow

from custsync.model._base import READ_ONLY_COLUMNS, SOURCE_COLUMNS
from custsync.model._types import MONEY_DECIMALS
from custsync.model.addresses import ADDRESS_IDENTITY, AddressSchema
from custsync.model.contacts import ContactSchema
from custsync.model.customers import CustomerSchema


def _arrow_type(dtype: object) -> pa_arrow.DataType:
    """The stable Parquet/Arrow type of a canonical pandas dtype."""
    if isinstance(dtype, pd.ArrowDtype):
        return dtype.pyarrow_dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pa_arrow.timestamp("us", tz="UTC")
    if isinstance(dtype, pd.BooleanDtype):
        return pa_arrow.bool_()
    if isinstance(dtype, pd.Int64Dtype):
        return pa_arrow.int64()
    if isinstance(dtype, pd.Float64Dtype):
        return pa_arrow.float64()
    return pa_arrow.string()


@dataclass(frozen=True)
class Entity:
    """One canonical table."""

    name: str
    schema_model: type[pa.DataFrameModel]
    key: tuple[str, ...]
    parent_key: str | None = None
    """Column naming the owning customer's number (sub-resources only)."""

    @cached_property
    def schema(self) -> pa.DataFrameSchema:
        return self.schema_model.to_schema()

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """All canonical columns in order, without the source bookkeeping columns."""
        return tuple(c for c in self.schema.columns if c not in SOURCE_COLUMNS)

    @cached_property
    def writable_columns(self) -> tuple[str, ...]:
        """Columns an import may set: everything but the read-only API columns."""
        return tuple(c for c in self.columns if c not in READ_ONLY_COLUMNS)

    @cached_property
    def dtypes(self) -> dict[str, object]:
        return {name: self.schema.columns[name].dtype.type for name in self.columns}

    @cached_property
    def money_columns(self) -> tuple[str, ...]:
        return tuple(c for c, t in self.dtypes.items() if isinstance(t, pd.Float64Dtype))

    @cached_property
    def arrow_schema(self) -> pa_arrow.Schema:
        """The explicit Arrow schema every Parquet file of this entity is written with."""
        return pa_arrow.schema(
            [pa_arrow.field(c, _arrow_type(t), nullable=True) for c, t in self.dtypes.items()],
            metadata={b"custsync.entity": self.name.encode()},
        )

    def empty(self) -> pd.DataFrame:
        """A frame with no rows and the canonical columns and dtypes."""
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in self.dtypes.items()})

    def conform(self, frame: pd.DataFrame, *, keep_source: bool = True) -> pd.DataFrame:
        """Return ``frame`` with exactly the canonical columns, in order, with canonical dtypes.

        Missing columns are added as all-missing; unknown columns are dropped (the mapping layer reports
        them before this point). Money is rounded to cents. Values that cannot be coerced raise; call
        :func:`custsync.model.validate_frames` instead when you want every failure collected.
        """
        columns: dict[str, pd.Series] = {}
        for column, dtype in self.dtypes.items():
            if column in frame.columns:
                columns[column] = _coerce(frame[column], dtype)
            else:
                columns[column] = pd.Series(pd.NA, index=frame.index, dtype=dtype)
        for column in self.money_columns:
            columns[column] = columns[column].round(MONEY_DECIMALS)
        if keep_source:
            for column in SOURCE_COLUMNS:
                if column in frame.columns:
                    columns[column] = frame[column]
        # one constructor call instead of one insert per column: conform runs on every frame of every stage
        return pd.DataFrame(columns, index=frame.index)


def _coerce(series: pd.Series, dtype: object) -> pd.Series:
    if isinstance(dtype, pd.ArrowDtype) and pa_arrow.types.is_date(dtype.pyarrow_dtype):
        if series.dtype == dtype:
            return series
        parsed = pd.to_datetime(series, errors="raise", format="ISO8601")
        return parsed.dt.date.astype(dtype)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pd.to_datetime(series, utc=True, format="ISO8601").astype(dtype)
    if isinstance(dtype, pd.StringDtype):
        if series.dtype == dtype:
            return series
        return series.astype("object").where(series.notna(), None).astype(dtype)
    return series.astype(dtype)


CUSTOMERS = Entity("customers", CustomerSchema, key=("number",))
ADDRESSES = Entity("addresses", AddressSchema, key=ADDRESS_IDENTITY.key, parent_key=ADDRESS_IDENTITY.customer)
CONTACTS = Entity("contacts", ContactSchema, key=("customerNumber", "name"), parent_key="customerNumber")

ENTITIES: dict[str, Entity] = {e.name: e for e in (CUSTOMERS, ADDRESSES, CONTACTS)}

ENTITY_NAMES: tuple[str, ...] = tuple(ENTITIES)
"""The three entities in dependency order (a customer before its addresses and contacts): the one list."""

SUB_ENTITY_NAMES: tuple[str, ...] = tuple(name for name, entity in ENTITIES.items() if entity.parent_key)
"""The entities that live under a customer (sub-resources of the API), in :data:`ENTITY_NAMES` order."""
