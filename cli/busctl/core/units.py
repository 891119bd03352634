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
_QUANTITY = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")
# Prometheus's own grammar (common/model ParseDuration): each unit at most once, largest first
_PROM_UNITS = ("y", "w", "d", "h", "m", "s", "ms")
_PROM_DURATION = re.compile("^" + "".join(rf"(?:([0-9]+){unit})?" for unit in _PROM_UNITS) + "$")
MAX_DIGITS = 30  # more than any Kafka number (longs have 19 digits) and far below Python's 4300 limit


class UnitError(ValueError):
    """A value that is not a valid quantity in the expected unit."""


def shorten(text: str, limit: int = 40) -> str:
    """`text`, cut to `limit` characters for a message."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def too_many_digits(number: str) -> UnitError | None:
    """An error for a number too long to be any real value (and to convert safely), else None."""
    digits = sum(c.isdigit() for c in number)
    if digits <= MAX_DIGITS:
        return None
    return UnitError(f"a number with {digits} digits is far beyond any value Kafka accepts")


def _parse(value: str, table: dict[str, int], what: str, examples: str) -> int:
    match = _QUANTITY.match(value)
    if not match:
        raise UnitError(f'"{shorten(value)}" is not a {what} (use e.g. {examples})')
    number, unit = match.group(1), match.group(2).lower()
    problem = too_many_digits(number)
    if problem is not None:
        raise problem
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


_PROM_UNIT_MS = {**DURATION_MS, "y": 365 * DURATION_MS["d"]}  # Prometheus also knows years
PROMETHEUS_MAX_MS = (2**63 - 1) // 10**6  # its durations are int64 nanoseconds: about 292 years


def prometheus_duration_problem(value: str) -> str | None:
    """Why `value` is not a duration Prometheus accepts (e.g. "10m", "1h30m"), or None when it is."""
    match = _PROM_DURATION.match(value)
    if not value or match is None:
        return f'"{shorten(value)}" is not a duration'
    numbers = [n for n in match.groups() if n is not None]
    if any(len(n) > MAX_DIGITS for n in numbers) or _prometheus_ms(match) > PROMETHEUS_MAX_MS:
        return f'"{shorten(value)}" is longer than Prometheus durations go (about 292y)'
    return None


def is_prometheus_duration(value: str) -> bool:
    """True for Prometheus durations such as "10m", "1h30m", "90s" (units largest first, in range)."""
    return prometheus_duration_problem(value) is None


def _prometheus_ms(match: re.Match[str]) -> int:
    return sum(int(n) * _PROM_UNIT_MS[u] for n, u in zip(match.groups(), _PROM_UNITS, strict=True) if n)


def prometheus_duration_seconds(value: str) -> float:
    """Seconds in a Prometheus duration: "1h30m" -> 5400. Raises UnitError when it is not one."""
    problem = prometheus_duration_problem(value)
    if problem is not None:
        raise UnitError(f'{problem} (use e.g. "10m", "1h30m")')
    match = _PROM_DURATION.match(value)
    assert match is not None
    return _prometheus_ms(match) / 1000


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
