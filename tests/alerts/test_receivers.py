"""Alert receivers people use: a team's chat room is a webhook URL or a Slack channel, its
`pagerduty:` is paged for its critical alerts; a room no receiver can deliver to is refused, and
--verify proves every team's routes end in receivers that deliver. Secrets stay in files."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from busctl.core.receivers import delivery_targets
from tests.conftest import BASE_BUS, REPO_ROOT, CliResult
from tests.integration.monitoring import alertmanager, wait_for, webhook_receiver

Run = Callable[..., CliResult]
MakeRepo = Callable[..., Path]

SLACK = "alerts:\n  slack_api_url_file: /etc/alertmanager/secrets/slack-api-url\n"
PAGERDUTY = "\n    pagerduty: {routing_key_file: /etc/alertmanager/secrets/audit-pagerduty}"
AUDIT_CHAT = "chat: https://chat.example.com/rooms/audit"
TEMPLATE = REPO_ROOT / "cli/busctl/templates/alerts/alertmanager.yml.j2"
PORT = 39210 + int(os.environ.get("BUSCTL_TEST_PORT_OFFSET", "0"))  # and PORT + 1


def _repo(bus_repo: MakeRepo, chat: str, settings: str = "", **files: str) -> Path:
    """The base bus with audit's chat line replaced and alert settings added to bus.yaml."""
    teams = (BASE_BUS / "teams.yaml").read_text()
    bus = (BASE_BUS / "bus.yaml").read_text()
    return bus_repo({"teams.yaml": teams.replace(AUDIT_CHAT, chat), "bus.yaml": bus + settings, **files})


def _config(repo: Path) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((repo / "alerts/alertmanager.yml").read_text())
    return config


def test_slack_channel_and_pagerduty_get_their_receivers(run: Run, bus_repo: MakeRepo) -> None:
    repo = _repo(bus_repo, 'chat: "#audit"' + PAGERDUTY, SLACK)
    assert run("lint", "--repo", str(repo)).code == 0
    assert run("alerts", "--repo", str(repo)).code == 0
    config = _config(repo)
    assert config["route"]["routes"] == [
        {
            "matchers": ['team="audit"', 'severity="critical"'],
            "receiver": "pagerduty-audit",
            "continue": True,
        },
        {"matchers": ['team="audit"'], "receiver": "team-audit"},
        {"matchers": ['team="platform"'], "receiver": "team-platform"},
    ]
    receivers = {r.pop("name"): r for r in config["receivers"]}
    assert receivers == {
        "team-audit": {
            "slack_configs": [
                {
                    "api_url_file": "/etc/alertmanager/secrets/slack-api-url",
                    "channel": "#audit",
                    "send_resolved": True,
                }
            ]
        },
        "pagerduty-audit": {
            "pagerduty_configs": [
                {"routing_key_file": "/etc/alertmanager/secrets/audit-pagerduty", "send_resolved": True}
            ]
        },
        "team-platform": {
            "webhook_configs": [{"url": "https://chat.example.com/rooms/platform", "send_resolved": True}]
        },
    }


@pytest.mark.parametrize(
    ("chat", "hint"),
    [
        ('chat: "#audit"', "set alerts.slack_api_url_file in bus.yaml"),  # the "#ledger"
        ("chat: audit", 'a Slack channel, quoted: chat: "#audit"'),
        ('chat: "#Audit Team"', "a Slack channel has lowercase letters"),
    ],
)
def test_a_chat_room_no_receiver_can_deliver_to_is_refused(
    run: Run, bus_repo: MakeRepo, chat: str, hint: str
) -> None:
    repo = _repo(bus_repo, chat)
    linted = run("lint", "--repo", str(repo), "--format", "json")
    assert linted.code == 1
    [finding] = json.loads(linted.out)["diagnostics"]
    assert (finding["code"], finding["file"], finding["line"], finding["column"]) == (
        "BUS209",
        "teams.yaml",
        14,
        11,
    )
    assert hint in finding["hint"]
    result = run("alerts", "--repo", str(repo))
    assert result.code == 1
    assert "teams.yaml:14:11: BUS209" in result.err and "alerts/ was not written" in result.err
    assert "Traceback" not in result.err
    assert not (repo / "alerts").exists()


