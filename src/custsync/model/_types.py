"""Column dtypes shared by the canonical schemas.

One place decides how each kind of value is held in pandas, so that the frames the mapping produces, the frames
the API fetch produces and the files the export writes all carry the same types:

- text:       pandas ``string`` dtype (missing = ``pd.NA``)
- dates:      Arrow ``date32`` (no time, no zone), e.g. birthdays
- timestamps: ``datetime64[us, UTC]`` for ``createdAt`` / ``updatedAt``
- money:      nullable ``Float64``, rounded to :data:`MONEY_DECIMALS` places (cents) on the way in
- integers:   nullable ``Int64``; flags: nullable ``boolean``
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import pyarrow as pa

MONEY_DECIMALS = 2
"""Money columns are rounded half-to-even to this many decimals when a frame is conformed."""

Text = pd.StringDtype
Money = pd.Float64Dtype
Percent = pd.Float64Dtype
Integer = pd.Int64Dtype
Flag = pd.BooleanDtype
Timestamp = Annotated[pd.DatetimeTZDtype, "us", "UTC"]
Date = pd.ArrowDtype
DATE_KWARGS = {"pyarrow_dtype": pa.date32()}
"""``dtype_kwargs`` for a :data:`Date` column."""
