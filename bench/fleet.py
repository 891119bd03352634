"""Benchmark a fleet plan: `busctl plan --all-clusters` of 3 clusters x N topics against `busctl plan` of one.

    .venv/bin/python bench/fleet.py                     # own brokers on 45000/45010/45020, N = 5000
    .venv/bin/python bench/fleet.py --topics 1000 --runs 2 --check
    .venv/bin/python bench/fleet.py --base-port 46000   # brokers on 46000, 46010, 46020 (controllers +100)

Target (issue 13): the fleet plan of 3 clusters x 5,000 topics takes at most TARGET_RATIO (1.5x) the wall
time of the plan of one cluster of 5,000 in the same run (the clusters are read concurrently).

Setup, outside any timing: three single-node brokers (scripts/kafka/kafka start single, each with its own
KAFKA_WORK in the temporary directory and KAFKA_BASE_PORT = --base-port + 0, 10, 20), each given the same N
topics with confluent-kafka's AdminClient (bench/plan.py's create_topics, the three at once), and one bus
repo (bench/plan.py's write_bus and write_topics) whose bus.yaml has clusters c1, c2, c3 (topics without
placement live on all three). Then, in the same run, interleaved (the order alternates), best of --runs:

  single  `busctl plan --cluster c1 --repo DIR --detailed-exitcode`    (1 cluster x N topics)
  fleet   `busctl plan --all-clusters --repo DIR --detailed-exitcode`  (3 clusters x N topics)

both checked to exit 0 (no changes); wall clock, CPU (user + system) and busctl's own peak RSS, from
bench/plan.py's launcher (os.wait4). Then the same in-process (wall and CPU of the whole process), split into
prepare (planning.planners: load, lint, schemas, connect; shared by the clusters) and the reads + diffs
(planning.survey_fleet: concurrent threads), and the three surveys one after the other for comparison; and
the CPU the three brokers' JVMs used during each plan (they share the cores with busctl here).
Prints the ratio fleet/single and PASS/MISS against TARGET_RATIO; --check exits 1 on a MISS. The brokers and
the temporary directory are removed at the end, also on Ctrl-C and SIGTERM (--keep keeps the directory).
See bench/README.md ("fleet").
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plan as single_bench  # bench/plan.py: bus repo, brokers, launcher

CLUSTERS = ("c1", "c2", "c3")
TARGET_RATIO = 1.5  # fleet plan (3 clusters) / single-cluster plan, wall clock


@dataclass
class Fleet:
    """The brokers of the run; each one's KAFKA_WORK is known before it starts, so stop() also stops a
    broker whose start was interrupted."""

    works: dict[str, Path]
    ports: dict[str, int]
    bootstraps: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        for cluster in CLUSTERS:
            broker = single_bench.start_broker(self.works[cluster], self.ports[cluster])
            self.bootstraps[cluster] = broker.bootstrap

    def cpu(self) -> float:
        """User + system CPU seconds the brokers' JVMs used so far (/proc/PID/stat): the brokers share the
        machine's cores with busctl here, as remote clusters would not."""
        total = 0
        for work in self.works.values():
            for pid_file in work.glob("node*/kafka.pid"):
                try:
                    stat = Path(f"/proc/{pid_file.read_text().strip()}/stat").read_text()
                except (OSError, ValueError):
                    continue
                fields = stat.rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        for cluster in CLUSTERS:
            if self.works[cluster].exists():
                single_bench.Broker(
                    "", single_bench.broker_env(self.works[cluster], self.ports[cluster])
                ).stop()


def create_everywhere(fleet: Fleet, names: list[str]) -> float:
    """The same topics on every broker, the brokers at once (one thread each)."""
    errors: list[BaseException] = []

    def create(bootstrap: str) -> None:
        try:
            single_bench.create_topics(bootstrap, names)
        except BaseException as err:  # SystemExit from _await_topics too
            errors.append(err)

    started = time.perf_counter()
    threads = [threading.Thread(target=create, args=(b,), daemon=True) for b in fleet.bootstraps.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"creating the topics failed: {errors[0]!r}")
    return time.perf_counter() - started


def single_args(repo: Path) -> list[str]:
    return ["plan", "--cluster", CLUSTERS[0], "--repo", str(repo), "--detailed-exitcode"]


def fleet_args(repo: Path) -> list[str]:
    return ["plan", "--all-clusters", "--repo", str(repo), "--detailed-exitcode"]


