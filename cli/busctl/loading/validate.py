"""Validate parsed YAML against a model class; turn pydantic errors into positioned Diagnostics."""

from __future__ import annotations

import re
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from busctl.core.diagnostics import Diagnostic, did_you_mean
from busctl.core.model import (
    MAX_LAG_MESSAGES,
    MAX_LAG_SECONDS,
    MAX_PARTITIONS,
    MAX_REPLICATION_FACTOR,
    PATTERN_WORDS,
)
from busctl.core.source import SourceMap

M = TypeVar("M", bound=BaseModel)

_TYPE_NAMES = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "dict": "a mapping",
    "list": "a list",
}


def validate(model: type[M], data: Any, source: SourceMap) -> tuple[M | None, list[Diagnostic]]:
    """The validated model, or None and one Diagnostic per problem (unknown, missing, wrong type...)."""
    try:
        return model.model_validate(data), []
    except ValidationError as err:
        return None, _diagnostics(model, err, source)


def _diagnostics(model: type[BaseModel], err: ValidationError, source: SourceMap) -> list[Diagnostic]:
    found: dict[tuple[Any, ...], list[Any]] = {}
    out: list[Diagnostic] = []
    for error in err.errors():
        loc = tuple(error["loc"])
        if error["type"] == "missing":
            out.append(_missing(model, loc, source))
        elif error["type"] == "extra_forbidden":
            out.append(_unknown(model, loc, source))
        else:
            found.setdefault(_data_path(loc, source), []).append(error)
    for path, errors in found.items():
        out.append(_invalid(path, errors, source))
    return out


def _data_path(loc: tuple[Any, ...], source: SourceMap) -> tuple[Any, ...]:
    """Drop the union-member tags pydantic appends to loc ("str", "int"...): keep what is in the file."""
    path = loc
    while path and path not in source.values:
        path = path[:-1]
    return path if path else loc


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "document"


def _missing(model: type[BaseModel], loc: tuple[Any, ...], source: SourceMap) -> Diagnostic:
    field = str(loc[-1])
    parent = loc[:-1]
    where = f" in {_dotted(parent)}" if parent else ""
    doc = _field_doc(model, loc)
    return Diagnostic(
        code="BUS003",
        message=f'missing required field "{field}"{where}',
        span=source.at(*parent),
        hint=f'add "{field}: ..."' + (f" ({doc})" if doc else ""),
    )


def _unknown(model: type[BaseModel], loc: tuple[Any, ...], source: SourceMap) -> Diagnostic:
    field = str(loc[-1])
    allowed = _fields_of(model, loc[:-1])
    hint = did_you_mean(field, allowed) or ("allowed fields: " + ", ".join(allowed) if allowed else "")
    return Diagnostic(
        code="BUS004",
        message=f'unknown field "{field}"' + (f" in {_dotted(loc[:-1])}" if loc[:-1] else ""),
        span=source.key_at(*loc),
        hint=hint,
    )


def _invalid(path: tuple[Any, ...], errors: list[dict[str, Any]], source: SourceMap) -> Diagnostic:
    value = errors[0].get("input")
    kind = str(errors[0]["type"])
    if not path and kind in ("model_type", "model_attributes_type", "dict_type"):
        empty = value is None
        return Diagnostic(
            code="BUS005",
            message="the file is empty"
            if empty
            else f"the file should be a mapping of fields, got {_describe(value)}",
            span=source.at(),
            hint="write the fields as `key: value` lines, e.g. `name: ...`",
        )
    if kind == "string_pattern_mismatch" and errors[0].get("ctx", {}).get("pattern") in PATTERN_WORDS:
        what, example = PATTERN_WORDS[errors[0]["ctx"]["pattern"]]
        return Diagnostic(
            code="BUS005",
            message=f"{_dotted(path)} {_describe(value)} is not allowed here: it must be {what}",
            span=source.at(*path),
            hint=f"e.g. {example}",
        )
    if kind == "too_short" and path and path[-1] == "placement":
        return Diagnostic(
            code="BUS005",
            message="placement is empty: the topic would live on no cluster",
            span=source.at(*path),
            hint="name at least one cluster, or remove placement: to place the topic on every cluster",
        )
    if len(errors) > 1:  # a union: name every accepted type
        names = [_TYPE_NAMES.get(str(e["loc"][-1]), str(e["loc"][-1])) for e in errors]
        problem = "should be " + ", ".join(dict.fromkeys(names))
    else:
        problem = _SHOULD.sub("should", str(errors[0]["msg"]))
    return Diagnostic(
        code="BUS005",
        message=f"{_dotted(path)} {problem}, got {_describe(value)}",
        span=source.at(*path),
        hint=_hint(kind, value, errors[0]),
    )


