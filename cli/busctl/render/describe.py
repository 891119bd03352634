"""`busctl describe TOPIC` as text (labelled header, then tables within 80 columns) and markdown."""

from __future__ import annotations

from busctl.core.bus import Source
from busctl.core.diagnostics import printable
from busctl.core.inventory import AclStatus
from busctl.core.topic_configs import load_catalogue
from busctl.render.columns import Column, table
from busctl.render.style import Tone, paint, wrap
from busctl.render.topics import DRIFT_TONES
from busctl.reports.describe import AclEntry, CountSetting, DescribeReport
from busctl.reports.topics import TopicDrift

SOURCES = {
    Source.PER_CLUSTER: "per cluster",
    Source.DECLARED: "declared",
    Source.BUS_DEFAULT: "bus default",
    Source.CLUSTER_OVERRIDE: "override",
    Source.CATALOGUE_DEFAULT: "catalogue",
}
KAFKA_SOURCES = {  # Kafka's config sources, shortened for the text screen (JSON keeps Kafka's names)
    "DYNAMIC_TOPIC_CONFIG": "topic",
    "DEFAULT_CONFIG": "kafka default",
    "STATIC_BROKER_CONFIG": "broker file",
    "DYNAMIC_BROKER_CONFIG": "broker",
    "DYNAMIC_DEFAULT_BROKER_CONFIG": "all brokers",
}
ACL_TONES = {
    AclStatus.PRESENT: Tone.OK,
    AclStatus.MISSING: Tone.WARNING,
    AclStatus.UNDECLARED: Tone.WARNING,
    AclStatus.UNMANAGED: Tone.NOTE,
    AclStatus.DECLARED: None,
}
LABEL = 15


def _drift(drift: TopicDrift) -> str:
    status = drift.status.value.replace("-", " ")
    return f"{status}: {', '.join(drift.fields)}" if drift.fields else status


def _header(report: DescribeReport, color: bool) -> list[str]:
    owner = report.owner
    rows = [
        ("owner", f"{owner.team} ({owner.github})" if owner.github else owner.team),
        ("chat", owner.chat or "(no chat room in teams.yaml)"),
        ("file", report.file),
        ("description", report.description),
        ("schema", report.schema_.message),
        (
            "",
            f"defined at {report.schema_.defined_at}"
            if report.schema_.defined_at
            else "(not in the schemas)",
        ),
        ("key", report.key),
        ("lifecycle", report.lifecycle),
    ]
    if report.cluster is not None and report.drift is not None:
        rows.append(("cluster", f"{report.cluster} ({report.cluster_id}): {_drift(report.drift)}"))
    lines = [paint(report.topic, Tone.HEADER, color)]
    for label, value in rows:
        lines += wrap(value, f"  {label:<{LABEL - 2}}", " " * LABEL)
    return lines


def _on_cluster(actual: str | None, source: str | None, differs: bool) -> str:
    if actual is None and source is None:
        return "-"
    where = KAFKA_SOURCES.get(source or "", (source or "").lower())
    shown = "same" if not differs else actual or "(none)"
    return f"{shown} ({where})" + ("  differs" if differs else "") if where else shown


def _count(setting: CountSetting, differs: bool) -> str:
    if setting.actual is None:
        return "-"
    return str(setting.actual) + ("  differs" if differs else "")


def _settings(report: DescribeReport, color: bool) -> list[str]:
    catalogue = load_catalogue()
    cluster = report.cluster is not None
    fields = set(report.drift.fields) if report.drift else set()
    rows, tones = [], []
    for key, count in (("partitions", report.partitions), ("replication_factor", report.replication_factor)):
        row = [key, str(count.desired), SOURCES[count.source]]
        rows.append([*row, _count(count, key in fields)] if cluster else row)
        tones.append(Tone.WARNING if key in fields else None)
    for config in report.configs:
        desired = catalogue.display(config.key, config.desired) if config.desired is not None else "-"
        row = [config.key, desired, SOURCES[config.source] if config.source else "-"]
        if cluster:
            actual = (
                printable(catalogue.display(config.key, config.actual)) if config.actual is not None else None
            )
            row.append(_on_cluster(actual, config.kafka_source, config.differs))
        rows.append(row)
        tones.append(Tone.WARNING if config.differs else None)
    columns = [Column("SETTING"), Column("DESIRED", 20), Column("FROM", 11)]
    if cluster:
        columns.append(Column(f"ON {report.cluster}".upper()))
    return table(columns, rows, tones, color)


