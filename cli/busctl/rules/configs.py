"""Rules about Kafka topic configs, checked against the catalogue generated from Kafka itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from busctl.core.diagnostics import Diagnostic, Span, did_you_mean
from busctl.core.source import SourceMap
from busctl.core.topic_configs import ConfigSpec, ConfigValueError
from busctl.rules.base import LintContext, Rule, register


class ConfigEntry(NamedTuple):
    """A declared config; its positions are looked up only for a finding."""

    key: str
    value: object
    source: SourceMap
    path: tuple[str | int, ...]  # of the config mapping in its file

    def key_span(self) -> Span:
        return self.source.key_at(*self.path, self.key)

    def value_span(self) -> Span:
        return self.source.at(*self.path, self.key)


def _entries(ctx: LintContext) -> Iterator[ConfigEntry]:
    """Every declared config: topic files (their own and per_cluster), bus.yaml defaults and each
    cluster's overrides."""

    def of(config: dict[str, object], source: SourceMap, *path: str | int) -> Iterator[ConfigEntry]:
        for key, value in config.items():
            yield ConfigEntry(key, value, source, path)

    bus = ctx.bus
    yield from of(dict(bus.config.defaults.config), bus.config_source, "defaults", "config")
    for name, cluster in bus.config.clusters.items():
        yield from of(
            dict(cluster.overrides.config), bus.config_source, "clusters", name, "overrides", "config"
        )
    for decl in bus.topics:
        yield from of(dict(decl.topic.config), decl.source, "config")
        for selector, values in decl.topic.per_cluster.items():
            yield from of(dict(values.config), decl.source, "per_cluster", selector, "config")


@register
class ConfigKeyKnown(Rule):
    """Config keys are real Kafka topic configs (catalogue generated from Kafka's LogConfig).

    **Bad**:  `retension.ms: 7d`
    **Good**: `retention.ms: 7d`
    """

    id = "BUS401"
    name = "config.key-known"
    locked = "Kafka refuses an unknown topic config, halfway through an apply"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        catalogue = ctx.catalogue
        for entry in _entries(ctx):
            key = entry.key
            if catalogue.spec(key) is not None:
                continue
            if key in catalogue.removed_in_4:
                yield self.finding(
                    f'"{key}" was removed in Kafka 4 ({catalogue.removed_in_4[key]})',
                    entry.key_span(),
                    "delete it: Kafka 4 brokers reject it",
                )
            elif key.startswith("log.") or catalogue.for_broker_setting(key):
                topic_config = catalogue.for_broker_setting(key)
                yield self.finding(
                    f'"{key}" is a broker setting, not a topic config',
                    entry.key_span(),
                    f'use "{topic_config.name}"'
                    if topic_config
                    else did_you_mean(key.removeprefix("log."), catalogue.configs, cutoff=0.5)
                    or "topic configs drop the broker's log. prefix",
                )
            else:
                yield self.finding(
                    f'unknown topic config "{key}" (Kafka {catalogue.kafka_version})',
                    entry.key_span(),
                    did_you_mean(key, catalogue.configs)
                    or "see https://kafka.apache.org/documentation/#topicconfigs",
                )


@register
class ConfigValueValid(Rule):
    """Config values have the type, unit and range Kafka requires (human units like 7d or 512MiB allowed).

    **Bad**:  `retention.ms: 7 days`, `min.insync.replicas: 0`, `cleanup.policy: compacted`
    **Good**: `retention.ms: 7d`, `min.insync.replicas: 2`, `cleanup.policy: compact`
    """

    id = "BUS402"
    name = "config.value-valid"
    locked = "Kafka refuses such a value, halfway through an apply"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        catalogue = ctx.catalogue
        for entry in _entries(ctx):
            key, value = entry.key, entry.value
            spec = catalogue.spec(key)
            if spec is None or "${" in str(value):  # unknown key: BUS401; ${VAR}: BUS006
                continue
            try:
                catalogue.normalise(key, value)
            except ConfigValueError as err:
                allowed = did_you_mean(str(value), spec.valid_values) if spec.valid_values else ""
                yield self.finding(f"{key}: {err}", entry.value_span(), allowed or _hint(spec))


def _hint(spec: ConfigSpec) -> str:
    bounds = ""
    if spec.min is not None or spec.max is not None:
        low = "" if spec.min is None else f"at least {spec.min:g}"
        high = "" if spec.max is None else f"at most {spec.max:g}"
        bounds = f" ({' and '.join(b for b in (low, high) if b)})"
    if spec.unit == "ms":
        return f'a duration in ms or with a unit: 604800000, "7d", "12h"{bounds}; -1 = forever where allowed'
    if spec.unit == "bytes":
        return f'a size in bytes or with a unit: 1073741824, "1GiB", "512MiB"{bounds}'
    if spec.validator:
        return f"allowed: {spec.validator}"
    kinds = {"boolean": "true or false", "double": f"a number such as 0.5{bounds}"}
    return kinds.get(spec.type, f"a valid {spec.type}{bounds}")
