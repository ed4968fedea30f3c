"""Load a mapping file: safe YAML, schema check, and errors that name file, line and key with a suggestion."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from custsync.errors import MappingError
from custsync.mapping._yaml import LineDict, line_of, load_yaml
from custsync.mapping.spec import REPEAT_MARK, FieldSpec, MappingSpec
from custsync.model import ENTITIES, ENTITY_NAMES


def load_mapping(path: Path | str) -> MappingSpec:
    """Read and check the mapping file at ``path``. Raises :class:`MappingError`."""
    label = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingError("no such mapping file", path=label, hint="see mappings/ for the shipped ones") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read the mapping file: {exc}", path=label) from None
    return parse_mapping(text, label=label)


def parse_mapping(text: str, *, label: str = "<mapping>") -> MappingSpec:
    """Check mapping ``text``; ``label`` names it in errors."""
    try:
        document = load_yaml(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text, label) from None
    if not isinstance(document, LineDict):
        raise MappingError("a mapping file must be a YAML mapping with an `entities:` key", path=label, line=1)
    try:
        spec = MappingSpec.model_validate(document)
    except ValidationError as exc:
        raise _to_mapping_error(exc, document, label) from None
    _check_names(spec, document, label)
    if not all(entity.passthrough for entity in spec.entities.values()):  # canonical files: the data is to blame
        spec.locate_columns(label, _column_origins(spec, document))
    return spec


def _column_origins(spec: MappingSpec, document: LineDict) -> dict[str, tuple[int | None, str]]:
    """For each source column the mapping reads: the line and dotted key that name it (the first one)."""
    out: dict[str, tuple[int | None, str]] = {}

    def note(column: str, loc: tuple[Any, ...], n: str | None = None) -> None:
        name = column.replace(REPEAT_MARK, n) if n is not None else column
        out.setdefault(name, (line_of(document, loc), ".".join(str(p) for p in _written(document, loc))))

    for entity_name, entity in spec.entities.items():
        for field_name, field in entity.fields.items():
            for column, loc in _field_columns(field, ("entities", entity_name, "fields", field_name)):
                note(column, loc)
        for index, group in enumerate(entity.groups or []):
            base = ("entities", entity_name, "groups", index)
            for n in group.repeat or [None]:
                for field_name, field in group.fields.items():
                    for column, loc in _field_columns(field, (*base, "fields", field_name)):
                        note(column, loc, n)
                for column in group.skip_if_empty or []:
                    note(column, (*base, "skip_if_empty"), n)
    return out


def _written(document: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The part of ``loc`` the file spells out (``number: Kundennr`` has no ``column`` key)."""
    node, out = document, []
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        if in_dict or (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)):
            node = node[part]
            out.append(part)
        else:
            break
    return tuple(out)


def _field_columns(field: FieldSpec, loc: tuple[Any, ...]) -> list[tuple[str, tuple[Any, ...]]]:
    """The source columns of one field with where each is written (``when`` branches and ``else`` included)."""
    out: list[tuple[str, tuple[Any, ...]]] = []
    if field.column is not None:
        out.append((field.column, (*loc, "column")))
    out += [(column, (*loc, "columns")) for column in field.columns or []]
    for index, branch in enumerate(field.when or []):
        out.append((branch.if_.column, (*loc, "when", index, "if", "column")))
        out += _field_columns(branch, (*loc, "when", index))
    if isinstance(field.else_, FieldSpec):
        out += _field_columns(field.else_, (*loc, "else"))
    return out


