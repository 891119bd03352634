"""The verify report: for each declared topic on a cluster, how many of its newest records were
sampled and which of them are not the declared key and value messages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Violation:
    """One record whose key or value breaks the contract."""

    partition: int
    offset: int
    part: str  # "key" or "value"
    reason: str


@dataclass
class TopicVerdict:
    """One topic's sample, judged. `problem`: why it could not be (fully) sampled."""

    topic: str
    team: str
    file: str
    value: str  # the declared value message
    key: str | None  # the declared key message (None: a string, bytes or no key, not checked)
    sampled: int = 0
    conforming: int = 0
    violations: list[Violation] = field(default_factory=list)
    problem: str = ""
    absent: bool = False  # the topic is not on the cluster (plan creates it): nothing to sample

    @property
    def failing(self) -> bool:
        return bool(self.violations or self.problem)


@dataclass(frozen=True)
class VerifyReport:
    """Every declared topic's verdict on one cluster (sorted by topic)."""

    cluster: str
    samples: int  # the newest records read per partition, at most
    registry: str | None  # the registry schema ids were resolved with (None: the cluster names none)
    topics: list[TopicVerdict]

    @property
    def failing(self) -> list[TopicVerdict]:
        return [t for t in self.topics if t.failing]
