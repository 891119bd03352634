"""The connector core, without a Connect cluster: a declaration flattened into Connect's config,
${VAR}s from the environment, secrets masked, and the diff against an observed state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from busctl import workspace
from busctl.core.connectors import (
    PAUSED,
    RUNNING,
    SECRET,
    ConnectState,
    DesiredConnector,
    FieldError,
    ObservedConnector,
    connect_config,
    connector_changes,
    desired_connectors,
    to_validate,
)
from busctl.core.model import Connector
from busctl.core.plan import Action
from busctl.loading.bus import load_bus

SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
BUS = """clusters:
  local:
    bootstrap_servers: 127.0.0.1:9092
    connect: {url: http://127.0.0.1:8083}
  other:
    bootstrap_servers: 127.0.0.1:9093
    alerts: {enabled: false}
defaults: {partitions: 6, replication_factor: 3, config: {min.insync.replicas: 2}}
policy:
  min_replication_factor: 3
  protected_topics: ['^__', '^_schemas$']
  platform_team: platform
"""
LEDGER = """name: ledger-sink
owner: billing
description: Invoices into the ledger.
class: org.apache.kafka.connect.file.FileStreamSinkConnector
type: sink
topics: [billing.invoice-created.v1, audit.events.v1]
tasks_max: 2
config:
  file: /tmp/ledger.txt
  connection.password: "${LEDGER_PASSWORD}"
  store.password: "${file:/etc/connect/secrets.properties:store}"
  batch.enabled: true
transforms:
  - name: onlyInvoices
    type: org.apache.kafka.connect.transforms.Filter
    predicate: isAudit
    negate: true
predicates:
  - name: isAudit
    type: org.apache.kafka.connect.transforms.predicates.TopicNameMatches
    config: {pattern: "audit\\\\..*"}
"""


def _connector(**overrides: Any) -> Connector:
    base: dict[str, Any] = {
        "name": "ledger-sink",
        "owner": "billing",
        "description": "d",
        "class": SINK,
        "type": "sink",
        "topics": ["billing.invoice-created.v1"],
        "config": {"file": "/tmp/ledger.txt"},
    }
    return Connector.model_validate(base | overrides)


def test_a_declaration_is_flattened_into_connect_config() -> None:
    connector = Connector.model_validate(
        {
            **_connector().model_dump(by_alias=True),
            "tasks_max": 3,
            "config": {"file": "/tmp/x", "flush": True, "batch.size": 10},
            "transforms": [
                {"name": "route", "type": "R", "config": {"regex": ".*"}, "predicate": "p", "negate": True}
            ],
            "predicates": [{"name": "p", "type": "P", "config": {"pattern": "a"}}],
        }
    )
    assert connect_config(connector) == {
        "name": "ledger-sink",
        "connector.class": SINK,
        "tasks.max": "3",
        "topics": "billing.invoice-created.v1",
        "file": "/tmp/x",
        "flush": "true",
        "batch.size": "10",
        "transforms": "route",
        "transforms.route.type": "R",
        "transforms.route.regex": ".*",
        "transforms.route.predicate": "p",
        "transforms.route.negate": "true",
        "predicates": "p",
        "predicates.p.type": "P",
        "predicates.p.pattern": "a",
    }


def test_a_source_gets_no_topics_key() -> None:
    source = _connector(type="source", config={"file": "/tmp/in", "topic": "billing.invoice-created.v1"})
    assert "topics" not in connect_config(source)


@pytest.fixture
def bus(bus_repo: Any) -> Any:
    root: Path = bus_repo({"bus.yaml": BUS, "connectors/billing/ledger-sink.yaml": LEDGER})
    loaded, report = load_bus(root)
    assert not report.errors, [f"{d.span} {d.message}" for d in report.errors]
    return loaded


def test_env_references_are_expanded_and_provider_references_kept(bus: Any) -> None:
    [wanted] = desired_connectors(bus, "local", {"LEDGER_PASSWORD": "s3cret"})
    assert wanted.config["connection.password"] == "s3cret"
    assert wanted.declared["connection.password"] == "${LEDGER_PASSWORD}"
    assert wanted.config["store.password"] == "${file:/etc/connect/secrets.properties:store}"
    assert wanted.missing_env == ()
    assert {"connection.password", "store.password"} <= wanted.secret_keys
    assert desired_connectors(bus, "other", {}) == []  # placed where a Connect cluster is


def test_a_missing_variable_blocks_the_connector_and_names_it(bus: Any) -> None:
    [wanted] = desired_connectors(bus, "local", {})
    assert wanted.missing_env == ("LEDGER_PASSWORD",)
    [change], _ = connector_changes([wanted], _state(), allow_delete=False)
    assert change.action is Action.BLOCKED
    assert "${LEDGER_PASSWORD}" in change.reason


def test_the_linted_example_is_clean(bus_repo: Any) -> None:
    root: Path = bus_repo({"bus.yaml": BUS, "connectors/billing/ledger-sink.yaml": LEDGER})
    assert workspace.lint(root, run_buf=False).report.errors == []


def _desired(state: str = RUNNING, **config: str) -> DesiredConnector:
    settings = {"name": "ledger-sink", "connector.class": SINK, "tasks.max": "1"} | config
    return DesiredConnector(
        name="ledger-sink",
        owner="billing",
        file="connectors/billing/ledger-sink.yaml",
        connector_class=SINK,
        declared=settings,
        config=settings,
        state=state,
        secret_keys=frozenset({"connection.password"}),
    )


def _state(*observed: ObservedConnector, plugins: tuple[str, ...] = (SINK,)) -> ConnectState:
    return ConnectState("http://connect:8083", {o.name: o for o in observed}, dict.fromkeys(plugins, "sink"))


def _observed(state: str = RUNNING, name: str = "ledger-sink", **config: str) -> ObservedConnector:
    settings = {"name": name, "connector.class": SINK, "tasks.max": "1"} | config
    return ObservedConnector(name, settings, state)


def test_new_connector_is_created_with_every_key_and_secrets_masked() -> None:
    wanted = _desired(file="/tmp/a", **{"connection.password": "s3cret"})
    [change], unmanaged = connector_changes([wanted], _state(), allow_delete=False)
    assert change.action is Action.CREATE_CONNECTOR and unmanaged == []
    shown = {c.key: c.after for c in change.configs}
    assert shown["file"] == "/tmp/a" and shown["connection.password"] == SECRET
    assert "s3cret" not in repr(change)


def test_an_update_diffs_per_key_and_a_changed_secret_shows_as_changed() -> None:
    wanted = _desired(file="/tmp/b", **{"connection.password": "new"})
    observed = _observed(file="/tmp/a", extra="x", **{"connection.password": "old"})
    [change], _ = connector_changes([wanted], _state(observed), allow_delete=False)
    assert change.action is Action.UPDATE_CONNECTOR
    assert [(c.key, c.before, c.after) for c in change.configs] == [
        ("connection.password", SECRET, f"{SECRET}, changed"),
        ("extra", "x", None),
        ("file", "/tmp/a", "/tmp/b"),
    ]
    assert "old" not in repr(change) and "new" not in repr(change).replace("newline", "")


def test_state_changes_pause_and_resume() -> None:
    [pause], _ = connector_changes([_desired(PAUSED)], _state(_observed(RUNNING)), allow_delete=False)
    assert pause.action is Action.PAUSE_CONNECTOR and pause.configs == ()
    [resume], _ = connector_changes([_desired()], _state(_observed(PAUSED)), allow_delete=False)
    assert resume.action is Action.RESUME_CONNECTOR
    assert connector_changes([_desired()], _state(_observed()), allow_delete=False) == ([], [])


def test_a_failed_connector_is_not_a_change() -> None:
    """A FAILED connector is a health problem (`connectors status`), not something apply can fix."""
    assert connector_changes([_desired()], _state(_observed("FAILED")), allow_delete=False) == ([], [])


def test_a_tombstone_is_deleted_only_when_approved_or_allowed() -> None:
    tombstone = _desired()
    tombstone = DesiredConnector(**{**tombstone.__dict__, "deleted": True})
    [blocked], _ = connector_changes([tombstone], _state(_observed()), allow_delete=False)
    assert blocked.action is Action.BLOCKED and "BUS520" in blocked.reason
    [allowed], _ = connector_changes([tombstone], _state(_observed()), allow_delete=True)
    assert allowed.action is Action.DELETE_CONNECTOR and allowed.risk == "high"
    approved = DesiredConnector(**{**tombstone.__dict__, "deletion_approved": True})
    [deleting], _ = connector_changes([approved], _state(_observed()), allow_delete=False)
    assert deleting.action is Action.DELETE_CONNECTOR
    assert connector_changes([approved], _state(), allow_delete=False) == ([], [])


def test_a_missing_plugin_blocks_with_that_reason_and_is_not_validated() -> None:
    state = _state(plugins=("org.example.Other",))
    assert to_validate([_desired()], state) == []
    [blocked], _ = connector_changes([_desired()], state, allow_delete=False)
    assert blocked.action is Action.BLOCKED
    assert f"plugin {SINK} is not installed" in blocked.reason


def test_the_workers_validation_errors_block_per_field() -> None:
    state = _state()
    assert [d.name for d in to_validate([_desired()], state)] == ["ledger-sink"]
    state.validations["ledger-sink"] = (FieldError("file", ("Missing required configuration",)),)
    [blocked], _ = connector_changes([_desired()], state, allow_delete=False)
    assert blocked.action is Action.BLOCKED
    assert "file: Missing required configuration" in blocked.reason


def test_unchanged_connectors_are_not_validated_and_undeclared_ones_are_unmanaged() -> None:
    state = _state(_observed(), _observed(name="legacy-sink"))
    assert to_validate([_desired()], state) == []
    assert connector_changes([_desired()], state, allow_delete=False) == ([], ["legacy-sink"])


def test_the_fingerprint_changes_with_the_state_but_holds_no_secret() -> None:
    quiet = _state(_observed(**{"connection.password": "s3cret"}))
    assert "s3cret" not in quiet.fingerprint()
    changed = _state(_observed(**{"connection.password": "other"}))
    paused = _state(_observed(PAUSED, **{"connection.password": "s3cret"}))
    assert quiet.fingerprint() == changed.fingerprint() != paused.fingerprint()


WORKER_BUS = BUS.replace(
    "connect: {url: http://127.0.0.1:8083}", "connect: {url: http://127.0.0.1:8083, principal: User:connect}"
)
SOURCE_FILE = """name: invoices-in
owner: audit
description: Invoice lines from a file.
class: org.apache.kafka.connect.file.FileStreamSourceConnector
type: source
topics: [billing.invoice-created.v1]
config: {file: /tmp/in.txt, topic: billing.invoice-created.v1}
"""
SINK_FILE = """name: ledger-sink
owner: billing
description: Invoices into the ledger.
class: org.apache.kafka.connect.file.FileStreamSinkConnector
type: sink
topics: [billing.invoice-created.v1]
lag: {max_messages: 500, for: 5m, severity: critical}
"""


@pytest.fixture
def implied(bus_repo: Any) -> Any:
    root: Path = bus_repo(
        {
            "bus.yaml": WORKER_BUS,
            "connectors/billing/ledger-sink.yaml": SINK_FILE,
            "connectors/audit/invoices-in.yaml": SOURCE_FILE,
        }
    )
    loaded, report = load_bus(root)
    assert not report.errors, [f"{d.span} {d.message}" for d in report.errors]
    return loaded


def test_the_workers_principal_gets_read_acls_for_sinks_and_write_acls_for_sources(implied: Any) -> None:
    from busctl.core.desired import declared_groups, desired_topics
    from busctl.core.topic_configs import load_catalogue

    topics = {t.name: t for t in desired_topics(implied, "local", load_catalogue())}
    granted = {
        (a.resource_type, a.resource_name, a.operation)
        for a in topics["billing.invoice-created.v1"].acls
        if a.principal == "User:connect"
    }
    assert granted == {
        ("TOPIC", "billing.invoice-created.v1", "READ"),
        ("TOPIC", "billing.invoice-created.v1", "WRITE"),
        ("TOPIC", "billing.invoice-created.v1", "DESCRIBE"),
        ("GROUP", "connect-ledger-sink", "READ"),
    }
    assert not any(a.principal == "User:connect" for a in topics["audit.events.v1"].acls)
    assert "connect-ledger-sink" in declared_groups(implied, "local")
    assert desired_topics(implied, "other", load_catalogue())  # no Connect cluster: no worker ACLs
    assert not any(
        a.principal == "User:connect"
        for t in desired_topics(implied, "other", load_catalogue())
        for a in t.acls
    )


def test_a_sinks_group_is_watched_for_lag_and_paged_to_the_connectors_owner(implied: Any) -> None:
    from busctl.core.alerts import lag_targets

    [target] = [t for t in lag_targets(implied, "local") if t.group == "connect-ledger-sink"]
    assert (target.team, target.topic, target.owner) == ("billing", "billing.invoice-created.v1", "billing")
    assert target.file == "connectors/billing/ledger-sink.yaml"
    assert (target.objective.max_messages, target.objective.severity) == (500, "critical")
    assert not [t for t in lag_targets(implied, "other") if t.group.startswith("connect-")]


def test_a_paused_sink_is_not_watched_for_lag(bus_repo: Any) -> None:
    from busctl.core.alerts import lag_targets

    root: Path = bus_repo(
        {"bus.yaml": WORKER_BUS, "connectors/billing/ledger-sink.yaml": SINK_FILE + "state: paused\n"}
    )
    loaded, _ = load_bus(root)
    assert not [t for t in lag_targets(loaded, "local") if t.group == "connect-ledger-sink"]


def test_owner_answers_for_connectors_their_files_and_their_groups(implied: Any) -> None:
    from busctl.core.ownership import resolve_owner
    from busctl.core.schemas import SchemaSet

    schemas = SchemaSet(root="schemas", compiled=False)
    found = resolve_owner(implied, schemas, "invoices-in")
    assert (found.kind, found.team, found.topics) == ("connector", "audit", ["billing.invoice-created.v1"])
    assert found.why[0].startswith("connectors/audit/invoices-in.yaml:2:")
    by_file = resolve_owner(implied, schemas, "connectors/billing/ledger-sink.yaml")
    assert (by_file.kind, by_file.team) == ("file", "billing")
    group = resolve_owner(implied, schemas, "connect-ledger-sink")
    assert (group.kind, group.team) == ("group", "billing")
    assert "sink connector ledger-sink" in group.why[0]
    assert "connectors/billing/ledger-sink.yaml" in resolve_owner(implied, schemas, "billing").files


def test_codeowners_routes_connector_directories_to_their_teams(implied: Any) -> None:
    from busctl.core.codeowners import codeowners

    text = codeowners(implied).text
    assert "/connectors/billing/ @acme/billing" in text and "/connectors/audit/ @acme/audit" in text


def test_health_names_what_is_not_as_declared() -> None:
    from busctl.core.connectors import TaskStatus, health

    trace = (
        "org.apache.kafka.connect.errors.ConnectException: boom\n\tat x\nCaused by: java.io.IOException: no"
    )
    failing = ObservedConnector("ledger-sink", {}, RUNNING, tasks=(TaskStatus(0, "FAILED", "w", trace),))
    [found] = health([_desired()], {"ledger-sink": failing})
    assert found.problem == (
        "task 0 FAILED: org.apache.kafka.connect.errors.ConnectException: boom "
        "(Caused by: java.io.IOException: no)"
    )
    running = ObservedConnector("ledger-sink", {}, RUNNING, tasks=(TaskStatus(0, RUNNING),))
    assert health([_desired()], {"ledger-sink": running})[0].problem == ""
    assert health([_desired(PAUSED)], {"ledger-sink": running})[0].problem == "RUNNING, declared PAUSED"
    unassigned = ObservedConnector("ledger-sink", {}, RUNNING, tasks=(TaskStatus(0, "UNASSIGNED"),))
    assert "task 0 is UNASSIGNED" in health([_desired()], {"ledger-sink": unassigned})[0].problem
    assert "not on the Connect cluster" in health([_desired()], {})[0].problem
    gone = DesiredConnector(**{**_desired().__dict__, "deleted": True})
    assert health([gone], {}) == []
    assert "tombstoned" in health([gone], {"ledger-sink": running})[0].problem
