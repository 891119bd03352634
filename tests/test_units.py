"""Human units <-> Kafka units."""

from __future__ import annotations

import pytest

from busctl.core.units import (
    UnitError,
    format_bytes,
    format_ms,
    parse_duration_ms,
    parse_size_bytes,
    prometheus_duration_problem,
)


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("7d", 604_800_000),
        ("12h", 43_200_000),
        ("30m", 1_800_000),
        ("1500ms", 1500),
        ("90s", 90_000),
        ("1.5h", 5_400_000),
        ("-1", -1),
        (604800000, 604800000),
        ("2w", 1_209_600_000),
        (" 3d ", 259_200_000),
    ],
)
def test_parse_duration(text: str | int, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("512MiB", 536_870_912),
        ("1GiB", 1_073_741_824),
        ("100MB", 100_000_000),
        ("1kb", 1000),
        ("4096", 4096),
        ("0.5KiB", 512),
    ],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size_bytes(text) == size


@pytest.mark.parametrize("bad", ["7 days", "7x", "fast", "1.5", "0.3ms", ""])
def test_bad_durations_are_rejected(bad: str) -> None:
    with pytest.raises(UnitError):
        parse_duration_ms(bad)


def test_bool_is_not_a_quantity() -> None:
    with pytest.raises(UnitError):
        parse_size_bytes(True)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ms", "text"), [(604_800_000, "7d"), (90_000, "90s"), (5_400_000, "90m"), (-1, "-1"), (1234, "1234ms")]
)
def test_format_ms(ms: int, text: str) -> None:
    assert format_ms(ms) == text


def test_format_round_trips() -> None:
    for value in ["7d", "12h", "45m", "10s"]:
        assert format_ms(parse_duration_ms(value)) == value
    assert format_bytes(parse_size_bytes("512MiB")) == "512MiB"
    assert format_bytes(1000) == "1000B"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("10m", None),
        ("1h30m", None),
        ("1m5ms", None),
        ("292y", None),  # the last whole year inside Prometheus's int64 nanoseconds
        ("9223372036s", None),
        ("9223372037s", "longer than Prometheus durations go"),
        ("293y", "longer than Prometheus durations go"),
        ("9" * 5000 + "d", "longer than Prometheus durations go"),  # no int() of 5000 digits
        ("30s10m", "is not a duration"),  # Prometheus: each unit once, largest first
        ("5m5m", "is not a duration"),
        ("", "is not a duration"),
        ("10 minutes", "is not a duration"),
    ],
)
def test_prometheus_durations_as_promtool_reads_them(text: str, problem: str | None) -> None:
    found = prometheus_duration_problem(text)
    assert (found is None) if problem is None else (found is not None and problem in found), found


def test_numbers_too_long_for_any_kafka_type_are_unit_errors() -> None:
    with pytest.raises(UnitError, match="a number with 5000 digits"):
        parse_duration_ms("9" * 5000)
    with pytest.raises(UnitError, match="a number with 4400 digits"):
        parse_size_bytes("1" * 4400 + "MiB")
