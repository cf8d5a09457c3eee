"""Events are numbered per job without gaps, and a reader in another process following
"events of job J after N" sees every one, in order, while writers commit concurrently
(two threads of another process), on SQLite (polling) and PostgreSQL (LISTEN/NOTIFY)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from powerbridge.jobs import JobStore

ROOT = Path(__file__).parents[2]
COUNT = 200


def spawn(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.jobs.processes", *args]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)


def test_events_are_numbered_per_job(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        one = store.create_job("deployment", "one", action="apply")
        two = store.create_job("deployment", "two", action="apply")
        for n in range(3):
            store.event(one.id, f"one {n}")
            with store.batch():
                store.event(two.id, f"two {n}")
                store.event(one.id, f"one {n}b")
        assert [e.seq for e in store.events(one.id)] == [1, 2, 3, 4, 5, 6]
        assert [e.seq for e in store.events(two.id)] == [1, 2, 3]
        assert [e.message for e in store.events(one.id, after=4)] == ["one 2", "one 2b"]
    finally:
        store.close()


def test_a_reader_in_another_process_misses_no_event(store_url: str) -> None:
    store = JobStore.open(store_url)
    job = store.create_job("deployment", "busy", action="apply")
    store.close()
    reader = spawn("read-events", store_url, str(job.id), str(COUNT))
    time.sleep(0.5)  # the reader is waiting before the first event is written
    writer = spawn("write-events", store_url, str(job.id), str(COUNT))
    assert writer.wait(timeout=60) == 0
    out, _ = reader.communicate(timeout=60)
    reads = json.loads(out)
    seen = [seq for read in reads for seq in read]
    assert seen == list(range(1, COUNT + 1))  # every one, in order, none twice
    assert len(reads) > 1  # it really followed them as they came
    store = JobStore.open(store_url)
    try:
        messages = [event.message for event in store.events(job.id)]
    finally:
        store.close()
    assert sorted(messages) == sorted(f"{name} {n}" for name in "ab" for n in range(COUNT // 2))


def test_waiting_for_events_returns_when_none_come(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        job = store.create_job("deployment", "quiet", action="apply")
        started = time.monotonic()
        assert store.wait_for_events(job.id, timeout=0.3) == []
        assert time.monotonic() - started >= 0.3
    finally:
        store.close()
