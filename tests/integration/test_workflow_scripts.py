"""The action's scripts end to end, as GitHub Actions runs them: scripts/ci/pull-request on a pull-request
branch (annotations, plan on a real broker, one comment created then updated on a GitHub API stand-in,
job summary) and scripts/ci/apply after the merge (verified with Kafka's own tools), for each kind of
change: add a topic, change a config, break a schema (fails), approve the break (passes), tombstone a
topic without approval (fails, nothing deleted) and with it (deleted on merge), a fork's pull request;
the main-branch job checks alerts/ and CODEOWNERS before it changes anything."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from tests.conftest import REPO_ROOT, CliResult, git, write_files
from tests.github_stub import TOKEN, FakeGitHub
from tests.integration.clients import consume_and_commit, produce
from tests.integration.conftest import Broker, bus_for
from tests.reports import assert_report

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
Run = Callable[..., CliResult]
BUSCTL = Path(os.environ.get("VIRTUAL_ENV", REPO_ROOT / ".venv")) / "bin" / "busctl"
PROTO = "schemas/acme/billing/v1/invoice_created.proto"

MAIN = {
    "topics/billing/invoice-created.yaml": None,
    "topics/audit/events.yaml": None,
    "topics/billing/wf-invoices.yaml": """\
name: billing.wf-invoices.v1
owner: billing
description: Invoices of the workflow test.
schema: acme.billing.v1.InvoiceCreated
consumers:
  - {group: wf-audit-reader, team: audit}
""",
}
NEW_TOPIC = {
    "topics/billing/wf-payments.yaml": """\
name: billing.wf-payments.v1
owner: billing
description: Payments of the workflow test.
schema: acme.billing.v1.InvoiceCreated
partitions: 6
consumers:
  - {group: wf-ledger, team: audit}