def check_fleet(proc: single_bench.Proc, what: str) -> str:
    """The fleet plan's headline, checked to name every cluster with no changes."""
    single_bench.check_clean(proc, what)
    text = " ".join(proc.out.split()[:40])
    missing = [c for c in CLUSTERS if f"{c}: no changes" not in text]
    if f"{len(CLUSTERS)} clusters" not in text or missing:
        raise SystemExit(f"{what}: the fleet plan does not show no changes for {missing}:\n{proc.out[:2000]}")
    return text.split(" ── ")[0]


@dataclass
class Run:
    single: single_bench.Proc
    fleet: single_bench.Proc
    load: float
    brokers: dict[str, float]  # the brokers' CPU seconds during each plan


def in_process(repo: Path) -> dict[str, tuple[float, float]]:
    """(wall, process CPU) of: prepare + concurrent survey for c1 alone and for all three, and the three
    surveys one after the other (the same planners)."""
    from busctl.planning import planners, survey_fleet

    timed = single_bench.Stopwatch()
    times = timed.times
    one = timed("single: prepare", lambda: planners(repo, [CLUSTERS[0]]))
    timed("single: read+diff", lambda: survey_fleet(one))
    every = timed("fleet: prepare", lambda: planners(repo, [], every=True))
    fleet, _ = timed("fleet: read+diff (threads)", lambda: survey_fleet(every))
    if fleet.unread or any(p.has_changes or p.blocked for p in fleet.plans) or len(fleet.plans) != 3:
        raise SystemExit("in-process fleet plan: not 3 clusters without changes")
    timed("fleet: read+diff (one by one)", lambda: [p.survey() for p in every])
    return times


def best(procs: list[single_bench.Proc], attr: str = "seconds") -> float:
    return float(min(getattr(p, attr) for p in procs))


