"""Golden PR comment: real `busctl lint`, `check` and `plan` output for a sample change, rendered by
`busctl comment` exactly as the pull-request workflow does, compared with the reviewed comment.md.

The sample change, on a branch of a bus whose main is applied to a real broker: a retention change,
a new topic with a new message and a consumer from another team, and an unapproved breaking schema
change. Regenerate with `pytest tests/integration/test_pr_comment_golden.py --update-golden` and
review the diff.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from tests.conftest import REPO_ROOT, CliResult, git, write_files
from tests.integration.conftest import Broker, bus_for, create_topics_and_wait

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
Run = Callable[..., CliResult]
GOLDEN = REPO_ROOT / "tests" / "golden" / "pr-comment" / "comment.md"

MAIN = {
    "topics/billing/invoice-created.yaml": None,
    "topics/audit/events.yaml": None,
    "topics/audit/golden-events.yaml": """\
name: audit.golden-events.v1
owner: audit
description: Audit events of the golden comment test.
schema: acme.audit.v1.AuditEvent
config: {retention.ms: 7d}
""",
    "topics/billing/golden-invoices.yaml": """\
name: billing.golden-invoices.v1
owner: billing
description: Invoices of the golden comment test.
schema: acme.billing.v1.InvoiceCreated
consumers:
  - {group: golden-audit-reader, team: audit}
""",
}
CHANGE = {
    "topics/audit/golden-events.yaml": MAIN["topics/audit/golden-events.yaml"].replace("7d", "30d"),
    "topics/billing/golden-payments.yaml": """\
name: billing.golden-payments.v1
owner: billing
description: A payment was received.
schema: acme.billing.v1.PaymentReceived
partitions: 6
consumers:
  - {group: golden-ledger, team: audit}
""",
    "schemas/acme/billing/v1/payment_received.proto": """\
syntax = "proto3";

package acme.billing.v1;

// A payment was received.
message PaymentReceived {
  // The invoice paid.
  string invoice_id = 1;
}
""",
}


def _save(result: CliResult, path: Path) -> Path:
    assert "Traceback" not in result.err, result.err
    path.write_text(result.out)
    return path


def test_pr_comment_golden(
    run: Run, kafka_single: Broker, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    root = bus_for(kafka_single, tmp_path / "bus")
    write_files(root, MAIN)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main")
    applied = run("apply", "--cluster", "local", "--repo", str(root), "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    admin = AdminClient({"bootstrap.servers": kafka_single.bootstrap})
    if "legacy.golden-orders" not in admin.list_topics(timeout=10).topics:
        create_topics_and_wait(admin, [NewTopic("legacy.golden-orders", 1, 1)])

    git(root, "checkout", "-q", "-b", "change")
    write_files(root, CHANGE)
    proto = root / "schemas/acme/billing/v1/invoice_created.proto"
    proto.write_text(proto.read_text().replace("int64 amount_cents", "string amount_cents"))

    repo = ["--repo", str(root)]
    lint = _save(run("lint", *repo, "--format", "json"), tmp_path / "lint.json")
    check = _save(run("check", "--against", "main", *repo, "--format", "json"), tmp_path / "check.json")
    planned = run("plan", "--cluster", "local", *repo, "--out", str(tmp_path / "plan.json"))
    assert planned.code == 0, planned.err
    plan_file = tmp_path / "plan.json"
    plan = json.loads(plan_file.read_text())
    # the broker is shared with other tests: keep the unmanaged topics this test made
    plan["unmanaged"] = [t for t in plan["unmanaged"] if "golden" in t]
    plan_file.write_text(json.dumps(plan))

    result = run("comment", "--lint", str(lint), "--check", str(check), "--plan", str(plan_file))
    assert result.code == 0, result.err
    merge_base = json.loads(check.read_text())["merge_base"]
    text = result.out.replace(plan["cluster_id"], "CLUSTER-ID").replace(merge_base[:10], "MERGE-BASE")
    if request.config.getoption("--update-golden"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), (
        "the PR comment differs from the reviewed tests/golden/pr-comment/comment.md"
    )