_SHOULD = re.compile(r"^(Input|String|Value|List|Dictionary|Tuple) should")
_TYPE_HINTS = {
    "int_type": "write a whole number, e.g. 12",
    "int_from_float": "write a whole number, e.g. 12",
    "float_type": "write a number, e.g. 0.5",
    "bool_type": "write true or false",
    "dict_type": "write `key: value` lines indented under the field",
    "model_type": "write `key: value` lines indented under the field",
    "list_type": "write one `- item` line per entry under the field",
    "string_too_short": "write some text; it may not be empty",
    "greater_than_equal": "use a larger value",
    "greater_than": "use a larger value",
}


def _hint(kind: str, value: Any, error: dict[str, Any]) -> str:
    if kind == "string_type" and isinstance(value, bool):
        return 'quote it: YAML reads unquoted yes/no/on/off/true/false as booleans (write "no")'
    if kind == "string_type" and isinstance(value, int | float):
        return "quote it to make it text"
    if kind == "string_type":
        return "write plain text (quote it if it contains ':' or starts with '@', '{' or '[')"
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and kind == "int_type":
        return f"write the number without quotes: {value.strip()}"
    if kind == "literal_error" and isinstance(value, str):
        expected = error.get("ctx", {}).get("expected", "")
        choices = [e.strip(" '") for e in expected.replace(" or ", ",").split(",")]
        return did_you_mean(value, choices) or f"use one of: {', '.join(choices)}"
    if kind in ("greater_than_equal", "greater_than") and "ctx" in error:
        bound = error["ctx"].get("ge", error["ctx"].get("gt"))
        return f"use a value of at least {bound}" if "ge" in error["ctx"] else f"use a value above {bound}"
    if kind == "less_than_equal" and "ctx" in error:
        bound = error["ctx"]["le"]
        why = _LIMITS.get(bound)
        return f"use a value of at most {bound}" + (f": {why}" if why else "")
    return _TYPE_HINTS.get(kind, "")


_LIMITS = {
    MAX_PARTITIONS: "Kafka counts partitions in a 32-bit integer",
    MAX_REPLICATION_FACTOR: "Kafka counts replicas in a 16-bit integer",
    MAX_LAG_MESSAGES: "Prometheus compares lag as a 64-bit float, exact up to 2^53",
    MAX_LAG_SECONDS: "about 292 years, the longest duration Prometheus knows",
}


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f'the string "{value[:60]}"'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, int) and abs(value) >= 10**30:
        return f"a number with {len(str(abs(value)))} digits"
    return repr(value)


def _model_at(model: type[BaseModel], path: tuple[Any, ...]) -> Any:
    """The type found by following `path` (field aliases, list indexes, dict keys) from `model`."""
    current: Any = model
    for part in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
            if field is None:
                return None
            current = field.annotation
        else:
            args = typing.get_args(current)
            current = args[-1] if args else None
    return _unwrap(current)


def _unwrap(tp: Any) -> Any:
    """Strip Optional[...] so a nested model's fields can be listed."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return tp


def _fields_of(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    target = _model_at(model, path)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return [f.alias or n for n, f in target.model_fields.items()]
    return []


def _field_doc(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    target = _model_at(model, loc[:-1])
    if isinstance(target, type) and issubclass(target, BaseModel):
        for name, field in target.model_fields.items():
            if (field.alias or name) == loc[-1]:
                return field.description or ""
    return ""
