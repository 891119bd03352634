"""Apply under faults, on the fault suite's own single broker: a tampered plan file, two applies at once,
Ctrl-C and SIGTERM mid-apply; and the broker killed mid-apply, on a broker of that test's own. Every
outcome is checked with Kafka's own tools, not only busctl's report."""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import pytest

from tests.faults.conftest import (
    busctl,
    fault_bus,
    finish,
    outcomes,
    start_busctl,
    topics_on,
    wait_for_new_topics,
)
from tests.integration.conftest import Broker

pytestmark = [pytest.mark.kafka, pytest.mark.faults, pytest.mark.slow]
APPLY = ("apply", "--cluster", "local", "--auto-approve")


def _counts(out: str) -> tuple[int, int, int, int, int]:
    """applied D of T change(s): F failed, U sent but not confirmed, N not started."""
    match = re.search(
        r"applied (\d+) of (\d+) change\(s\): (\d+) failed, (\d+) sent but not confirmed, (\d+) not started",
        " ".join(out.split()),  # the line wraps at 80 columns when the counts are large
    )
    assert match, out[-2000:]
    done, total, failed, unconfirmed, not_started = (int(g) for g in match.groups())
    return done, total, failed, unconfirmed, not_started


def test_a_tampered_plan_file_is_refused_and_the_cluster_is_untouched(
    fault_single: Broker, tmp_path: Path
) -> None:
    repo = tmp_path / "bus"
    fault_bus(fault_single, repo, "tamper", 3)
    fault_single.tool("topics", "--create", "--topic", "legacy.keep-me.v1", "--partitions", "1")
    plan_file = tmp_path / "plan.json"
    assert busctl(repo, "plan", "--cluster", "local", "--out", str(plan_file)).code == 0
    original = json.loads(plan_file.read_text())
    creates = [c for c in original["changes"] if c["action"] == "create"]
    assert len(creates) == 5 and "legacy.keep-me.v1" in original["unmanaged"]

    def tampered(edit: str) -> dict[str, object]:
        document = json.loads(json.dumps(original))
        if edit == "delete added":
            document["changes"].append(
                {**creates[0], "action": "delete", "topic": "legacy.keep-me.v1", "configs": []}
            )
        elif edit == "value changed":
            configs = [
                cfg for c in document["changes"] for cfg in c["configs"] if cfg["key"] == "retention.ms"
            ]
            configs[0]["after"] = "1000"
        elif edit == "reordered":
            document["changes"].reverse()
        elif edit == "unblocked":
            document["options"]["allow_delete"] = True
        return document

    expected = {
        "delete added": "it has a change busctl does not plan now: `delete legacy.keep-me.v1`",
        "value changed": "config retention.ms is '1000' in the approved plan, '604800000' now",
        "reordered": "change 1 is `create",
        "unblocked": "was made with --allow-delete",
    }
    for edit, message in expected.items():
        bad = tmp_path / f"{edit.replace(' ', '-')}.json"
        bad.write_text(json.dumps(tampered(edit)))
        result = busctl(repo, *APPLY, str(bad))
        assert result.code == 1, (edit, result.out, result.err)
        assert message in result.err and "nothing was applied" in result.err, (edit, result.err)
    listed = topics_on(fault_single)
    assert "legacy.keep-me.v1" in listed
    assert not {c["topic"] for c in creates} & listed  # nothing of the plan was applied either

    honest = busctl(repo, *APPLY, str(plan_file))
    assert honest.code == 0, honest.out + honest.err
    listed = topics_on(fault_single)
    assert {c["topic"] for c in creates} <= listed and "legacy.keep-me.v1" in listed
    again = busctl(repo, *APPLY, str(plan_file))  # the same file once more: the cluster changed since
    assert again.code == 1 and "the cluster changed since it was made" in again.err


def test_two_applies_of_the_same_declarations_one_refuses_naming_the_holder(
    fault_single: Broker, tmp_path: Path
) -> None:
    repo = tmp_path / "bus"
    declared = fault_bus(fault_single, repo, "same", 1000)
    first = start_busctl(repo, *APPLY)
    second = start_busctl(repo, *APPLY)
    started = time.monotonic()
    results = [finish(first, started), finish(second, started)]
    refused = [r for r in results if "the apply lock of cluster local is held by" in r.err]
    applied = [r for r in results if r is not (refused[0] if refused else None)]
    assert len(refused) == 1, [r.err for r in results]
    assert refused[0].code == 1 and re.search(
        r"held by \S+@\S+ pid \d+ .*since \d{4}-\d\d-\d\d", refused[0].err
    )
    assert "--lock-timeout" in refused[0].err and "Traceback" not in refused[0].err
    assert applied[0].code == 0 and "already exists" not in applied[0].out
    assert declared <= topics_on(fault_single)