@pytest.mark.parametrize(
    ("files", "where", "message"),
    [
        ({"settings": "alerts:\n  slack_api_url_file: slack-url\n"}, "bus.yaml:15:23", "absolute path"),
        (
            {"chat": AUDIT_CHAT + "\n    pagerduty: {routing_key_file: 0123abcd}"},
            "teams.yaml:15:35",
            "never the",
        ),
        ({"settings": 'alerts:\n  webhook_url: "{team}"\n'}, "bus.yaml:15:16", "an http(s) URL"),
    ],
)
def test_a_secret_setting_names_a_file_and_a_webhook_a_url(
    run: Run, bus_repo: MakeRepo, files: dict[str, str], where: str, message: str
) -> None:
    repo = _repo(bus_repo, files.get("chat", AUDIT_CHAT), files.get("settings", ""))
    result = run("lint", "--repo", str(repo))
    assert result.code == 1
    assert f"{where}: error BUS005" in result.out and message in result.out
    assert "BUS209" not in result.out  # not a follow-on of the invalid bus.yaml


@pytest.mark.parametrize(
    ("receiver", "defaults", "targets"),
    [
        (
            {"webhook_configs": [{"url": "https://chat.example.com/rooms/a?t=1"}]},
            {},
            ["webhook chat.example.com"],
        ),
        ({"webhook_configs": [{"url": "#a"}]}, {}, []),
        ({"slack_configs": [{"channel": "#a", "api_url_file": "/s"}]}, {}, ["slack #a"]),
        ({"slack_configs": [{"channel": "#a"}]}, {"slack_api_url_file": "/s"}, ["slack #a"]),
        ({"slack_configs": [{"channel": "#a"}]}, {}, []),  # no API URL: Slack is never called
        ({"slack_configs": [{"api_url_file": "/s"}]}, {}, []),
        ({"pagerduty_configs": [{"routing_key_file": "/k"}]}, {}, ["pagerduty routing_key_file"]),
        ({"pagerduty_configs": [{"service_key": "SECRET"}]}, {}, ["pagerduty service_key"]),  # not its value
        ({"pagerduty_configs": [{"send_resolved": True}]}, {}, []),
        ({"email_configs": [{"to": "oncall@example.com"}]}, {}, ["email"]),
        ({"name": "team-a"}, {}, []),
    ],
)
def test_delivery_targets_of_a_receiver(
    receiver: dict[str, Any], defaults: dict[str, Any], targets: list[str]
) -> None:
    assert delivery_targets(receiver, defaults) == targets


def _verify(run: Run, repo: Path) -> tuple[int, dict[str, Any]]:
    result = run("alerts", "--repo", str(repo), "--verify", "--format", "json")
    document: dict[str, Any] = json.loads(result.out)["verify"]
    return result.code, document


