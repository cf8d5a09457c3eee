"""Programs the job tests run as separate processes: `python -m tests.jobs.processes ...`.

- `write-events URL JOB COUNT`: attach job JOB and write COUNT events from two threads,
  pausing once mid-way.
- `read-events URL JOB COUNT`: follow job JOB's events until COUNT arrived; print their
  numbers as JSON, one list per read.
- `worker URL NAME LEASE`: a worker whose "volume" runner makes a volume in the emulator
  (its OS_* variables in the environment) named after the job; runs until killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from typing import Any

from powerbridge.client import Cloud, load_config
from powerbridge.jobs import ItemState, JobStatus, JobStore
from powerbridge.jobs.worker import Run, Worker


def write_events(url: str, job_id: int, count: int) -> None:
    store = JobStore.open(url)
    store.attach(job_id)

    def write(name: str) -> None:
        for n in range(count // 2):
            store.event(job_id, f"{name} {n}")
            if n == count // 4:  # a pause mid-way: the reader has to follow, not read once
                time.sleep(0.3)

    threads = [threading.Thread(target=write, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()


def read_events(url: str, job_id: int, count: int) -> None:
    store = JobStore.open(url)
    reads: list[list[int]] = []
    seen = 0
    while seen < count:
        found = store.wait_for_events(job_id, after=seen, timeout=30)
        if not found:
            break
        reads.append([event.seq for event in found])
        seen = found[-1].seq
    store.close()
    print(json.dumps(reads))


async def make_volume(run: Run) -> JobStatus:
    """Create the job's volume, unless an earlier runner of the job did (a takeover)."""
    name = run.job.spec["name"]
    async with Cloud.connect(config=load_config(search_path=[])) as cloud:
        found: list[dict[str, Any]] = []
        if run.taken_over:
            listing = await cloud.session.request("volumev3", "GET", "/volumes/detail")
            found = [v for v in listing.json()["volumes"] if v["name"] == name]
        if not found:
            run.store.event(run.job.id, f"{name}: creating")
            metadata = {"job": str(run.job.id), "epoch": str(run.job.epoch)}
            body = {"volume": {"name": name, "size": 1, "metadata": metadata}}
            made = await cloud.session.request("volumev3", "POST", "/volumes", json=body)
            found = [made.json()["volume"]]
        run.store.put_item(run.job.id, "volume", name, ItemState.DONE, resource_id=found[0]["id"])
        run.store.event(run.job.id, f"{name}: made")
        await asyncio.sleep(float(run.job.spec.get("hold", 0)))  # mid-job: kill me here
    return JobStatus.SUCCEEDED


def worker(url: str, name: str, lease: float) -> None:
    store = JobStore.open(url)
    runner = Worker(store, {"volume": make_volume}, name=name, lease_seconds=lease)
    print("ready", flush=True)
    asyncio.run(runner.run(asyncio.Event()))


def main(argv: list[str]) -> None:
    command, url, *rest = argv
    if command == "write-events":
        write_events(url, int(rest[0]), int(rest[1]))
    elif command == "read-events":
        read_events(url, int(rest[0]), int(rest[1]))
    elif command == "worker":
        worker(url, rest[0], float(rest[1]))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
