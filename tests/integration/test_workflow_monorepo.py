"""The action's scripts for a bus in a monorepo's bus/ directory, as GitHub runs them with the
action's `working-directory: bus`: annotations name files from the repository's root (where the pull
request's diff has them), the CODEOWNERS block in the repository's .github/ is what is checked, check
compares bus/ with the base branch, and the merge is applied (verified with Kafka's own tools)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult, git, write_files
from tests.github_stub import FakeGitHub
from tests.integration.conftest import Broker, bus_for
from tests.integration.test_workflow_scripts import MAIN, NEW_TOPIC, PROTO, _script

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
Run = Callable[..., CliResult]
# the broker is shared with test_workflow_scripts: topics of names of this module's own
OWN_MAIN = {path: (text or "").replace("billing.wf-", "billing.wfm-") or None for path, text in MAIN.items()}
OWN_TOPIC = {path: text.replace("billing.wf-", "billing.wfm-") for path, text in NEW_TOPIC.items()}
APP = {"services/app/README.md": "The rest of the monorepo.\n", ".github/CODEOWNERS": "* @acme/eng\n"}


def _commit(run: Run, top: Path, message: str) -> None:
    """Regenerate bus/'s alerts/ and its CODEOWNERS block, then commit the whole repository."""
    assert run("alerts", "--repo", str(top / "bus")).code == 0
    assert run("codeowners", "--repo", str(top / "bus")).code == 0
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", message)


def test_a_bus_in_a_subdirectory_is_linted_checked_planned_and_applied(
    run: Run, kafka_single: Broker, tmp_path: Path, github: FakeGitHub
) -> None:
    origin = tmp_path / "origin"
    bus_for(kafka_single, origin / "bus")
    write_files(origin / "bus", OWN_MAIN)
    write_files(origin, APP)
    git(origin, "init", "-q", "-b", "main")
    _commit(run, origin, "main")
    owners = (origin / ".github/CODEOWNERS").read_text()
    assert owners.startswith("* @acme/eng\n\n# BEGIN busctl bus/")  # the repository's line kept
    assert "/bus/topics/billing/ @acme/billing" in owners
    assert not (origin / "bus/.github").exists()
    applied = _script("apply", origin / "bus", {"BUSCTL_CLUSTER": "local", "RUNNER_TEMP": str(tmp_path)})
    assert applied.returncode == 0, applied.stdout + applied.stderr

    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(origin), str(work))
    git(work, "checkout", "-q", "-b", "change")
    payments = "bus/topics/billing/wf-payments.yaml"
    write_files(work, {f"bus/{path}": text for path, text in OWN_TOPIC.items()})
    proto = work / "bus" / PROTO
    proto.write_text(proto.read_text().replace("int64 amount_cents", "string amount_cents"))
    _commit(run, work, "add billing.wfm-payments.v1; amount as a string")
    env = {
        **github.environment(tmp_path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "BUSCTL_BASE_REF": "main",
        "BUSCTL_CLUSTER": "local",
        "BUSCTL_COMMENT": "true",
    }
    breaking = _script("pull-request", work / "bus", env)
    assert breaking.returncode == 1, breaking.stdout + breaking.stderr
    out = breaking.stdout
    assert f"::error file=bus/{PROTO},line=10,col=3,title=buf%3AFIELD_WIRE_JSON_COMPATIBLE_TYPE::" in out
    assert "file=schemas/" not in out  # every path from the repository's root
    (comment,) = github.ours()
    assert "| check | :x: 1 breaking change(s) against `origin/main` |" in comment["body"]

    proto.write_text(proto.read_text().replace("string amount_cents", "int64 amount_cents"))
    invoices = work / "bus/topics/billing/wf-invoices.yaml"
    invoices.write_text(OWN_MAIN["topics/billing/wf-invoices.yaml"] + "partitons: 4\n")  # a lint error
    git(work, "commit", "-q", "-am", "keep amount an int64; a typo")
    typo = _script("pull-request", work / "bus", env)
    assert typo.returncode == 1
    assert "::error file=bus/topics/billing/wf-invoices.yaml,line=7,col=1,title=BUS004::" in typo.stdout
    assert "file=topics/" not in typo.stdout

    invoices.write_text(OWN_MAIN["topics/billing/wf-invoices.yaml"])
    _commit(run, work, "fix the typo")
    passing = _script("pull-request", work / "bus", env)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "+ billing.wfm-payments.v1" in passing.stdout
    assert "../.github/CODEOWNERS is up to date" in passing.stdout  # the block the repository's file has
    (comment,) = github.ours()
    assert "| plan `local` | :pencil2: 1 change |" in comment["body"]
    assert (work / payments).is_file()

    merged = _script("apply", work / "bus", {"BUSCTL_CLUSTER": "local", "RUNNER_TEMP": str(tmp_path)})
    assert merged.returncode == 0, merged.stdout + merged.stderr
    described = kafka_single.tool("topics", "--describe", "--topic", "billing.wfm-payments.v1")
    assert "PartitionCount: 6" in described
