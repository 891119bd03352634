"""The Kafka adapter: confluent-kafka's AdminClient, reading ClusterStates and implementing ClusterWriter.

Reads are bulk (one metadata request, DescribeConfigs in large batches, ACLs once); writes are batched and
report a per-item outcome. Connection settings come from bus.yaml with ${VAR}s expanded from the
environment here and nowhere else; secrets are never logged or returned.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar

from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka import admin as _admin

from busctl.core.diagnostics import BusctlError
from busctl.core.lag import GroupOffsets, OffsetSample, Partition, Position
from busctl.core.model import Cluster
from busctl.core.plan import Change
from busctl.core.ports import Outcomes
from busctl.core.state import DYNAMIC_TOPIC_CONFIG, AclBinding, ClusterState, ConfigValue, TopicState

BATCH = 500
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
T = TypeVar("T")
kadmin: Any = _admin  # confluent-kafka's bundled type hints are incomplete; this module is the typed boundary
ALL_ACLS = kadmin.AclBindingFilter(  # matches every ACL of every resource
    kadmin.ResourceType.ANY,
    None,
    kadmin.ResourcePatternType.ANY,
    None,
    None,
    kadmin.AclOperation.ANY,
    kadmin.AclPermissionType.ANY,
)


def expand(value: str, where: str, environ: Mapping[str, str]) -> str:
    """Replace ${VAR}s from the environment; BusctlError naming the variable (never its value) if unset."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise BusctlError(
                f"environment variable {name} is not set (used by {where} in bus.yaml)",
                f"export {name}=... before running busctl",
            )
        return environ[name]

    return _VAR.sub(one, value)


def client_settings(name: str, cluster: Cluster) -> dict[str, str]:
    """librdkafka settings for a bus.yaml cluster, with ${VAR}s expanded from the environment."""
    env = os.environ
    where = f"clusters.{name}"
    settings = {"bootstrap.servers": expand(cluster.bootstrap_servers, f"{where}.bootstrap_servers", env)}
    security = cluster.security
    settings["security.protocol"] = security.protocol
    mapping = {
        "sasl_mechanism": "sasl.mechanisms",
        "username": "sasl.username",
        "password": "sasl.password",
        "ssl_ca_location": "ssl.ca.location",
        "ssl_certificate_location": "ssl.certificate.location",
        "ssl_key_location": "ssl.key.location",
        "ssl_key_password": "ssl.key.password",
    }
    for field, key in mapping.items():
        value = getattr(security, field)
        if value is not None:
            settings[key] = expand(value, f"{where}.security.{field}", env)
    return settings