def report(runs: list[Run], parts: list[dict[str, tuple[float, float]]], n: int, command: str) -> bool:
    single = [r.single for r in runs]
    fleet = [r.fleet for r in runs]
    ratio = best(fleet) / best(single)
    passed = ratio <= TARGET_RATIO
    print(
        f"\n=== busctl fleet plan ({len(CLUSTERS)} clusters x {n:,} topics) vs one cluster ({n:,} topics); "
        f"{os.cpu_count()} cores, load average during the runs "
        f"{min(r.load for r in runs):.1f}-{max(r.load for r in runs):.1f} ==="
    )
    print(f"command: {command}")
    header = (
        f"{'plan':<34s} {'wall best s':>11s} {'wall median s':>13s} {'CPU best s':>10s} {'peak RSS MB':>11s} "
        f"{'brokers CPU s':>13s}"
    )
    print(header)
    print("-" * len(header))
    for label, which, procs in (
        (f"--cluster {CLUSTERS[0]} (1 x {n:,})", "single", single),
        (f"--all-clusters (3 x {n:,})", "fleet", fleet),
    ):
        print(
            f"{label:<34s} {best(procs):11.3f} {statistics.median(p.seconds for p in procs):13.3f} "
            f"{best(procs, 'cpu_s'):10.2f} {max(p.rss_mb for p in procs):11.0f} "
            f"{statistics.median(r.brokers[which] for r in runs):13.2f}"
        )
    print(
        "CPU = busctl's user+system time, peak RSS = busctl's own (max over runs), brokers CPU = the three"
        f"\nJVMs' CPU during the plan (median), on the same {os.cpu_count()} cores (remote ones would not)"
    )
    cpu_ratio = best(fleet, "cpu_s") / best(single, "cpu_s")
    floor = best(fleet, "cpu_s") / (os.cpu_count() or 1)
    print(
        f"\nfleet/single wall (best/best): {ratio:.2f}x  target <= {TARGET_RATIO:g}x: "
        + ("PASS" if passed else "MISS")
    )
    print(
        f"fleet/single CPU: {cpu_ratio:.2f}x; the fleet's CPU over {os.cpu_count()} cores = {floor:.2f} s = "
        f"{floor / best(single):.2f}x the single plan's wall (a floor of the wall ratio on an idle machine)"
    )
    brokers = statistics.median(r.brokers["fleet"] for r in runs)
    shared = (best(fleet, "cpu_s") + brokers) / (os.cpu_count() or 1)
    print(
        f"with the brokers' CPU (they share busctl's cores here): {shared:.2f} s = "
        f"{shared / best(single):.2f}x the single plan's wall: no fleet plan of this CPU can take less here"
    )
    print("\nper run (interleaved):")
    for index, r in enumerate(runs, 1):
        print(
            f"  run {index}: single {r.single.seconds:6.3f} s {r.single.cpu_s:5.2f} s CPU "
            f"{r.single.rss_mb:4.0f} MB   fleet {r.fleet.seconds:6.3f} s {r.fleet.cpu_s:5.2f} s CPU "
            f"{r.fleet.rss_mb:4.0f} MB   brokers' CPU during single {r.brokers['single']:.2f} s, "
            f"fleet {r.brokers['fleet']:.2f} s"
            f"   ratio {r.fleet.seconds / r.single.seconds:.2f}x   load {r.load:.1f}"
        )
    if parts:
        print("\nin-process (busctl.planning), best of runs per step: wall s / CPU s of the process")
        for label in parts[0]:
            wall = min(p[label][0] for p in parts)
            cpu = min(p[label][1] for p in parts)
            print(f"  {label:<32s} {wall:7.3f} / {cpu:6.3f}")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topics", type=int, default=5000, help="topics per cluster (default 5000)")
    parser.add_argument("--runs", type=int, default=3, help="best of how many runs (default 3)")
    parser.add_argument(
        "--base-port",
        type=int,
        default=45000,
        help="first broker's port; the others +10, +20 (controllers +100)",
    )
    parser.add_argument("--no-in-process", action="store_true", help="skip the in-process breakdown")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when fleet/single > {TARGET_RATIO:g}x")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally below stops the brokers
    work = Path(tempfile.mkdtemp(prefix="busctl-bench-fleet-"))
    sys.pycache_prefix = str(work / "pycache")  # in-process imports of busctl: no bytecode in cli/
    command = shlex.join([sys.executable, *(sys.argv if argv is None else ["bench/fleet.py", *argv])])
    fleet = Fleet(
        {c: work / f"kafka-{c}" for c in CLUSTERS},
        {c: args.base_port + 10 * i for i, c in enumerate(CLUSTERS)},
    )
    passed = True
    try:
        print(f"starting {len(CLUSTERS)} brokers (temp dir {work}) ...", flush=True)
        fleet.start()
        topics = single_bench.topic_names("fleet", args.topics)
        print(f"creating the same {args.topics:,} topics on each broker (at once) ...", flush=True)
        created = create_everywhere(fleet, [name for _, name in topics])
        repo = work / "bus"
        single_bench.write_bus(repo, fleet.bootstraps)
        single_bench.write_topics(repo, topics, shared_schemas=False)
        print(
            f"  created in {created:.1f} s; bus repo {repo} with clusters {', '.join(CLUSTERS)}", flush=True
        )
        env = single_bench.busctl_env(work)
        warm = single_bench.run_busctl(
            single_args(repo), env
        )  # also compiles bytecode into the pycache prefix
        print(f"  warm-up single {warm.seconds:.2f} s: {single_bench.check_clean(warm, 'warm-up single')}")
        warm = single_bench.run_busctl(fleet_args(repo), env)
        print(f"  warm-up fleet {warm.seconds:.2f} s: {check_fleet(warm, 'warm-up fleet')}", flush=True)
        runs: list[Run] = []
        for index in range(args.runs):  # interleaved, the order alternating, so load hits both alike
            measured: dict[str, single_bench.Proc] = {}
            brokers: dict[str, float] = {}
            for which in ("single", "fleet") if index % 2 == 0 else ("fleet", "single"):
                before = fleet.cpu()
                if which == "single":
                    measured[which] = single_bench.run_busctl(single_args(repo), env)
                    single_bench.check_clean(measured[which], f"run {index + 1} single")
                else:
                    measured[which] = single_bench.run_busctl(fleet_args(repo), env)
                    check_fleet(measured[which], f"run {index + 1} fleet")
                brokers[which] = fleet.cpu() - before
            run = Run(measured["single"], measured["fleet"], os.getloadavg()[0], brokers)
            runs.append(run)
            print(
                f"  run {index + 1}: single {run.single.seconds:6.3f} s   fleet {run.fleet.seconds:6.3f} s   "
                f"ratio {run.fleet.seconds / run.single.seconds:.2f}x   load {run.load:.1f}",
                flush=True,
            )
        parts: list[dict[str, tuple[float, float]]] = []
        if not args.no_in_process:
            for _ in range(args.runs):
                parts.append(in_process(repo))
                print(
                    "  in-process: " + "  ".join(f"{k} {w:.2f}" for k, (w, _) in parts[-1].items()),
                    flush=True,
                )
        passed = report(runs, parts, args.topics, command)
    finally:
        print("stopping the brokers ...", flush=True)
        fleet.stop()
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    raise SystemExit(main())
