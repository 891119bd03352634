"""The catalogue of Kafka topic configs (generated from Kafka's LogConfig) and value normalisation.

Declared values may use human units ("7d", "512MiB"); `normalise` turns them into the string Kafka
stores ("604800000"), checking type and range, and `display` shows a value both ways.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from busctl.core.units import (
    MAX_DIGITS,
    UnitError,
    format_bytes,
    format_ms,
    parse_duration_ms,
    parse_size_bytes,
    shorten,
    too_many_digits,
)

_INTEGER_BITS = {"short": 16, "int": 32, "long": 64}
_INTEGER_TYPES = set(_INTEGER_BITS)
_REMEMBERED = (str, int, bool)  # exact types whose equal values normalise alike (not float: -0.0 == 0.0)


class ConfigValueError(ValueError):
    """A declared config value that Kafka would not accept."""


@dataclass(frozen=True)
class ConfigSpec:
    """One topic config: its type, default, bounds, allowed values and unit."""

    name: str
    type: str
    default: Any = None
    min: float | None = None
    max: float | None = None
    valid_values: tuple[str, ...] = ()
    validator: str = ""
    unit: str | None = None
    doc: str = ""
    server_default_property: str = ""


@dataclass(frozen=True)
class Catalogue:
    """All topic configs of one Kafka version, plus those removed in Kafka 4."""

    kafka_version: str
    configs: dict[str, ConfigSpec]
    removed_in_4: dict[str, str]
    # normalise's answers for str/int/bool values: a plan normalises the same few values for every topic
    _normalised: dict[tuple[str, type, object], str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def spec(self, key: str) -> ConfigSpec | None:
        return self.configs.get(key)

    def for_broker_setting(self, key: str) -> ConfigSpec | None:
        """The topic config whose broker-wide default is `key` (log.retention.ms -> retention.ms)."""
        return next((s for s in self.configs.values() if s.server_default_property == key), None)

    def normalise(self, key: str, value: object) -> str:
        """Kafka's string form of `value` for `key`; ConfigValueError when type or range is wrong."""
        remembered = (key, type(value), value) if type(value) in _REMEMBERED else None
        if remembered is not None and remembered in self._normalised:
            return self._normalised[remembered]
        spec = self.configs.get(key)
        text = _plain(value) if spec is None else _normalise(spec, value)
        if remembered is not None:
            self._normalised[remembered] = text
        return text

    def human(self, key: str, kafka_value: str) -> str | None:
        """The human unit form of a positive duration or size ("7d", "512MiB"); None for other values."""
        spec = self.configs.get(key)
        if spec is None or spec.unit not in ("ms", "bytes") or not re.fullmatch(r"\d+", kafka_value):
            return None
        number = int(kafka_value)
        if number <= 0:
            return None
        return format_ms(number) if spec.unit == "ms" else format_bytes(number)

    def display(self, key: str, kafka_value: str) -> str:
        """A normalised value with its human form: "604800000 (7d)"."""
        human = self.human(key, kafka_value)
        return kafka_value if human is None or human == kafka_value else f"{kafka_value} ({human})"


@functools.cache
def load_catalogue() -> Catalogue:
    """The catalogue shipped with busctl (cli/busctl/data/topic_configs.json)."""
    raw = json.loads(resources.files("busctl").joinpath("data/topic_configs.json").read_text("utf-8"))
    configs = {
        name: ConfigSpec(
            name=name,
            type=entry["type"],
            default=entry.get("default"),
            min=entry.get("min"),
            max=entry.get("max"),
            valid_values=tuple(entry.get("valid_values", ())),
            validator=entry.get("validator", ""),
            unit=entry.get("unit"),
            doc=entry.get("doc", ""),
            server_default_property=entry.get("server_default_property", ""),
        )
        for name, entry in raw["configs"].items()
    }
    return Catalogue(
        kafka_version=raw["kafka_version"], configs=configs, removed_in_4=dict(raw.get("removed_in_4", {}))
    )


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _normalise(spec: ConfigSpec, value: object) -> str:
    try:
        if spec.unit == "ms" and spec.type in _INTEGER_TYPES:
            number = parse_duration_ms(_integer_like(value))
        elif spec.unit == "bytes" and spec.type in _INTEGER_TYPES:
            number = parse_size_bytes(_integer_like(value))
        elif spec.type in _INTEGER_TYPES:
            number = _integer(value)
        elif spec.type == "double":
            return _double(spec, value)
        elif spec.type == "boolean":
            return _boolean(value)
        elif spec.type == "list":
            return _list(spec, value)
        else:
            return _string(spec, value)
    except UnitError as err:
        raise ConfigValueError(str(err)) from None
    _check_range(spec, number)
    return str(number)


