"""`busctl check`: breaking changes and ownership of a change, against the merge base with a ref.

The base's bus files are read from git objects into a temporary directory (the checkout is never
touched). Topic declarations are compared by the check rules (BUS5xx); schemas by `buf breaking` against
a descriptor set compiled from the base. Every finding is tied to the topics it affects, their owners,
chat rooms and consumer groups, and to an approval when the change itself approves it.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from busctl.adapters import buf, git, protoc
from busctl.core.bus import Bus, TopicDecl
from busctl.core.compare import CONNECTOR, topic_changes
from busctl.core.connectors import sink_group
from busctl.core.diagnostics import BusctlError, Diagnostic, Severity
from busctl.core.model import Approval
from busctl.core.ownership import schema_owner
from busctl.core.schemas import SchemaSet
from busctl.core.topic_configs import load_catalogue
from busctl.loading.bus import BUS_FILE, CONNECTORS_DIR, TEAMS_FILE, TOPICS_DIR, load_bus
from busctl.rules.base import CheckContext, CheckRule, apply_overrides, check_rules, registered
from busctl.rules.breaking import ApprovalUnused, ExemptionAdded

_QUOTED = re.compile(r'"([A-Za-z_][A-Za-z0-9_.]*)"')


@dataclass
class Finding:
    """A breaking change: the diagnostic, the topics it affects and who must hear about it."""

    diagnostic: Diagnostic
    topics: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    consumers: list[str] = field(default_factory=list)  # "group (team)"
    approved: str = ""  # the approval's reason, when this change approves the break


@dataclass
class FileOwner:
    """A changed file and the team that owns it."""

    path: str
    team: str


@dataclass
class CheckResult:
    """Everything `busctl check` found."""

    ref: str
    base_sha: str
    findings: list[Finding]
    changed: list[FileOwner]
    head: Bus

    @property
    def unapproved(self) -> list[Finding]:
        return [f for f in self.findings if not f.approved and f.diagnostic.severity is Severity.ERROR]

    @property
    def teams_to_ask(self) -> list[str]:
        """Every team owning a changed file or affected by a finding."""
        teams = {o.team for o in self.changed if o.team} | {t for f in self.findings for t in f.teams}
        return sorted(teams)


def run_check(repo: Path, ref: str) -> CheckResult:
    """Compare the working tree with the merge base of HEAD and `ref`."""
    repo = repo.resolve()
    git_repo = git.open_repo(repo)
    base_point = git.merge_base(git_repo, repo, ref)
    head, head_report = load_bus(repo)
    if head_report.errors:
        first = head_report.sorted()[0]
        raise BusctlError(
            f"the declarations have {len(head_report.errors)} error(s), e.g. {first.span}: {first.message}",
            "run `busctl lint` and fix them first",
        )
    with tempfile.TemporaryDirectory(prefix="busctl-base-") as tmp:
        base_root = Path(tmp) / "base"
        paths = [BUS_FILE, TEAMS_FILE, TOPICS_DIR, CONNECTORS_DIR, head.config.schemas.root]
        git.export_base(git_repo, base_point, base_root, paths)
        if not (base_root / BUS_FILE).is_file():  # the bus is new in this change: nothing can break
            base = head
            base_schemas = SchemaSet(root=head.config.schemas.root)
        else:
            base, _ = load_bus(base_root)
            if base.config.schemas.root not in paths:  # the change moves the schemas
                paths.append(base.config.schemas.root)
                git.export_base(git_repo, base_point, base_root, paths[-1:])
            base_schemas, _ = protoc.compile_schemas(
                base_root, base.config.schemas.root, descriptor_set_out=Path(tmp) / "base.binpb"
            )
        schema_findings = _schema_findings(repo, head, base, base_schemas, Path(tmp) / "base.binpb")
        changed_files = changed_paths(base_root, repo, paths)
    context = CheckContext(
        base=base, head=head, changes=topic_changes(base, head), catalogue=load_catalogue()
    )
    settings = base.config.policy.rules  # the base's: a change cannot waive its own findings
    diagnostics = apply_overrides((d for rule in check_rules() for d in rule.check(context)), settings)
    findings = [_attach(d, [d.subject], base, head) for d in diagnostics] + schema_findings
    findings += [
        Finding(diagnostic=d, topics=[d.subject], teams=[_owner(head, d.subject)])
        for d in apply_overrides(_unused_approvals(base, head, findings), settings)
    ]
    platform = head.config.policy.platform_team or ""
    findings += [
        Finding(
            diagnostic=d,
            topics=[d.subject],
            teams=sorted({head.topics_by_name[d.subject].topic.owner, platform} - {""}),
        )
        for d in _added_exemptions(base, head)
    ]
    changed = [FileOwner(path, _owner_of(head, base, path)) for path in changed_files]
    return CheckResult(ref=ref, base_sha=base_point.sha, findings=findings, changed=changed, head=head)


def changed_paths(base_root: Path, head_root: Path, paths: list[str]) -> list[str]:
    """Files under `paths` (bus.yaml, teams.yaml, topics/, the schema roots) that differ between two
    trees, by content.

    Comparing content rather than asking git avoids its racy stat cache (same size, same second)."""

    def files(root: Path) -> dict[str, Path]:
        found = {}
        for name in paths:
            top = root / name
            candidates = (
                [top] if top.is_file() else (p for p in top.rglob("*") if p.is_file() and not p.is_symlink())
            )
            found.update({p.relative_to(root).as_posix(): p for p in candidates})
        return found

    before, after = files(base_root), files(head_root)
    return sorted(
        p
        for p in before.keys() | after.keys()
        if p not in before or p not in after or before[p].read_bytes() != after[p].read_bytes()
    )


def _schema_findings(
    repo: Path, head: Bus, base: Bus, base_schemas: SchemaSet, against: Path
) -> list[Finding]:
    """`buf breaking` against the base descriptor set, each finding tied to the topics carrying it."""
    if not against.exists() or not base_schemas.compiled:
        return []
    root = head.config.schemas.root
    head_schemas, problems = protoc.compile_schemas(repo, root)
    if problems:
        raise BusctlError(
            f"the schemas do not compile: {problems[0].span}: {problems[0].message}",
            "run `busctl lint` and fix them first",
        )
    findings = []
    for diagnostic in buf.start_breaking(repo, root, against, head.config.schemas.breaking).result():
        messages = _messages_of(diagnostic, head_schemas, base_schemas)
        affected = set()
        for fqn in messages:
            affected |= head_schemas.users_of(fqn) | base_schemas.users_of(fqn)
        topics = sorted(
            {d.topic.name for fqn in affected for d in head.topics_by_message.get(fqn, [])}
            | {d.topic.name for fqn in affected for d in base.topics_by_message.get(fqn, [])}
        )
        subject = ", ".join(sorted(messages)) or diagnostic.span.file
        findings.append(_attach(dataclasses.replace(diagnostic, subject=subject), topics, base, head))
    return findings


def _messages_of(diagnostic: Diagnostic, head: SchemaSet, base: SchemaSet) -> set[str]:
    """The messages a buf finding is about: the one defined at its line, else those it names, else (a
    file-level finding such as a package change) every top-level message of the file."""
    here = head.at(diagnostic.span.file, diagnostic.span.line)
    if here is not None:
        return {here.fqn}
    named = set(_QUOTED.findall(diagnostic.message))
    candidates = [
        m for m in (*base.messages.values(), *head.messages.values()) if m.file == diagnostic.span.file
    ]
    mentioned = {m.fqn for m in candidates if m.fqn.rsplit(".", 1)[-1] in named or m.fqn in named}
    return mentioned or {m.fqn for m in candidates if m.top_level}


def _decl(base: Bus, head: Bus, topic: str) -> TopicDecl | None:
    return head.topics_by_name.get(topic) or base.topics_by_name.get(topic)


def _owner(head: Bus, subject: str) -> str:
    """The owner of a topic, or of a connector (`connector NAME`), declared in head."""
    if subject.startswith(CONNECTOR):
        return head.connectors_by_name[subject.removeprefix(CONNECTOR)].connector.owner
    return head.topics_by_name[subject].topic.owner


def _attach(diagnostic: Diagnostic, topics: list[str], base: Bus, head: Bus) -> Finding:
    """Owners, consumers and approval of a finding about `topics` (or about one connector)."""
    if len(topics) == 1 and topics[0].startswith(CONNECTOR):
        return _attach_connector(diagnostic, topics[0].removeprefix(CONNECTOR), base, head)
    teams: set[str] = set()
    consumers: list[str] = []
    approvals = []
    for name in topics:
        decl = _decl(base, head, name)
        if decl is None:
            continue
        before = base.topics_by_name.get(name)
        teams |= {decl.topic.owner, *([before.topic.owner] if before is not None else [])}
        # the base's consumers too: a group this change removes (BUS509) is the one to hear about it
        for source in (decl, before) if before is not None and before is not decl else (decl,):
            for consumer in source.topic.consumers:
                team = consumer.team or source.topic.owner
                teams.add(team)
                consumers.append(f"{consumer.group} ({team})")
        approvals.append(_new_approval(base, head, name, diagnostic.code))
    approved = "; ".join(approvals) if approvals and all(approvals) else ""
    return Finding(
        diagnostic=diagnostic,
        topics=[t for t in topics if t],
        teams=sorted(teams),
        consumers=sorted(set(consumers)),
        approved=approved,
    )


def _attach_connector(diagnostic: Diagnostic, name: str, base: Bus, head: Bus) -> Finding:
    """Owners, sink group and approval of a finding about connector `name`."""
    decls = [d for d in (head.connectors_by_name.get(name), base.connectors_by_name.get(name)) if d]
    teams = {d.connector.owner for d in decls}
    sinks = [d for d in decls if d.connector.type == "sink"]
    consumers = [f"{sink_group(sinks[0].connector)} ({sinks[0].connector.owner})"] if sinks else []
    approved = _new_approval(base, head, CONNECTOR + name, diagnostic.code)
    return Finding(
        diagnostic=diagnostic,
        topics=[CONNECTOR + name],
        teams=sorted(teams),
        consumers=consumers,
        approved=approved,
    )


def _unused_approvals(base: Bus, head: Bus, findings: list[Finding]) -> list[Diagnostic]:
    """BUS512 for each approval the change adds that matches no finding on its topic or connector."""
    found = {(f.diagnostic.code, topic) for f in findings for topic in f.topics}
    declared = [(d.topic.name, d.topic.approvals, d.source) for d in head.topics]
    declared += [(CONNECTOR + d.connector.name, d.connector.approvals, d.source) for d in head.connectors]
    unused = []
    for subject, approvals, source in declared:
        old = _approved_before(base, subject)
        for index, approval in enumerate(approvals):
            if approval.rule in old or (approval.rule, subject) in found:
                continue
            unused.append(
                ApprovalUnused.finding(
                    f"the approval of {approval.rule} matches no finding of this change on {subject}",
                    source.at("approvals", index),
                    "remove it, or check the rule id against the findings busctl check reports",
                    subject=subject,
                )
            )
    return unused


def _approvals_of(bus: Bus, subject: str) -> list[Approval] | None:
    """The approvals in the file declaring a topic, or a connector (`connector NAME`); None when `bus`
    does not declare it."""
    if subject.startswith(CONNECTOR):
        connector = bus.connectors_by_name.get(subject.removeprefix(CONNECTOR))
        return None if connector is None else connector.connector.approvals
    topic = bus.topics_by_name.get(subject)
    return None if topic is None else topic.topic.approvals


def _approved_before(base: Bus, subject: str) -> set[str]:
    """The rules the subject's file already approves at the merge base (approvals are valid only in
    the change that adds them)."""
    return {a.rule for a in _approvals_of(base, subject) or []}


def _added_exemptions(base: Bus, head: Bus) -> list[Diagnostic]:
    """BUS513 for each exemption the change adds to a topic (a rule its base declaration did not
    exempt)."""
    added = []
    for decl in head.topics:
        before = base.topics_by_name.get(decl.topic.name)
        old = {e.rule for e in before.topic.exemptions} if before is not None else set()
        for index, exemption in enumerate(decl.topic.exemptions):
            if exemption.rule in old:
                continue
            added.append(
                ExemptionAdded.finding(
                    f"adds an exemption of {decl.topic.name} from {exemption.rule}: {exemption.reason}",
                    decl.source.at("exemptions", index),
                    f"lint reports {exemption.rule}'s findings on this topic as notes from now on",
                    subject=decl.topic.name,
                )
            )
    return added


def _new_approval(base: Bus, head: Bus, subject: str, code: str) -> str:
    """The reason of an approval for `code` that the change adds to the file of the topic (or connector,
    `connector NAME`), else "".

    A rule whose break Kafka cannot carry out (BUS501) is never approved: check fails, as plan blocks it."""
    rule = registered().get(code)
    after = _approvals_of(head, subject)
    if after is None or (rule is not None and issubclass(rule, CheckRule) and rule.unapprovable):
        return ""
    old = _approved_before(base, subject)
    return next((a.reason for a in after if a.rule == code and a.rule not in old), "")


def _owner_of(head: Bus, base: Bus, path: str) -> str:
    """The team owning a changed file: topic and connector files by their owner, schema files by
    teams.yaml."""
    for bus in (head, base):
        decl = next((d for d in bus.topics if d.file == path), None)
        if decl is not None:
            return decl.topic.owner
        connector = next((d for d in bus.connectors if d.file == path), None)
        if connector is not None:
            return connector.connector.owner
        claim = schema_owner(bus, path) if path.endswith(".proto") else None
        if claim is not None:
            return claim.team
    return head.config.policy.platform_team or ""
