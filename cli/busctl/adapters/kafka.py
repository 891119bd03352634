"""The Kafka adapter: confluent-kafka's AdminClient, reading ClusterStates and implementing ClusterWriter.

Reads are bulk (one metadata request, DescribeConfigs in large batches, ACLs once); writes are batched and
report a per-item outcome. Connection settings come from bus.yaml with ${VAR}s expanded from the
environment here and nowhere else; secrets are never logged or returned.
"""

from __future__ import annotations

import operator
import os
import re
import time
import types
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future, wait
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, TypeVar

from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicCollection,
    TopicPartition,
)
from confluent_kafka import admin as _admin

from busctl import collector
from busctl.adapters.kafka_errors import (
    AUTHENTICATION,
    Connection,
    RecentLog,
    check_settings,
    construction_error,
    describe_kafka_error,
    diagnose,
    is_retriable,
    redact,
    secrets,
)
from busctl.core.diagnostics import BusctlError
from busctl.core.lag import GroupOffsets, Moment, OffsetSample, Partition, Position, Stamp
from busctl.core.lock import LOCK_TOPIC
from busctl.core.model import ENV_VARIABLE, Cluster
from busctl.core.plan import Change
from busctl.core.ports import DONE, Outcomes, Sent, Status, failed, unconfirmed
from busctl.core.state import DYNAMIC_TOPIC_CONFIG, AclBinding, ClusterState, ConfigValue, TopicState

BATCH = 500
T = TypeVar("T")
_RECENT = 50  # librdkafka errors looked at to tell why a cluster cannot be reached
# Errors of a request that got no answer: the cluster is unreachable, and `_unreachable` tells why.
_UNANSWERED = frozenset(
    {KafkaError._TIMED_OUT, KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN, *AUTHENTICATION}
)
# Errors after which a write may or may not have happened (sent, then no answer): it is unconfirmed.
_NO_ANSWER = (_UNANSWERED - AUTHENTICATION) | {
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError.NETWORK_EXCEPTION,
    KafkaError.NOT_CONTROLLER,
}
_DENIED = {  # authorization errors of reads → what to grant
    KafkaError.TOPIC_AUTHORIZATION_FAILED: "grant the admin principal DESCRIBE/DESCRIBE_CONFIGS on topics "
    "(or make it a super user)",
    KafkaError.CLUSTER_AUTHORIZATION_FAILED: "grant the admin principal DESCRIBE/DESCRIBE_CONFIGS on the "
    "cluster (or make it a super user)",
    KafkaError.GROUP_AUTHORIZATION_FAILED: "grant the admin principal DESCRIBE on the consumer groups "
    "(or make it a super user)",
}
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

    return ENV_VARIABLE.sub(one, value)


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
    check_settings(name, cluster, settings, env)  # empty secrets, missing files: refused before connecting
    return settings


def plain_described_configs() -> None:
    """For a process that only reads (kafka_fork's child): confluent-kafka makes each described config,
    and each of its synonyms, a SimpleNamespace (built in C) instead of its ConfigEntry, whose Python
    __init__ ran 580,000 times for 10,000 topics. It looks that class up by name in confluent_kafka.admin
    for every DescribeConfigs result; the attributes busctl reads are the same. Never in a process that
    writes: AlterConfigs takes ConfigEntry objects busctl makes."""
    kadmin.ConfigEntry = types.SimpleNamespace


