"""KafkaAdmin.read_state against a real broker: every config as confluent-kafka reports it, interned."""

from __future__ import annotations

import gc

import pytest

from busctl.adapters.kafka import KafkaAdmin, kadmin
from busctl.core.model import Cluster
from busctl.core.state import ConfigValue
from tests.integration.conftest import Broker, create_topics_and_wait

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
