"""The job store's hot paths on SQLite and on a local PostgreSQL.

- cycle: what a worker does for one job: claim it (lease), one heartbeat, 10 events (each
  its own commit, as progress comes), finish. Median per job over JOBS jobs. Baseline,
  measured in the same run on the same database: as many bare single-row commits (13), the
  floor any durable design pays; the ratio is the store's overhead over that floor.
- dashboard: with 1,000 jobs of 50 events each, the portal's queries: the 50 most recent
  jobs, the running jobs, the jobs of one cluster. Median of REPEAT runs each, against a
  `SELECT 1` round trip as the baseline.

Targets: cycle under 5 ms on SQLite and 10 ms on PostgreSQL; each dashboard query under
20 ms. Exit 1 when one is missed. PostgreSQL: `--postgresql URL`, else a throwaway cluster
(fsync on unless `--no-fsync`, a unix socket) from Debian's binaries
(/usr/lib/postgresql/*/bin) when present, else skipped. With fsync on, 13 durable commits
can alone take longer than the PostgreSQL target on a slow disk: the floor says so.

    python benchmarks/jobs_store.py [--jobs N] [--postgresql URL | --no-fsync]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from powerbridge.jobs import JobStatus, JobStore

sys.path.insert(0, str(Path(__file__).parents[1]))  # the tests' throwaway PostgreSQL

TARGET_CYCLE_MS = {"sqlite": 5.0, "postgresql": 10.0}
TARGET_QUERY_MS = 20.0
EVENTS_PER_CYCLE = 10
DASHBOARD_JOBS = 1000
DASHBOARD_EVENTS = 50
REPEAT = 50


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(work: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return median_ms(samples)


def one_job(store: JobStore, *, batched: bool) -> float:
    """Seconds for one job; `batched`: its 10 events in one transaction (`JobStore.batch`),
    as a runner records one step, else each event its own commit."""
    store.enqueue("cluster", "bench", action="build", spec={"nodes": 2})
    started = time.perf_counter()
    job = store.claim_next("bench", lease_seconds=30)
    assert job is not None
    store.heartbeat(job.id)
    with store.batch() if batched else contextlib.nullcontext():
        for n in range(EVENTS_PER_CYCLE):
            store.event(job.id, f"step {n} done", kind="node", name="node1")
    store.finish(job.id, JobStatus.SUCCEEDED, {"nodes": 2})
    return time.perf_counter() - started


def bare_commits(store: JobStore, table: sa.Table) -> float:
    """The floor: 13 single-row commits (one per store transaction of a cycle)."""
    started = time.perf_counter()
    for n in range(EVENTS_PER_CYCLE + 3):
        with store.engine.begin() as db:
            db.execute(table.insert().values(n=n))
    return time.perf_counter() - started


def cycles(store: JobStore, jobs: int) -> dict[str, float]:
    """The three measured in turn, job after job, so the machine's load weighs on each
    alike."""
    table = sa.Table("bench_floor", sa.MetaData(), sa.Column("n", sa.Integer))
    table.create(store.engine)
    samples: dict[str, list[float]] = {"cycle_ms": [], "cycle_batched_ms": [], "floor_ms": []}
    for _ in range(jobs):
        samples["cycle_ms"].append(one_job(store, batched=False))
        samples["cycle_batched_ms"].append(one_job(store, batched=True))
        samples["floor_ms"].append(bare_commits(store, table))
    table.drop(store.engine)
    figures = {name: median_ms(values) for name, values in samples.items()}
    figures["cycle_vs_floor"] = figures["cycle_ms"] / figures["floor_ms"]
    return figures


def fill_dashboard(store: JobStore) -> None:
    for n in range(DASHBOARD_JOBS):
        job = store.create_job("cluster", f"ha-{n % 100}", action="build", owner="alice")
        with store.batch():
            for step in range(DASHBOARD_EVENTS):
                store.event(job.id, f"step {step}", kind="node", name=f"node{step % 2}")
            if n % 20:  # one job in twenty still running
                store.finish(job.id, JobStatus.SUCCEEDED)


def dashboard(store: JobStore) -> dict[str, float]:
    def ping() -> None:
        with store.engine.connect() as db:
            db.execute(sa.text("SELECT 1"))

    return {
        "select_1_ms": timed(ping, REPEAT),
        "recent_jobs_ms": timed(lambda: store.jobs(limit=50), REPEAT),
        "running_jobs_ms": timed(lambda: store.jobs(status=JobStatus.RUNNING), REPEAT),
        "cluster_jobs_ms": timed(lambda: store.jobs("ha-7", kind="cluster"), REPEAT),
    }


def measure(name: str, url: str, jobs: int) -> dict[str, float]:
    store = JobStore.open(url)
    try:
        figures = cycles(store, jobs)
        fill_dashboard(store)
        figures.update(dashboard(store))
    finally:
        store.close()
    print(
        f"{name:<11} cycle {figures['cycle_ms']:6.2f} ms/job (13 bare commits"
        f" {figures['floor_ms']:.2f} ms, x{figures['cycle_vs_floor']:.2f}),"
        f" events batched {figures['cycle_batched_ms']:.2f} ms/job;"
        f" dashboard: recent {figures['recent_jobs_ms']:.2f} ms, running"
        f" {figures['running_jobs_ms']:.2f} ms, one cluster {figures['cluster_jobs_ms']:.2f} ms"
        f" (SELECT 1 {figures['select_1_ms']:.2f} ms)"
    )
    return figures


@contextmanager
def postgresql(given: str | None, *, durable: bool) -> Iterator[str | None]:
    if given:
        yield given
        return
    from tests.jobs.postgres import find_binaries, postgres_cluster

    binaries = find_binaries()
    if binaries is None:
        yield None
        return
    with postgres_cluster(binaries, durable=durable) as url:
        yield url


def missed(name: str, figures: dict[str, float]) -> list[str]:
    problems = []
    if figures["cycle_ms"] >= TARGET_CYCLE_MS[name]:
        problems.append(f"{name} cycle {figures['cycle_ms']:.2f} ms")
    for query in ("recent_jobs_ms", "running_jobs_ms", "cluster_jobs_ms"):
        if figures[query] >= TARGET_QUERY_MS:
            problems.append(f"{name} {query} {figures[query]:.2f}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="jobs timed in the cycle")
    parser.add_argument("--postgresql", metavar="URL", help="an existing database to use")
    parser.add_argument(
        "--no-fsync",
        action="store_true",
        help="the throwaway cluster skips fsync (commits then cost what the store adds)",
    )
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        results["sqlite"] = measure("sqlite", f"{scratch}/jobs.sqlite", args.jobs)
    with postgresql(args.postgresql, durable=not args.no_fsync) as url:
        if url is None:
            print("postgresql  skipped: no --postgresql URL and no /usr/lib/postgresql/*/bin")
        else:
            results["postgresql"] = measure("postgresql", url, args.jobs)
    print(json.dumps({name: {k: round(v, 3) for k, v in f.items()} for name, f in results.items()}))
    problems = [p for name, figures in results.items() for p in missed(name, figures)]
    print("targets missed: " + "; ".join(problems) if problems else "targets met")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
