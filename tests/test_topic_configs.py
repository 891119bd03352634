"""Catalogue.normalise gives the same answers when it answers from memory."""

from __future__ import annotations

from dataclasses import replace

import pytest

from busctl.core.topic_configs import ConfigValueError, load_catalogue


def test_remembered_answers_are_the_answers_and_types_stay_apart() -> None:
    catalogue = replace(load_catalogue())  # a fresh memory
    for _ in range(2):
        assert catalogue.normalise("retention.ms", "7d") == "604800000"
        assert catalogue.normalise("retention.ms", 604800000) == "604800000"
        assert catalogue.normalise("min.insync.replicas", 1) == "1"
        with pytest.raises(ConfigValueError, match="expected a whole number"):
            catalogue.normalise("min.insync.replicas", True)  # equal to 1, but not a number to Kafka
        with pytest.raises(ConfigValueError):
            catalogue.normalise("retention.ms", "7x")  # errors are raised every time
        assert catalogue.normalise("min.cleanable.dirty.ratio", 0.0) == "0.0"
        assert catalogue.normalise("min.cleanable.dirty.ratio", -0.0) == "-0.0"  # equal floats, not alike
        assert catalogue.normalise("x.unknown", "As Is") == "As Is"
