"""The mapping language as a schema: what a mapping file may say, checked on load (see docs/mappings.md).

A mapping file names, per canonical entity, which source file feeds it and how each canonical column is made
from source columns. Models are strict (unknown keys are errors) so a typo never silently maps nothing.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

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


class Split(_Strict):
    """Take one part of a value split at ``sep``: ``first``/``rest`` split at the first, ``last``/``all_but_last``
    at the last separator (``Hans Peter Müller`` -> ``Hans Peter`` + ``Müller``)."""

    sep: str = " "
    part: Literal["first", "rest", "last", "all_but_last"]


class Replace(_Strict):
    """Replace every match of the regular expression ``pattern`` with ``with`` (``\\1`` names a group)."""

    pattern: str
    with_: str = Field(default="", alias="with")

    @model_validator(mode="after")
    def _compiles(self) -> Replace:
        compiled = _regex(self.pattern)
        for reference in re.findall(r"\\(\d+)|\\g<(\w+)>", self.with_):
            number, name = reference
            known = int(number) <= compiled.groups if number else (name in compiled.groupindex or name.isdigit())
            if not known:
                raise ValueError(f"`with: {self.with_}` refers to a group the pattern does not have")
        return self


class Extract(_Strict):
    """Keep the part of a value that ``pattern`` matches (its one capture group, or the whole match)."""

    pattern: str
    unmatched: Literal["error", "empty", "keep"] = "error"
    """A non-empty value the pattern does not match: a reject (rule ``extract``), emptied, or kept as it is."""

    @model_validator(mode="after")
    def _compiles(self) -> Extract:
        if _regex(self.pattern).groups > 1:
            raise ValueError(f"`extract: {self.pattern}` has more than one capture group; use (?:...) for the others")
        return self


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None


def _one_or_many(value: Any) -> Any:
    """``replace: {pattern: ..., with: ...}`` is short for a list of one."""
    return [value] if isinstance(value, dict) else value


def _pattern_shorthand(value: Any) -> Any:
    """``extract: "\\d+"`` is short for ``extract: {pattern: "\\d+"}``."""
    return {"pattern": value} if isinstance(value, str) else value


def _else_value(value: Any) -> Any:
    """``else: person`` is a constant; ``else: {column: ...}`` a full field spec."""
    return _text(value)


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
    else_: Annotated[str | FieldSpec, BeforeValidator(_else_value)] | None = Field(default=None, alias="else")
    """Result of ``when`` when no branch holds: a constant, or a full field spec."""
    optional: bool = False
    """The source column may be absent from the file (the field is then empty)."""
    # transforms
    trim: bool = True
    strip_prefix: str | None = None
    """Characters removed from the start (``"'"`` turns ``'7000000000`` into ``7000000000``)."""
    strip_suffix: str | None = None
    """Characters removed from the end (``" €"``)."""
    replace: Annotated[list[Replace], BeforeValidator(_one_or_many)] | None = None
    """Regular-expression replacements, applied in order."""
    extract: Annotated[Extract, BeforeValidator(_pattern_shorthand)] | None = None
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
    locale: str | None = None
    """Read a number the way this locale writes it (``de_DE``: ``1.500,00``; ``de_CH``: ``1’500.00``)."""
    currency: bool | list[str] | None = None
    """With a number: a currency sign or code before or after it is dropped (``true``: any; or a list)."""
    default: Text | None = None
    """Used when the result is empty."""

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        sources = [s for s in (self.column, self.columns, self.value, self.when) if s is not None]
        if len(sources) != 1:
            raise ValueError("a field needs exactly one of `column`, `columns`, `value`, `when`")
        if self.date and not re.search(r"%[dmyYbB]", self.date):
            raise ValueError(f"`date: {self.date}` is not a strptime format such as %d.%m.%Y")
        if self.locale is not None and (self.decimal is not None or self.thousands is not None):
            raise ValueError("give either `locale` or `decimal`/`thousands`, not both")
        if self.locale is None and self.decimal is None and (self.thousands is not None or self.currency):
            raise ValueError("`thousands` and `currency` belong to a number: add `decimal` or `locale`")
        if self.locale is not None:
            _check_locale(self.locale)
        return self

    def source_columns(self) -> list[str]:
        """Every source column this field reads."""
        names = [self.column] if self.column else list(self.columns or [])
        for branch in self.when or []:
            names.append(branch.if_.column)
            names.extend(branch.source_columns())
        if isinstance(self.else_, FieldSpec):
            names.extend(self.else_.source_columns())
        return names

    @property
    def parses_number(self) -> bool:
        """Whether the value is parsed as a number (``decimal`` or ``locale`` given)."""
        return self.decimal is not None or self.locale is not None


class Branch(FieldSpec):
    """One arm of ``when``: if the condition holds, the value this field spec makes (``value``, ``column``, ...)."""

    if_: Condition = Field(alias="if")


FieldSpec.model_rebuild()


def _check_locale(name: str) -> None:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(f"`locale: {name}` is not a known locale such as de_DE, en_US, de_CH") from None


Field_ = Annotated[FieldSpec, BeforeValidator(_shorthand)]


class Group(_Strict):
    """One set of columns of a wide row that makes one record (e.g. the delivery address ``LI_*``)."""

    fields: dict[str, Field_]
    name: Text | None = None
    """How rejects name the group (``AP{n}`` -> ``AP2``); default: the prefix its source columns share."""
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
    ignore_columns: list[str] = Field(default_factory=list)
    """Source columns dropped on purpose (shell wildcards): not reported as unread."""
    entities: dict[str, EntitySpec]
    _label: str | None = PrivateAttr(default=None)
    _origins: dict[str, tuple[int | None, str]] = PrivateAttr(default_factory=dict)

    def locate_columns(self, label: str, origins: dict[str, tuple[int | None, str]]) -> None:
        """Remember the mapping file and where each source column is named in it (set on load)."""
        self._label, self._origins = label, dict(origins)

    def origin_of(self, column: str) -> tuple[str, int | None, str] | None:
        """``(mapping file, line, dotted key)`` naming the source ``column``; ``None`` when unknown."""
        if self._label is None or column not in self._origins:
            return None
        line, key = self._origins[column]
        return self._label, line, key


def _substitute(value: Any, n: str) -> Any:
    if isinstance(value, str):
        return value.replace(REPEAT_MARK, n)
    if isinstance(value, dict):
        return {_substitute(k, n): _substitute(v, n) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, n) for v in value]
    return value
