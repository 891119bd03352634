"""Rules about where topics live: placement selectors and per-cluster values."""

from __future__ import annotations

from collections.abc import Iterator

from busctl.core.bus import TopicDecl, is_placed, per_cluster_entries, placement, selected
from busctl.core.diagnostics import Diagnostic, did_you_mean
from busctl.core.model import BusConfig, ClusterValues
from busctl.core.topic_configs import Catalogue, ConfigValueError
from busctl.rules.base import LintContext, Rule, register


def _nothing_selected_hint(config: BusConfig, selector: str) -> str:
    """A did-you-mean over cluster names and labels, else what a selector may be."""
    labels = {f"{k}={v}" for cluster in config.clusters.values() for k, v in cluster.labels.items()}
    candidates = labels if "=" in selector else set(config.clusters)
    known = ", ".join(sorted(config.clusters)) or "none"
    return did_you_mean(selector, candidates) or (
        f"use a cluster name or glob (clusters: {known}), or a label as key=value from clusters.<name>.labels"
    )


@register
class PlacementSelectsClusters(Rule):
    """Every placement selector picks at least one cluster of bus.yaml.

    A selector is a cluster name, a glob of names (`prod-*`) or one label as `key=value`, matched
    against bus.yaml `clusters.<name>.labels`; the topic lives on every cluster any selector picks.

    **Bad**:  `placement: [prod-eu, env=prdo]` (no cluster has the label env=prdo)
    **Good**: `placement: [prod-eu, env=staging]` with `labels: {env: staging}` on a cluster
    """

    id = "BUS118"
    name = "topic.placement-selects-clusters"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        config = ctx.bus.config
        for decl in ctx.bus.topics:
            for index, selector in enumerate(decl.topic.placement or []):
                if not selected(config, selector):
                    yield self.finding(
                        f'placement "{selector}" selects no cluster in bus.yaml',
                        decl.source.at("placement", index),
                        _nothing_selected_hint(config, selector),
                        subject=decl.topic.name,
                    )


@register
class PerClusterSelectsPlacedClusters(Rule):
    """Every per_cluster entry selects at least one cluster the topic is placed on.

    Values for a cluster the topic does not live on would never be used: usually a typo, or a
    placement that forgot that cluster.

    **Bad**:  `placement: [prod-eu]` with `per_cluster: {staging: {partitions: 3}}`
    **Good**: `placement: [prod-eu, staging]` with `per_cluster: {staging: {partitions: 3}}`
    """

    id = "BUS119"
    name = "topic.per-cluster-selects-placed"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        config = ctx.bus.config
        for decl in ctx.bus.topics:
            for selector in decl.topic.per_cluster:
                clusters = selected(config, selector)
                if not clusters:
                    hint = _nothing_selected_hint(config, selector)
                    yield self.finding(
                        f'per_cluster "{selector}" selects no cluster in bus.yaml',
                        decl.source.key_at("per_cluster", selector),
                        hint,
                        subject=decl.topic.name,
                    )
                elif not any(is_placed(config, decl.topic, name) for name in clusters):
                    placed = ", ".join(placement(config, decl.topic)) or "none"
                    yield self.finding(
                        f'per_cluster "{selector}" selects {", ".join(clusters)}, where the topic is not '
                        f"placed (it lives on: {placed})",
                        decl.source.key_at("per_cluster", selector),
                        "add the cluster to placement:, or remove the entry",
                        subject=decl.topic.name,
                    )


@register
class PerClusterValuesAgree(Rule):
    """Two per_cluster entries that select the same cluster do not set one value differently.

    Which one should win would depend on the order of the entries: say it once instead.

    **Bad**:  `per_cluster: {env=prod: {partitions: 48}, prod-eu: {partitions: 24}}` (prod-eu has env=prod)
    **Good**: `per_cluster: {env=prod: {partitions: 48}, prod-eu: {config: {retention.ms: 30d}}}`
    """

    id = "BUS120"
    name = "topic.per-cluster-values-agree"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        config = ctx.bus.config
        for decl in ctx.bus.topics:
            reported: set[tuple[str, str]] = set()
            for cluster in placement(config, decl.topic):
                entries = per_cluster_entries(config, decl.topic, cluster)
                yield from self._conflicts(decl, cluster, entries, reported, ctx.catalogue)

    def _conflicts(
        self,
        decl: TopicDecl,
        cluster: str,
        entries: list[tuple[str, ClusterValues]],
        reported: set[tuple[str, str]],
        catalogue: Catalogue,
    ) -> Iterator[Diagnostic]:
        first: dict[str, tuple[str, object]] = {}
        for selector, values in entries:
            for key, value in _values(values):
                if key not in first:
                    first[key] = (selector, value)
                    continue
                earlier, previous = first[key]
                if not _same(catalogue, key, previous, value) and (selector, key) not in reported:
                    reported.add((selector, key))
                    yield self.finding(
                        f'per_cluster "{earlier}" and "{selector}" both select cluster {cluster} and set '
                        f"{key} to {previous!r} and {value!r}",
                        decl.source.key_at("per_cluster", selector),
                        f"set {key} in one entry only (or to the same value in both)",
                        subject=decl.topic.name,
                    )


def _same(catalogue: Catalogue, key: str, one: object, other: object) -> bool:
    """Equal as Kafka will see them: configs in Kafka's units (1d is 86400000)."""
    if one == other or not key.startswith("config "):
        return one == other
    name = key.removeprefix("config ")
    try:
        return catalogue.normalise(name, one) == catalogue.normalise(name, other)
    except ConfigValueError:  # BUS402 reports the value Kafka would refuse
        return False


def _values(values: ClusterValues) -> Iterator[tuple[str, object]]:
    """The keys a per_cluster entry sets, with their values (configs as "config KEY")."""
    if values.partitions is not None:
        yield "partitions", values.partitions
    if values.replication_factor is not None:
        yield "replication_factor", values.replication_factor
    for key, value in values.config.items():
        yield f"config {key}", value
