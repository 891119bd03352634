"""Benchmark connectors: `busctl plan` and `busctl apply` of N connectors on a real Kafka Connect worker.

    .venv/bin/python bench/connectors.py                 # N = 100: 50 FileStream sources, 50 sinks
    .venv/bin/python bench/connectors.py --connectors 40 --runs 3

A fresh broker (scripts/kafka/kafka, port 45700) and a fresh Connect worker (scripts/connect/connect, REST
port 45710, heap 1 GB) are started. A bus of 10 topics (created beforehand with confluent-kafka, so what
apply does is the connectors' part) and N connectors over them is written: half FileStreamSource reading an
empty file each, half FileStreamSink writing a file each. Timed, each a subprocess through bench/plan.py's
launcher (wall clock, busctl's own peak RSS and CPU):

  plan-new      every connector new: one bulk read, the plugins, a validation per connector;
  apply         N creates, each waited for until the connector and its task are RUNNING;
  plan-clean    the plan after, which must show no changes (no validation: nothing changed), best of R;
  plan-update   every connector's config changed (flush and batch settings): N validations;
  apply-update  N config updates, each waited for until RUNNING again.

See bench/README.md ("connectors").
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
CONNECT = ROOT / "scripts" / "connect" / "connect"
KAFKA_PORT = 45700  # and 45800 (controller)
CONNECT_PORT = 45710
TOPICS = 10


def start_worker(work: Path, kafka_work: Path) -> tuple[str, dict[str, str]]:
    env = {
        **os.environ,
        "KAFKA_WORK": str(kafka_work),
        "CONNECT_WORK": str(work),
        "CONNECT_PORT": str(CONNECT_PORT),
        "CONNECT_HEAP_OPTS": "-Xms256m -Xmx1g",
    }
    env.pop("CONNECT_JMX_PORT", None)
    env.pop("KAFKA_VERSION", None)
    started = time.perf_counter()
    done = subprocess.run([str(CONNECT), "start"], env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"scripts/connect/connect start failed:\n{done.stderr[-3000:]}")
    settings = dict(
        line.split("=", 1) for line in (work / "connect.env").read_text().splitlines() if "=" in line
    )
    print(
        f"  worker: Kafka Connect {settings.get('CONNECT_VERSION', '?')} at {settings['CONNECT_URL']}, "
        f"started in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return settings["CONNECT_URL"], env


def write_connectors(
    repo: Path, files: Path, topics: list[tuple[str, str]], count: int, extra: str = ""
) -> None:
    """N connector files over the topics: even ones sources, odd ones sinks, owned by the topic's team."""
    for index in range(count):
        team, topic = topics[index % len(topics)]
        name = f"bench-{index:04d}"
        source = index % 2 == 0
        kind, cls = ("source", "FileStreamSource") if source else ("sink", "FileStreamSink")
        target = files / f"{name}.txt"
        if source:
            target.touch()
        config = f"  file: {target}\n" + (f"  topic: {topic}\n" if source else "") + extra
        folder = repo / "connectors" / team
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.yaml").write_text(
            f"name: {name}\nowner: {team}\ndescription: A generated benchmark connector.\n"
            f"class: org.apache.kafka.connect.file.{cls}Connector\ntype: {kind}\ntopics: [{topic}]\n"
            f"config:\n{config}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connectors", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="busctl-bench-connectors-"))
    broker = None
    worker_env: dict[str, str] | None = None
    try:
        broker = single_bench.start_broker(work / "kafka", KAFKA_PORT)
        url, worker_env = start_worker(work / "connect", work / "kafka")
        topics = single_bench.topic_names("connect", TOPICS)
        repo = work / "bus"
        single_bench.write_bus(repo, {single_bench.CLUSTER: broker.bootstrap})
        bus = repo / "bus.yaml"
        bus.write_text(
            bus.read_text().replace("    overrides:", f"    connect: {{url: {url}}}\n    overrides:", 1)
        )
        single_bench.write_topics(repo, topics, shared_schemas=False)
        single_bench.create_topics(broker.bootstrap, [name for _, name in topics])
        files = work / "files"
        files.mkdir()
        write_connectors(repo, files, topics, args.connectors)
        env = single_bench.busctl_env(work)
        plan_args = single_bench.plan_args(repo)
        apply_args = ["apply", "--cluster", single_bench.CLUSTER, "--repo", str(repo), "--auto-approve"]

        def applied(what: str, action: str) -> single_bench.Proc:
            proc = single_bench.run_busctl(apply_args, env)
            done = proc.out.count(f"done        + {action}") + proc.out.count(f"done        ~ {action}")
            if proc.code != 0 or done != args.connectors:
                raise SystemExit(
                    f"{what}: exit {proc.code}, {done} done\n{proc.out[-3000:]}\n{proc.err[-2000:]}"
                )
            return proc

        def planned(what: str, action: str) -> single_bench.Proc:
            proc = single_bench.run_busctl(plan_args, env)
            found = proc.out.count(action)
            if proc.code != 2 or found != args.connectors:
                raise SystemExit(
                    f"{what}: exit {proc.code}, {found} x {action}\n{proc.out[:3000]}\n{proc.err[-2000:]}"
                )
            return proc

        new = planned("plan before apply", "create connector")
        apply = applied("apply", "create-connector")
        clean = []
        for _ in range(args.runs):
            proc = single_bench.run_busctl(plan_args, env)
            single_bench.check_clean(proc, "plan after apply")
            clean.append(proc)
        write_connectors(repo, files, topics, args.connectors, extra="  batch.size: 500\n")
        update = planned("plan of a config change", "update connector config")
        apply_update = applied("apply of the change", "update-connector")
        single_bench.check_clean(single_bench.run_busctl(plan_args, env), "plan after the change")

        n = args.connectors
        print(
            f"\nconnectors · {n} connectors ({n // 2 + n % 2} sources, {n // 2} sinks) · one Connect worker"
        )
        print(f"  {'':13} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
        best = min(clean, key=lambda p: p.seconds)
        rows = [
            ("plan-new", new, ""),
            ("apply", apply, f"  {apply.seconds / n * 1000:.0f} ms per connector, until RUNNING"),
            (
                "plan-clean",
                best,
                f"  (best of {args.runs}; median {statistics.median(p.seconds for p in clean):.2f} s)",
            ),
            ("plan-update", update, ""),
            ("apply-update", apply_update, f"  {apply_update.seconds / n * 1000:.0f} ms per connector"),
        ]
        for label, proc, note in rows:
            print(f"  {label:13} {proc.seconds:8.2f} {proc.cpu_s:8.2f} {proc.rss_mb:8.0f}{note}")
    finally:
        if worker_env is not None:
            subprocess.run([str(CONNECT), "stop"], env=worker_env, capture_output=True, timeout=120)
        if broker is not None:
            broker.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