def _partitions(report: DescribeReport, color: bool) -> list[str]:
    rows = [
        [
            str(p.partition),
            str(p.leader) if p.leader >= 0 else "none",
            ",".join(map(str, p.replicas)),
            ",".join(map(str, p.isr)),
            "offline" if p.leader < 0 else "under-replicated" if p.under_replicated else "ok",
        ]
        for p in report.partition_states
    ]
    tones = [Tone.OK if r[-1] == "ok" else Tone.ERROR for r in rows]
    columns = [
        Column("PARTITION"),
        Column("LEADER"),
        Column("REPLICAS", 20),
        Column("ISR", 20),
        Column("STATE"),
    ]
    return table(columns, rows, tones, color)


def _resource(entry: AclEntry, topic: str) -> str:
    binding = entry.binding
    kind = binding.resource_type.lower()
    if binding.pattern_type == "PREFIXED":
        return f"{kind}s prefixed {printable(binding.resource_name)}"
    if binding.resource_name == topic and binding.resource_type == "TOPIC":
        return "this topic"
    return f"{kind} {printable(binding.resource_name)}"


def _acls(report: DescribeReport, color: bool) -> list[str]:
    """One table, the bindings under a line naming their resource (this topic first)."""
    ordered = sorted(
        report.acls, key=lambda a: (_resource(a, report.topic) != "this topic", _resource(a, report.topic))
    )
    rows: list[list[str]] = []
    tones: list[Tone | None] = []
    heading = ""
    for entry in ordered:
        if _resource(entry, report.topic) != heading:
            heading = _resource(entry, report.topic)
            rows.append([f"{heading}:", "", "", ""])
            tones.append(None)
        binding = entry.binding
        access = (
            binding.operation
            if binding.permission == "ALLOW"
            else f"{binding.permission} {binding.operation}"
        )
        rows.append([f"  {printable(binding.principal)}", access, entry.role or "-", entry.status.value])
        tones.append(ACL_TONES[entry.status])
    columns = [Column("ACL"), Column("OPERATION"), Column("ROLE"), Column("STATUS")]
    return table(columns, rows, tones, color)


def _groups(report: DescribeReport, color: bool) -> list[str]:
    rows = []
    for group in report.consumer_groups:
        objective = group.objective
        limits = [f"max {objective.max_messages} messages"] if objective.max_messages is not None else []
        limits += [f"max {objective.max_seconds}s behind"] if objective.max_seconds is not None else []
        rows.append(
            [group.group, group.team, f"{', '.join(limits)}, for {objective.for_} · {objective.severity}"]
        )
    return table([Column("CONSUMER GROUP"), Column("TEAM", 14), Column("LAG OBJECTIVE")], rows, color=color)


def as_text(report: DescribeReport, color: bool = False) -> str:
    """Header, settings (desired | from | on the cluster), partitions, ACLs and consumer groups."""
    lines = [*_header(report, color), "", *_settings(report, color)]
    if report.partition_states:
        lines += ["", *_partitions(report, color)]
    lines += [
        "",
        *(
            _acls(report, color)
            if report.acls
            else ["no ACLs declared (no producers or consumers with a principal)"]
        ),
    ]
    if report.acls_enforced is False:
        lines += wrap("the cluster has no authorizer: ACLs are not enforced there, nor managed")
    lines += ["", *(_groups(report, color) if report.consumer_groups else ["no consumer groups declared"])]
    if report.drift is not None and report.drift.status in DRIFT_TONES and report.drift.fields:
        lines += [
            "",
            *wrap(f"`busctl plan --cluster {report.cluster} --topic {report.topic}` shows the changes"),
        ]
    return "\n".join(lines) + "\n"


def as_markdown(report: DescribeReport) -> str:
    """The text screen in a code block, under the topic's name (a PR comment or a wiki page)."""
    return f"**{report.topic}** ({report.owner.team})\n\n```\n{as_text(report)}```\n"
