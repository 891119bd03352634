"""Rules about teams and ownership: every owner exists and can be reached."""

from __future__ import annotations

from collections.abc import Iterator

from busctl.core.diagnostics import Diagnostic, Severity, Span, did_you_mean
from busctl.core.ownership import schema_owner
from busctl.core.receivers import Undeliverable, chat_target, pagerduty_key
from busctl.rules.base import LintContext, Rule, register


def _unknown_team_hint(team: str, teams: list[str]) -> str:
    return did_you_mean(team, teams) or "add the team to teams.yaml"


@register
class OwnerTeamExists(Rule):
    """A topic's or connector's owner is a team defined in teams.yaml.

    **Bad**:  `owner: biling`
    **Good**: `owner: billing`
    """

    needs_teams = True
    id = "BUS201"
    name = "team.owner-exists"
    locked = "alerts, CODEOWNERS and check route every topic and connector to its owner team"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        owners = [(d.topic.owner, d.source) for d in ctx.bus.topics]
        owners += [(d.connector.owner, d.source) for d in ctx.bus.connectors]
        for owner, source in owners:
            if owner not in ctx.bus.teams:
                yield self.finding(
                    f'owner "{owner}" is not a team in teams.yaml',
                    source.at("owner"),
                    _unknown_team_hint(owner, [*ctx.bus.teams]),
                )


@register
class ConsumerTeamExists(Rule):
    """A consumer's team (paged for its lag) is defined in teams.yaml.

    **Bad**:  `consumers: [{group: g, team: adit}]`
    **Good**: `consumers: [{group: g, team: audit}]`
    """

    needs_teams = True
    id = "BUS202"
    name = "team.consumer-team-exists"
    locked = "a consumer group's lag alerts are routed to its team"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for decl in ctx.bus.topics:
            for index, consumer in enumerate(decl.topic.consumers):
                if consumer.team is not None and consumer.team not in ctx.bus.teams:
                    yield self.finding(
                        f'consumer team "{consumer.team}" is not a team in teams.yaml',
                        decl.source.at("consumers", index, "team"),
                        _unknown_team_hint(consumer.team, [*ctx.bus.teams]),
                    )


@register
class TeamHasChatRoom(Rule):
    """Every team has a chat room, where its alerts and breaking-change notices go.

    **Bad**:  `billing: {github: "@acme/billing"}`
    **Good**: `billing: {chat: https://chat.example.com/rooms/billing, github: "@acme/billing"}`
    """

    id = "BUS203"
    name = "team.chat-room"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for team, info in ctx.bus.teams.items():
            if not (info.chat or "").strip():
                yield self.finding(
                    f'team "{team}" has no chat room',
                    ctx.bus.teams_source.key_at("teams", team),
                    'add chat: <room URL> or chat: "#channel" so alerts reach the team '
                    "(quote a #channel: unquoted, YAML reads it as a comment)",
                )


@register
class TeamHasGithubHandle(Rule):
    """Every team has a GitHub handle, so CODEOWNERS can ask it to review its files.

    **Bad**:  `billing: {chat: ...}`
    **Good**: `billing: {chat: ..., github: "@acme/billing"}`
    """

    id = "BUS204"
    name = "team.github-handle"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for team, info in ctx.bus.teams.items():
            if info.github and not info.github.startswith("@"):
                yield self.finding(
                    f'GitHub handle "{info.github}" of team "{team}" must start with @',
                    ctx.bus.teams_source.at("teams", team, "github"),
                    f'write github: "@{info.github}" (quoted)',
                )
            elif not info.github:
                yield self.finding(
                    f'team "{team}" has no GitHub handle (@org/team or @user)',
                    ctx.bus.teams_source.key_at("teams", team),
                    'add github: "@org/team" (quoted: @ cannot start a plain YAML value)',
                )


@register
class SchemaDirectoryExists(Rule):
    """A team's schema directories exist in the schema module.

    **Bad**:  `schemas: [acme/bilin]` (no such directory)
    **Good**: `schemas: [acme/billing]`
    """

    id = "BUS205"
    name = "team.schema-dir-exists"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        root = ctx.bus.root / ctx.bus.config.schemas.root
        for claim in ctx.bus.schema_claims:
            if not (root / claim.directory).is_dir():
                yield self.finding(
                    f"schema directory {ctx.bus.config.schemas.root}/{claim.directory} does not exist",
                    claim.span,
                    "create it, or fix the path (it is relative to the schema root)",
                )


