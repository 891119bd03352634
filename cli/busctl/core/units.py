"""Human units for Kafka config values: "7d" -> 604800000 ms, "512MiB" -> 536870912 bytes, and back."""

from __future__ import annotations

import re

DURATION_MS: dict[str, int] = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 604_800_000,
}
SIZE_BYTES: dict[str, int] = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_QUANTITY = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
_PROM_DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")


class UnitError(ValueError):
    """A value that is not a valid quantity in the expected unit."""


def _parse(value: str, table: dict[str, int], what: str, examples: str) -> int:
    match = _QUANTITY.match(value)
    if not match:
        raise UnitError(f'"{value}" is not a {what} (use e.g. {examples})')
    number, unit = match.group(1), match.group(2).lower()
    if unit == "":
        if "." in number:
            raise UnitError(f'"{value}" is not a whole number of {what} units')
        return int(number)
    if unit not in table:
        raise UnitError(f'unknown unit "{match.group(2)}" in "{value}" (use one of {", ".join(table)})')
    scaled = float(number) * table[unit] if "." in number else int(number) * table[unit]
    if scaled != int(scaled):
        raise UnitError(
            f'"{value}" is not a whole number of {"milliseconds" if what == "duration" else "bytes"}'
        )
    return int(scaled)


def parse_duration_ms(value: str | int) -> int:
    """Milliseconds from an int or a string like "7d", "12h", "1500ms", "-1"."""
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a duration")
    if isinstance(value, int):
        return value
    return _parse(str(value), DURATION_MS, "duration", '"7d", "12h", "30m", "500ms"')


def parse_size_bytes(value: str | int) -> int:
    """Bytes from an int or a string like "512MiB", "1GB", "1048576"."""
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a size")
    if isinstance(value, int):
        return value
    return _parse(str(value), SIZE_BYTES, "size", '"512MiB", "1GiB", "100MB"')


def _format(amount: int, table: list[tuple[str, int]]) -> str:
    if amount <= 0:
        return str(amount)
    for suffix, factor in table:
        if amount % factor == 0:
            return f"{amount // factor}{suffix}"
    return str(amount)


def format_ms(ms: int) -> str:
    """The shortest exact human form of a duration in ms: 604800000 -> "7d", -1 -> "-1"."""
    return _format(ms, [(unit, DURATION_MS[unit]) for unit in ("d", "h", "m", "s", "ms")])


def format_bytes(amount: int) -> str:
    """The shortest exact binary form of a size: 536870912 -> "512MiB"."""
    return _format(amount, [("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024), ("B", 1)])


def is_prometheus_duration(value: str) -> bool:
    """True for Prometheus durations such as "10m", "1h30m", "90s"."""
    return bool(_PROM_DURATION.match(value))


_PROM_UNIT_MS = {**DURATION_MS, "y": 365 * DURATION_MS["d"]}  # Prometheus also knows years


def prometheus_duration_seconds(value: str) -> float:
    """Seconds in a Prometheus duration: "1h30m" -> 5400. Raises UnitError when it is not one."""
    if not is_prometheus_duration(value):
        raise UnitError(f'"{value}" is not a Prometheus duration (use e.g. "10m", "1h30m")')
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", value)
    return sum(int(number) * _PROM_UNIT_MS[unit] for number, unit in parts) / 1000


def format_age(seconds: float) -> str:
    """A rounded human form of an elapsed time, two units at most: 0.4 -> "0s", 95 -> "1m35s",
    7500 -> "2h5m", 266400 -> "3d2h"."""
    total = round(max(seconds, 0))
    parts: list[str] = []
    for unit in ("d", "h", "m", "s"):
        size = DURATION_MS[unit] // 1000
        if total >= size or (unit == "s" and not parts):
            parts.append(f"{total // size}{unit}")
            total %= size
    return "".join(parts[:2])
