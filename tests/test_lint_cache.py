"""The lint cache (.busctl-cache/): a hit reports exactly what a cold run reports, a change invalidates,
a damaged entry is a miss; and the batches protoc and buf run in find what one run over the module finds."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from busctl import planning, workspace
from busctl.adapters import buf, protoc
from busctl.adapters.cache import Cache
from busctl.core.diagnostics import BusctlError
from busctl.loading import parsed
from tests.conftest import CliResult

Run = Callable[..., CliResult]
MakeBus = Callable[[dict[str, str | None]], Path]
PROTO = "schemas/acme/billing/v1/invoice_created.proto"
# buf:FIELD_LOWER_SNAKE_CASE on invoiceId; BUS306: two topics carry InvoiceCreated
FINDINGS = {
    PROTO: 'syntax = "proto3";\n\npackage acme.billing.v1;\n\n// An invoice was created.\n'
    "message InvoiceCreated {\n  // The invoice id.\n  string invoiceId = 1;\n}\n",
    "topics/billing/invoice-issued.yaml": "name: billing.invoice-issued.v1\nowner: billing\n"
    "description: An invoice was issued.\nschema: acme.billing.v1.InvoiceCreated\n",
}


def _lint(run: Run, root: Path, *args: str) -> dict[str, object]:
    result = run("lint", "--repo", str(root), "--format", "json", *args)
    assert result.code in (0, 1) and "Traceback" not in result.err, result.err
    document: dict[str, object] = json.loads(result.out)
    return document


def _entries(root: Path) -> list[Path]:
    return sorted((root / ".busctl-cache").glob("*/*/*.json"))


def _codes(document: dict[str, object]) -> set[str]:
    return {d["code"] for d in document["diagnostics"]}  # type: ignore[attr-defined]


def test_a_hit_reports_what_a_cold_run_reports(run: Run, bus_repo: MakeBus) -> None:
    root = bus_repo(FINDINGS)
    uncached = _lint(run, root, "--no-cache")
    assert not (root / ".busctl-cache").exists()  # --no-cache writes nothing
    cold = _lint(run, root)
    kinds = {path.parent.parent.name for path in _entries(root)}
    assert kinds == {"protoc", "buf-lint", "buf-rules", "yaml"}
    warm = _lint(run, root)
    assert uncached == cold == warm
    assert {"buf:FIELD_LOWER_SNAKE_CASE", "BUS306"} <= _codes(warm)


def test_a_hit_compiles_and_lints_nothing(
    run: Run, bus_repo: MakeBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = bus_repo(FINDINGS)
    cold = _lint(run, root)

    def refuse(*_: object) -> None:
        raise AssertionError("a tool ran although every result was cached")

    monkeypatch.setattr(protoc.protoc, "main", refuse)
    monkeypatch.setattr(buf.LintRun, "_run", refuse)
    monkeypatch.setattr(buf, "_ask_breaking_rules", refuse)
    monkeypatch.setattr(parsed, "parse_yaml", refuse)
    assert _lint(run, root) == cold


def test_a_changed_topic_file_is_parsed_again(run: Run, bus_repo: MakeBus) -> None:
    root = bus_repo(FINDINGS)
    assert "BUS106" not in _codes(_lint(run, root))
    topic = root / "topics/billing/invoice-issued.yaml"
    topic.write_text(topic.read_text() + "partitions: 100000\n")
    found = [d for d in _lint(run, root)["diagnostics"] if d["code"] == "BUS106"]  # type: ignore[attr-defined]
    assert [(d["file"], d["line"]) for d in found] == [("topics/billing/invoice-issued.yaml", 5)]


def _yaml_entry(root: Path) -> tuple[Cache, str, dict[str, object]]:
    cache = Cache(root / ".busctl-cache")
    key = cache.key("yaml", [])
    stored = cache.get("yaml", key)
    assert isinstance(stored, dict) and stored
    return cache, key, stored


@pytest.mark.parametrize("shape", [[], [1, 2, 3, 4, 5], ["data", [["x"]], [], [], []], None, "text"])
def test_a_stored_document_of_another_shape_is_parsed_again(
    run: Run, bus_repo: MakeBus, shape: object
) -> None:
    root = bus_repo(FINDINGS)
    cold = _lint(run, root)
    cache, key, stored = _yaml_entry(root)
    cache.put("yaml", key, dict.fromkeys(stored, shape))  # a valid entry, documents of the wrong shape
    assert _lint(run, root) == cold
    assert _yaml_entry(root)[2] == stored  # and stored again as they were


def test_apply_never_reads_a_parsed_document_from_the_cache(run: Run, bus_repo: MakeBus) -> None:
    """A cache anyone else wrote cannot change what apply applies: a forged document (a valid entry) for
    a topic file's exact bytes reaches plan, which only shows, and never the declarations apply uses."""
    root = bus_repo(FINDINGS)
    _lint(run, root)
    cache, key, stored = _yaml_entry(root)
    digest = hashlib.sha256((root / "topics/billing/invoice-issued.yaml").read_bytes()).hexdigest()
    forged = json.loads(json.dumps(stored[digest]))
    forged[0]["partitions"] = 7
    cache.put("yaml", key, {**stored, digest: forged})

    def partitions(**parse: bool) -> int | None:
        planner = planning.planners(root, ["local"], cache=cache, **parse)[0]
        return planner.bus.topic("billing.invoice-issued.v1").topic.partitions  # type: ignore[union-attr]

    assert partitions(parsed=True) == 7  # the forgery works where the cache is read
    assert partitions() is None  # as the file says (no partitions: the defaults')