def _integer_like(value: object) -> str | int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigValueError(f"expected a whole number or a quantity with a unit, got {_shown(value)}")
    return value


def _integer(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
        problem = too_many_digits(value)
        if problem is not None:
            raise ConfigValueError(str(problem))
        return int(value)
    raise ConfigValueError(f"expected a whole number, got {_shown(value)}")


def _shown(value: object) -> str:
    return shorten(repr(value))


def _double(spec: ConfigSpec, value: object) -> str:
    if isinstance(value, bool):
        raise ConfigValueError(f"expected a number, got {_plain(value)}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigValueError(f"expected a number, got {_shown(value)}") from None
    if not math.isfinite(number):  # NaN passes every range comparison below
        raise ConfigValueError(f"expected a finite number, got {_plain(value)}")
    _check_range(spec, number)
    return repr(number)


def _boolean(value: object) -> str:
    if isinstance(value, bool):
        return _plain(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    raise ConfigValueError(f"expected true or false, got {value!r}")


def _list(spec: ConfigSpec, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigValueError(f"expected a comma-separated list, got {_shown(value)}")
    items = [item.strip() for item in value.split(",") if item.strip()]
    for item in items:
        _check_allowed(spec, item)
    return ",".join(items)


def _string(spec: ConfigSpec, value: object) -> str:
    text = _plain(value)
    _check_allowed(spec, text)
    return text


def _check_allowed(spec: ConfigSpec, text: str) -> None:
    if spec.valid_values and text not in spec.valid_values:  # Kafka compares case-sensitively
        raise ConfigValueError(f'"{shorten(text)}" is not one of {", ".join(spec.valid_values)}')


def _check_range(spec: ConfigSpec, number: float) -> None:
    bits = _INTEGER_BITS.get(spec.type)
    if bits and not -(2 ** (bits - 1)) <= number <= 2 ** (bits - 1) - 1:
        raise ConfigValueError(
            f"{_number(number)} does not fit Kafka's {spec.type} type (max {2 ** (bits - 1) - 1})"
        )
    if spec.min is not None and number < spec.min:
        raise ConfigValueError(f"{number} is below the minimum {_bound(spec.min)}")
    if spec.max is not None and number > spec.max:
        raise ConfigValueError(f"{number} is above the maximum {_bound(spec.max)}")
    if spec.validator and spec.type in _INTEGER_TYPES and not _matches_validator(spec.validator, number):
        raise ConfigValueError(f"{number} is not allowed (valid: {spec.validator})")


def _matches_validator(validator: str, number: float) -> bool:
    """Kafka validators without structured bounds, like "[1,...,9] or -1"."""
    allowed = False
    for part in validator.split(" or "):
        part = part.strip()
        bounds = re.fullmatch(r"\[(-?\d+)?,\.\.\.,(-?\d+)?\]", part)
        if bounds:
            low, high = bounds.group(1), bounds.group(2)
            allowed |= (low is None or number >= int(low)) and (high is None or number <= int(high))
        elif re.fullmatch(r"-?\d+", part):
            allowed |= number == int(part)
        else:
            return True  # a validator we cannot read: let the broker decide (plan validates)
    return allowed


def _number(number: float) -> str:
    """A number for a message; one with more digits than any Kafka type is described, not printed."""
    if isinstance(number, int) and abs(number) >= 10**MAX_DIGITS:
        return f"a number with {len(str(abs(number)))} digits"
    return str(number)


def _bound(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
