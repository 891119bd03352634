"""The expected annotation values in generated tests print as Prometheus's template functions do.

Every expected text below also appears in a generated promtool test that Prometheus 2.42 passes
(this repo's alerts/tests and the buses in test_generate.py), so promtool has confirmed each one.
"""

from __future__ import annotations

import pytest

from busctl.core.alert_tests import humanize, humanize_duration


@pytest.mark.parametrize(
    ("value", "text"),
    [(1, "1"), (5, "5"), (103, "103"), (1003, "1.003k"), (10003, "10k"), (200003, "200k")],
)
def test_humanize(value: float, text: str) -> None:
    assert humanize(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (60.5, "1m 0s"),
        (600.5, "10m 0s"),
        (3600.5, "1h 0m 0s"),
        (7200.5, "2h 0m 0s"),
        (172800.5, "2d 0h 0m 0s"),
    ],
)
def test_humanize_duration(seconds: float, text: str) -> None:
    assert humanize_duration(seconds) == text


@pytest.mark.parametrize("function", [humanize, humanize_duration])
def test_values_below_one_are_not_expected_by_any_scenario(function: object) -> None:
    with pytest.raises(ValueError, match="scenarios expect"):
        function(0.5)  # type: ignore[operator]