def test_a_changed_file_invalidates(run: Run, bus_repo: MakeBus) -> None:
    root = bus_repo(FINDINGS)
    assert "buf:FIELD_LOWER_SNAKE_CASE" in _codes(_lint(run, root))
    fixed = (root / PROTO).read_text().replace("invoiceId", "invoice_id")
    (root / PROTO).write_text(fixed)
    assert "buf:FIELD_LOWER_SNAKE_CASE" not in _codes(_lint(run, root))
    (root / PROTO).write_text(fixed.replace("string invoice_id = 1;", "string invoice_id = 1"))
    broken = _lint(run, root)  # a compile error: the cached index must not hide it
    assert "BUS301" in _codes(broken) and broken["summary"]["errors"] >= 1  # type: ignore[index]


def test_a_change_to_buf_yaml_invalidates(run: Run, bus_repo: MakeBus) -> None:
    root = bus_repo(FINDINGS)
    assert "buf:FIELD_LOWER_SNAKE_CASE" in _codes(_lint(run, root))
    (root / "schemas/buf.yaml").write_text(
        "version: v2\nlint:\n  use: [STANDARD]\n  except: [FIELD_LOWER_SNAKE_CASE]\n"
    )
    assert "buf:FIELD_LOWER_SNAKE_CASE" not in _codes(_lint(run, root))


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: b"\0" * len(data),  # corrupted
        lambda data: data.replace(b"FIELD_LOWER_SNAKE_CASE", b"FIELD_LOWER_SNAKE_CASF"),  # edited
        lambda data: data.split(b"\n", 1)[0] + b"\n[]",  # findings removed, header kept
    ],
    ids=["truncated", "corrupted", "edited", "emptied"],
)
def test_a_damaged_entry_is_a_miss(run: Run, bus_repo: MakeBus, damage: Callable[[bytes], bytes]) -> None:
    root = bus_repo(FINDINGS)
    cold = _lint(run, root)
    for path in _entries(root):
        path.write_bytes(damage(path.read_bytes()))
    assert _lint(run, root) == cold  # recomputed, not trusted
    assert _lint(run, root) == cold  # and stored again


def test_an_unwritable_cache_is_skipped(run: Run, bus_repo: MakeBus, tmp_path: Path) -> None:
    root = bus_repo(FINDINGS)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    assert _lint(run, root, "--cache-dir", str(blocker / "cache")) == _lint(run, root, "--no-cache")


