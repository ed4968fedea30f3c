"""What every canonical entity schema shares: read-only API columns and source-position columns."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from custsync.model._types import Integer, Text, Timestamp

SOURCE_FILE = "_source"
SOURCE_ROW = "_row"
SOURCE_COLUMNS = (SOURCE_FILE, SOURCE_ROW)
"""Optional bookkeeping columns: the file and 1-based line a row came from, so errors can point at it.

They are never sent to the API and never exported."""

READ_ONLY_COLUMNS = ("id", "createdAt", "updatedAt")
"""Set by the API. Present in fetched frames and exports, ignored when importing."""


class CanonicalModel(pa.DataFrameModel):
    """Base of the three entity schemas."""

    id: Series[Text] = pa.Field(nullable=True, description="API id (read-only)")
    createdAt: Series[Timestamp] = pa.Field(nullable=True, description="set by the API (read-only)")
    updatedAt: Series[Timestamp] = pa.Field(nullable=True, description="set by the API (read-only)")
    source_file: Series[Text] = pa.Field(alias=SOURCE_FILE, nullable=True, required=False)
    source_row: Series[Integer] = pa.Field(alias=SOURCE_ROW, nullable=True, required=False)

    class Config:
        strict = True
        coerce = True