class KafkaAdmin:
    """One cluster, reached through confluent-kafka's kadmin.AdminClient."""

    def __init__(self, name: str, cluster: Cluster, timeout: float = 30.0) -> None:
        self.name = name
        self.timeout = timeout
        self.where = f"cluster {name} ({cluster.bootstrap_servers})"
        self.errors: list[KafkaError] = []  # from librdkafka's error_cb, delivered on admin.poll()
        self.log = RecentLog()  # librdkafka's last log lines: some connection failures are only there
        self.connection = Connection.of(name, cluster.security)
        self.connected = False
        self.settings = client_settings(name, cluster)
        try:
            self.admin = kadmin.AdminClient(
                {
                    **self.settings,
                    "error_cb": self.errors.append,
                    "socket.connection.setup.timeout.ms": str(int(timeout * 1000)),
                    "logger": self.log,
                }
            )
        except KafkaException as err:  # e.g. an unreadable certificate: librdkafka refuses the settings
            raise construction_error(name, err.args[0], self.settings) from None

    # --- reading --------------------------------------------------------------------------------------

    def read_state(self, declared: Collection[str] = ()) -> ClusterState:
        """Metadata (which carries the cluster id, live brokers, replicas, ISRs and leaders), configs and
        ACLs of the whole cluster, in a handful of requests (`read_listing`), then the declared topics the
        listing leaves out (`with_declared`)."""
        return self.with_declared(self.read_listing(), declared)

    @collector.paused()  # confluent-kafka makes a ConfigEntry (with synonyms) per config entry
    def read_listing(self) -> ClusterState:
        """The cluster as its metadata lists it: every topic the principal may DESCRIBE, with its
        configs, the brokers and the ACLs."""
        metadata = self.metadata()
        partitions: dict[str, list[Any]] = {}
        invisible = []
        for name, topic in metadata.topics.items():
            if topic.error is not None and topic.error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                invisible.append(name)
            elif topic.partitions:
                partitions[name] = [topic.partitions[p] for p in sorted(topic.partitions)]
        return ClusterState(
            cluster_id=str(metadata.cluster_id),
            brokers=tuple(sorted(metadata.brokers)),
            topics=self._topics(partitions),
            acls=self._acls(min(metadata.brokers)),
            invisible=tuple(sorted(invisible)),
        )

    @collector.paused()
    def with_declared(self, state: ClusterState, declared: Collection[str]) -> ClusterState:
        """The state with the declared topics its listing left out asked for by name: Kafka lists only
        the topics the principal may DESCRIBE, and answers TOPIC_AUTHORIZATION_FAILED for the others
        whether they exist or not. Any that exist after all (created since the listing) are added."""
        missing = state.unlisted(declared)
        if not missing:
            return state
        partitions: dict[str, list[Any]] = {}
        hidden = self._invisible(missing, partitions)
        return replace(
            state,
            topics={**state.topics, **self._topics(partitions)},
            invisible=tuple(sorted({*state.invisible, *hidden})),
        )

    def _topics(self, partitions: dict[str, list[Any]]) -> dict[str, TopicState]:
        """Each topic's state from its partitions and its configs (read here)."""
        configs = self._configs(sorted(n for n in partitions if n != LOCK_TOPIC))  # busctl's own: not needed
        return {
            name: TopicState(
                name,
                replicas=tuple(tuple(p.replicas) for p in parts),
                configs=configs.get(name, {}),
                isrs=tuple(tuple(p.isrs) for p in parts),
                leaders=tuple(int(p.leader) for p in parts),
            )
            for name, parts in partitions.items()
        }

    def _invisible(self, names: list[str], partitions: dict[str, list[Any]]) -> set[str]:
        """Of declared topics the listing lacks, those the principal may not DESCRIBE; any that exist
        after all (created since the listing) are added to `partitions`."""
        if not names:
            return set()
        futures = self.admin.describe_topics(TopicCollection(names), request_timeout=self.timeout)
        hidden = set()
        for name, future in futures.items():
            try:
                description = future.result(timeout=self.timeout + 5)
            except KafkaException as err:
                code = err.args[0].code()
                if code == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                    hidden.add(name)
                elif code != KafkaError.UNKNOWN_TOPIC_OR_PART:
                    raise BusctlError(
                        f"cannot describe topic {name} on {self.where}: {describe_kafka_error(err.args[0])}"
                    ) from None
                continue
            except TimeoutError:
                raise self._unreachable(None) from None
            partitions[name] = [
                _Partition([r.id for r in p.replicas], [r.id for r in p.isr], p.leader.id if p.leader else -1)
                for p in sorted(description.partitions, key=lambda p: p.id)
            ]
        return hidden

    def _configs(self, names: list[str]) -> dict[str, dict[str, ConfigValue]]:
        """DescribeConfigs for every topic: all batches in flight at once, each converted as it lands.

        Thousands of topics repeat the same few hundred (value, source) pairs: they are interned, in
        loops that run in C (map, zip), not in Python code per entry."""
        pending: list[dict[Any, Future[Any]]] = []
        for start in range(0, len(names), BATCH):
            batch = [
                kadmin.ConfigResource(kadmin.ResourceType.TOPIC, n) for n in names[start : start + BATCH]
            ]
            pending.append(self.admin.describe_configs(batch, request_timeout=self.timeout))
        result: dict[str, dict[str, ConfigValue]] = {}
        interned = _Interned()
        for futures in pending:
            for resource, future in futures.items():
                again = partial(self._describe_configs, resource)
                entries = self._wait(future, f"describe configs of {resource.name}", again)
                result[resource.name] = dict(
                    zip(entries, map(interned.__getitem__, map(_SIGNATURE, entries.values())), strict=True)
                )
            futures.clear()  # the ConfigEntries go as soon as they are converted
        return result

    def _acls(self, broker: int) -> tuple[AclBinding, ...] | None:
        """All ACLs, or None when the cluster has no authorizer (then DescribeAcls answers an empty list)."""
        resource = kadmin.ConfigResource(kadmin.ResourceType.BROKER, str(broker))
        issue = partial(self._describe_configs, resource)
        broker_configs = self._read(issue, "describe the broker configuration")
        authorizer = broker_configs.get("authorizer.class.name")
        if authorizer is None or not authorizer.value:
            return None
        return self._acls_now()

    def _describe_configs(self, resource: Any) -> Future[Any]:
        future: Future[Any] = self.admin.describe_configs([resource], request_timeout=self.timeout)[resource]
        return future

    def read_offsets(self, topics: set[str], groups: set[str]) -> OffsetSample:
        """Log start and end offsets of the topics' partitions and the groups' committed offsets and
        state, all requests in flight at once. Declared topics the cluster lacks are left out."""
        metadata = self.metadata()
        taken_at = time.monotonic()
        counts = {t: len(metadata.topics[t].partitions) for t in sorted(topics) if t in metadata.topics}
        partitions = [TopicPartition(t, p) for t, n in counts.items() for p in range(n)]
        latest, earliest = kadmin.OffsetSpec.latest(), kadmin.OffsetSpec.earliest()
        ends = self._list_offsets(partitions, latest)
        starts = self._list_offsets(partitions, earliest)
        names = sorted(groups)
        # Groups are described before their offsets are asked for: librdkafka crashes (SIGSEGV; its issue
        # #5040) on a ListConsumerGroupOffsets answer of NOT_COORDINATOR, as given right after a broker
        # starts. Once DescribeGroups answers, the group's coordinator is known and has loaded it.
        described = self.admin.describe_consumer_groups(names, request_timeout=self.timeout) if names else {}
        descriptions = {
            g: self._wait(described[g], f"describe group {g}", again=partial(self._describe_group, g))
            for g in names
        }
        committed = {g: self._committed(g) for g in names}
        return OffsetSample(
            taken_at=taken_at,
            partitions=counts,
            log_end=self._offsets(ends, latest),
            log_start=self._offsets(starts, earliest),
            groups={g: self._group(g, committed[g], descriptions[g], counts) for g in names},
        )

    def readers_of(self, topics: set[str]) -> dict[str, GroupOffsets]:
        """Every consumer group of the cluster that has offsets committed on one of `topics`, with its
        state and member count (only its offsets on those topics kept)."""
        listed = self._read(
            lambda: self.admin.list_consumer_groups(request_timeout=self.timeout), "list consumer groups"
        )
        groups = {listing.group_id for listing in listed.valid}
        sample = self.read_offsets(topics, groups)
        return {name: group for name, group in sample.groups.items() if group.committed}

    def _list_offsets(self, partitions: list[Any], spec: Any) -> dict[Any, Future[Any]]:
        if not partitions:
            return {}
        return dict(self.admin.list_offsets({tp: spec for tp in partitions}, request_timeout=self.timeout))

    def _offsets(self, futures: dict[Any, Future[Any]], spec: Any) -> dict[Partition, int]:
        return {
            (tp.topic, tp.partition): int(
                self._wait(f, f"list offsets of {tp.topic}", partial(self._list_offset, tp, spec)).offset
            )
            for tp, f in futures.items()
        }

    def _list_offset(self, partition: Any, spec: Any) -> Future[Any]:
        return self._list_offsets([partition], spec)[partition]

    def _describe_group(self, group: str) -> Future[Any]:
        futures: dict[str, Future[Any]] = self.admin.describe_consumer_groups(
            [group], request_timeout=self.timeout
        )
        return futures[group]

    def _committed(self, group: str) -> Future[Any]:
        request = [ConsumerGroupTopicPartitions(group)]
        futures: dict[str, Future[Any]] = self.admin.list_consumer_group_offsets(
            request, request_timeout=self.timeout
        )
        return futures[group]

    def _group(
        self, group: str, committed: Future[Any], description: Any, topics: dict[str, int]
    ) -> GroupOffsets:
        what = f"read the committed offsets of group {group}"
        offsets = self._wait(committed, what, again=partial(self._committed, group))
        return GroupOffsets(
            state=description.state.name,
            members=len(description.members),
            committed={
                (tp.topic, tp.partition): int(tp.offset)
                for tp in offsets.topic_partitions
                if tp.topic in topics and tp.offset >= 0
            },
        )

    def message_timestamps(self, positions: set[Position]) -> dict[Position, Stamp]:
        """The first message at or after each (topic, partition, offset): its offset and timestamp (epoch
        seconds), read by a consumer that joins no group and commits nothing. A partition is assigned
        once per round, so several offsets on one partition take several rounds. Positions that yield
        nothing within the timeout are left out (e.g. when the principal may not READ the topic)."""
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
                "enable.partition.eof": True,  # a position past the last message ends its wait
                "logger": SilentLogger(),
            }
        )
        found: dict[Position, Stamp] = {}
        deadline = time.monotonic() + self.timeout
        try:
            for wanted in rounds:
                found.update(_first_messages(consumer, wanted, deadline))
        finally:
            consumer.close()
        return found

    def offsets_for_times(self, moments: set[Moment]) -> dict[Moment, int]:
        """Kafka's offsets-for-times: for each (topic, partition, epoch ms) the first offset whose message
        timestamp is at or after it (-1 when every message is older). Partitions whose answer is an
        error are left out."""
        specs = {TopicPartition(t, p): kadmin.OffsetSpec.for_timestamp(ms) for t, p, ms in moments}
        if not specs:
            return {}
        futures = self.admin.list_offsets(specs, request_timeout=self.timeout)
        keys = {(t, p): (t, p, ms) for t, p, ms in moments}
        answered: dict[Moment, int] = {}
        for tp, future in futures.items():
            try:
                answered[keys[(tp.topic, tp.partition)]] = int(future.result(self.timeout + 5).offset)
            except (KafkaException, TimeoutError):
                continue
        return answered

    # --- writing --------------------------------------------------------------------------------------
    # Each write sends one batch and then waits, within one --timeout, until the cluster shows its effect
    # (changes reach every broker's metadata a moment after the controller acknowledges them), so that a
    # plan right after apply sees the applied state. An item the broker acknowledged but that is not seen
    # by then, or whose request got no answer, is unconfirmed, never reported done.

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
        return self._write(
            changes,
            new,
            lambda batch: self.admin.create_topics(batch, **self._options(validate_only)),
            None if validate_only else self._partitions_shown,
        )

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
        return self._write(
            changes,
            resources,
            lambda batch: self.admin.incremental_alter_configs(
                batch, validate_only=validate_only, request_timeout=self.timeout
            ),
            None if validate_only else self._configs_shown,
        )

    def add_partitions(self, changes: list[Change], validate_only: bool = False) -> Outcomes:
        new = [kadmin.NewPartitions(c.topic, int(c.partitions or 0)) for c in changes]
        return self._write(
            changes,
            new,
            lambda batch: self.admin.create_partitions(batch, **self._options(validate_only)),
            None if validate_only else self._partitions_shown,
        )

    def create_acls(self, changes: list[Change]) -> Outcomes:
        bindings = [_to_kafka_acl(_acl_of(c)) for c in changes]
        return self._write(
            changes,
            bindings,
            lambda batch: self.admin.create_acls(batch, request_timeout=self.timeout),
            lambda done: {_acl_of(c) for c in done} <= set(self._acls_now()),
        )

    def delete_acls(self, changes: list[Change]) -> Outcomes:
        filters = [_to_kafka_acl(_acl_of(c), as_filter=True) for c in changes]
        return self._write(
            changes,
            filters,
            lambda batch: self.admin.delete_acls(batch, request_timeout=self.timeout),
            lambda done: not {_acl_of(c) for c in done} & set(self._acls_now()),
        )

    def delete_topics(self, changes: list[Change]) -> Outcomes:
        return self._write(
            changes,
            [c.topic for c in changes],
            lambda batch: self.admin.delete_topics(
                batch, request_timeout=self.timeout, operation_timeout=self.timeout
            ),
            lambda done: self._topics_shown({c.topic: -1 for c in done}),
        )

    def _acls_now(self) -> tuple[AclBinding, ...]:
        issue = partial(self.admin.describe_acls, ALL_ACLS, request_timeout=self.timeout)
        found = self._read(issue, "read ACLs")
        return tuple(sorted(_from_kafka_acl(acl) for acl in found))

    def _options(self, validate_only: bool) -> dict[str, Any]:
        return {
            "validate_only": validate_only,
            "request_timeout": self.timeout,
            "operation_timeout": self.timeout,
        }

    def _partitions_shown(self, done: list[Change]) -> bool:
        return self._topics_shown({c.topic: c.partitions or 0 for c in done})

    def _topics_shown(self, expected: dict[str, int]) -> bool:
        """The metadata shows each topic with at least the expected partitions (-1: the topic is gone)."""
        topics = self.admin.list_topics(timeout=self.timeout).topics
        shown = {name: len(topics[name].partitions) if name in topics else -1 for name in expected}
        return all(shown[n] >= count if count >= 0 else shown[n] == -1 for n, count in expected.items())

    def _configs_shown(self, done: list[Change]) -> bool:
        """DescribeConfigs shows every change: set keys with the new value, removed keys no longer set."""
        seen = self._configs(sorted({c.topic for c in done}))
        return all(_shows(seen.get(c.topic, {}), cfg.key, cfg.after) for c in done for cfg in c.configs)

    # --- plumbing -------------------------------------------------------------------------------------

    def _write(
        self,
        changes: list[Change],
        items: list[T],
        call: Callable[[list[T]], dict[Any, Future[Any]]],
        shown: Callable[[list[Change]], bool] | None,
    ) -> Outcomes:
        """Send the items in batches, one outcome per change, in order; then, unless `shown` is None
        (validate-only), wait within the timeout until `shown(done)` holds for the acknowledged ones."""
        deadline = time.monotonic() + self.timeout
        outcomes: Outcomes = []
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            try:
                futures = list(call(batch).values())
            except KafkaException as err:
                outcomes += [self._refused(err.args[0])] * len(batch)
                continue
            except ValueError as err:
                outcomes += [failed(str(err))] * len(batch)
                continue
            outcomes += [self._outcome(f) for f in futures]
        done = [c for c, sent in zip(changes, outcomes, strict=True) if sent.status is Status.DONE]
        if shown is None or not done:
            return outcomes
        problem = self._settle(lambda: shown(done), deadline)
        if problem is None:
            return outcomes
        late = unconfirmed(f"acknowledged, but not seen applied: {problem}")
        return [late if sent.status is Status.DONE else sent for sent in outcomes]

    def _settle(self, visible: Callable[[], bool], deadline: float) -> str | None:
        """Wait until `visible()`, bounded by the deadline; None once visible, else what went wrong."""
        while True:
            try:
                if visible():
                    return None
            except (BusctlError, KafkaException) as err:
                return err.message if isinstance(err, BusctlError) else describe_kafka_error(err.args[0])
            if time.monotonic() >= deadline:
                return f"not visible within {self.timeout:.0f}s"
            time.sleep(0.2)

    def _outcome(self, future: Future[Any]) -> Sent:
        try:
            future.result(timeout=self.timeout + 5)
        except KafkaException as err:
            return self._refused(err.args[0])
        except TimeoutError:
            return unconfirmed(f"no answer within {self.timeout:.0f}s")
        return DONE

    @staticmethod
    def _refused(error: KafkaError) -> Sent:
        """A broker error: a refusal, or, for errors that say the request may not have been carried out
        or answered (a timeout, a broken connection), an unconfirmed outcome."""
        text = describe_kafka_error(error)
        if error.code() in _NO_ANSWER:
            return unconfirmed(text, error.name())
        return failed(text, error.name())

    def metadata(self) -> Any:
        """The cluster's metadata (brokers, topics, partitions, cluster id), once connected."""
        self._connect()
        try:
            return self.admin.list_topics(timeout=self.timeout)
        except KafkaException as err:
            raise self._unreachable(err) from None

    def _connect(self) -> None:
        """Wait, bounded by the timeout, for the cluster to answer a first request (DescribeCluster, which
        needs no ACL), watching librdkafka's errors meanwhile: a failure that waiting cannot mend (wrong
        password, TLS handshake) ends the wait at once, and every failure names its cause."""
        if self.connected:
            return
        deadline = time.monotonic() + self.timeout + 5
        future = self.admin.describe_cluster(request_timeout=self.timeout)
        while not future.done():
            wait([future], timeout=0.1)
            self.admin.poll(0)  # librdkafka delivers error_cb and log events only on poll
            problem = diagnose(self.errors[-_RECENT:], self.log.lines, self.connection)
            if problem is not None and problem.final:
                raise self._redacted(problem.error(self.where))
            if time.monotonic() > deadline:
                raise self._unreachable(None)
        try:
            future.result()
        except KafkaException as err:
            if err.args[0].code() in _UNANSWERED:
                raise self._unreachable(err) from None
            # any other answer (e.g. a broker too old for DescribeCluster) means the cluster is reachable
        self.connected = True
        self.errors.clear()  # what follows is diagnosed afresh
        self.log.lines.clear()

    def _read(self, issue: Callable[[], Future[T]], what: str) -> T:
        """Issue a read request and wait for its answer, re-issuing it on transient errors."""
        return self._wait(issue(), what, again=issue)

    def _wait(self, future: Future[T], what: str, again: Callable[[], Future[T]] | None = None) -> T:
        """The future's result. With `again` (which re-issues the request) transient errors, such as
        COORDINATOR_LOAD_IN_PROGRESS right after a broker starts, NOT_CONTROLLER or LEADER_NOT_AVAILABLE,
        are retried with backoff, within the timeout."""
        deadline = time.monotonic() + self.timeout
        pause = 0.1
        while True:
            try:
                return future.result(timeout=max(deadline - time.monotonic(), 0.0) + 5)
            except KafkaException as err:
                error = err.args[0]
                if again is None or not is_retriable(error) or time.monotonic() + pause > deadline:
                    raise self._failed(error, what) from None
            except TimeoutError:
                raise self._unreachable(None) from None
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
            future = again()

    def _failed(self, error: KafkaError, what: str) -> BusctlError:
        """A read request refused: not authorised, the connection lost, or another broker error."""
        if error.code() in _DENIED:
            return BusctlError(
                f"not authorised to {what} on {self.where}: {describe_kafka_error(error)}",
                _DENIED[error.code()],
            )
        if error.code() in _UNANSWERED:
            return self._unreachable(error)
        return self._redacted(BusctlError(f"cannot {what} on {self.where}: {describe_kafka_error(error)}"))

    def _unreachable(self, err: KafkaException | KafkaError | None) -> BusctlError:
        """Why the cluster does not answer, from librdkafka's errors and log; else the request's error."""
        end = time.monotonic() + 0.5
        while self.admin.poll(0.05) and time.monotonic() < end:  # deliver pending error_cb/log events
            pass
        problem = diagnose(self.errors[-_RECENT:], self.log.lines, self.connection)
        if problem is not None:
            return self._redacted(problem.error(self.where))
        error = err.args[0] if isinstance(err, KafkaException) else err
        detail = describe_kafka_error(error) if error is not None else f"no answer within {self.timeout:g}s"
        return self._redacted(
            BusctlError(
                f"cannot reach {self.where}: {detail}",
                "is the broker running and the bootstrap address right? (scripts/kafka/kafka status)",
            )
        )

    def _redacted(self, error: BusctlError) -> BusctlError:
        """The error without any secret value (messages name variables, but a broker's text might not)."""
        hidden = secrets(self.settings)
        return BusctlError(redact(error.message, hidden), redact(error.hint, hidden))


