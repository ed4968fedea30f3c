"""The mapping language as a schema: what a mapping file may say, checked on load (see docs/mappings.md).

A mapping file names, per canonical entity, which source file feeds it and how each canonical column is made
from source columns. Models are strict (unknown keys are errors) so a typo never silently maps nothing.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

ENTITY_NAMES = ("customers", "addresses", "contacts")
REPEAT_MARK = "{n}"


def _text(value: Any) -> Any:
    """YAML scalars as the text they stand for (``yes`` is ``true``, ``30`` is ``"30"``); ``None`` stays."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_text)]
"""A scalar written as text, whatever YAML made of it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Condition(_Strict):
    """A test on one source column: ``empty``, ``equals`` or ``in`` (after trimming)."""

    column: str
    empty: bool | None = None
    equals: Text | None = None
    in_: list[Text] | None = Field(default=None, alias="in")

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [t for t in (self.empty, self.equals, self.in_) if t is not None]
        if len(tests) != 1:
            raise ValueError("a condition needs exactly one of `empty`, `equals`, `in`")
        return self


class Branch(_Strict):
    """One arm of ``when``: if the condition holds, take ``value`` or the ``column``."""

    if_: Condition = Field(alias="if")
    value: Text | None = None
    column: str | None = None

    @model_validator(mode="after")
    def _one_result(self) -> Branch:
        if (self.value is None) == (self.column is None):
            raise ValueError("a `when` branch needs exactly one of `value`, `column`")
        return self


class Split(_Strict):
    """Take one part of a value split at ``sep``: ``first``/``rest`` split at the first, ``last``/``all_but_last``
    at the last separator (``Hans Peter Müller`` -> ``Hans Peter`` + ``Müller``)."""

    sep: str = " "
    part: Literal["first", "rest", "last", "all_but_last"]


def _shorthand(value: Any) -> Any:
    """``number: Kundennr`` is short for ``number: {column: Kundennr}``."""
    return {"column": value} if isinstance(value, str) else value


class FieldSpec(_Strict):
    """How one canonical column is made. Steps run in the order of the fields below."""

    # where the value comes from (exactly one)
    column: str | None = None
    columns: list[str] | None = None
    value: Text | None = None
    when: list[Branch] | None = None
    # options of the source
    sep: str = " "
    """Separator when joining ``columns`` (empty parts are skipped)."""
    else_: Text | None = Field(default=None, alias="else")
    """Result of ``when`` when no branch holds."""
    optional: bool = False
    """The source column may be absent from the file (the field is then empty)."""
    # transforms
    trim: bool = True
    split: Split | None = None
    case: Literal["lower", "upper", "title"] | None = None
    map: dict[Text, Text | None] | None = None
    """Value map, matched case-insensitively after trimming; a ``null`` target empties the value."""
    unmapped: Literal["keep", "empty", "error"] = "keep"
    date: str | None = None
    """``strptime`` format of a date, e.g. ``%d.%m.%Y``; the result is ISO ``YYYY-MM-DD``."""
    decimal: Literal[",", "."] | None = None
    """Decimal separator of a number; with ``,`` the thousands separator defaults to ``.``."""
    thousands: Literal[".", ",", " ", "'"] | None = None
    default: Text | None = None
    """Used when the result is empty."""

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        sources = [s for s in (self.column, self.columns, self.value, self.when) if s is not None]
        if len(sources) != 1:
            raise ValueError("a field needs exactly one of `column`, `columns`, `value`, `when`")
        if self.date and not re.search(r"%[dmyYbB]", self.date):
            raise ValueError(f"`date: {self.date}` is not a strptime format such as %d.%m.%Y")
        return self

    def source_columns(self) -> list[str]:
        """Every source column this field reads."""
        names = [self.column] if self.column else list(self.columns or [])
        for branch in self.when or []:
            names.append(branch.if_.column)
            if branch.column:
                names.append(branch.column)
        return names


Field_ = Annotated[FieldSpec, BeforeValidator(_shorthand)]


class Group(_Strict):
    """One set of columns of a wide row that makes one record (e.g. the delivery address ``LI_*``)."""

    fields: dict[str, Field_]
    skip_if_empty: list[str] | None = None
    """Source columns; the group makes no record when all are empty. Default: every column the group reads."""
    repeat: list[Text] | None = None
    """Instantiate the group once per value, with ``{n}`` in column names and values replaced by it."""


class EntitySpec(_Strict):
    """How one canonical entity is made."""

    file: str | None = None
    """Source file name pattern (``customers*``); without it the entity is made from every source file."""
    passthrough: bool = False
    """Source columns named like a canonical column map to it unchanged (the canonical layout)."""
    fields: dict[str, Field_] = Field(default_factory=dict)
    groups: list[Group] | None = None
    """With groups, each source row makes one record per non-empty group; ``fields`` are shared by all groups."""

    def expanded_groups(self) -> list[Group]:
        """The groups with ``repeat`` unrolled."""
        out: list[Group] = []
        for group in self.groups or []:
            if not group.repeat:
                out.append(group)
                continue
            raw = group.model_dump(by_alias=True, exclude={"repeat"}, exclude_none=True)
            for n in group.repeat:
                out.append(Group.model_validate(_substitute(raw, n)))
        return out


class ReadSpec(_Strict):
    """How to read the source files; unset values are detected."""

    delimiter: str | None = None
    encoding: str | None = None
    quotechar: str = '"'
    max_field_length: int = Field(default=4096, gt=0)


class MappingSpec(_Strict):
    """A whole mapping file."""

    version: Literal[1] = 1
    name: str | None = None
    description: str | None = None
    read: ReadSpec = Field(default_factory=ReadSpec)
    entities: dict[str, EntitySpec]


def _substitute(value: Any, n: str) -> Any:
    if isinstance(value, str):
        return value.replace(REPEAT_MARK, n)
    if isinstance(value, dict):
        return {_substitute(k, n): _substitute(v, n) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, n) for v in value]
    return value
