"""Where a team's alerts are delivered: the Alertmanager receivers `busctl alerts` generates, and
what any Alertmanager receiver delivers to (what `alerts --verify` proves of alerts/alertmanager.yml).

Pure. Every alert of a team goes to its chat receiver, `team-<team>`: a Slack receiver when its
chat is a Slack channel ("#billing") and bus.yaml names alerts.slack_api_url_file, else a webhook
to alerts.webhook_url with {chat} and {team} replaced. A team with `pagerduty:` also has
`pagerduty-<team>`: its critical alerts page it, then go on to the chat room as well. Secrets stay
in files named by path; none is ever written into a generated file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from busctl.core.model import AlertSettings, PagerDuty, Team

SLACK_SETTING = "alerts.slack_api_url_file"
# Slack channel names: lowercase letters, digits, '-' and '_', at most 80 characters.
SLACK_CHANNEL = re.compile(r"#[a-z0-9_-]{1,80}")


@dataclass(frozen=True)
class Webhook:
    """The chat receiver posts to a URL (a chat room's incoming webhook, or a relay)."""

    url: str
    kind: Literal["webhook"] = "webhook"


@dataclass(frozen=True)
class Slack:
    """The chat receiver posts to a Slack channel through the webhook URL read from `api_url_file`."""

    channel: str
    api_url_file: str
    kind: Literal["slack"] = "slack"


@dataclass(frozen=True)
class Undeliverable:
    """No receiver can deliver a team's chat alerts: why, and what would fix it."""

    problem: str
    fix: str
    kind: Literal["undeliverable"] = "undeliverable"


ChatTarget = Webhook | Slack | Undeliverable


@dataclass(frozen=True)
class PagerDutyKey:
    """The Alertmanager field (`routing_key_file` or `service_key_file`) and the key's file."""

    field: Literal["routing_key_file", "service_key_file"]
    file: str


def chat_receiver(team: str) -> str:
    """The receiver of every alert of a team: its chat room."""
    return f"team-{team}"


def pagerduty_receiver(team: str) -> str:
    """The receiver paging a team's PagerDuty service (never a team's chat receiver's name)."""
    return f"pagerduty-{team}"


def chat_target(team: str, chat: str | None, settings: AlertSettings) -> ChatTarget:
    """Where `team`'s chat receiver delivers, given its chat room and bus.yaml's alert settings."""
    room = (chat or "").strip()
    template = settings.webhook_url
    if room.startswith("#"):
        if not SLACK_CHANNEL.fullmatch(room):
            return Undeliverable(
                f'chat "{room}" is not a Slack channel name',
                "a Slack channel has lowercase letters, digits, '-' and '_' (80 at most), e.g. "
                'chat: "#ledger"',
            )
        if settings.slack_api_url_file is not None:
            return Slack(room, settings.slack_api_url_file)
        if "{chat}" in template:
            return Undeliverable(
                f'chat "{room}" is a Slack channel, but bus.yaml sets no {SLACK_SETTING}',
                f"set {SLACK_SETTING} in bus.yaml to the file holding the Slack webhook URL, e.g. "
                "/etc/alertmanager/secrets/slack-api-url",
            )
    elif not room and "{chat}" in template:
        return Undeliverable("no chat room", 'add chat: <room URL> or chat: "#channel"')
    url = template.replace("{chat}", room).replace("{team}", team)
    if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc:
        return Webhook(url)
    channel = f"#{room}" if SLACK_CHANNEL.fullmatch(f"#{room}") else "#channel"
    return Undeliverable(
        f'chat "{room}" is neither a URL nor a Slack channel',
        f'write the room\'s webhook URL (https://...) or a Slack channel, quoted: chat: "{channel}" '
        "(unquoted, YAML reads # as a comment)",
    )


def pagerduty_key(pagerduty: PagerDuty) -> PagerDutyKey | None:
    """The one key file a `pagerduty:` names; None when it names none or both (BUS209)."""
    routing, service = pagerduty.routing_key_file, pagerduty.service_key_file
    if routing is not None and service is None:
        return PagerDutyKey("routing_key_file", routing)
    if service is not None and routing is None:
        return PagerDutyKey("service_key_file", service)
    return None


def paging_key(info: Team) -> PagerDutyKey | None:
    """The PagerDuty key a team's critical alerts page with, if it declares one."""
    return pagerduty_key(info.pagerduty) if info.pagerduty is not None else None


@dataclass(frozen=True)
class RouteExpectation:
    """The receivers, in routing order, that an alert of `team` with `severity` must reach."""

    team: str
    severity: str
    receivers: list[str]


def route_expectations(teams: Mapping[str, Team]) -> list[RouteExpectation]:
    """For each routed team: a critical alert reaches its PagerDuty receiver (if any), then its chat
    room; a warning reaches only the chat room."""
    found = []
    for team, info in teams.items():
        paged = [pagerduty_receiver(team)] if paging_key(info) is not None else []
        found.append(RouteExpectation(team, "critical", [*paged, chat_receiver(team)]))
        found.append(RouteExpectation(team, "warning", [chat_receiver(team)]))
    return found


def _configs(receiver: Mapping[str, object], kind: str) -> list[Mapping[str, object]]:
    configs = receiver.get(f"{kind}_configs")
    return [c for c in configs if isinstance(c, Mapping)] if isinstance(configs, list) else []


def _first_set(source: Mapping[str, object], *fields: str) -> str | None:
    return next((name for name in fields if source.get(name)), None)


def delivery_targets(receiver: Mapping[str, object], defaults: Mapping[str, object]) -> list[str]:
    """Where an Alertmanager receiver (parsed from its config; `defaults` is the config's `global:`)
    delivers, one description per target, naming no secret: "webhook chat.example.com", "slack
    #billing", "pagerduty routing_key_file". A config without its target (no url, no channel or
    API URL, no key) delivers nowhere; other kinds of config count by their kind."""
    found = []
    for config in _configs(receiver, "webhook"):
        url = config.get("url")
        if isinstance(url, str) and urlsplit(url).netloc:
            found.append(f"webhook {urlsplit(url).netloc}")
        elif config.get("url_file"):
            found.append("webhook url_file")
    for config in _configs(receiver, "slack"):
        channel = config.get("channel")
        api_url = _first_set(config, "api_url", "api_url_file") or _first_set(
            defaults, "slack_api_url", "slack_api_url_file"
        )
        if channel and api_url:
            found.append(f"slack {channel}")
    for config in _configs(receiver, "pagerduty"):
        key = _first_set(config, "routing_key_file", "service_key_file", "routing_key", "service_key")
        if key is not None:
            found.append(f"pagerduty {key}")
    for kind in sorted(k.removesuffix("_configs") for k in receiver if k.endswith("_configs")):
        if kind not in ("webhook", "slack", "pagerduty"):
            found += [kind] * len(_configs(receiver, kind))
    return found
