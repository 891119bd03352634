"""Benchmark `busctl lint` on a large, realistic, generated bus repo.

    python bench/lint.py                 # 10,000 topics, 200 teams, 500 protos in a temp dir; 3 warm runs
    python bench/lint.py --runs 5 --profile
    python bench/lint.py --dir /tmp/bigbus --keep --no-bench    # only generate (deterministic)

The repo is generated deterministically (same arguments and --seed -> byte-identical files) into a
temporary directory (removed afterwards unless --keep) or into --dir. Nothing is written into this
repository. See bench/README.md for the layout choices and the figures measured.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import hashlib
import io
import os
import pstats
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "cli"
TARGET_SECONDS = 5.0
T = TypeVar("T")
MARKER = ".busctl-bench"  # marks a directory this script generated (and may therefore wipe)

# --- vocabulary -------------------------------------------------------------------------------------
# Team names are single lowercase words: they appear in topic names (^[a-z][a-z0-9-]*), in proto
# packages (acme.<team>.v1, where '-' is not allowed) and in directories (acme/<team>, which buf's
# PACKAGE_DIRECTORY_MATCH ties to the package).
DOMAINS = [
    "platform", "billing", "payments", "checkout", "catalog", "inventory", "orders", "shipping",
    "pricing", "search", "identity", "accounts", "loyalty", "fraud", "reviews", "marketing",
    "support", "analytics", "wallet", "ledger",
]  # fmt: skip
FACETS = ["", "ops", "data", "api", "edge", "ml", "risk", "sync", "web", "core"]
ENTITIES = [
    "invoice", "payment", "refund", "order", "cart", "shipment", "parcel", "customer", "account",
    "session", "product", "price", "coupon", "review", "ticket", "wallet", "transfer", "ledger-entry",
    "subscription", "plan", "quote", "return", "stock-level", "warehouse", "courier", "route", "device",
    "credential", "consent", "campaign", "segment", "experiment", "report", "dispute", "chargeback",
    "payout", "merchant", "store", "catalog-item", "promotion", "gift-card", "address", "profile",
    "notification", "search-query", "recommendation", "risk-score", "audit-record",
]  # fmt: skip
VERBS = [
    "created", "updated", "deleted", "approved", "rejected", "cancelled", "completed", "failed",
    "expired", "archived", "restored", "assigned", "verified", "flagged", "scheduled", "started",
    "paused", "resumed", "exported", "imported",
]  # fmt: skip
SERVICES = ["api", "worker", "service", "gateway", "processor", "sync", "scheduler", "backend"]
PURPOSES = ["indexer", "archiver", "projector", "notifier", "auditor", "replicator", "aggregator", "sink"]
RETENTION = ["12h", "1d", "3d", "7d", "7d", "14d", "30d"]
SEGMENT = ["128MiB", "256MiB", "512MiB", "512MiB", "1GiB"]
RETENTION_BYTES = ["10GiB", "50GiB", "100GiB", "-1"]
COMPRESSION = ["zstd", "lz4", "snappy", "producer"]
PARTITIONS = [3, 6, 6, 12, 12, 24, 48, 96]
LAG_FOR = ["5m", "10m", "10m", "15m", "30m", "1h"]
SEVERITY = ["critical", "warning", "warning", "info"]
STATUSES = ["ACTIVE", "PENDING", "SUSPENDED", "CLOSED", "FAILED", "COMPLETED", "ON_HOLD"]


def _pascal(word: str) -> str:
    return "".join(part.capitalize() for part in word.split("-"))


def _snake(word: str) -> str:
    return word.replace("-", "_")


def _words(word: str) -> str:
    return word.replace("-", " ")


def _article(text: str) -> str:
    return "An" if text[0] in "aeiou" else "A"


# --- the generated model ----------------------------------------------------------------------------
@dataclass
class Message:
    team: str
    entity: str
    topics: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{_pascal(self.entity)}Event"

    @property
    def package(self) -> str:
        return f"acme.{self.team}.v1"

    @property
    def fqn(self) -> str:
        return f"{self.package}.{self.name}"

    @property
    def path(self) -> str:
        return f"schemas/acme/{self.team}/v1/{_snake(self.entity)}_event.proto"


@dataclass
class Generated:
    root: Path
    teams: int
    topics: int
    protos: int
    files: int
    bytes: int
    seconds: float
    topic_lines: tuple[int, float, int]  # min, mean, max lines per topic file
    digest: str


def _team_names(count: int) -> list[str]:
    names = [f"{domain}{facet}" for facet in FACETS for domain in DOMAINS]
    extra = 2
    while len(names) < count:  # more than 200 teams: numbered domains (still valid everywhere)
        names += [f"{domain}{extra}" for domain in DOMAINS]
        extra += 1
    return names[:count]


def plan_layout(teams: list[str], protos: int, topics: int, rng: random.Random) -> list[Message]:
    """Proto j belongs to team j % teams; topic i carries message i % protos (so ~topics/protos each)."""
    shuffled: dict[str, list[str]] = {}
    count: dict[str, int] = {}
    messages: list[Message] = []
    for j in range(protos):
        team = teams[j % len(teams)]
        if team not in shuffled:
            shuffled[team] = rng.sample(ENTITIES, len(ENTITIES))
        base = shuffled[team]
        n = count[team] = count.get(team, 0) + 1
        entity = base[-n % len(base)]
        if n > len(base):  # more protos than ENTITIES for one team: invoice2, invoice3, ...
            entity += str((n - 1) // len(base) + 1)
        messages.append(Message(team=team, entity=entity))
    for i in range(topics):
        message = messages[i % protos]
        k = len(message.topics)
        verb, version = VERBS[k % len(VERBS)], k // len(VERBS) + 1
        message.topics.append(f"{message.team}.{message.entity}-{verb}.v{version}")
    return messages


BUS_YAML = """\
# Generated by bench/lint.py: a large acme event bus for benchmarking busctl.
clusters:
  local:
    bootstrap_servers: 127.0.0.1:19092
    overrides: {replication_factor: 1, config: {min.insync.replicas: 1}}
  prod:
    bootstrap_servers: ${BUS_PROD_BOOTSTRAP}
    security:
      protocol: SASL_SSL
      sasl_mechanism: SCRAM-SHA-512
      username: ${BUS_USER}
      password: ${BUS_PASSWORD}
    overrides: {replication_factor: 3}
