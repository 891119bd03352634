"""busctl verify's report without a broker: the text fits 80 columns, JSON follows its schema,
Markdown and workflow annotations name the failing topics."""

from __future__ import annotations

from busctl.core.verify import TopicVerdict, VerifyReport, Violation
from busctl.render import verify as render
from tests.reports import assert_report

LONG = "billing.a-topic-name-long-enough-to-need-wrapping-on-an-eighty-column-terminal.v1"


def _report() -> VerifyReport:
    broken = TopicVerdict(LONG, "billing", "topics/billing/long.yaml", "acme.billing.v1.InvoiceCreated", None)
    broken.sampled, broken.conforming = 9, 1
    broken.violations = [
        Violation(p, 100 + p, "value", "field 9 unknown to acme.billing.v1.InvoiceCreated") for p in range(8)
    ]
    event = "acme.audit.v1.AuditEvent"
    fine = TopicVerdict("audit.events.v1", "audit", "topics/audit/events.yaml", event, None)
    fine.sampled = fine.conforming = 20
    empty = TopicVerdict("audit.empty.v1", "audit", "topics/audit/empty.yaml", event, None)
    absent = TopicVerdict("audit.new.v1", "audit", "topics/audit/new.yaml", event, None)
    absent.absent = True
    return VerifyReport("prod", 20, "http://registry:8081", [fine, empty, absent, broken])


def test_text_fits_80_columns_and_lists_the_first_violations() -> None:
    text = render.as_text(_report())
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert "1 fails" in text.splitlines()[0]
    assert "✓ audit.events.v1 · 20 sampled · 20 conform" in text
    assert "- audit.empty.v1 · empty" in text and "- audit.new.v1 · not on the cluster" in text
    assert text.count("    partition ") == render.SHOWN and "and 3 more" in text


def test_json_markdown_and_annotations() -> None:
    document = assert_report("verify-report", render.as_json(_report()))
    assert document["ok"] is False
    assert [t["ok"] for t in document["topics"]] == [True, True, True, False]
    assert len(document["topics"][3]["violations"]) == 8
    markdown = render.as_markdown(_report())
    assert f"| ✗ | `{LONG}` | billing | 9 | 1 | fails |" in markdown
    github = render.as_github(_report())
    assert github.startswith("::error file=topics/billing/long.yaml,title=busctl verify")
    assert github.count("\n") == 1