""",
}


def _commit(run: Run, root: Path, message: str) -> None:
    """Regenerate alerts/ and CODEOWNERS (as the author's pre-commit hooks would), then commit."""
    assert run("alerts", "--repo", str(root)).code == 0
    assert run("codeowners", "--repo", str(root)).code == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def _script(name: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI"))}
    return subprocess.run(
        [str(REPO_ROOT / "scripts/ci" / name)],
        cwd=cwd,
        env={**environ, "BUSCTL": str(BUSCTL), **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_pull_request_then_apply_scripts(
    run: Run, kafka_single: Broker, tmp_path: Path, github: FakeGitHub
) -> None:
    origin = bus_for(kafka_single, tmp_path / "origin")
    write_files(origin, MAIN)
    git(origin, "init", "-q", "-b", "main")
    _commit(run, origin, "main")
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(origin), str(work))
    git(work, "checkout", "-q", "-b", "change")
    write_files(work, NEW_TOPIC)
    proto = work / PROTO
    proto.write_text(proto.read_text().replace("int64 amount_cents", "string amount_cents"))
    _commit(run, work, "add billing.wf-payments.v1; amount as a string")

    summary = tmp_path / "summary.md"
    env = {
        **github.environment(tmp_path),
        "GITHUB_STEP_SUMMARY": str(summary),
        "BUSCTL_BASE_REF": "main",
        "BUSCTL_CLUSTER": "local",
        "BUSCTL_COMMENT": "true",
    }
    first = _script("pull-request", work, env)
    assert first.returncode == 1, first.stdout + first.stderr  # the schema change breaks consumers
    out = first.stdout
    assert "::group::lint" in out and "::group::check" in out and "::group::plan" in out
    assert f"::error file={PROTO},line=10,col=3,title=buf%3AFIELD_WIRE_JSON_COMPATIBLE_TYPE::" in out
    assert "+ billing.wf-payments.v1" in out  # the plan, in the log
    assert "created the pull-request comment" in out
    (comment,) = github.ours()
    assert "| check | :x: 1 breaking change(s) against `origin/main` |" in comment["body"]
    assert "| plan `local` | :pencil2: 2 changes |" in comment["body"]  # main was never applied
    assert "| audit | https://chat.example.com/rooms/audit | @acme/audit |" in comment["body"]
    assert summary.read_text() == comment["body"]
    assert TOKEN not in out + first.stderr

    proto.write_text(proto.read_text().replace("string amount_cents", "int64 amount_cents"))
    _commit(run, work, "keep amount an int64")
    summary.unlink()
    second = _script("pull-request", work, env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "updated the pull-request comment" in second.stdout
    (comment,) = github.ours()  # still one comment, now current
    assert "| check | :white_check_mark: nothing breaks against `origin/main` |" in comment["body"]

    # merged: the main-branch job applies it, and keeps the report (the workflow's artifact)
    outputs = tmp_path / "github-output"
    runner = {"BUSCTL_CLUSTER": "local", "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(outputs)}
    applied = _script("apply", work, runner)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "applied 2 change(s)." in applied.stdout
    report = tmp_path / "busctl-apply-report.json"
    assert outputs.read_text().splitlines() == [f"apply-report={report}", f"alerts={work / 'alerts'}"]
    document = assert_report("apply-report", report.read_text())
    assert document["result"] == "applied" and document["summary"]["done"] == 2
    described = kafka_single.tool("topics", "--describe", "--topic", "billing.wf-payments.v1")
    assert "PartitionCount: 6" in described
    again = _script("apply", work, {"BUSCTL_CLUSTER": "local"})
    assert again.returncode == 0 and "The cluster matches the declarations." in again.stdout

    # a change the apply could not make fails the pull request, before the merge
    payments = work / "topics/billing/wf-payments.yaml"
    payments.write_text(payments.read_text().replace("partitions: 6", "partitions: 3"))
    _commit(run, work, "fewer partitions")
    blocked = _script("pull-request", work, env)
    assert blocked.returncode == 1
    assert "! billing.wf-payments.v1" in blocked.stdout
    assert "busctl plan: blocked changes" in blocked.stdout


def test_the_scripts_take_a_list_of_clusters(
    run: Run, kafka_single: Broker, tmp_path: Path, github: FakeGitHub
) -> None:
    """The action's `cluster` input as a list: one fleet plan in the comment, one fleet apply. (Both
    clusters are the same broker here: what is checked is that the scripts plan and apply each.)"""
    mirror = (
        f"  mirror:\n    bootstrap_servers: {kafka_single.bootstrap}\n"
        "    overrides: {replication_factor: 1, config: {min.insync.replicas: 1}}\n"
    )
    origin = bus_for(kafka_single, tmp_path / "origin", extra_cluster=mirror)
    write_files(
        origin,
        {
            "topics/billing/invoice-created.yaml": None,
            "topics/audit/events.yaml": None,
            "topics/billing/wfl-invoices.yaml": "name: billing.wfl-invoices.v1\nowner: billing\n"
            "description: Invoices of the fleet workflow test.\nschema: acme.billing.v1.InvoiceCreated\n",
        },
    )
    git(origin, "init", "-q", "-b", "main")
    _commit(run, origin, "main")
    env = {**github.environment(tmp_path), "BUSCTL_CLUSTER": "local,\nmirror", "BUSCTL_COMMENT": "true"}
    planned = _script("pull-request", origin, env)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    (comment,) = github.ours()
    assert "| plan `local` | :pencil2: 1 change |" in comment["body"]
    assert "| plan `mirror` | :pencil2: 1 change |" in comment["body"]
    applied = _script("apply", origin, {"BUSCTL_CLUSTER": "all"})
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "succeeded: local, mirror; not completed: none" in applied.stdout
    assert "billing.wfl-invoices.v1" in kafka_single.tool("topics", "--list").split()


def _pull_request_env(github: FakeGitHub, tmp_path: Path) -> dict[str, str]:
    return {
        **github.environment(tmp_path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "BUSCTL_BASE_REF": "main",
        "BUSCTL_CLUSTER": "local",
        "BUSCTL_COMMENT": "true",
    }


def test_the_apply_job_checks_generated_files_before_it_changes_the_cluster(
    run: Run, kafka_single: Broker, tmp_path: Path
) -> None:
    _, work = _applied_main(run, kafka_single, tmp_path)
    topic = "billing.wf-unalerted.v1"  # (the broker is shared: a name no other test creates)
    write_files(
        work,
        {
            "topics/billing/wf-unalerted.yaml": NEW_TOPIC["topics/billing/wf-payments.yaml"].replace(
                "billing.wf-payments.v1", topic
            )
        },
    )
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "a topic, without regenerating alerts/ and CODEOWNERS")
    stale = _script("apply", work, {"BUSCTL_CLUSTER": "local", "RUNNER_TEMP": str(tmp_path)})
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "generated file(s) stale, missing or obsolete" in stale.stdout + stale.stderr
    assert topic not in kafka_single.tool("topics", "--list").split()
    assert not (tmp_path / "busctl-apply-report.json").exists()  # apply never ran


def _applied_main(run: Run, broker: Broker, tmp_path: Path, bootstrap: str = "") -> tuple[Path, Path]:
    """origin (main, applied to the broker) and a clone of it on a branch `change`."""
    origin = bus_for(broker, tmp_path / "origin")
    if bootstrap:  # the bootstrap as a ${VAR}: a repository secret in GitHub
        bus = origin / "bus.yaml"
        bus.write_text(bus.read_text().replace(f"bootstrap_servers: {broker.bootstrap}", bootstrap))
    write_files(origin, MAIN)
    git(origin, "init", "-q", "-b", "main")
    _commit(run, origin, "main")
    if not bootstrap:
        applied = _script("apply", origin, {"BUSCTL_CLUSTER": "local"})
        assert applied.returncode == 0, applied.stdout + applied.stderr
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(origin), str(work))
    git(work, "checkout", "-q", "-b", "change")
    return origin, work


def test_a_config_change_and_an_approved_schema_break_pass_and_apply(
    run: Run, kafka_single: Broker, tmp_path: Path, github: FakeGitHub
) -> None:
    _, work = _applied_main(run, kafka_single, tmp_path)
    proto = work / PROTO
    proto.write_text(proto.read_text().replace("int64 amount_cents", "string amount_cents"))
    invoices = work / "topics/billing/wf-invoices.yaml"
    invoices.write_text(invoices.read_text() + "config:\n  retention.ms: 14d\n")
    _commit(run, work, "retention 14d; amount as a string")
    env = _pull_request_env(github, tmp_path)
    unapproved = _script("pull-request", work, env)
    assert unapproved.returncode == 1, unapproved.stdout + unapproved.stderr
    codes = sorted(set(re.findall(r"title=(buf%3A[A-Z_]+)::", unapproved.stdout)))
    assert codes, unapproved.stdout
    approvals = "".join(
        f"  - rule: {code.replace('%3A', ':')}\n    reason: audit reads amount_cents as a string now\n"
        for code in codes
    )
    invoices.write_text(invoices.read_text() + "approvals:\n" + approvals)
    _commit(run, work, "approve the break")
    approved = _script("pull-request", work, env)
    assert approved.returncode == 0, approved.stdout + approved.stderr
    (comment,) = github.ours()
    assert (
        f"| check | :white_check_mark: nothing breaks against `origin/main`, {len(codes)} approved"
        in comment["body"]
    )
    assert "| plan `local` | :pencil2: 1 change |" in comment["body"]
    assert "~ billing.wf-invoices.v1" in approved.stdout
    applied = _script("apply", work, {"BUSCTL_CLUSTER": "local"})
    assert applied.returncode == 0, applied.stdout + applied.stderr
    configs = kafka_single.tool(
        "configs", "--describe", "--entity-type", "topics", "--entity-name", "billing.wf-invoices.v1"
    )
    assert "retention.ms=1209600000" in configs


def test_a_tombstone_is_deleted_on_merge_only_once_its_file_approves_it(
    run: Run, kafka_single: Broker, tmp_path: Path, github: FakeGitHub
) -> None:
    _, work = _applied_main(run, kafka_single, tmp_path)
    topic = "billing.wf-invoices.v1"
    produce(kafka_single.bootstrap, topic, 3)
    consume_and_commit(kafka_single.bootstrap, topic, "wf-audit-reader", 3)
    live = Consumer({"bootstrap.servers": kafka_single.bootstrap, "group.id": "wf-live-reader"})
    try:
        live.subscribe([topic])
        deadline = time.monotonic() + 60
        while not live.assignment() and time.monotonic() < deadline:
            live.poll(0.5)
        assert live.assignment(), "the live consumer got no partitions within 60 s"
        live.commit(
            offsets=[TopicPartition(topic, p.partition, 0) for p in live.assignment()], asynchronous=False
        )
        invoices = work / "topics/billing/wf-invoices.yaml"
        invoices.write_text(invoices.read_text() + "lifecycle: deleted\n")
        _commit(run, work, "retire billing.wf-invoices.v1")
        env = _pull_request_env(github, tmp_path)
        unapproved = _script("pull-request", work, env)
        assert unapproved.returncode == 1, unapproved.stdout + unapproved.stderr
        assert "title=BUS515::billing.wf-invoices.v1 is tombstoned: merging deletes it" in unapproved.stdout
        assert "busctl plan: blocked changes" in unapproved.stdout
        (comment,) = github.ours()
        assert "| check | :x: 1 breaking change(s) against `origin/main` |" in comment["body"]
        assert "Merging deletes" not in comment["body"]
        merged_anyway = _script("apply", work, {"BUSCTL_CLUSTER": "local"})
        assert merged_anyway.returncode != 0  # the apply of an unapproved tombstone deletes nothing
        assert topic in kafka_single.tool("topics", "--list").split()

        invoices.write_text(
            invoices.read_text()
            + "approvals:\n  - rule: BUS515\n    reason: audit agreed; its readers moved to v2\n"
        )
        _commit(run, work, "approve the deletion")
        approved = _script("pull-request", work, env)
        assert approved.returncode == 0, approved.stdout + approved.stderr
        (comment,) = github.ours()
        assert "1 approved break(s)" in comment["body"]
        assert "**Merging deletes**" in comment["body"]
        readers = "1 active consumer group reads it: wf-live-reader (1 member), wf-audit-reader (no members)"
        assert (
            f"| `local` | topic `{topic}` | all data in the topic is lost<br>{readers} |" in comment["body"]
        )
    finally:
        live.close()
    applied = _script("apply", work, {"BUSCTL_CLUSTER": "local"})
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert topic not in kafka_single.tool("topics", "--list").split()
    again = _script("apply", work, {"BUSCTL_CLUSTER": "local"})
    assert again.returncode == 0 and "The cluster matches the declarations." in again.stdout


def test_a_pull_request_from_a_fork_skips_the_plan_and_counts_lint_and_check(
    run: Run, kafka_single: Broker, tmp_path: Path, github: FakeGitHub
) -> None:
    _, work = _applied_main(run, kafka_single, tmp_path, bootstrap="bootstrap_servers: ${WF_BOOTSTRAP}")
    write_files(work, NEW_TOPIC)
    _commit(run, work, "add billing.wf-payments.v1")
    env = {**_pull_request_env(github, tmp_path), "WF_BOOTSTRAP": ""}  # a fork gets empty secrets
    forked = _script("pull-request", work, env)
    assert forked.returncode == 0, forked.stdout + forked.stderr
    assert "plan skipped: no credentials (pull request from a fork)" in forked.stdout
    (comment,) = github.ours()
    assert (
        "| plan `local` | :fast_forward: skipped: no credentials (pull request from a fork) |"
        in comment["body"]
    )
    assert "| check | :white_check_mark: nothing breaks against `origin/main` |" in comment["body"]
    assert "| lint | :white_check_mark: clean" in comment["body"]
    payments = work / "topics/billing/wf-payments.yaml"
    payments.write_text(payments.read_text().replace("owner: billing", "owner: nobody"))
    git(work, "commit", "-q", "-am", "a lint error")  # (alerts/ cannot be generated from it)
    failing = _script("pull-request", work, env)
    assert failing.returncode == 1  # the job's result is lint's and check's
    assert "plan skipped: no credentials" in failing.stdout
    with_secrets = _script("pull-request", work, {**env, "WF_BOOTSTRAP": kafka_single.bootstrap})
    assert "plan skipped" not in with_secrets.stdout and "::group::plan" in with_secrets.stdout