@pytest.mark.prometheus
def test_verify_proves_critical_alerts_page_and_reach_the_chat_room(run: Run, bus_repo: MakeRepo) -> None:
    repo = _repo(bus_repo, 'chat: "#audit"' + PAGERDUTY, SLACK)
    code, verified = _verify(run, repo)
    assert code == 0 and verified["ok"] is True
    routes = {(r["team"], r["severity"]): r["receivers"] for r in verified["routes"]}
    assert routes == {
        ("audit", "critical"): ["pagerduty-audit", "team-audit"],
        ("audit", "warning"): ["team-audit"],
        ("platform", "critical"): ["team-platform"],
        ("platform", "warning"): ["team-platform"],
    }
    assert {r["name"]: r["targets"] for r in verified["receivers"]} == {
        "pagerduty-audit": ["pagerduty routing_key_file"],
        "team-audit": ["slack #audit"],
        "team-platform": ["webhook chat.example.com"],
    }
    text = run("alerts", "--repo", str(repo), "--verify").out
    assert "ok: routes of 2 team(s)" in text
    assert "ok: 3 of 3 receiver(s) deliver (pagerduty 1, slack 1, webhook 1)" in text


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("cut", "failure"),
    [
        (  # a receiver without its Slack config: amtool accepts it, and it drops every alert
            "    slack_configs:\n      - api_url_file: [[ target.api_url_file | tojson ]]\n"
            "        channel: [[ target.channel | tojson ]]\n        send_resolved: true\n",
            "FAILED: receiver team-audit (alerts of team audit) delivers nowhere",
        ),
        (  # paging without `continue`: critical alerts never reach the chat room
            "      continue: true\n",
            "FAILED: critical alerts of team audit reach pagerduty-audit, not\n"
            "    pagerduty-audit, team-audit",
        ),
    ],
)
def test_verify_fails_a_route_that_does_not_end_where_it_must(
    run: Run, bus_repo: MakeRepo, cut: str, failure: str
) -> None:
    builtin = TEMPLATE.read_text()
    assert builtin.count(cut) == 1
    override = {"templates/alerts/alertmanager.yml.j2": builtin.replace(cut, "")}
    repo = _repo(bus_repo, 'chat: "#audit"' + PAGERDUTY, SLACK, **override)
    result = run("alerts", "--repo", str(repo), "--verify")
    assert result.code == 1
    assert "ok: amtool check-config alerts/alertmanager.yml" in result.out
    assert failure in result.out, result.out
    code, verified = _verify(run, repo)
    assert code == 1 and verified["ok"] is False


def _post_alert(url: str, severity: str) -> None:
    alert = [{"labels": {"alertname": "KafkaConsumerGroupLagHigh", "team": "audit", "severity": severity}}]
    request = urllib.request.Request(
        f"{url}/api/v2/alerts", json.dumps(alert).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


@pytest.mark.prometheus
def test_a_real_alertmanager_reads_the_secret_files_posts_to_slack_and_pages(
    run: Run, bus_repo: MakeRepo, tmp_path: Path
) -> None:
    """The generated receivers on a real Alertmanager: the Slack webhook URL and the PagerDuty key
    come from their files; a critical alert reaches both, a warning only the Slack channel."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "slack-api-url").write_text(f"http://127.0.0.1:{PORT}/slack/T000/B000\n")
    key = "0123456789abcdef0123456789abcdef"
    (secrets / "audit-pagerduty").write_text(key + "\n")
    chat = 'chat: "#audit"' + PAGERDUTY.replace("/etc/alertmanager/secrets", str(secrets))
    repo = _repo(bus_repo, chat, SLACK.replace("/etc/alertmanager/secrets", str(secrets)))
    assert run("alerts", "--repo", str(repo)).code == 0
    config = _config(repo)
    assert str(secrets) in (repo / "alerts/alertmanager.yml").read_text()
    assert key not in (repo / "alerts/alertmanager.yml").read_text()
    # the test's stand-ins: PagerDuty's events API on the local receiver; 1 s, not 30 s group_wait and
    # 5 m group_interval
    config["global"] = {"pagerduty_url": f"http://127.0.0.1:{PORT}/pagerduty"}
    config["route"] |= {"group_wait": "1s", "group_interval": "1s"}
    served = tmp_path / "alertmanager.yml"
    served.write_text(yaml.safe_dump(config))
    with (
        webhook_receiver(PORT) as received,
        alertmanager(tmp_path / "am", PORT + 1, served) as url,
    ):
        _post_alert(url, "warning")
        slack = wait_for(
            "the warning in Slack", lambda: [p for p in received if p["path"].startswith("/slack")], 60
        )
        assert slack[0]["path"] == "/slack/T000/B000" and slack[0]["body"]["channel"] == "#audit"
        assert not [p for p in received if p["path"] == "/pagerduty"]  # a warning does not page
        _post_alert(url, "critical")

        def paged() -> list[dict[str, Any]]:
            return [p for p in received if p["path"] == "/pagerduty"]

        [page] = wait_for("the critical alert paging PagerDuty", paged, 60, tmp_path / "am/alertmanager.log")
        assert page["body"]["routing_key"] == key and page["body"]["event_action"] == "trigger"
        wait_for(
            "the critical alert in Slack too",
            lambda: len([p for p in received if p["path"].startswith("/slack")]) >= 2,
            60,
            tmp_path / "am/alertmanager.log",
        )