@register
class SchemaDirectoryClaimedOnce(Rule):
    """A schema directory is claimed by one team only.

    **Bad**:  billing and audit both list `acme/billing`
    **Good**: each directory under exactly one team
    """

    id = "BUS206"
    name = "team.schema-dir-unique"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        first: dict[str, str] = {}
        for claim in ctx.bus.schema_claims:
            if claim.directory in first and first[claim.directory] != claim.team:
                yield self.finding(
                    f"{claim.directory} is already claimed by team {first[claim.directory]}",
                    claim.span,
                    "one directory, one owner: split the directory instead",
                )
            first.setdefault(claim.directory, claim.team)


@register
class ProtoFileOwned(Rule):
    """Every .proto file lies in a directory some team claims in teams.yaml.

    **Bad**:  `schemas/acme/misc/v1/thing.proto` with no team listing acme/misc
    **Good**: `teams: {search: {schemas: [acme/misc]}}`
    """

    reads_schemas = True
    needs_teams = True
    id = "BUS207"
    name = "team.proto-owned"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for path in sorted(ctx.schemas.files):
            if schema_owner(ctx.bus, path) is None:
                yield self.finding(
                    f"no team owns {path}", Span(path), "add its directory to a team's schemas: in teams.yaml"
                )


@register
class PlatformTeamExists(Rule):
    """policy.platform_team names a team in teams.yaml.

    **Bad**:  `platform_team: plat`
    **Good**: `platform_team: platform`
    """

    needs_teams = True
    id = "BUS208"
    name = "team.platform-team-exists"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        team = ctx.bus.config.policy.platform_team
        if team is not None and team not in ctx.bus.teams:
            yield self.finding(
                f'platform_team "{team}" is not a team in teams.yaml',
                ctx.bus.config_source.at("policy", "platform_team"),
                _unknown_team_hint(team, [*ctx.bus.teams]),
            )


@register
class TeamAlertsDeliverable(Rule):
    """A team's alerts reach a receiver that delivers them: a chat URL or Slack channel, a PagerDuty key file.

    busctl alerts gives each team a receiver for its chat room: a webhook to the room's URL (through
    bus.yaml alerts.webhook_url), or for a Slack channel a Slack receiver reading its webhook URL from
    bus.yaml alerts.slack_api_url_file. A room neither is, or a channel without that file, would give
    the team a receiver that drops every page. A team's `pagerduty:` names one key file.

    **Bad**:  `chat: ledger`, or `chat: "#ledger"` with no alerts.slack_api_url_file in bus.yaml
    **Good**: `chat: "#ledger"` and bus.yaml `alerts: {slack_api_url_file: /etc/alertmanager/secrets/slack}`
    """

    id = "BUS209"
    name = "team.alerts-deliverable"
    locked = "busctl alerts would route the team's pages to a receiver that drops them"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        source = ctx.bus.teams_source
        for team, info in ctx.bus.teams.items():
            target = chat_target(team, info.chat, ctx.bus.config.alerts)
            # no chat: BUS203's finding; bus.yaml invalid: its own, and its alert settings are unknown
            if isinstance(target, Undeliverable) and (info.chat or "").strip() and ctx.bus.config_ok:
                yield self.finding(
                    f'team "{team}": {target.problem}, so no receiver can deliver its alerts',
                    source.at("teams", team, "chat"),
                    target.fix,
                )
            if info.pagerduty is not None and pagerduty_key(info.pagerduty) is None:
                both = info.pagerduty.routing_key_file is not None
                yield self.finding(
                    f'pagerduty of team "{team}" names '
                    + ("both routing_key_file and service_key_file" if both else "no key file"),
                    source.key_at("teams", team, "pagerduty"),
                    "name one: routing_key_file for an Events API v2 integration, service_key_file "
                    "for a Prometheus one, e.g. "
                    f"routing_key_file: /etc/alertmanager/secrets/{team}-pagerduty",
                )