def _first_messages(
    consumer: Consumer, wanted: dict[Partition, int], deadline: float
) -> dict[Position, Stamp]:
    """Assign each partition at its offset and note the first message's offset and timestamp, until each
    has one or reached the partition's end (nothing there: only markers or compacted records), or the
    deadline passes."""
    assigned = [TopicPartition(t, p, offset) for (t, p), offset in wanted.items()]
    consumer.assign(assigned)
    found: dict[Position, Stamp] = {}
    settled: set[Partition] = set()
    while len(settled) < len(wanted) and time.monotonic() < deadline:
        for message in consumer.consume(num_messages=500, timeout=0.5):
            key = (str(message.topic()), int(message.partition() or 0))
            error = message.error()
            if key not in wanted or key in settled:
                continue
            if error is None:
                found[(*key, wanted[key])] = (int(message.offset() or 0), message.timestamp()[1] / 1000)
            elif error.code() != KafkaError._PARTITION_EOF:
                continue
            settled.add(key)
            consumer.pause([TopicPartition(*key)])
    consumer.resume(assigned)  # pausing outlives the assignment: the next round may need the partition
    consumer.unassign()
    return found


def _acl_of(change: Change) -> AclBinding:
    if change.acl is None:
        raise ValueError(f"{change.action.value} {change.topic} has no ACL")
    return change.acl


