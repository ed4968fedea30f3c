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
from custsync.mapping.spec import MappingSpec
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
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise MappingError(f"not valid YAML: {problem}", path=label, line=mark.line + 1 if mark else None) from None
    if not isinstance(document, LineDict):
        raise MappingError("a mapping file must be a YAML mapping with an `entities:` key", path=label, line=1)
    try:
        spec = MappingSpec.model_validate(document)
    except ValidationError as exc:
        raise _to_mapping_error(exc, document, label) from None
    _check_names(spec, document, label)
    return spec


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