def test_two_applies_from_two_branches_never_mix(fault_single: Broker, tmp_path: Path) -> None:
    """Branch A declares retention 1d, branch B 3d for the same 300 topics (some new): with the lock, the
    second waits, re-reads and applies all of its own state; the result is one branch's state, never a
    mix of the two."""
    branch_a, branch_b = tmp_path / "a", tmp_path / "b"
    fault_bus(fault_single, branch_a, "branches", 300, retention="1d")
    fault_bus(fault_single, branch_b, "branches", 300, retention="3d")
    first = start_busctl(branch_a, *APPLY, "--lock-timeout", "120")
    second = start_busctl(branch_b, *APPLY, "--lock-timeout", "120")
    started = time.monotonic()
    a, b = finish(first, started), finish(second, started)
    assert a.code == 0 and b.code == 0, (a.out[-1500:], a.err, b.out[-1500:], b.err)
    assert "waiting for the apply lock" in a.err + b.err
    described = fault_single.tool("configs", "--describe", "--entity-type", "topics")
    retention = dict(
        re.findall(
            r"Dynamic configs for topic (billing\.fault-branches-\d+\.v1) are:\s+"
            r"(?:.*\n)*?\s+retention\.ms=(\d+)",
            described,
        )
    )
    assert len(retention) == 300, described[:2000]
    assert len(set(retention.values())) == 1, set(retention.values())  # one branch's value everywhere


@pytest.mark.parametrize(
    ("sig", "code", "name"),
    [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM"), (signal.SIGHUP, 129, "SIGHUP")],
)
def test_an_interrupt_mid_apply_stops_after_the_batch_and_accounts_for_every_change(
    fault_single: Broker, tmp_path: Path, sig: signal.Signals, code: int, name: str
) -> None:
    repo = tmp_path / "bus"
    declared = fault_bus(fault_single, repo, f"sig{code}", 2000)
    before = topics_on(fault_single) & declared
    process = start_busctl(repo, *APPLY)
    wait_for_new_topics(fault_single, declared - before, process)
    sent = time.monotonic()
    process.send_signal(sig)
    result = finish(process, sent)
    assert result.code == code, (result.out[-1500:], result.err)
    assert f"{name}" in result.err and "Traceback" not in result.err
    done, total, failed, unconfirmed, not_started = _counts(result.out)
    assert total == len(declared - before) and failed == 0 and not_started > 0 and done > 0
    assert f"stopped: interrupted by {name}" in result.out
    report = outcomes(result.out)
    created = topics_on(fault_single) & declared - before
    assert report["done"] <= created  # what was reported done is there
    assert not report["not started"] & created  # what was never sent is not
    assert len(created) in range(done, done + unconfirmed + 1)
    # the lock was released: the next apply gets it at once and finishes the job
    rest = busctl(repo, *APPLY)
    assert rest.code == 0 and "waiting for the apply lock" not in rest.err, rest.err
    assert f"applied {len(declared - before - created)} change(s)." in rest.out
    assert declared <= topics_on(fault_single)


def test_broker_killed_mid_apply_reports_exactly_and_a_reapply_converges(
    killed_single: Broker, tmp_path: Path
) -> None:
    repo = tmp_path / "bus"
    declared = fault_bus(killed_single, repo, "kill", 1500)
    killed_single.tool("topics", "--create", "--topic", "legacy.survivor.v1", "--partitions", "1")
    before = topics_on(killed_single)
    process = start_busctl(repo, *APPLY, "--timeout", "10")
    wait_for_new_topics(killed_single, declared - before, process)
    killed = time.monotonic()  # kill() returns once the JVM is gone: busctl may be done by then
    killed_single.kill(1)
    result = finish(process, killed)
    assert result.code == 1, (result.out[-1500:], result.err)
    assert result.seconds <= 15, f"busctl took {result.seconds:.1f} s to exit after the broker died"
    assert "Traceback" not in result.err and "bug in busctl" not in result.err
    done, total, _, unconfirmed, not_started = _counts(result.out)
    assert total == len(declared - before) and not_started > 0
    # whichever notices first: the batch in flight gets no answer, or the lock check before the next one
    assert re.search(r"stopped: (the cluster stopped answering|cannot check the apply lock)", result.out)
    report = outcomes(result.out)

    killed_single.start_node(1)
    now = topics_on(killed_single)
    assert report.get("done", set()) <= now and not report["not started"] & now
    plan = busctl(repo, "plan", "--cluster", "local", "--format", "json")
    assert plan.code == 0, plan.err
    planned = {c["topic"] for c in json.loads(plan.out)["changes"] if c["action"] == "create"}
    assert planned == declared - now  # exactly the rest

    converge = busctl(repo, *APPLY, "--lock-timeout", "60")  # the dead run's lease runs out by itself
    assert converge.code == 0, converge.out[-1500:] + converge.err
    final = topics_on(killed_single)
    assert declared <= final and before <= final  # nothing deleted, the unmanaged topic included
    assert busctl(repo, "plan", "--cluster", "local", "--detailed-exitcode").code == 0
    print(
        f"\nbroker death -> busctl exit: {result.seconds:.1f} s with --timeout 10; "
        f"{done} done, {unconfirmed} unconfirmed, {not_started} not started"
    )