def test_cache_dir_option_and_environment(
    run: Run, bus_repo: MakeBus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = bus_repo(FINDINGS)
    _lint(run, root, "--cache-dir", str(tmp_path / "ci-cache"))
    assert list((tmp_path / "ci-cache").glob("*/*/*.json")) and not (root / ".busctl-cache").exists()
    monkeypatch.setenv("BUSCTL_CACHE_DIR", str(tmp_path / "from-env"))
    _lint(run, root)
    assert list((tmp_path / "from-env").glob("*/*/*.json"))


def test_prune_keeps_the_most_recently_used(tmp_path: Path) -> None:
    cache = Cache(tmp_path, max_bytes=3000)
    keys = [cache.key("test", [str(n)]) for n in range(6)]
    for key in keys:
        cache.put("test", key, "x" * 900)
    assert cache.get("test", keys[0]) is not None  # used: the newest now
    cache.prune()
    kept = [key for key in keys if cache.get("test", key) is not None]
    assert keys[0] in kept and len(kept) < len(keys)
    assert sum(p.stat().st_size for p in tmp_path.glob("*/*/*.json")) <= 3000


def test_groups_keep_buf_cross_file_rules_together() -> None:
    files = {
        "a/v1/x.proto": ("a.v1", {"b/v1/y.proto"}),
        "a/v1/x2.proto": ("a.v1", set()),
        "b/v1/y.proto": ("b.v1", {"c/v1/z.proto"}),
        "c/v1/z.proto": ("c.v1", {"b/v1/y2.proto"}),  # b.v1 -> c.v1 -> b.v1: one cycle
        "b/v1/y2.proto": ("b.v1", set()),
        "d/v1/w.proto": ("a.v1", set()),  # package a.v1 in another directory
        "e/v1/v.proto": ("e.v1", {"a/v1/x.proto"}),  # only imports: a group of its own
    }
    assert buf.lint_groups(files) == [
        ["a/v1/x.proto", "a/v1/x2.proto", "d/v1/w.proto"],
        ["b/v1/y.proto", "b/v1/y2.proto", "c/v1/z.proto"],
        ["e/v1/v.proto"],
    ]


def test_one_file_per_batch_finds_what_one_run_finds(
    run: Run, bus_repo: MakeBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    cross_file = {  # PACKAGE_SAME_DIRECTORY and PACKAGE_DIRECTORY_MATCH need both files in one buf run
        **FINDINGS,
        "schemas/acme/billing/v2/stray.proto": 'syntax = "proto3";\n\npackage acme.billing.v1;\n\n'
        "// Stray.\nmessage Stray {\n  // Id.\n  string id = 1;\n}\n",
    }
    root = bus_repo(cross_file)
    whole = _lint(run, root, "--no-cache")
    monkeypatch.setattr(buf, "BATCH_FILES", 1)
    monkeypatch.setattr(protoc, "BATCH_FILES", 1)
    assert _lint(run, root, "--no-cache") == whole
    assert "buf:PACKAGE_SAME_DIRECTORY" in _codes(whole)


def test_a_message_defined_twice_across_protoc_batches(
    bus_repo: MakeBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    twin = (Path(__file__).parent / "rules/base" / PROTO).read_text()
    root = bus_repo({"schemas/acme/billing/v1/twin.proto": twin})
    monkeypatch.setattr(protoc, "BATCH_FILES", 1)
    found = [d for d in workspace.lint(root, run_buf=False).report.items if d.code == "BUS301"]
    assert [(d.span.file, d.span.line) for d in found] == [("schemas/acme/billing/v1/twin.proto", 6)]
    assert 'already defined in file "acme/billing/v1/invoice_created.proto"' in found[0].message


def test_an_import_busctl_misreads_relints_without_the_cache(run: Run, bus_repo: MakeBus) -> None:
    """`import /* the total */ "acme/common/v1/money.proto";` is an import to protoc and buf; busctl's
    quick reading before compiling misses it, so protoc's view decides the groups and nothing is cached
    for buf."""
    money = "acme.common.v1.Money"
    proto = FINDINGS[PROTO].replace(
        "package acme.billing.v1;\n",
        'package acme.billing.v1;\n\nimport /* the total */ "acme/common/v1/money.proto";\n',
    )
    proto = proto.replace(
        "string invoiceId = 1;", f"string invoiceId = 1;\n  // Total.\n  {money} total = 2;"
    )
    root = bus_repo({**FINDINGS, PROTO: proto})
    cold = _lint(run, root)
    assert cold == _lint(run, root, "--no-cache")
    assert "buf:FIELD_LOWER_SNAKE_CASE" in _codes(cold)
    assert {path.parent.parent.name for path in _entries(root)} == {"protoc", "buf-rules", "yaml"}


def test_imports_are_read_from_import_lines(tmp_path: Path) -> None:
    (tmp_path / "a.proto").write_text(
        'syntax = "proto3";\npackage acme.a.v1;\nimport "b.proto";\n  import public \'c/d.proto\';\n'
        'import "e/" "f.proto";\n// import "commented.proto";\nmessage M { string s = 1; } // "x.proto"\n'
    )
    source = protoc.read_sources(tmp_path, ".")["a.proto"]
    assert source.package == "acme.a.v1"
    assert source.imports == {"b.proto", "c/d.proto", "e/f.proto"}


def test_concurrent_writers_never_leave_half_an_entry(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    key = cache.key("test", ["shared"])
    payloads = [[str(n) * 200_000] for n in range(4)]  # large enough for a write to be seen half-done

    def write(payload: list[str]) -> None:
        for _ in range(20):
            cache.put("test", key, payload)

    cache.put("test", key, payloads[0])  # from now on, every read must find a whole entry
    writers = [threading.Thread(target=write, args=(payload,)) for payload in payloads]
    for writer in writers:
        writer.start()
    seen = [cache.get("test", key) for _ in range(200)]
    for writer in writers:
        writer.join()
    assert all(got in payloads for got in seen)  # never half an entry (that would be a miss: None)
    assert not list(tmp_path.glob("*/*/*.tmp"))  # every temporary file was renamed into place


def test_an_error_in_a_file_several_batches_import_is_reported_once(
    bus_repo: MakeBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    def importer(package: str, message: str) -> str:
        return (
            f'syntax = "proto3";\n\npackage {package};\n\nimport "acme/common/v1/money.proto";\n\n'
            f"// A message.\nmessage {message} {{\n  // The total.\n  acme.common.v1.Money total = 1;\n}}\n"
        )

    root = bus_repo(
        {
            "schemas/acme/common/v1/money.proto": 'syntax = "proto3";\nmessage Money {\n',  # unclosed
            "schemas/acme/audit/v1/audit_event.proto": importer("acme.audit.v1", "AuditEvent"),
            PROTO: importer("acme.billing.v1", "InvoiceCreated"),
        }
    )

    def errors() -> list[tuple[str, int, str]]:
        found = workspace.lint(root, run_buf=False).report.items
        return sorted((d.span.file, d.span.line, d.message) for d in found if d.code == "BUS301")

    whole = errors()
    monkeypatch.setattr(protoc, "BATCH_FILES", 1)
    batched = errors()
    money = [e for e in batched if e[0] == "schemas/acme/common/v1/money.proto"]
    assert money and len(money) == len(set(money)), batched
    assert {e for e in batched if e[0].endswith("money.proto")} == {
        e for e in whole if e[0].endswith("money.proto")
    }


def test_a_failure_in_the_background_is_raised_not_lost(
    run: Run, bus_repo: MakeBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise BusctlError("buf failed (exit 2): something", "run `buf lint` in schemas/ to see why")

    monkeypatch.setattr(buf.LintRun, "_run", broken)
    result = run("lint", "--repo", str(bus_repo(FINDINGS)), "--no-cache")
    assert result.code == 1 and "buf failed (exit 2)" in result.err and "Traceback" not in result.err
