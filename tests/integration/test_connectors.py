"""Connectors planned and applied against a real Kafka Connect worker (scripts/connect/connect) on a
real broker: a FileStreamSource writes lines into a declared topic and a FileStreamSink reads them back
into a file; config changes, pause and resume, a failing task, tombstones, unmanaged connectors, a
worker that is down. What apply did is checked through the worker's own REST API and the files."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import CliResult, write_files
from tests.integration.conftest import Broker, ConnectWorker, bus_for
from tests.reports import assert_report

pytestmark = [pytest.mark.kafka, pytest.mark.connect]
Run = Callable[..., CliResult]
SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


class Pipeline:
    """A test bus whose cluster has the session's Connect worker: one topic and a source → sink pair of
    connectors of its own, reading and writing files in the test's directory."""

    def __init__(self, root: Path, files: Path, name: str) -> None:
        self.root, self.files, self.name = root, files, name
        self.topic = f"billing.{name}.v1"
        self.source, self.sink = f"{name}-source", f"{name}-sink"
        self.lines_in, self.lines_out = files / "in.txt", files / "out.txt"
        self.lines_in.write_text("")

    def write_topic(self, extra: str = "") -> None:
        write_files(
            self.root,
            {
                f"topics/billing/{self.topic}.yaml": f"name: {self.topic}\nowner: billing\n"
                f"description: lines\nschema: acme.billing.v1.InvoiceCreated\npartitions: 1\n{extra}"
            },
        )

    def write_source(self, extra: str = "") -> None:
        write_files(
            self.root,
            {
                f"connectors/billing/{self.source}.yaml": f"name: {self.source}\nowner: billing\n"
                f"description: lines of a file into the topic\nclass: {SOURCE}\ntype: source\n"
                f"topics: [{self.topic}]\nconfig:\n  file: {self.lines_in}\n  topic: {self.topic}\n{extra}"
            },
        )

    def write_sink(self, config: str = "", extra: str = "", output: Path | None = None) -> None:
        write_files(
            self.root,
            {
                f"connectors/billing/{self.sink}.yaml": f"name: {self.sink}\nowner: billing\n"
                f"description: the topic into a file\nclass: {SINK}\ntype: sink\ntopics: [{self.topic}]\n"
                f"config:\n  file: {output or self.lines_out}\n{config}{extra}"
            },
        )


@pytest.fixture
def pipeline(
    kafka_single: Broker, connect_worker: ConnectWorker, tmp_path: Path
) -> Iterator[Callable[[str], Pipeline]]:
    """A pipeline of the test's own; its connectors are deleted from the shared worker afterwards."""
    made_here: list[Pipeline] = []

    def make(name: str) -> Pipeline:
        root = bus_for(
            kafka_single, tmp_path / "bus", extra_cluster=f"    connect: {{url: {connect_worker.url}}}\n"
        )
        write_files(root, {"topics/billing/invoice-created.yaml": None, "topics/audit/events.yaml": None})
        made = Pipeline(root, tmp_path, name)
        made.write_topic()
        made.write_source()
        made.write_sink()
        made_here.append(made)
        return made

    yield make
    for made in made_here:
        for name in connect_worker.connectors():
            if name.startswith(f"{made.name}-"):
                httpx.delete(f"{connect_worker.url}/connectors/{name}", timeout=30)


def plan(run: Run, made: Pipeline, *args: str) -> CliResult:
    return run("plan", "--cluster", "local", "--repo", str(made.root), "--detailed-exitcode", *args)


def apply(run: Run, made: Pipeline, *args: str) -> CliResult:
    return run("apply", "--cluster", "local", "--repo", str(made.root), "--auto-approve", *args)


def status(run: Run, made: Pipeline, *args: str) -> CliResult:
    return run("connectors", "status", "--cluster", "local", "--repo", str(made.root), *args)


def wait_for_lines(path: Path, lines: list[str], within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().splitlines() == lines:
            return
        time.sleep(0.2)
    raise AssertionError(f"{path} holds {path.read_text() if path.exists() else '(nothing)'!r}, not {lines}")


def append(path: Path, *lines: str) -> None:
    with path.open("a") as out:
        out.write("".join(f"{line}\n" for line in lines))


def test_a_source_and_a_sink_move_lines_through_a_declared_topic(
    run: Run, pipeline: Callable[[str], Pipeline], connect_worker: ConnectWorker
) -> None:
    made = pipeline("lines")
    planned = plan(run, made)
    assert planned.code == 2, planned.out + planned.err
    assert f"connector {made.source}" in planned.out and "create connector · running" in planned.out
    assert f"connector.class  {SOURCE}" in planned.out and f"topics           {made.topic}" in planned.out

    applied = apply(run, made)
    assert applied.code == 0, applied.out + applied.err
    assert f"create-connector connector {made.sink}" in applied.out
    assert connect_worker.state(made.source) == ("RUNNING", ["RUNNING"])
    assert connect_worker.state(made.sink) == ("RUNNING", ["RUNNING"])
    config = connect_worker.get(f"/connectors/{made.sink}/config")
    assert config["topics"] == made.topic and config["connector.class"] == SINK

    append(made.lines_in, "invoice 1", "invoice 2")
    wait_for_lines(made.lines_out, ["invoice 1", "invoice 2"])

    again = plan(run, made)
    assert again.code == 0, again.out
    assert "matches the declarations" in again.out

    healthy = status(run, made, "--format", "json")
    assert healthy.code == 0, healthy.out
    document = assert_report("connectors-status-report", healthy.out)
    assert document["failing"] == 0 and document["version"]
    states = {c["name"]: (c["state"], [t["state"] for t in c["tasks"]]) for c in document["connectors"]}
    assert states == {made.source: ("RUNNING", ["RUNNING"]), made.sink: ("RUNNING", ["RUNNING"])}


def test_a_config_change_is_planned_per_key_and_applied(
    run: Run, pipeline: Callable[[str], Pipeline], connect_worker: ConnectWorker
) -> None:
    made = pipeline("rerouted")
    assert apply(run, made).code == 0
    moved = made.files / "moved.txt"
    made.write_sink(output=moved)
    planned = plan(run, made, "--format", "json")
    assert planned.code == 2, planned.out
    [change] = json.loads(planned.out)["changes"]
    assert change["action"] == "update-connector" and change["connector"]["name"] == made.sink
    assert change["configs"] == [{"key": "file", "before": str(made.lines_out), "after": str(moved)}]

    assert apply(run, made).code == 0
    assert connect_worker.get(f"/connectors/{made.sink}/config")["file"] == str(moved)
    append(made.lines_in, "after the move")
    wait_for_lines(moved, ["after the move"])
    assert plan(run, made).code == 0


def test_pause_and_resume(
    run: Run, pipeline: Callable[[str], Pipeline], connect_worker: ConnectWorker
) -> None:
    made = pipeline("paused")
    assert apply(run, made).code == 0
    made.write_sink(extra="state: paused\n")
    planned = plan(run, made)
    assert planned.code == 2 and "pause connector · running → paused" in planned.out, planned.out
    assert apply(run, made).code == 0
    assert connect_worker.state(made.sink) == ("PAUSED", ["PAUSED"])
    append(made.lines_in, "held back")
    time.sleep(3)
    assert not made.lines_out.exists() or made.lines_out.read_text() == ""
    assert plan(run, made).code == 0

    made.write_sink()
    assert "resume connector · paused → running" in plan(run, made).out
    assert apply(run, made).code == 0
    assert connect_worker.state(made.sink) == ("RUNNING", ["RUNNING"])
    wait_for_lines(made.lines_out, ["held back"])


def test_a_task_that_fails_is_reported_by_apply_with_its_error(
    run: Run, pipeline: Callable[[str], Pipeline], connect_worker: ConnectWorker
) -> None:
    made = pipeline("failing")
    made.write_sink(output=made.files / "no-such-dir" / "out.txt")
    applied = apply(run, made)
    assert applied.code == 1, applied.out
    text = applied.out.replace("\n", " ")
    assert f"create-connector connector {made.sink}" in text and "task 0 FAILED" in text
    assert "applied 2 of 3 change(s): 1 failed" in text  # the topic, the source; not the sink
    assert connect_worker.state(made.sink)[1] == ["FAILED"]

    reported = status(run, made)
    assert reported.code == 1, reported.out
    text = " ".join(reported.out.split())
    assert "1 not as declared" in text and f"✗ {made.sink}" in text and "task 0 FAILED:" in text
    assert f"✓ {made.source}" in text
    write_files(
        made.root,
        {
            "connectors/billing/later.yaml": f"name: {made.name}-later\nowner: billing\ndescription: x\n"
            f"class: {SINK}\ntype: sink\ntopics: [{made.topic}]\n"
        },
    )
    missing = status(run, made, "--format", "json")
    assert missing.code == 1
    [later] = [c for c in json.loads(missing.out)["connectors"] if c["name"] == f"{made.name}-later"]
    assert later["state"] == "" and "not on the Connect cluster" in later["problem"]


def test_a_tombstone_is_deleted_only_with_allow_delete_or_its_approval(
    run: Run, pipeline: Callable[[str], Pipeline], connect_worker: ConnectWorker
) -> None:
    made = pipeline("retired")
    assert apply(run, made).code == 0
    made.write_sink(extra="lifecycle: deleted\n")
    blocked = apply(run, made)
    assert blocked.code == 1 and "BUS520" in blocked.out.replace("\n      ", " "), blocked.out
    assert made.sink in connect_worker.connectors()

    allowed = apply(run, made, "--allow-delete")
    assert allowed.code == 0, allowed.out
    assert made.sink not in connect_worker.connectors() and made.source in connect_worker.connectors()
    assert plan(run, made).code == 0  # a tombstone of a connector that is gone is nothing to do

    made.write_source(extra="lifecycle: deleted\napprovals: [{rule: BUS520, reason: file retired}]\n")
    assert apply(run, made).code == 0
    assert made.source not in connect_worker.connectors()


def test_an_unmanaged_connector_is_listed_and_left_alone(
    run: Run, pipeline: Callable[[str], Pipeline], connect_worker: ConnectWorker, tmp_path: Path
) -> None:
    made = pipeline("neighbour")
    stray = "someone-elses-sink"
    config = {"connector.class": SINK, "topics": made.topic, "file": str(tmp_path / "stray.txt")}
    assert apply(run, made).code == 0
    assert connect_worker.put(f"/connectors/{stray}/config", config) in (200, 201)
    try:
        planned = plan(run, made, "--format", "json")
        assert planned.code == 0, planned.out
        assert stray in json.loads(planned.out)["unmanaged_connectors"]
        assert apply(run, made).code == 0
        assert stray in connect_worker.connectors()
    finally:
        httpx.delete(f"{connect_worker.url}/connectors/{stray}", timeout=30)


def test_a_missing_plugin_and_a_refused_config_are_blocked_with_the_reason(
    run: Run, pipeline: Callable[[str], Pipeline], connect_worker: ConnectWorker
) -> None:
    made = pipeline("refused")
    made.write_source()
    made.write_sink(config="  errors.tolerance: sometimes\n")
    write_files(
        made.root,
        {
            "connectors/billing/missing.yaml": f"name: {made.name}-missing\nowner: billing\ndescription: x\n"
            f"class: com.example.NotInstalledSink\ntype: sink\ntopics: [{made.topic}]\n"
        },
    )
    planned = plan(run, made)
    text = " ".join(planned.out.split())
    assert "2 changes, 2 blocked" in planned.out, planned.out
    assert "plugin com.example.NotInstalledSink is not installed on the Connect workers" in text
    assert "the workers refuse its config: errors.tolerance:" in text
    applied = apply(run, made)
    assert applied.code == 1
    assert made.sink not in connect_worker.connectors() and made.source in connect_worker.connectors()


def test_secrets_from_the_environment_are_sent_but_never_shown(
    run: Run,
    pipeline: Callable[[str], Pipeline],
    connect_worker: ConnectWorker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = pipeline("secret")
    monkeypatch.setenv("LEDGER_TOKEN", "tok-4f1d9a")
    made.write_sink(config='  ledger.token: "${LEDGER_TOKEN}"\n')
    planned = plan(run, made, "--format", "json")
    assert "tok-4f1d9a" not in planned.out and '"(secret)"' in planned.out
    applied = apply(run, made)
    assert applied.code == 0 and "tok-4f1d9a" not in applied.out + applied.err
    assert connect_worker.get(f"/connectors/{made.sink}/config")["ledger.token"] == "tok-4f1d9a"
    monkeypatch.delenv("LEDGER_TOKEN")
    unset = plan(run, made)
    assert unset.code == 2 and "1 blocked" in unset.out
    assert "needs ${LEDGER_TOKEN} from busctl's environment" in " ".join(unset.out.split())


def test_a_worker_that_is_down_is_a_clear_bounded_error(
    run: Run, kafka_single: Broker, tmp_path: Path
) -> None:
    root = bus_for(kafka_single, tmp_path / "bus", extra_cluster="    connect: {url: 'http://127.0.0.1:9'}\n")
    write_files(
        root,
        {
            "connectors/billing/down.yaml": "name: down-sink\nowner: billing\ndescription: x\n"
            f"class: {SINK}\ntype: sink\ntopics: [billing.invoice-created.v1]\n"
        },
    )
    started = time.monotonic()
    planned = run("plan", "--cluster", "local", "--repo", str(root))
    assert time.monotonic() - started < 30
    assert planned.code == 1
    said = (planned.out + planned.err).replace("\n", " ")
    assert "cannot reach Kafka Connect http://127.0.0.1:9" in said and "Traceback" not in said
    health = run("connectors", "status", "--cluster", "local", "--repo", str(root))
    assert health.code == 1 and "cannot reach Kafka Connect" in health.out + health.err


@pytest.mark.prometheus
def test_a_failing_task_fires_its_generated_alert_in_a_real_prometheus(
    run: Run, pipeline: Callable[[str], Pipeline], connect_worker: ConnectWorker, tmp_path: Path
) -> None:
    """Prometheus scrapes the worker's JMX exporter and evaluates the rules `busctl alerts` wrote: the
    sink whose task fails pages its owner, the healthy source raises nothing."""
    from tests.integration.monitoring import http_json, prometheus, wait_for

    made = pipeline("alerted")
    made.write_sink(output=made.files / "no-such-dir" / "out.txt")
    assert apply(run, made).code == 1
    assert run("alerts", "--repo", str(made.root)).code == 0
    rules = made.root / "alerts/billing.connect.rules.yml"
    target = connect_worker.metrics_url.removeprefix("http://").removesuffix("/metrics")
    port = int(connect_worker.url.rsplit(":", 1)[1]) + 10
    with prometheus(tmp_path / "prometheus", port, [rules], "kafka-connect", target, "127.0.0.1:9") as url:

        def firing() -> list[dict[str, object]]:
            alerts = http_json(f"{url}/api/v1/alerts")["data"]["alerts"]
            return [a for a in alerts if a["state"] == "firing"]

        fired = wait_for(
            "KafkaConnectTaskFailed to fire", firing, 150, tmp_path / "prometheus/prometheus.log"
        )
        assert {(a["labels"]["alertname"], a["labels"]["connector"]) for a in fired} == {
            ("KafkaConnectTaskFailed", made.sink)
        }
        assert fired[0]["labels"]["team"] == "billing"
        alerts = http_json(f"{url}/api/v1/alerts")["data"]["alerts"]
        assert not [a for a in alerts if a["labels"]["connector"] == made.source]
