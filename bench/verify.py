"""Benchmark `busctl verify`: N topics x M records each, every record sampled and checked.

    .venv/bin/python bench/verify.py                        # N = 100, M = 100, own broker on 45000/45100
    .venv/bin/python bench/verify.py --topics 1000 --records 100 --runs 3
    .venv/bin/python bench/verify.py --bootstrap 127.0.0.1:45000

Setup, outside any timing: a single-node broker (scripts/kafka/kafka start single, or --bootstrap), N topics
of 1 partition created with confluent-kafka's AdminClient, and a bus repo declaring exactly them
(bench/plan.py's write_bus and write_topics: one message per topic, in a .proto of its own), each given M
plain-protobuf records of its message. Then `busctl verify --cluster bench --repo DIR --samples M` (so
every record is read and checked), best of --runs: wall clock, CPU and busctl's own peak RSS (bench/plan.py's
launcher), checked to exit 0 with N x M records sampled, all conforming. With --bootstrap the topics this
script created are deleted at the end; the temporary directory is removed (--keep keeps it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from confluent_kafka import Producer

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plan as single_bench  # bench/plan.py: bus repo, brokers, launcher


def produce(bootstrap: str, names: list[str], records: int) -> None:
    """`records` plain-protobuf values per topic: field 1 (event_id, a string) of its message."""
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "logger": single_bench.SilentLogger()}
    )
    for name in names:
        for i in range(records):
            event_id = f"e-{i:06d}".encode()
            producer.produce(name, value=b"\x0a" + bytes([len(event_id)]) + event_id, key=str(i).encode())
        producer.poll(0)
    if producer.flush(120) != 0:
        raise SystemExit("records were not delivered within 120 s")


def verify_once(repo: Path, records: int, expected: int, env: dict[str, str]) -> single_bench.Proc:
    args = [
        "verify",
        "--cluster",
        "bench",
        "--repo",
        str(repo),
        "--samples",
        str(records),
        "--format",
        "json",
    ]
    proc = single_bench.run_busctl(args, env)
    if proc.code != 0:
        raise SystemExit(f"busctl verify exited {proc.code}:\n{proc.out[-2000:]}\n{proc.err[-2000:]}")
    topics = json.loads(proc.out)["topics"]
    sampled = sum(t["sampled"] for t in topics)
    if sampled != expected or any(t["conforming"] != t["sampled"] for t in topics):
        raise SystemExit(f"expected {expected} conforming records sampled, got {sampled}")
    return proc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topics", type=int, default=100, help="N (default 100)")
    parser.add_argument("--records", type=int, default=100, help="M, records per topic (default 100)")
    parser.add_argument("--bootstrap", help="use this broker (HOST:PORT) instead of starting one")
    parser.add_argument("--base-port", type=int, default=45000, help="own broker's port (+100: controller)")
    parser.add_argument("--runs", type=int, default=3, help="best of how many runs (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="busctl-bench-verify-"))
    broker = (
        single_bench.Broker(args.bootstrap)
        if args.bootstrap
        else single_bench.start_broker(work / "kafka", args.base_port)
    )
    topics = single_bench.topic_names("verify", args.topics)
    names = [name for _, name in topics]
    try:
        repo = work / "bus"
        single_bench.write_bus(repo, {"bench": broker.bootstrap})
        single_bench.write_topics(repo, topics, shared_schemas=False)
        single_bench.create_topics(broker.bootstrap, names)
        produce(broker.bootstrap, names, args.records)
        env = single_bench.busctl_env(work)
        runs = [verify_once(repo, args.records, args.topics * args.records, env) for _ in range(args.runs)]
        best = min(runs, key=lambda p: p.seconds)
        print(
            f"busctl verify · {args.topics} topics x {args.records} records ({args.topics * args.records} "
            f"checked), best of {args.runs}: {best.seconds:.2f} s wall, {best.cpu_s:.2f} s CPU, "
            f"peak RSS {best.rss_mb:.0f} MB (all runs: {', '.join(f'{p.seconds:.2f}' for p in runs)} s)"
        )
    finally:
        if args.bootstrap:
            single_bench.delete_topics(broker.bootstrap, names)
        broker.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
