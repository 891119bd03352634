"""Benchmark registry sync: `busctl apply` registering N subjects, and the plans around it.

    .venv/bin/python bench/registry.py                  # N = 1000 topics: 1,000 value subjects + 5 imports
    .venv/bin/python bench/registry.py --topics 200 --runs 3

A fresh broker (scripts/kafka/kafka, port 45300) and a fresh Apicurio Registry (scripts/registry/registry,
in-memory, port 45600) are started. A bus of N topics (bench/plan.py's generator: one .proto per topic)
whose every message imports one shared .proto per team is written with the registry on its cluster; the
topics are created beforehand with confluent-kafka, so what apply does is the registry's part: N + 5
subjects, each with its compatibility level (2 x (N + 5) requests, plus a lookup per reference). Timed,
each a subprocess through bench/plan.py's launcher (wall clock, busctl's own peak RSS and CPU):

  plan-new   the plan before: every subject new (one GET /subjects, a level and a latest each);
  apply      the sync itself: levels set, schemas registered in dependency order;
  plan-sync  the plan after, which must show no changes: each subject's level, latest and a lookup.

With --runs R, plan-sync is run R times (best and median). See bench/README.md ("registry").
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plan as single_bench  # bench/plan.py: bus repo, broker, launcher

ROOT = single_bench.ROOT
REGISTRY = ROOT / "scripts" / "registry" / "registry"
KAFKA_PORT = 45300
REGISTRY_PORT = 45600  # and 45601; the broker takes 45300 and 45400


def start_registry(work: Path, port: int) -> tuple[str, dict[str, str]]:
    env = {**os.environ, "REGISTRY_WORK": str(work), "REGISTRY_PORT": str(port)}
    done = subprocess.run([str(REGISTRY), "start"], env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"scripts/registry/registry start failed:\n{done.stderr[-3000:]}")
    settings = dict(line.split("=", 1) for line in (work / "registry.env").read_text().splitlines())
    return settings["REGISTRY_URL"], env


def write_bus(root: Path, bootstrap: str, url: str, topics: list[tuple[str, str]]) -> None:
    """bench/plan.py's bus, its cluster with the registry, every topic's message importing its team's
    shared Meta message."""
    single_bench.write_bus(root, {single_bench.CLUSTER: bootstrap})
    bus = root / "bus.yaml"
    bus.write_text(
        bus.read_text().replace("    overrides:", f"    registry: {{url: {url}}}\n    overrides:", 1)
    )
    single_bench.write_topics(root, topics, shared_schemas=False)
    for team in single_bench.TEAMS:
        shared = root / "schemas" / "acme" / team / "v1" / "meta.proto"
        shared.write_text(
            f'syntax = "proto3";\n\npackage acme.{team}.v1;\n\n'
            "// Meta is what every event of the team carries.\n"
            "message Meta {\n  // Source.\n  string source = 1;\n}\n"
        )
    for team, name in topics:
        local = name.split(".")[1].replace("-", "_")
        proto = root / "schemas" / "acme" / team / "v1" / f"{local}.proto"
        text = proto.read_text()
        text = text.replace(
            f"package acme.{team}.v1;\n", f'package acme.{team}.v1;\n\nimport "acme/{team}/v1/meta.proto";\n'
        )
        proto.write_text(
            text.replace("  string event_id = 1;\n", "  string event_id = 1;\n  // Meta.\n  Meta meta = 2;\n")
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topics", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="busctl-bench-registry-"))
    broker = None
    registry_env: dict[str, str] | None = None
    try:
        broker = single_bench.start_broker(work / "kafka", KAFKA_PORT)
        started = time.perf_counter()
        url, registry_env = start_registry(work / "registry", REGISTRY_PORT)
        print(f"  registry: Apicurio at {url}, started in {time.perf_counter() - started:.1f} s", flush=True)
        topics = single_bench.topic_names("reg", args.topics)
        repo = work / "bus"
        write_bus(repo, broker.bootstrap, url, topics)
        single_bench.create_topics(broker.bootstrap, [name for _, name in topics])
        env = single_bench.busctl_env(work)
        plan_args = single_bench.plan_args(repo)
        before = single_bench.run_busctl(plan_args, env)
        if before.code != 2:
            raise SystemExit(
                f"plan before apply: exit {before.code}\n{before.out[:2000]}\n{before.err[-2000:]}"
            )
        apply = single_bench.run_busctl(
            ["apply", "--cluster", single_bench.CLUSTER, "--repo", str(repo), "--auto-approve"], env
        )
        if apply.code != 0:
            raise SystemExit(f"apply: exit {apply.code}\n{apply.out[-2000:]}\n{apply.err[-2000:]}")
        subjects = args.topics + len(single_bench.TEAMS)
        applied = apply.out.count("register-schema subject")
        if applied != subjects:
            raise SystemExit(f"apply registered {applied} subjects, expected {subjects}")
        after = []
        for _ in range(args.runs):
            proc = single_bench.run_busctl(plan_args, env)
            single_bench.check_clean(proc, "plan after apply")
            after.append(proc)
        print(f"\nregistry sync · {args.topics} topics · {subjects} subjects (+ their levels)")
        print(f"  {'':10} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
        for label, proc in (("plan-new", before), ("apply", apply)):
            print(f"  {label:10} {proc.seconds:8.2f} {proc.cpu_s:8.2f} {proc.rss_mb:8.0f}")
        best = min(after, key=lambda p: p.seconds)
        median = statistics.median(p.seconds for p in after)
        print(
            f"  {'plan-sync':10} {best.seconds:8.2f} {best.cpu_s:8.2f} {best.rss_mb:8.0f}"
            f"  (best of {args.runs}; median {median:.2f} s)"
        )
        print(f"  apply: {apply.seconds / subjects * 1000:.1f} ms per subject (level + registration)")
    finally:
        if registry_env is not None:
            subprocess.run([str(REGISTRY), "stop"], env=registry_env, capture_output=True, timeout=120)
        if broker is not None:
            broker.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