defaults:
  partitions: 6
  replication_factor: 3
  config: {min.insync.replicas: 2}
policy:
  topic_name: '^(?P<team>[a-z][a-z0-9-]*)\\.[a-z0-9-]+\\.v[0-9]+$'
  min_replication_factor: 3
  max_partitions: 256
  protected_topics: ['^__', '^_schemas$', '^_confluent']
  platform_team: platform
alerts:
  exporter: kafka_exporter
  runbook_url: https://runbooks.example.com/kafka/consumer-lag
  default_lag: {max_messages: 10000, for: 10m, severity: warning}
"""

BUF_YAML = """\
# buf module of the generated bus: protos by package directory, acme/<team>/v1/*.proto.
version: v2
lint:
  use:
    - STANDARD
breaking:
  use:
    - WIRE_JSON
"""


def teams_yaml(teams: list[str]) -> str:
    lines = ["# Generated by bench/lint.py.", "teams:"]
    for team in teams:
        lines += [
            f"  {team}:",
            f"    description: The {team} team",
            f"    chat: https://chat.example.com/rooms/{team}",
            f'    github: "@acme/{team}"',
            f"    schemas: [acme/{team}]",
        ]
    return "\n".join(lines) + "\n"


def proto_file(message: Message, rng: random.Random) -> str:
    entity = _words(message.entity)
    ident = _snake(message.entity)
    statuses = rng.sample(STATUSES, rng.randint(3, 5))
    enum_values = "\n".join(
        f"    // The {entity} is {s.lower().replace('_', ' ')}.\n    STATUS_{s} = {n};"
        for n, s in enumerate(statuses, start=1)
    )
    optional = [
        ("string", "tenant_id", f"Tenant that owns the {entity}."),
        ("string", "actor_id", "Who caused the change: an employee, customer or service account id."),
        ("string", "correlation_id", "Request or saga id shared by every event of one operation."),
        ("int64", "version", f"Version of the {entity} after the change; increases by one per change."),
        ("string", "region", 'Region where the change happened, e.g. "eu-west-1".'),
        ("repeated string", "tags", "Free-form labels for filtering downstream."),
        ("map<string, string>", "attributes", "Additional attributes, e.g. client IP or user agent."),
        ("bool", "test_mode", "True for synthetic traffic (canaries, load tests)."),
        ("int64", "amount_minor", "Amount involved, in minor units of currency_code (cents)."),
        ("string", "currency_code", 'ISO 4217 currency code, e.g. "EUR".'),
    ]
    chosen = sorted(rng.sample(range(len(optional)), rng.randint(3, 7)))
    fields = [
        ("string", f"{ident}_id", f"Unique identifier of the {entity}."),
        ("Kind", "kind", "What happened; one topic per kind."),
        ("Status", "status", f"Status of the {entity} after the change."),
        *(optional[i] for i in chosen),
        ("repeated Change", "changes", "Fields changed by this event (empty for created and deleted)."),
        ("google.protobuf.Timestamp", "occurred_at", "When the change happened at the source."),
    ]
    body = "\n".join(
        f"  // {comment}\n  {kind} {name} = {number};"
        for number, (kind, name, comment) in enumerate(fields, start=1)
    )
    kinds = "\n".join(
        f"    // Published on {message.team}.{message.entity}-{verb}.v*.\n    KIND_{verb.upper()} = {n};"
        for n, verb in enumerate(VERBS, start=1)
    )
    return f"""\