def _shows(configs: dict[str, ConfigValue], key: str, value: str | None) -> bool:
    current = configs.get(key)
    if value is None:
        return current is None or current.source != DYNAMIC_TOPIC_CONFIG
    return current is not None and current.source == DYNAMIC_TOPIC_CONFIG and current.value == value


# What makes two config entries the same ConfigValue: value, source, read-only, sensitive.
_SIGNATURE = operator.attrgetter("value", "source", "is_read_only", "is_sensitive")
_SOURCES = {int(member.value): member.name for member in kadmin.ConfigSource}


class _Interned(dict[tuple[Any, ...], ConfigValue]):
    """ConfigValues by _SIGNATURE, each made once: the first lookup of a signature makes it."""

    def __missing__(self, signature: tuple[Any, ...]) -> ConfigValue:
        value, source, read_only, sensitive = signature
        made = self[signature] = ConfigValue(
            value=None if sensitive else value,
            source=_SOURCES.get(int(source), "UNKNOWN_CONFIG"),
            read_only=bool(read_only),
            sensitive=bool(sensitive),
        )
        return made


@dataclass(frozen=True)
class _Partition:
    """A partition as DescribeTopics answers it, shaped like the metadata's PartitionMetadata."""

    replicas: list[int]
    isrs: list[int]
    leader: int


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
