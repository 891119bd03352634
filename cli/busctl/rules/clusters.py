"""Rules about bus.yaml clusters: what busctl will connect to."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from busctl.core.alerts import alerted_clusters, cluster_selector, watched_topics
from busctl.core.diagnostics import Diagnostic, Severity, Span
from busctl.core.model import REFERENCE
from busctl.rules.base import LintContext, Rule, register

_HOST = re.compile(r"[A-Za-z0-9._-]+")
_PORT = re.compile(r"[0-9]+")
_MAX_HOST = 253  # DNS names; longer ones are never resolvable


def _split(value: str) -> list[str]:
    """The comma-separated entries of `value`, commas inside ${...} left alone."""
    entries, current, depth = [], "", 0
    for index, char in enumerate(value):
        if value.startswith("${", index):
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        if char == "," and not depth:
            entries.append(current)
            current = ""
        else:
            current += char
    return [*entries, current]


def _host_problem(host: str) -> str | None:
    if host.startswith("["):
        if host.endswith("]") and _is_ipv6(host[1:-1]):
            return None
        return f'"{host}" is not a bracketed IPv6 address'
    if not host:
        return "the host is empty"
    if _is_ipv6(host):
        return f'"{host}" is an IPv6 address: write it in brackets, e.g. [{host}]:9092'
    if not _HOST.fullmatch(host) or len(host) > _MAX_HOST:
        return f'"{host}" is not a host name or IP address'
    return None


def _is_ipv6(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).version == 6
    except ValueError:
        return False


def _port_problem(port: str) -> str | None:
    if not _PORT.fullmatch(port):
        return f'port "{port}" is not a number'
    if len(port) > 5 or not 1 <= int(port) <= 65535:
        return f"port {port} is outside 1..65535"
    return None


def _entry_problem(entry: str) -> str | None:
    """What is wrong with one `host:port` entry, judging only the parts no ${VAR} can change."""
    text = entry.strip()
    if not text:
        return "an empty entry (two commas in a row, or one at an end)"
    if "://" in text and not REFERENCE.search(text.split("://", 1)[0]):
        return "a URL scheme; bootstrap servers are host:port (the protocol is security.protocol)"
    literal_colon = [m.start() for m in re.finditer(":", text) if not _inside_variable(text, m.start())]
    if not literal_colon:  # no literal port separator: a variable may supply it, or it is missing
        return None if REFERENCE.search(text) else "no port (write host:port, e.g. kafka-1:9092)"
    if text.startswith("[") and "]" in text:  # [IPv6]:port
        close = text.index("]")
        host, rest = text[: close + 1], text[close + 1 :]
        if not rest.startswith(":"):
            return "no port after the IPv6 address (write [address]:port)"
        port = rest[1:]
    else:
        split = literal_colon[-1]
        host, port = text[:split], text[split + 1 :]
    if not REFERENCE.search(port):
        problem = _port_problem(port)
        if problem:
            return problem
    if not REFERENCE.search(host):
        return _host_problem(host)
    return None


def _inside_variable(text: str, index: int) -> bool:
    return any(m.start() < index < m.end() for m in REFERENCE.finditer(text))


@register
class BootstrapServersValid(Rule):
    """A cluster's bootstrap_servers is a comma-separated list of host:port with ports 1-65535.

    **Bad**:  `bootstrap_servers: kafka-1:99999` (librdkafka silently connects to port 34463)
    **Good**: `bootstrap_servers: kafka-1:9092,kafka-2:9092,[2001:db8::7]:9092`

    IPv6 addresses go in brackets. Parts set by `${VAR}` are checked when connecting; the literal
    parts around them (`${KAFKA_HOST}:9092`) are checked here.
    """

    id = "BUS114"
    name = "cluster.bootstrap-servers"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for name, cluster in ctx.bus.config.clusters.items():
            value = cluster.bootstrap_servers
            for entry in _split(value):
                problem = _entry_problem(entry)
                if problem is not None:
                    shown = f' "{entry.strip()}"' if entry.strip() else ""
                    yield self.finding(
                        f"clusters.{name}.bootstrap_servers: entry{shown}: {problem}",
                        ctx.bus.config_source.at("clusters", name, "bootstrap_servers"),
                        "write host:port entries separated by commas, e.g. kafka-1:9092,kafka-2:9092",
                    )


@register
class AlertedClustersQueryTheirOwnSeries(Rule):
    """Two clusters whose consumer groups get alerts pick different series (alerts.selector).

    One Prometheus may scrape many clusters' exporters. A group placed on two clusters gets an alert
    per cluster; with the same matchers both read the same series, so one cluster's lag pages twice,
    once for a cluster that is fine. Set each cluster's `alerts.selector` to the labels its exporter
    adds (kafka_exporter `--kafka.labels=cluster=prod`), or turn alerts off for one (`enabled: false`).

    **Bad**:  clusters `prod` and `staging` without `alerts:`, a topic placed on both
    **Good**: `prod: {alerts: {selector: {cluster: prod}}}` and `staging: {alerts: {enabled: false}}`
    """

    id = "BUS123"
    name = "alerts.cluster-selectors-distinct"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        config = ctx.bus.config
        selectors = {name: cluster_selector(config, name) for name in alerted_clusters(config)}
        if len(set(selectors.values())) == len(selectors):  # every cluster its own series
            return
        clusters_of: dict[tuple[str, str], dict[str, None]] = {}  # a group listed twice: BUS110
        for cluster in selectors:
            for decl in watched_topics(ctx.bus, cluster):
                for consumer in decl.topic.consumers:
                    clusters_of.setdefault((consumer.group, decl.topic.name), {})[cluster] = None
        shared: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for target, placed in clusters_of.items():
            clusters = list(placed)
            for index, first in enumerate(clusters):
                for second in clusters[index + 1 :]:
                    if selectors[first] == selectors[second]:
                        shared.setdefault((first, second), []).append(target)
        for (first, second), groups in shared.items():
            matchers = ", ".join(f'{k}="{v}"' for k, v in selectors[first]) or "none"
            group, topic = groups[0]
            yield self.finding(
                f"clusters {first} and {second} query the same series (matchers: {matchers}): the "
                f"alerts of {len(groups)} consumer group(s), e.g. {group} on {topic}, fire for both "
                "when either lags",
                _alerts_key(ctx, second),
                f"set clusters.{first}.alerts.selector and clusters.{second}.alerts.selector to the "
                "labels each cluster's exporter adds (e.g. {cluster: NAME}), or alerts: {enabled: "
                "false} on one of them",
            )


def _alerts_key(ctx: LintContext, cluster: str) -> Span:
    """Where bus.yaml sets a cluster's `alerts:`, else the cluster's name."""
    source = ctx.bus.config_source
    if ("clusters", cluster, "alerts") in source.keys:
        return source.key_at("clusters", cluster, "alerts")
    return source.key_at("clusters", cluster)
