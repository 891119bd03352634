"""Plan gates on the schema rules (compiled, buf aside): a topic is created only with a message that
exists; a topic that exists already is left as it is and noted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from busctl.core.desired import DesiredTopic
from busctl.core.diff import DiffOptions, diff
from busctl.core.plan import Action
from busctl.core.state import ClusterState, TopicState
from busctl.core.topic_configs import load_catalogue
from busctl.planning import schema_problems, valid_bus

Repo = Callable[[dict[str, str | None]], Path]
BILLING = "topics/billing/invoice-created.yaml"


def _topic(name: str, problem: str = "") -> DesiredTopic:
    return DesiredTopic(name, 1, 1, {}, False, False, frozenset(), schema_problem=problem)


def _diff(desired: list[DesiredTopic], existing: list[str]) -> tuple[list[str], list[str], list[str]]:
    state = ClusterState("c", (1,), {n: TopicState(n, ((1,),)) for n in existing}, ())
    plan = diff(desired, set(), state, load_catalogue(), DiffOptions(cluster="c"))
    created = [c.topic for c in plan.changes if c.action is Action.CREATE_TOPIC]
    return created, [f"{c.topic}: {c.reason}" for c in plan.blocked], plan.notes


def test_a_topic_with_a_schema_error_is_blocked_not_created() -> None:
    created, blocked, _ = _diff([_topic("a.b.v1", "BUS302 no such message"), _topic("a.c.v1")], [])
    assert created == ["a.c.v1"]
    assert blocked == ["a.b.v1: its schema has an error: BUS302 no such message"]


def test_an_existing_topic_with_a_schema_error_is_noted_once_not_blocked() -> None:
    broken = [_topic(f"a.t{i}.v1", "BUS302 x") for i in range(5)]
    created, blocked, notes = _diff(broken, [t.name for t in broken])
    assert created == [] and blocked == []
    assert notes == [
        "the schema of a.t0.v1, a.t1.v1, a.t2.v1 and 2 more has an error (BUS302 x); "
        "`busctl lint` shows where"
    ]


def test_a_near_miss_a_clean_schema_gates_nothing(bus_repo: Repo) -> None:
    root = bus_repo({})
    assert schema_problems(root, valid_bus(root)) == {}


def test_a_misspelt_message_concerns_only_its_topic(bus_repo: Repo) -> None:
    root = bus_repo({})
    text = (root / BILLING).read_text().replace("InvoiceCreated", "InvoiceCreatd")
    (root / BILLING).write_text(text)
    problems = schema_problems(root, valid_bus(root))
    assert list(problems) == ["billing.invoice-created.v1"]
    assert problems["billing.invoice-created.v1"].startswith("BUS302 ")
    assert "topics/billing/invoice-created.yaml:" in problems["billing.invoice-created.v1"]


def test_a_schema_that_does_not_compile_concerns_every_topic(bus_repo: Repo) -> None:
    root = bus_repo(
        {"schemas/acme/common/v1/money.proto": 'syntax = "proto3";\npackage acme.common.v1;\nmessage {\n'}
    )
    problems = schema_problems(root, valid_bus(root))
    assert sorted(problems) == ["audit.events.v1", "billing.invoice-created.v1"]
    assert all("money.proto" in text for text in problems.values())
