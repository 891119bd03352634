"""`busctl schema show` and `busctl schema list`: the protobuf messages with their definition, owner,
topics, consumers and git history; the JSON Schemas' old spellings point to `busctl editor-schema`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from busctl.core.messages import committed_lines
from busctl.render import schema as render
from busctl.reports.schema import SchemaListReport, SchemaShowReport
from tests.conftest import REPO_ROOT, CliResult, git, write_files
from tests.reports import assert_report
from tests.test_screens import assert_fits, plain

Run = Callable[..., CliResult]
Repo = Callable[[dict[str, str | None]], Path]
PROTO = "schemas/acme/billing/v1/invoice_created.proto"
HEADER = 'syntax = "proto3";\n\npackage acme.billing.v1;\n\n'
INVOICE = "// An invoice was created.\nmessage InvoiceCreated {\n  string invoice_id = 1;\n{fields}}\n"


def schema(run: Run, *args: str, repo: Path = REPO_ROOT) -> CliResult:
    return run("schema", *args, "--repo", str(repo))


def _proto(fields: str = "", after: str = "") -> str:
    return HEADER + INVOICE.replace("{fields}", fields) + after


def _committed(root: Path, subject: str, files: dict[str, str | None]) -> None:
    write_files(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", subject)


def test_show_prints_the_definition_with_its_comments_owner_topics_and_consumers(run: Run) -> None:
    result = schema(run, "show", "acme.billing.v1.InvoiceCreated")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "acme.billing.v1.InvoiceCreated"
    assert "  defined at   schemas/acme/billing/v1/invoice_created.proto:9:1" in lines
    assert "  owner        billing (@acme/billing)" in lines
    assert "  chat         https://chat.example.com/rooms/billing" in lines
    assert "  topics       billing.invoice-created.v1 (value)" in lines
    assert "               invoice-mailer (notifications) on billing.invoice-created.v1" in lines
    start = lines.index("   8  // InvoiceCreated is published when a new invoice is issued to a customer.")
    assert lines[start + 1] == "   9  message InvoiceCreated {"
    assert lines[start + 2] == "  10    // LineItem is one billed position of the invoice."
    assert "  42  }" in lines
    assert "history  git log -L8,42:schemas/acme/billing/v1/invoice_created.proto" in lines
    assert_fits(result.out)


def test_a_topic_shows_its_value_message_and_says_so(run: Run) -> None:
    result = schema(run, "show", "zones.zone-state.v1")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[:2] == [
        "zones.zone-state.v1 is a topic: its value message is shown",
        "acme.zones.v1.ZoneState",
    ]


def test_a_short_name_that_one_message_has_is_enough(run: Run) -> None:
    document = assert_report("schema-show-report", schema(run, "show", "ZoneKey", "--format", "json").out)
    assert (document["named"], document["message"]) == ("name", "acme.zones.v1.ZoneKey")
    # a key message: the topics carry it as their key, and their consumers are listed
    assert {"topic": "zones.zone-state.v1", "owner": "zones", "carries": ["key"]} in document["topics"]
    assert document["consumers"] and all(c["topic"].startswith("zones.") for c in document["consumers"])


def test_json_document(run: Run) -> None:
    result = schema(run, "show", "acme.billing.v1.InvoicePaid", "--format", "json")
    document = assert_report("schema-show-report", result.out)
    assert document["defined_at"] == "schemas/acme/billing/v1/invoice_paid.proto:10:1"
    assert document["definition"]["start_line"] == 8
    text = document["definition"]["text"].split("\n")
    assert text[0] == '// InvoicePaid is the legacy "invoice fully paid" event.'
    assert text[2] == "message InvoicePaid {" and text[-1] == "}"
    assert document["definition"]["end_line"] == 8 + len(text) - 1
    assert document["owner"] == {
        "team": "billing",
        "github": "@acme/billing",
        "chat": "https://chat.example.com/rooms/billing",
    }
    assert document["owner_why"][0].startswith("teams.yaml:")
    assert document["consumers"] == [
        {"group": "legacy-dunning", "team": "billing", "topic": "billing.invoice-paid.v1"}
    ]


def test_history_lists_the_commits_that_changed_the_message(run: Run, bus_repo: Repo) -> None:
    root = bus_repo({})
    git(root, "init", "-q")
    _committed(root, "billing: invoices", {PROTO: _proto()})
    _committed(root, "billing: amount", {PROTO: _proto("  int64 amount_cents = 2;\n")})
    unrelated = "\nmessage InvoiceVoided {\n  string invoice_id = 1;\n}\n"
    _committed(root, "billing: voided invoices", {PROTO: _proto("  int64 amount_cents = 2;\n", unrelated)})
    _committed(
        root,
        "topics: audit only",
        {
            "topics/audit/events.yaml": "name: audit.events.v1\nowner: audit\n"
            "description: Audit events, all of them.\n"
            "schema: acme.audit.v1.AuditEvent\n"
        },
    )
    # uncommitted lines above the message: the history still follows its committed lines
    write_files(
        root,
        {
            PROTO: _proto("  int64 amount_cents = 2;\n", unrelated).replace(
                "// An invoice", "// Invoices.\n\n// An invoice"
            )
        },
    )
    document = assert_report(
        "schema-show-report", schema(run, "show", "InvoiceCreated", "--format", "json", repo=root).out
    )
    history = document["history"]
    assert [c["subject"] for c in history["commits"]] == ["billing: amount", "billing: invoices"]
    assert history["total"] == 2 and history["note"] is None
    assert history["command"] == f"git log -L5,9:{PROTO}"
    assert history["commits"][0]["author"] == "ci"
    assert len(history["commits"][0]["sha"]) >= 7 and len(history["commits"][0]["date"]) == 10
    text = schema(run, "show", "InvoiceCreated", repo=root).out
    assert "billing: amount" in text and "billing: voided invoices" not in text


def test_history_shows_the_newest_ten_and_counts_the_rest(run: Run, bus_repo: Repo) -> None:
    root = bus_repo({})
    git(root, "init", "-q")
    fields = ""
    for number in range(2, 15):  # 13 commits, each adding a field
        fields += f"  int64 field_{number} = {number};\n"
        _committed(root, f"add field_{number}", {PROTO: _proto(fields)})
    result = schema(run, "show", "acme.billing.v1.InvoiceCreated", "--format", "json", repo=root)
    history = assert_report("schema-show-report", result.out)["history"]
    assert [c["subject"] for c in history["commits"]] == [f"add field_{n}" for n in range(14, 4, -1)]
    assert history["total"] == 13
    text = schema(run, "show", "acme.billing.v1.InvoiceCreated", repo=root).out
    assert text.endswith(f"ci: add field_5\n  and 3 more (git log -L5,21:{PROTO})\n")


def test_a_bus_repo_in_a_directory_of_the_git_work_tree(run: Run, bus_repo: Repo) -> None:
    root = bus_repo({PROTO: _proto()})
    git(root.parent, "init", "-q")
    _committed(root.parent, "the bus, in bus/", {})
    history = assert_report(
        "schema-show-report", schema(run, "show", "InvoiceCreated", "-f", "json", repo=root).out
    )["history"]
    assert [c["subject"] for c in history["commits"]] == ["the bus, in bus/"]
    assert history["command"] == f"git log -L5,8:{PROTO}"  # run in the bus repo, as its paths are


def test_outside_git_the_history_says_so(run: Run, bus_repo: Repo) -> None:
    root = bus_repo({})
    result = schema(run, "show", "acme.billing.v1.InvoiceCreated", repo=root)
    assert result.code == 0, result.err
    assert result.out.endswith("history\n  not a git repository\n")
    assert "   5  // An invoice was created." in result.out


def test_a_file_not_committed_yet(run: Run, bus_repo: Repo) -> None:
    root = bus_repo({})
    git(root, "init", "-q")
    _committed(root, "bus", {})
    write_files(root, {"schemas/acme/billing/v1/refund.proto": HEADER + "message Refund {\n}\n"})
    result = schema(run, "show", "acme.billing.v1.Refund", repo=root)
    assert result.out.endswith("  schemas/acme/billing/v1/refund.proto is not committed yet\n")


def test_schemas_that_do_not_compile_are_an_error(run: Run, bus_repo: Repo) -> None:
    root = bus_repo({PROTO: HEADER + "message InvoiceCreated {\n  string invoice_id = ;\n}\n"})
    for args in (["show", "acme.billing.v1.InvoiceCreated"], ["list"]):
        result = schema(run, *args, repo=root)
        assert result.code == 1
        assert result.err.startswith(f"error: the schemas do not compile: {PROTO}:6:")
        assert "busctl lint" in result.err


def test_an_unknown_name_is_an_error_with_did_you_mean(run: Run) -> None:
    result = schema(run, "show", "acme.billing.v1.InvoiceCreate")
    assert result.code == 1
    assert 'no message or topic "acme.billing.v1.InvoiceCreate"' in result.err
    assert 'did you mean "acme.billing.v1.InvoiceCreated"' in result.err
    result = schema(run, "show", "billing.invoice-create.v1")
    assert result.code == 1 and 'did you mean "billing.invoice-created.v1"' in result.err


def test_a_name_several_messages_end_with_is_ambiguous(run: Run, bus_repo: Repo) -> None:
    root = bus_repo(
        {
            "schemas/acme/audit/v1/invoice_created.proto": 'syntax = "proto3";\npackage acme.audit.v1;'
            "\nmessage InvoiceCreated {}\n"
        }
    )
    result = schema(run, "show", "InvoiceCreated", repo=root)
    assert result.code == 1
    assert "acme.audit.v1.InvoiceCreated, acme.billing.v1.InvoiceCreated" in result.err


def test_list_every_top_level_message_with_owner_topics_and_place(run: Run) -> None:
    document = assert_report("schema-list-report", schema(run, "list", "--format", "json").out)
    listed = {m["message"]: m for m in document["messages"]}
    assert listed["acme.billing.v1.InvoiceCreated"] == {
        "message": "acme.billing.v1.InvoiceCreated",
        "defined_at": "schemas/acme/billing/v1/invoice_created.proto:9:1",
        "team": "billing",
        "topics": ["billing.invoice-created.v1"],
    }
    assert listed["acme.common.v1.Money"]["topics"] == []  # a shared type: listed, carried by none
    assert "acme.billing.v1.InvoiceCreated.LineItem" not in listed  # nested, and no topic carries it
    text = schema(run, "list").out
    assert_fits(text)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split() == ["acme.zones.v1.ZoneKey", "zones"])
    assert lines[at + 1 : at + 3] == [
        "  schemas/acme/zones/v1/zone_key.proto:6:1",
        "  topics  zones.zone-boundary-changed.v1, zones.zone-state.v1",
    ]


def test_list_team(run: Run) -> None:
    document = assert_report(
        "schema-list-report", schema(run, "list", "--team", "platform", "-f", "json").out
    )
    assert document["team"] == "platform"
    assert [m["message"] for m in document["messages"]] == [
        "acme.common.v1.GeoPoint",
        "acme.common.v1.Money",
        "acme.platform.v1.Heartbeat",
    ]
    result = schema(run, "list", "--team", "biling")
    assert result.code == 1
    assert 'no team "biling" in teams.yaml' in result.err and 'did you mean "billing"' in result.err


@pytest.mark.parametrize(
    ("args", "instead"),
    [
        (["topic"], "busctl editor-schema topic"),
        (["plan-report"], "busctl editor-schema plan-report"),
        (["lint"], "busctl editor-schema lint"),
        (["--list"], "busctl editor-schema --list"),
        (["--out", ".busctl", "--check"], "busctl editor-schema --out .busctl --check"),
        (["--reports", "--out", "docs/reports"], "busctl editor-schema --reports --out docs/reports"),
    ],
)
def test_the_json_schemas_old_spellings_point_to_editor_schema(
    run: Run, args: list[str], instead: str
) -> None:
    result = run("schema", *args)
    assert result.code == 2
    assert f"`{instead}`" in result.err.replace("\n", " ")
    assert result.out == ""


def test_committed_lines_follow_the_lines_through_work_tree_edits() -> None:
    committed = ["a", "// M.", "message M {", "  x", "}", "b"]
    assert committed_lines(committed, committed, (2, 5), 3) == (2, 5)
    current = ["new", "a", "// M.", "message M {", "  x", "  y", "}", "b"]
    assert committed_lines(committed, current, (3, 7), 4) == (2, 5)
    assert committed_lines(committed, [*committed, "message N {", "}"], (7, 8), 7) is None  # a "}" is no M


def test_colour_changes_no_text(run: Run) -> None:
    shown = SchemaShowReport.model_validate_json(schema(run, "show", "audit.events.v1", "-f", "json").out)
    listed = SchemaListReport.model_validate_json(schema(run, "list", "-f", "json").out)
    for text in (lambda color: render.show_text(shown, color), lambda color: render.list_text(listed, color)):
        coloured = text(True)
        assert "\x1b[1m" in coloured and plain(coloured) == text(False).rstrip("\n")