class KafkaAdmin:
    """One cluster, reached through confluent-kafka's kadmin.AdminClient."""

    def __init__(self, name: str, cluster: Cluster, timeout: float = 30.0) -> None:
        self.name = name
        self.timeout = timeout
        self.where = f"cluster {name} ({cluster.bootstrap_servers})"
        self.errors: list[KafkaError] = []
        self.settings = client_settings(name, cluster)
        self.admin = kadmin.AdminClient(
            {
                **self.settings,
                "error_cb": self.errors.append,
                "socket.connection.setup.timeout.ms": str(int(timeout * 1000)),
                "logger": SilentLogger(),
            }
        )

    # --- reading --------------------------------------------------------------------------------------

    def read_state(self) -> ClusterState:
        """Metadata (which carries the cluster id and brokers), configs and ACLs of the whole cluster, in
        a handful of requests."""
        try:
            metadata = self.admin.list_topics(timeout=self.timeout)
        except KafkaException as err:
            raise self._unreachable(err) from None
        topics: dict[str, list[tuple[int, ...]]] = {}
        for name, topic in metadata.topics.items():
            if topic.error is not None:
                raise BusctlError(
                    f"cannot describe topic {name} on {self.where}: {topic.error.str()}",
                    "the admin principal needs DESCRIBE on all topics",
                )
            topics[name] = [tuple(topic.partitions[p].replicas) for p in sorted(topic.partitions)]
        configs = self._configs(sorted(topics))
        return ClusterState(
            cluster_id=str(metadata.cluster_id),
            brokers=tuple(sorted(metadata.brokers)),
            topics={
                name: TopicState(name, tuple(replicas), configs.get(name, {}))
                for name, replicas in topics.items()
            },
            acls=self._acls(min(metadata.brokers)),
        )

    def _configs(self, names: list[str]) -> dict[str, dict[str, ConfigValue]]:
        """DescribeConfigs for every topic: all batches in flight at once, each converted as it lands.

        Thousands of topics repeat the same few hundred (value, source) pairs: they are interned."""
        result: dict[str, dict[str, ConfigValue]] = {}
        pending: list[dict[Any, Future[Any]]] = []
        for start in range(0, len(names), BATCH):
            batch = [
                kadmin.ConfigResource(kadmin.ResourceType.TOPIC, n) for n in names[start : start + BATCH]
            ]
            pending.append(self.admin.describe_configs(batch, request_timeout=self.timeout))
        interned: dict[tuple[Any, ...], ConfigValue] = {}
        sources = {int(member.value): member.name for member in kadmin.ConfigSource}
        for futures in pending:
            for resource, future in futures.items():
                converted: dict[str, ConfigValue] = {}
                for key, entry in self._wait(future, f"describe configs of {resource.name}").items():
                    signature = (entry.value, entry.source, entry.is_read_only, entry.is_sensitive)
                    value = interned.get(signature)
                    if value is None:
                        value = interned[signature] = ConfigValue(
                            value=None if entry.is_sensitive else entry.value,
                            source=sources.get(int(entry.source), "UNKNOWN_CONFIG"),
                            read_only=bool(entry.is_read_only),
                            sensitive=bool(entry.is_sensitive),
                        )
                    converted[key] = value
                result[resource.name] = converted
            futures.clear()
        return result

    def _acls(self, broker: int) -> tuple[AclBinding, ...] | None:
        """All ACLs, or None when the cluster has no authorizer (then DescribeAcls answers an empty list)."""
        resource = kadmin.ConfigResource(kadmin.ResourceType.BROKER, str(broker))
        future = self.admin.describe_configs([resource], request_timeout=self.timeout)[resource]
        authorizer = self._wait(future, "describe the broker configuration").get("authorizer.class.name")
        if authorizer is None or not authorizer.value:
            return None
        return self._acls_now()

    def read_offsets(self, topics: set[str], groups: set[str]) -> OffsetSample:
        """Log start and end offsets of the topics' partitions and the groups' committed offsets and
        state, all requests in flight at once. Declared topics the cluster lacks are left out."""
        try:
            metadata = self.admin.list_topics(timeout=self.timeout)
        except KafkaException as err:
            raise self._unreachable(err) from None
        taken_at = time.monotonic()
        counts = {t: len(metadata.topics[t].partitions) for t in sorted(topics) if t in metadata.topics}
        partitions = [TopicPartition(t, p) for t, n in counts.items() for p in range(n)]
        ends = self._list_offsets(partitions, kadmin.OffsetSpec.latest())
        starts = self._list_offsets(partitions, kadmin.OffsetSpec.earliest())
        names = sorted(groups)
        committed = {
            g: self.admin.list_consumer_group_offsets(
                [ConsumerGroupTopicPartitions(g)], request_timeout=self.timeout
            )[g]
            for g in names
        }
        described = self.admin.describe_consumer_groups(names, request_timeout=self.timeout) if names else {}
        return OffsetSample(
            taken_at=taken_at,
            partitions=counts,
            log_end=self._offsets(ends),
            log_start=self._offsets(starts),
            groups={g: self._group(g, committed[g], described[g], counts) for g in names},
        )

    def _list_offsets(self, partitions: list[Any], spec: Any) -> dict[Any, Future[Any]]:
        if not partitions:
            return {}
        return dict(self.admin.list_offsets({tp: spec for tp in partitions}, request_timeout=self.timeout))

    def _offsets(self, futures: dict[Any, Future[Any]]) -> dict[Partition, int]:
        return {
            (tp.topic, tp.partition): int(self._wait(f, f"list offsets of {tp.topic}").offset)
            for tp, f in futures.items()
        }

    def _group(
        self, group: str, committed: Future[Any], described: Future[Any], topics: dict[str, int]
    ) -> GroupOffsets:
        offsets = self._wait(committed, f"read the committed offsets of group {group}")
        description = self._wait(described, f"describe group {group}")
        return GroupOffsets(
            state=description.state.name,
            members=len(description.members),
            committed={
                (tp.topic, tp.partition): int(tp.offset)
                for tp in offsets.topic_partitions
                if tp.topic in topics and tp.offset >= 0
            },
        )

    def message_timestamps(self, positions: set[Position]) -> dict[Position, float]:
        """The timestamp (epoch seconds) of the message at each (topic, partition, offset), read by a
        consumer that joins no group and commits nothing. A partition is assigned once per round, so
        several offsets on one partition take several rounds. Positions that yield nothing within the
        timeout are left out (e.g. when the principal may not READ the topic)."""
        rounds: list[dict[Partition, int]] = []
        for topic, partition, offset in sorted(positions):
            free = next((r for r in rounds if (topic, partition) not in r), None)
            if free is None:
                free = {}
                rounds.append(free)
            free[(topic, partition)] = offset
        if not rounds:
            return {}
        consumer = Consumer(
            {
                **self.settings,
                "group.id": "busctl-lag-probe",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "logger": SilentLogger(),
            }
        )
        found: dict[Position, float] = {}
        deadline = time.monotonic() + self.timeout
        try:
            for wanted in rounds:
                found.update(_first_timestamps(consumer, wanted, deadline))
        finally:
            consumer.close()
        return found

    # --- writing --------------------------------------------------------------------------------------

    def create_topics(self, changes: list[Change], validate_only: bool = False) -> Outcomes:
        new = [
            kadmin.NewTopic(
                c.topic,
                num_partitions=c.partitions,
                replication_factor=c.replication_factor,
                config={cfg.key: cfg.after for cfg in c.configs if cfg.after is not None},
            )
            for c in changes
        ]
        outcomes = self._each(
            new,
            lambda batch: self.admin.create_topics(batch, **self._options(validate_only)),
        )
        if not validate_only:
            self._settle_partitions(_done(changes, outcomes))
        return outcomes

    def update_configs(self, changes: list[Change], validate_only: bool = False) -> Outcomes:
        resources = [
            kadmin.ConfigResource(
                kadmin.ResourceType.TOPIC,
                c.topic,
                incremental_configs=[
                    kadmin.ConfigEntry(cfg.key, cfg.after, incremental_operation=kadmin.AlterConfigOpType.SET)
                    if cfg.after is not None
                    else kadmin.ConfigEntry(
                        cfg.key, None, incremental_operation=kadmin.AlterConfigOpType.DELETE
                    )
                    for cfg in c.configs
                ],
            )
            for c in changes
        ]
        outcomes = self._each(
            resources,
            lambda batch: self.admin.incremental_alter_configs(
                batch, validate_only=validate_only, request_timeout=self.timeout
            ),
        )
        if not validate_only:
            done = _done(changes, outcomes)
            self._settle(lambda: self._configs_show(done), bool(done))
        return outcomes

    def _options(self, validate_only: bool) -> dict[str, Any]:
        return {
            "validate_only": validate_only,
            "request_timeout": self.timeout,
            "operation_timeout": self.timeout,
        }

    def _settle_partitions(self, done: list[Change]) -> None:
        expected = {c.topic: c.partitions or 0 for c in done}
        self._settle(lambda: self._topics_show(expected), bool(expected))

    def _configs_show(self, changes: list[Change]) -> bool:
        """DescribeConfigs shows every change: set keys with the new value, removed keys no longer set."""
        seen = self._configs(sorted({c.topic for c in changes}))
        return all(_shows(seen.get(c.topic, {}), cfg.key, cfg.after) for c in changes for cfg in c.configs)

    def add_partitions(self, changes: list[Change], validate_only: bool = False) -> Outcomes:
        new = [kadmin.NewPartitions(c.topic, int(c.partitions or 0)) for c in changes]
        outcomes = self._each(
            new,
            lambda batch: self.admin.create_partitions(batch, **self._options(validate_only)),
        )
        if not validate_only:
            self._settle_partitions(_done(changes, outcomes))
        return outcomes

    def create_acls(self, changes: list[Change]) -> Outcomes:
        bindings = [_to_kafka_acl(c.acl) for c in changes if c.acl is not None]
        outcomes = self._each(
            bindings, lambda batch: self.admin.create_acls(batch, request_timeout=self.timeout)
        )
        created = {c.acl for c in _done(changes, outcomes) if c.acl}
        self._settle(lambda: created <= set(self._acls_now()), bool(created))
        return outcomes

    def delete_acls(self, changes: list[Change]) -> Outcomes:
        filters = [_to_kafka_acl(c.acl, as_filter=True) for c in changes if c.acl is not None]
        outcomes = self._each(
            filters, lambda batch: self.admin.delete_acls(batch, request_timeout=self.timeout)
        )
        deleted = {c.acl for c in _done(changes, outcomes) if c.acl}
        self._settle(lambda: not deleted & set(self._acls_now()), bool(deleted))
        return outcomes

    def _acls_now(self) -> tuple[AclBinding, ...]:
        found = self._wait(self.admin.describe_acls(ALL_ACLS, request_timeout=self.timeout), "read ACLs")
        return tuple(sorted(_from_kafka_acl(acl) for acl in found))

    def delete_topics(self, changes: list[Change]) -> Outcomes:
        names = [c.topic for c in changes]
        outcomes = self._each(
            names,
            lambda batch: self.admin.delete_topics(
                batch, request_timeout=self.timeout, operation_timeout=self.timeout
            ),
        )
        gone = {c.topic: -1 for c in _done(changes, outcomes)}
        self._settle(lambda: self._topics_show(gone), bool(gone))
        return outcomes

    def _topics_show(self, expected: dict[str, int]) -> bool:
        """The metadata shows each topic with at least the expected partitions (-1: the topic is gone)."""
        try:
            topics = self.admin.list_topics(timeout=self.timeout).topics
        except KafkaException:
            return True  # cannot tell; the next plan will
        shown = {name: len(topics[name].partitions) if name in topics else -1 for name in expected}
        return all(shown[n] >= count if count >= 0 else shown[n] == -1 for n, count in expected.items())

    def _settle(self, visible: Callable[[], bool], pending: bool) -> None:
        """Changes reach every broker's metadata (and authorizer) through the metadata log a moment after
        the controller acknowledges them. Wait, bounded by the timeout, until `visible()` so that a plan
        right after apply sees the applied state."""
        deadline = time.monotonic() + self.timeout
        while pending and not visible() and time.monotonic() < deadline:
            time.sleep(0.2)

    # --- plumbing -------------------------------------------------------------------------------------

    def _each(self, items: list[T], call: Callable[[list[T]], dict[Any, Future[Any]]]) -> Outcomes:
        """Run `call` in batches; one outcome per item, in order (None = done, else the error)."""
        outcomes: Outcomes = []
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            try:
                futures = list(call(batch).values())
            except KafkaException as err:
                outcomes += [err.args[0].str()] * len(batch)
                continue
            except ValueError as err:
                outcomes += [str(err)] * len(batch)
                continue
            outcomes += [self._outcome(f) for f in futures]
        return outcomes

    def _outcome(self, future: Future[Any]) -> str | None:
        try:
            future.result(timeout=self.timeout + 5)
        except KafkaException as err:
            return str(err.args[0].str())
        except TimeoutError:
            return f"no answer within {self.timeout:.0f}s (the change may still happen: re-run plan)"
        return None

    def _wait(self, future: Future[T], what: str) -> T:
        try:
            return future.result(timeout=self.timeout + 5)
        except KafkaException as err:
            error = err.args[0]
            if error.code() in (
                KafkaError.TOPIC_AUTHORIZATION_FAILED,
                KafkaError.CLUSTER_AUTHORIZATION_FAILED,
            ):
                raise BusctlError(
                    f"not authorised to {what} on {self.where}: {error.str()}",
                    "grant the admin principal DESCRIBE/DESCRIBE_CONFIGS (or make it a super user)",
                ) from None
            raise BusctlError(f"cannot {what} on {self.where}: {error.str()}") from None
        except TimeoutError:
            raise self._unreachable(None) from None

    def _unreachable(self, err: KafkaException | None) -> BusctlError:
        self.admin.poll(0.5)  # librdkafka delivers error_cb events (e.g. authentication) only on poll
        auth = [
            e
            for e in self.errors
            if e.code() in (KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED)
        ]
        if auth:
            return BusctlError(
                f"authentication to {self.where} failed: {auth[-1].str()}",
                "check the username/password variables named in bus.yaml",
            )
        detail = err.args[0].str() if err is not None else f"no answer within {self.timeout:.0f}s"
        return BusctlError(
            f"cannot reach {self.where}: {detail}",
            "is the broker running and the bootstrap address right? (scripts/kafka/kafka status)",
        )