syntax = "proto3";

package {message.package};

import "google/protobuf/timestamp.proto";

// {message.name} is emitted by the {message.team} team whenever {_article(entity).lower()} {entity} changes.
// It is the record value of the {message.team}.{message.entity}-*.v* topics.
message {message.name} {{
  // What happened to the {entity}.
  enum Kind {{
    // Not set; consumers must ignore the event.
    KIND_UNSPECIFIED = 0;
{kinds}
  }}

  // Lifecycle status of the {entity}.
  enum Status {{
    // Status not known or not set.
    STATUS_UNSPECIFIED = 0;
{enum_values}
  }}

  // One changed field: its path and its values before and after.
  message Change {{
    // Dotted path of the field, e.g. "shipping_address.city".
    string field_path = 1;
    // Value before the change, JSON-encoded.
    string old_value = 2;
    // Value after the change, JSON-encoded.
    string new_value = 3;
  }}

{body}
}}
"""


def topic_file(name: str, message: Message, teams: list[str], rng: random.Random) -> str:
    entity = _words(message.entity)
    verb = name.split(".")[1].rsplit("-", 1)[1]
    compacted = rng.random() < 0.15
    key = "string" if compacted else rng.choice(["string", "string", "string", "bytes", "none"])
    service = f"{message.team}-{rng.choice(SERVICES)}"
    lines = [
        f"name: {name}",
        f"owner: {message.team}",
        f"description: {_article(entity)} {entity} was {verb}; published by {service}.",
        f"schema: {message.fqn}",
        f"key: {key}",
        f"partitions: {rng.choice(PARTITIONS)}",
        "replication_factor: 3",
        "config:",
    ]
    if compacted:
        lines += [
            "  cleanup.policy: compact",
            f"  min.compaction.lag.ms: {rng.choice(['10m', '1h'])}",
            "  delete.retention.ms: 1d",
        ]
    else:
        lines += ["  cleanup.policy: delete", f"  retention.ms: {rng.choice(RETENTION)}"]
        if rng.random() < 0.4:
            lines.append(f"  retention.bytes: {rng.choice(RETENTION_BYTES)}")
    if rng.random() < 0.5:
        lines.append(f"  segment.bytes: {rng.choice(SEGMENT)}")
    if rng.random() < 0.5:
        lines.append(f"  compression.type: {rng.choice(COMPRESSION)}")
    lines += ["  min.insync.replicas: 2", "producers:", f"  - principal: User:{service}", "consumers:"]
    consumers = rng.choice([1, 1, 2])
    for purpose in rng.sample(PURPOSES, consumers):  # distinct purposes: distinct groups (BUS110)
        team = rng.choice(teams)
        lines += [
            f"  - group: {team}-{message.entity}-{verb}-{purpose}",
            f"    principal: User:{team}-{purpose}",
        ]
        if team != message.team:
            lines.append(f"    team: {team}")
        lag = f"max_messages: {rng.choice([1000, 5000, 10000, 50000, 200000])}"
        if rng.random() < 0.5:
            lag += f", max_seconds: {rng.choice([60, 300, 900, 1800])}"
        lag += f", for: {rng.choice(LAG_FOR)}, severity: {rng.choice(SEVERITY)}"
        if consumers == 1:  # block style, as most people write it; flow style keeps two consumers short
            lines += ["    lag:", *(f"      {part}" for part in lag.split(", "))]
        else:
            lines.append(f"    lag: {{{lag}}}")
    return "\n".join(lines) + "\n"


def generate(root: Path, n_topics: int, n_teams: int, n_protos: int, seed: int) -> Generated:
    """Write the bus repo under root (which must be empty or absent); deterministic for given arguments."""
    started = time.perf_counter()
    rng = random.Random(seed)
    teams = _team_names(n_teams)
    messages = plan_layout(teams, n_protos, n_topics, rng)
    files: dict[str, str] = {
        "bus.yaml": BUS_YAML,
        "teams.yaml": teams_yaml(teams),
        "schemas/buf.yaml": BUF_YAML,
        MARKER: f"generated by bench/lint.py --topics {n_topics} --teams {n_teams} --protos {n_protos}\n",
    }
    line_counts: list[int] = []
    for message in messages:
        files[message.path] = proto_file(message, rng)
        for name in message.topics:
            text = topic_file(name, message, teams, rng)
            line_counts.append(text.count("\n"))
            files[f"topics/{message.team}/{name.split('.')[1]}.yaml"] = text
    digest = hashlib.sha256()
    size = 0
    made: set[Path] = set()
    for rel in sorted(files):
        path = root / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        data = files[rel].encode()
        path.write_bytes(data)
        size += len(data)
        digest.update(rel.encode() + b"\0" + data + b"\0")
    return Generated(
        root=root,
        teams=len(teams),
        topics=n_topics,
        protos=len(messages),
        files=len(files) - 1,  # the marker is not part of the bus
        bytes=size,
        seconds=time.perf_counter() - started,
        topic_lines=(
            min(line_counts, default=0),
            statistics.fmean(line_counts) if line_counts else 0.0,
            max(line_counts, default=0),
        ),
        digest=digest.hexdigest()[:16],
    )


# --- running busctl ---------------------------------------------------------------------------------
_SUMMARY = re.compile(r"(?:(\d+) errors?)?(?:, )?(?:(\d+) warnings?)? in (\d+) files")
_FINDING = re.compile(r"^\S+: (error|warning) (\S+) ", re.MULTILINE)


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + system of busctl and its buf child: robust to a busy machine
    max_rss_mb: float
    errors: int
    warnings: int
    files: int
    codes: Counter[str]


def _rss_mb(ru_maxrss: int) -> float:
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024  # bytes vs KiB


def run_busctl(repo: Path, extra: list[str], env: dict[str, str], out_dir: Path) -> Run:
    """One `python -m busctl lint` subprocess: wall time, peak RSS (of it and its buf child), findings."""
    out_path, err_path = out_dir / "stdout.txt", out_dir / "stderr.txt"
    command = [sys.executable, "-m", "busctl", "lint", "--repo", str(repo), *extra]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # Ctrl-C or SIGTERM: do not leave busctl running
            process.kill()
            process.wait()
            raise
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text(errors="replace")
    if process.returncode not in (0, 1):
        raise SystemExit(f"busctl failed (exit {process.returncode}):\n{err_path.read_text()[-3000:]}")
    summary = text.rstrip().rsplit("\n", 1)[-1]
    match = _SUMMARY.search(summary)  # also "no problems in N files": no counts, then 0
    if not match:
        raise SystemExit(f"cannot read busctl's summary line: {summary!r}")
    errors, warnings, files = (int(g) if g else 0 for g in match.groups())
    codes = Counter(m.group(2) for m in _FINDING.finditer(text))
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, cpu, _rss_mb(usage.ru_maxrss), errors, warnings, files, codes)


def busctl_env(pycache: Path, buf_cache: Path, lint_cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(CLI), env.get("PYTHONPATH", "")) if p)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)  # keep bytecode out of cli/; a fresh one = cold imports
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # else every run compiles busctl from source (~1 s)
    env["BUF_CACHE_DIR"] = str(buf_cache)
    env["BUSCTL_CACHE_DIR"] = str(lint_cache)  # busctl's own cache, outside the generated repo
    env["NO_COLOR"] = "1"
    return env


@dataclass
class Series:
    label: str
    cold: Run | None
    warm: list[Run]

    @property
    def all(self) -> list[Run]:
        return ([self.cold] if self.cold else []) + self.warm


def _progress(label: str, which: str, run: Run) -> None:
    print(
        f"  {label:12s} {which:6s} {run.seconds:6.2f} s wall  {run.cpu_seconds:6.2f} s cpu  "
        f"{run.max_rss_mb:4.0f} MB  load {os.getloadavg()[0]:.1f}",
        flush=True,
    )


def measure(repo: Path, runs: int, work: Path) -> list[Series]:
    pycache, buf_cache, lint_cache = work / "pycache", work / "buf-cache", work / "lint-cache"
    env = busctl_env(pycache, buf_cache, lint_cache)
    series: list[Series] = []
    modes = (("buf lint on", []), ("--no-buf", ["--no-buf"]), ("--no-cache", ["--no-cache"]))
    for label, extra in modes:
        cold = None
        if label != "--no-cache":  # the first run of a mode: empty caches (and, first, no bytecode)
            if not series:
                shutil.rmtree(pycache, ignore_errors=True)
            shutil.rmtree(buf_cache, ignore_errors=True)
            shutil.rmtree(lint_cache, ignore_errors=True)
            cold = run_busctl(repo, extra, env, work)
            _progress(label, "cold", cold)
        warm = []
        for index in range(runs):
            warm.append(run_busctl(repo, extra, env, work))
            _progress(label, f"run {index + 1}", warm[-1])
        series.append(Series(label, cold, warm))
    return series


def report(gen: Generated, series: list[Series], cores: int) -> None:
    mb = gen.bytes / 1e6
    lo, mean, hi = gen.topic_lines
    print()
    print(f"bus: {gen.topics:,} topics · {gen.teams} teams · {gen.protos} protos · {gen.files:,} files")
    print(f"     {mb:.1f} MB · topic files {lo}-{hi} lines (mean {mean:.1f}) · digest {gen.digest}")
    print(f"     generated in {gen.seconds:.2f} s into {gen.root}")
    print()
    header = (
        f"{'mode':12s} {'cold s':>7s} {'best s':>7s} {'median s':>9s} {'cpu s':>6s} {'peak RSS MB':>12s} "
        f"{'errors':>7s} {'warnings':>9s} {'files':>6s}  target: < {TARGET_SECONDS:g} s wall on {cores} cores"
    )
    print(header)
    print("-" * len(header))
    for s in series:
        times = [r.seconds for r in s.warm] or [r.seconds for r in s.all]
        best, median = min(times), statistics.median(times)
        cpu = statistics.median([r.cpu_seconds for r in s.warm] or [r.cpu_seconds for r in s.all])
        cold = f"{s.cold.seconds:7.2f}" if s.cold else f"{'-':>7s}"
        rss = max(r.max_rss_mb for r in s.all)
        last = s.all[-1]
        worst = max(r.seconds for r in s.all)
        verdict = "met" if median < TARGET_SECONDS else f"NOT met ({median / TARGET_SECONDS:.1f}x over)"
        if median < TARGET_SECONDS <= worst:
            verdict += f" (worst run {worst:.2f} s)"
        print(
            f"{s.label:12s} {cold} {best:7.2f} {median:9.2f} {cpu:6.2f} {rss:12.0f} "
            f"{last.errors:7d} {last.warnings:9d} {last.files:6d}  {verdict}"
        )
    codes = series[0].all[-1].codes
    if codes:
        print("findings by rule: " + ", ".join(f"{code} {count}" for code, count in sorted(codes.items())))
    children = _rss_mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(f"largest child process over all runs (RUSAGE_CHILDREN ru_maxrss): {children:.0f} MB")
    print(f"load average now: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (other work on the machine)")


# --- profiling --------------------------------------------------------------------------------------
def _busctl_imports() -> None:
    sys.dont_write_bytecode = True  # keep __pycache__ out of cli/
    if str(CLI) not in sys.path:
        sys.path.insert(0, str(CLI))


def phases(repo: Path, work: Path) -> None:
    """Wall time of each step of `busctl lint`, in-process and without a profiler (no overlap with buf).

    Uses busctl's internals, so it may need updating when they change; it reports instead of failing.
    """
    _busctl_imports()
    env = busctl_env(work / "pycache", work / "buf-cache", work / "lint-cache")
    startup = []
    for _ in range(3):
        started = time.perf_counter()  # the first run may compile bytecode; best of 3
        subprocess.run(
            [sys.executable, "-m", "busctl", "--version"], env=env, capture_output=True, check=True
        )
        startup.append(time.perf_counter() - started)
    rows: list[tuple[str, float]] = [("startup: python -m busctl --version (best of 3)", min(startup))]
    try:
        from busctl.adapters import buf, protoc
        from busctl.adapters.cache import Cache
        from busctl.core.diagnostics import Diagnostic
        from busctl.core.topic_configs import load_catalogue
        from busctl.loading.bus import load_bus
        from busctl.render import diagnostics as render
        from busctl.rules.base import LintContext, Rule, all_rules, enabled

        def timed(label: str, work: Callable[[], T]) -> T:
            started = time.perf_counter()
            value = work()
            rows.append((label, time.perf_counter() - started))
            return value

        bus, report_ = timed("load_bus: find, read, parse YAML, validate", lambda: load_bus(repo))
        root = bus.config.schemas.root
        sources = timed(
            "read_sources: digest, package, imports of each .proto", lambda: protoc.read_sources(repo, root)
        )
        cache = Cache(work / "phases-cache")
        shutil.rmtree(cache.directory, ignore_errors=True)
        schemas, _ = timed(
            "protoc: compile (batches) + index, cold",
            lambda: protoc.compile_schemas(repo, root, cache=cache, sources=sources),
        )
        timed(
            "protoc: from the cache", lambda: protoc.compile_schemas(repo, root, cache=cache, sources=sources)
        )
        timed(
            "buf lint, cold (groups, batches; overlaps loading in busctl)",
            lambda: buf.start_lint(repo, root, sources, cache).result(schemas),
        )
        timed("buf lint: from the cache", lambda: buf.start_lint(repo, root, sources, cache).result(schemas))
        context = LintContext(bus=bus, schemas=schemas, catalogue=load_catalogue())
        found = list(report_.items)

        def check(rule: Rule) -> list[Diagnostic]:
            return list(rule.check(context))

        for rule in all_rules():
            if enabled(type(rule), bus.config.policy.rules):
                found += timed(f"rule {rule.id} {rule.name}", functools.partial(check, rule))
        ordered = timed("report.sorted()", lambda: sorted(found, key=lambda d: d.sort_key()))
        timed("render as_text", lambda: render.as_text(ordered, len(bus.files) + len(schemas.files)))
    except Exception as err:  # internals moved: say so, keep the rest of the benchmark
        rows.append((f"(phase timing stopped: {type(err).__name__}: {err})", 0.0))
    print("\nphases of `busctl lint`, in-process, no profiler (rules under 10 ms omitted):")
    for label, seconds in rows:
        if not label.startswith("rule ") or seconds >= 0.01:
            print(f"  {seconds:7.3f} s  {label}")
    rules_total = sum(seconds for label, seconds in rows if label.startswith("rule "))
    print(f"  {rules_total:7.3f} s  all rules together")


def profile(repo: Path, top: int, run_buf: bool) -> None:
    """workspace.lint in-process under cProfile; the top functions by cumulative and by own time."""
    _busctl_imports()
    from busctl import workspace  # imported here: generation alone must not need busctl

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    result = workspace.lint(repo, run_buf=run_buf)  # no cache: what a cold run does
    found = result.report.sorted()  # what `busctl lint` does next, before rendering
    profiler.disable()
    seconds = time.perf_counter() - started
    print()
    print(
        f"profile: workspace.lint({repo}, run_buf={run_buf}) + report.sorted(): {seconds:.2f} s "
        f"under cProfile, {len(found)} findings (imports excluded)"
    )
    for order, count in (("cumulative", top), ("tottime", 15)):
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer)
        stats.strip_dirs().sort_stats(order).print_stats(count)
        text = buffer.getvalue()
        body = text[text.find("   ncalls") :] if "   ncalls" in text else text
        print(f"\ntop {count} by {order} time:")
        print(body.rstrip())


# --- main -------------------------------------------------------------------------------------------
def _prepare_dir(path: Path) -> None:
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).is_file():
            raise SystemExit(
                f"{path} is not empty and was not generated by bench/lint.py; refusing to touch it"
            )
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--protos", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3, help="warm runs per mode (default 3)")
    parser.add_argument(
        "--dir", type=Path, help="generate here (empty, or generated before) instead of a temp dir"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--no-bench", action="store_true", help="only generate (and --profile)")
    parser.add_argument("--profile", action="store_true", help="also profile workspace.lint in-process")
    parser.add_argument("--profile-no-buf", action="store_true", help="profile without buf lint")
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 when the median with buf is not < {TARGET_SECONDS:g} s"
    )
    parser.add_argument("--top", type=int, default=25, help="functions listed by --profile (default 25)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the temp dir is removed on kill
    if min(args.topics, args.teams, args.protos, args.runs) < 1:
        parser.error("--topics, --teams, --protos and --runs must be positive")

    status = 0
    work = Path(tempfile.mkdtemp(prefix="busctl-bench-"))
    repo = args.dir.resolve() if args.dir else work / "bus"
    try:
        _prepare_dir(repo)
        print(f"generating {args.topics:,} topics, {args.teams} teams, {args.protos} protos into {repo} ...")
        gen = generate(repo, args.topics, args.teams, args.protos, args.seed)
        if not args.no_bench:
            print(f"timing `busctl lint` ({args.runs} warm runs per mode, after one cold run):", flush=True)
            series = measure(repo, args.runs, work)
            report(gen, series, os.cpu_count() or 0)
            if any(s.all[-1].errors for s in series):
                print("\nthe generated bus has lint ERRORS: bench/lint.py is out of date with busctl's rules")
                status = 1
            slow = statistics.median([r.seconds for r in series[0].warm or series[0].all]) >= TARGET_SECONDS
            if args.check and slow:
                status = 1
        else:
            print(
                f"generated {gen.files:,} files ({gen.bytes / 1e6:.1f} MB) in {gen.seconds:.2f} s, "
                f"digest {gen.digest}"
            )
        if args.profile:
            phases(repo, work)
            profile(repo, args.top, run_buf=not args.profile_no_buf)
    finally:
        if args.keep and not args.dir:
            for scratch in ("pycache", "buf-cache", "lint-cache", "stdout.txt", "stderr.txt"):
                target = work / scratch
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink(missing_ok=True)
            print(f"\nkept: {repo}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
