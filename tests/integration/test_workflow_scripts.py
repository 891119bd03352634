"""The action's scripts end to end, as GitHub Actions runs them: scripts/ci/pull-request on a pull-request
branch (annotations, plan on a real broker, one comment created then updated on a GitHub API stand-in,
job summary) and scripts/ci/apply after the merge (topics verified with Kafka's TopicCommand)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, CliResult, git, write_files
from tests.github_stub import TOKEN, FakeGitHub
from tests.integration.conftest import Broker, bus_for

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

    # merged: the main-branch job applies it
    applied = _script("apply", work, {"BUSCTL_CLUSTER": "local"})
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "applied 2 change(s)." in applied.stdout
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