def _first_timestamps(
    consumer: Consumer, wanted: dict[Partition, int], deadline: float
) -> dict[Position, float]:
    """Assign each partition at its offset and note the first message's timestamp, until all have one
    or the deadline passes."""
    assigned = [TopicPartition(t, p, offset) for (t, p), offset in wanted.items()]
    consumer.assign(assigned)
    found: dict[Position, float] = {}
    while len(found) < len(wanted) and time.monotonic() < deadline:
        for message in consumer.consume(num_messages=500, timeout=0.5):
            key = (str(message.topic()), int(message.partition() or 0))
            if message.error() is None and key in wanted and (*key, wanted[key]) not in found:
                found[(*key, wanted[key])] = message.timestamp()[1] / 1000
                consumer.pause([TopicPartition(*key)])
    consumer.resume(assigned)  # pausing outlives the assignment: the next round may need the partition
    consumer.unassign()
    return found


def _done(changes: list[Change], outcomes: Outcomes) -> list[Change]:
    """The changes whose outcome was success."""
    return [change for change, outcome in zip(changes, outcomes, strict=True) if outcome is None]


def _shows(configs: dict[str, ConfigValue], key: str, value: str | None) -> bool:
    current = configs.get(key)
    if value is None:
        return current is None or current.source != DYNAMIC_TOPIC_CONFIG
    return current is not None and current.source == DYNAMIC_TOPIC_CONFIG and current.value == value


class SilentLogger:
    """A logger for librdkafka that drops its chatter (errors reach us through error_cb and futures)."""

    def log(self, *_: Any, **__: Any) -> None:
        return None

    def __getattr__(self, _name: str) -> Callable[..., None]:
        return self.log


def _from_kafka_acl(acl: Any) -> AclBinding:
    return AclBinding(
        resource_type=acl.restype.name,
        resource_name=acl.name,
        pattern_type=acl.resource_pattern_type.name,
        principal=acl.principal,
        host=acl.host,
        operation=acl.operation.name,
        permission=acl.permission_type.name,
    )


def _to_kafka_acl(acl: AclBinding, as_filter: bool = False) -> Any:
    kind = kadmin.AclBindingFilter if as_filter else kadmin.AclBinding
    return kind(
        kadmin.ResourceType[acl.resource_type],
        acl.resource_name,
        kadmin.ResourcePatternType[acl.pattern_type],
        acl.principal,
        acl.host,
        kadmin.AclOperation[acl.operation],
        kadmin.AclPermissionType[acl.permission],
    )