def _yaml_error(exc: yaml.YAMLError, text: str, label: str) -> MappingError:
    """A YAML syntax error in plain words, at the line the mistake is on (the parser often notices it a line
    later), with a hint about the usual causes: indentation, tabs, unclosed brackets and quotes."""
    problem = str(getattr(exc, "problem", None) or exc)
    context = str(getattr(exc, "context", None) or "")
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    line = problem_mark.line + 1 if problem_mark is not None else None
    opened = context_mark.line + 1 if context_mark is not None else line
    lines = text.splitlines()
    if "'\\t'" in problem:
        what, hint = "a tab character", "YAML is indented with spaces only; replace the tabs with spaces"
    elif "but got '{'" in problem or "but got '['" in problem:
        what, hint = "a brace inside `{...}`", 'quote values with braces or brackets: {column: "AP{n}_Name"}'
    elif context.startswith("while parsing a flow"):
        what, line = "a `{` or `[` that is not closed", opened
        hint = "close it on the same line, or write the mapping as indented `key: value` lines"
    elif context.startswith("while scanning a quoted"):
        what, line = "a quote that is never closed", opened
        hint = "close the quote at the end of the value"
    elif "mapping values are not allowed" in problem:
        before = _previous_line(lines, line)
        if before is not None and ":" not in lines[before - 1] and not lines[before - 1].lstrip().startswith("-"):
            what, line = "a line without `key: value`", before
            hint = "write `key: value` with a colon and a space after the key"
        else:
            what, hint = "a `: ` inside a value", 'quote a value that contains ": " (number: "Kd: Nr")'
    elif "expected <block end>" in problem or "expected <block mapping start>" in problem:
        what = "indentation that does not fit the lines above"
        hint = "indent keys of one level by the same number of spaces (two per level in the shipped mappings)"
    elif "undefined alias" in problem:
        what, hint = f"an unknown alias ({problem.split('alias')[-1].strip()})", "define `&name` before using `*name`"
    else:
        what, hint = problem, "check the indentation (spaces, not tabs) and the quoting on this line"
    return MappingError(f"not valid YAML: {what}", path=label, line=line, hint=f"{hint} (parser: {problem})")


def _previous_line(lines: list[str], line: int | None) -> int | None:
    """The number of the last non-blank, non-comment line before ``line``."""
    if line is None:
        return None
    for number in range(line - 1, 0, -1):
        content = lines[number - 1].strip() if number - 1 < len(lines) else ""
        if content and not content.startswith("#"):
            return number
    return None


def _check_names(spec: MappingSpec, document: LineDict, label: str) -> None:
    """Entity names and canonical column names must exist; suggest the nearest one when they do not."""
    for entity_name, entity in spec.entities.items():
        if entity_name not in ENTITY_NAMES:
            raise _unknown(label, document, ("entities", entity_name), entity_name, ENTITY_NAMES, "entity")
        allowed = ENTITIES[entity_name].writable_columns
        where: list[tuple[tuple[Any, ...], dict[str, Any]]] = [(("entities", entity_name, "fields"), entity.fields)]
        for index, group in enumerate(entity.groups or []):
            where.append((("entities", entity_name, "groups", index, "fields"), group.fields))
        for loc, fields in where:
            for column in fields:
                if column not in allowed:
                    what = f"{entity_name} column"
                    raise _unknown(label, document, (*loc, column), column, allowed, what)


def _unknown(
    label: str, document: LineDict, loc: Sequence[Any], name: str, allowed: Sequence[str], what: str
) -> MappingError:
    close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}?" if close else f"valid names: {', '.join(allowed)}"
    return MappingError(f"unknown {what} {name!r}", path=label, line=line_of(document, loc), key=name, hint=hint)


def _to_mapping_error(exc: ValidationError, document: LineDict, label: str) -> MappingError:
    """The first schema error, located and explained; the others are listed in the hint."""
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")  # a typo explains "missing"
    first = errors[0]
    loc = tuple(p for p in first["loc"] if p != "[key]")
    names = [p for p in loc if not isinstance(p, int)]
    key = str(names[-1]) if names else None
    dotted = ".".join(str(p) for p in loc)
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(MappingSpec, loc[:-1])
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
        message = f"unknown key {key!r} (at {dotted})"
        hint = f"did you mean {close[0]!r}?" if close else f"valid keys here: {', '.join(allowed)}"
    else:
        message = f"{dotted or 'mapping'}: {first['msg'].removeprefix('Value error, ')}"
        hint = None
    if len(errors) > 1:
        more = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[1:4])
        hint = f"{hint + ' ' if hint else ''}(also: {more})"
    return MappingError(message, path=label, line=line_of(document, loc), key=key, hint=hint)


def _allowed_keys(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The keys the schema allows at ``loc`` (aliases where fields have them)."""
    target: Any = model
    for part in loc:
        target = _unwrap(target)
        if isinstance(target, type) and issubclass(target, BaseModel):
            fields = {(f.alias or n): f for n, f in target.model_fields.items()}
            if part not in fields:
                return []
            target = fields[part].annotation
        elif typing.get_origin(target) is dict:
            target = typing.get_args(target)[1]
        elif typing.get_origin(target) is list:
            target = typing.get_args(target)[0]
        else:
            return []
    target = _unwrap(target)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return [(f.alias or n) for n, f in target.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X``; ``Annotated[X, ...]`` -> ``X``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation
