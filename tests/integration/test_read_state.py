"""KafkaAdmin.read_state against a real broker: every config as confluent-kafka reports it, interned."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from busctl.adapters.kafka import KafkaAdmin, kadmin
from busctl.core.model import Cluster
from busctl.core.state import ConfigValue, state_to_dict
from tests.integration.conftest import Broker, bus_for, create_topics_and_wait

BUSCTL = Path(sys.executable).parent / "busctl"

pytestmark = pytest.mark.kafka


def test_every_config_of_every_topic_as_the_broker_reports_it(kafka_single: Broker) -> None:
    admin = kadmin.AdminClient(kafka_single.admin_config())
    names = ["readstate.retained.v1", "readstate.plain.v1"]
    create_topics_and_wait(
        admin,
        [
            kadmin.NewTopic(
                names[0], num_partitions=2, replication_factor=1, config={"retention.ms": "3600000"}
            ),
            kadmin.NewTopic(names[1], num_partitions=1, replication_factor=1),
        ],
    )
    cluster = Cluster.model_validate({"bootstrap_servers": kafka_single.bootstrap})
    state = KafkaAdmin("local", cluster, timeout=30).read_state()
    assert gc.isenabled()  # the collector is paused only while reading

    resources = [kadmin.ConfigResource(kadmin.ResourceType.TOPIC, name) for name in names]
    for resource, future in admin.describe_configs(resources, request_timeout=30).items():
        reported = {
            key: (
                None if e.is_sensitive else e.value,
                kadmin.ConfigSource(e.source).name,
                e.is_read_only,
                e.is_sensitive,
            )
            for key, e in future.result().items()
        }
        read = {
            k: (v.value, v.source, v.read_only, v.sensitive)
            for k, v in state.topics[resource.name].configs.items()
        }
        assert read == reported
        assert len(read) > 20
    retained, plain = (state.topics[name].configs for name in names)
    assert retained["retention.ms"] == ConfigValue("3600000", "DYNAMIC_TOPIC_CONFIG")
    assert plain["retention.ms"].source == "DEFAULT_CONFIG"
    assert retained["cleanup.policy"] is plain["cleanup.policy"]  # equal entries are one object
    assert state.topics[names[0]].partitions == 2


def test_plan_reads_in_its_child_process_what_read_state_reads_in_process(
    kafka_single: Broker, tmp_path: Path
) -> None:
    """`busctl plan` (a process of its own, so its read runs in a forked child) records the same state
    as KafkaAdmin.read_state gives here, declared-but-missing topics included."""
    repo = bus_for(kafka_single, tmp_path / "bus")
    done = subprocess.run(
        [str(BUSCTL), "plan", "--cluster", "local", "--save-state", str(tmp_path / "state")],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    cluster = Cluster.model_validate({"bootstrap_servers": kafka_single.bootstrap})
    declared = ["audit.events.v1", "billing.invoice-created.v1"]
    here = KafkaAdmin("local", cluster, timeout=30).read_state(declared)
    recorded = json.loads((tmp_path / "state" / "local.json").read_text())
    assert recorded == json.loads(json.dumps(state_to_dict(here)))
    assert recorded["topics"]  # the shared broker holds other tests' topics: a real comparison
