"""The portal under load: page times with a full store, and how fast job events reach browsers.

A `powerbridge portal` process (one worker) serves an in-memory emulator (instant clock, AIX
nodes) and a job store seeded with 100 clusters and 1,000 jobs (each with 20 events): one
cluster, `bench`, built for real through the API (its page reads PowerVC and the nodes), 99
more as succeeded create jobs, and day-two jobs on them up to 1,000. Then, signed in as root:
- dashboard `/` and cluster page `/clusters/bench`: median and p95 of REQUESTS sequential
  requests each (client-observed on loopback, so an upper bound of the server time), against
  the sign-in form `/signin` (a page that reads nothing) as the baseline, and the ratios;
- event delivery: a job written by another process (a child of this script: one event every
  20 ms), followed by one SSE client: the delay from each event's commit (the writer's clock
  after `JobStore.event` returns) to its arrival (same host, same clock): median, p95, max;
- 50 SSE clients on the same job at once (in 5 client processes: one process parsing 50
  streams would itself delay what it measures) while the writer writes 200 events: each must
  get every event once, in order, then `end`; the missed count and the delivery delays.

Targets: pages median under 50 ms and p95 under 100 ms; an event under 250 ms after its
commit (every event of the one client); 50 clients with no missed event (their delays are
shown, not judged). Run on SQLite and, when Debian's PostgreSQL binaries
are there (/usr/lib/postgresql/*/bin), on a throwaway PostgreSQL. Exit 1 when one is missed.

    python benchmarks/portal.py [--requests N] [--clients C] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))  # the tests' throwaway PostgreSQL and AIX lab

PAGE_MEDIAN_MS, PAGE_P95_MS, EVENT_MS = 50.0, 100.0, 250.0
CLUSTERS, JOBS, EVENTS_PER_JOB = 100, 1000, 20
EVENT_GAP = 0.02
CLIENT_PROCESSES = 5
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]


# -- the writer: another process ---------------------------------------------------------------
def write_events(url: str, job_id: int, count: int) -> None:
    """Attach the job, write `count` events EVENT_GAP apart, print each commit's moment."""
    from powerbridge.jobs import JobStatus, JobStore

    store = JobStore.open(url)
    store.attach(job_id)
    print("ready", flush=True)
    sys.stdin.readline()  # go
    committed = []
    for n in range(1, count + 1):
        store.event(job_id, f"bench event {n}")
        committed.append(time.time())
        time.sleep(EVENT_GAP)
    store.finish(job_id, JobStatus.SUCCEEDED)
    store.close()
    print(json.dumps(committed), flush=True)


# -- seeding -----------------------------------------------------------------------------------
def seed(url: str, bench_spec: str, project: str) -> None:
    """99 more clusters and day-two jobs up to JOBS, each with EVENTS_PER_JOB events."""
    from powerbridge.jobs import JobStatus, JobStore

    store = JobStore.open(url)
    made = len(store.jobs())
    who = {"owner": "root", "project": project, "cloud": None}
    for n in range(JOBS - made):
        name = f"seed{n % (CLUSTERS - 1) + 1}"
        first = n < CLUSTERS - 1
        action = "create" if first else ("failover", "stop", "start")[n % 3]
        spec = {"text": bench_spec.replace("bench", name)} if first else {"options": {}}
        job = store.create_job("cluster", name, action=action, spec=spec, source="portal", **who)
        with store.batch():
            for e in range(EVENTS_PER_JOB):
                store.event(job.id, f"step{e}: done", kind="step", name=f"step{e}")
        store.finish(job.id, JobStatus.SUCCEEDED, {"seconds": 1.0})
    store.close()


# -- the portal --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def portal_process(env: dict[str, str], url: str, directory: Path, ssh: Path) -> Iterator[str]:
    port = free_port()
    command = [
        *(sys.executable, "-m", "powerbridge", "portal", "--host", "127.0.0.1"),
        *("--port", str(port), "--store", url, "--data-dir", str(directory / "portal")),
        *("--ssh-config", str(ssh), "--workers", "1"),
    ]
    log = (directory / "portal.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/signin", trust_env=False).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    f"the portal did not start: {(directory / 'portal.log').read_text()}"
                )
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def sign_in(base: str) -> httpx.Client:
    browser = httpx.Client(base_url=base, timeout=120.0, trust_env=False)
    token = FORM_CSRF.search(browser.get("/signin").text)
    assert token is not None
    body = {"user": "root", "password": "passw0rd", "domain": "Default", "csrf_token": token[1]}
    answer = browser.post("/signin", data=body)
    if answer.headers.get("location") == "/signin/project":
        page = browser.get("/signin/project").text
        found = re.search(r'<option value="([^"]+)">ibm-default</option>', page)
        token = FORM_CSRF.search(page)
        assert found is not None
        assert token is not None
        browser.post("/signin/project", data={"project_id": found[1], "csrf_token": token[1]})
    return browser


def build_bench(browser: httpx.Client, spec: str) -> dict[str, Any]:
    page = browser.get("/").text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert csrf is not None
    headers = {"Content-Type": "application/yaml", "X-CSRF-Token": csrf[1]}
    answer = browser.post("/api/v1/clusters", content=spec, headers=headers)
    assert answer.status_code == 202, answer.text
    job: dict[str, Any] = answer.json()["job"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = browser.get(f"/api/v1/jobs/{job['id']}").json()["job"]
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.2)
    assert job["status"] == "succeeded", job
    return job


# -- measuring ---------------------------------------------------------------------------------
def page_times(browser: httpx.Client, path: str, requests: int) -> dict[str, float]:
    first = time.perf_counter()
    answer = browser.get(path)
    cold = time.perf_counter() - first
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = browser.get(path)
        samples.append(time.perf_counter() - started)
        assert answer.status_code == 200
    return {
        "first_ms": ms(cold),
        "median_ms": ms(statistics.median(samples)),
        "p95_ms": ms(p95(samples)),
    }


async def follow(base: str, cookies: dict[str, str], job_id: int) -> list[tuple[int, float]]:
    """(seq, arrival time) of each progress event of one SSE stream, to its `end`."""
    arrived: list[tuple[int, float]] = []
    client = httpx.AsyncClient(base_url=base, cookies=cookies, timeout=120, trust_env=False)
    async with client, client.stream("GET", f"/api/v1/jobs/{job_id}/events") as stream:
        seq = None
        async for line in stream.aiter_lines():
            if line.startswith("id: "):
                seq = int(line.removeprefix("id: "))
            elif line.startswith("event: end"):
                return arrived
            elif line.startswith("data: ") and seq is not None:
                arrived.append((seq, time.time()))
                seq = None
    return arrived


def follow_streams(base: str, cookies: str, job_id: int, streams: int) -> None:
    """A client process: `streams` SSE streams on the job; print "ready" once they are open,
    then every stream's arrivals as JSON."""

    async def main() -> list[list[tuple[int, float]]]:
        jar = json.loads(cookies)
        tasks = [asyncio.create_task(follow(base, jar, job_id)) for _ in range(streams)]
        await asyncio.sleep(1.0)  # every stream open and waiting before the first event
        print("ready", flush=True)
        return await asyncio.gather(*tasks)

    print(json.dumps(asyncio.run(main())), flush=True)


def deliveries(
    url: str, base: str, cookies: httpx.Cookies, clients: int, count: int
) -> dict[str, Any]:
    """`clients` SSE clients (in up to CLIENT_PROCESSES processes, so that the clients' own
    parsing does not queue their arrivals) on a job another process writes `count` events to."""
    from powerbridge.jobs import JobStore

    store = JobStore.open(url)
    job = store.create_job("benchmark", "bench-events", action="follow")  # the writer attaches
    store.close()
    writer = subprocess.Popen(
        [sys.executable, __file__, "--write-events", url, str(job.id), str(count)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdin is not None
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "ready"
    jar = json.dumps(dict(cookies.items()))
    processes = min(clients, CLIENT_PROCESSES)
    shares = [clients // processes + (n < clients % processes) for n in range(processes)]
    followers = [
        subprocess.Popen(
            [sys.executable, __file__, "--follow", base, jar, str(job.id), str(share)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for share in shares
    ]
    for follower in followers:
        assert follower.stdout is not None
        assert follower.stdout.readline().strip() == "ready"
    writer.stdin.write("go\n")
    writer.stdin.flush()
    received: list[list[tuple[int, float]]] = []
    for follower in followers:
        assert follower.stdout is not None
        received.extend(json.loads(follower.stdout.readline()))
        follower.wait(timeout=60)
    committed = json.loads(writer.stdout.readline())
    writer.wait(timeout=60)
    expected = list(range(1, count + 1))
    missed = sum(1 for got in received if [seq for seq, _ in got] != expected)
    delays = [at - committed[seq - 1] for got in received for seq, at in got]
    return {
        "clients": clients,
        "events": count,
        "streams_missing_or_misordered": missed,
        "delay_median_ms": ms(statistics.median(delays)),
        "delay_p95_ms": ms(p95(delays)),
        "delay_max_ms": ms(max(delays)),
    }


def measure(kind: str, url: str, requests: int, clients: int) -> dict[str, Any]:
    from tests.support.clirun import OS_VARIABLES

    from powerbridge.emulator.config import EmulatorConfig
    from powerbridge.emulator.server import running_emulator

    spec = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
    spec = spec.replace("appha", "bench").replace("address: 192.168.100.251", "allocate: true")
    config = EmulatorConfig(port=0, data_dir=None, clock="instant", ssh_ports=(0, 0))
    with tempfile.TemporaryDirectory() as scratch, running_emulator(config) as emulator:
        assert emulator.ssh_config is not None
        env = {k: v for k, v in os.environ.items() if k not in OS_VARIABLES}
        env.update(emulator.env(), PYTHONPATH=str(ROOT / "src"))
        with portal_process(env, url, Path(scratch), emulator.ssh_config) as base:
            browser = sign_in(base)
            job = build_bench(browser, spec)
            seed(url, spec, job["project"])
            figures: dict[str, Any] = {
                "baseline_signin": page_times(browser, "/signin", requests),
                "dashboard": page_times(browser, "/", requests),
                "cluster_page": page_times(browser, "/clusters/bench", requests),
                "one_client": deliveries(url, base, browser.cookies, 1, 100),
                "many_clients": deliveries(url, base, browser.cookies, clients, 200),
            }
    base_ms = figures["baseline_signin"]["median_ms"]
    for page in ("dashboard", "cluster_page"):
        figures[page]["vs_baseline"] = round(figures[page]["median_ms"] / base_ms, 1)
    report(kind, figures)
    return figures


def report(kind: str, figures: dict[str, Any]) -> None:
    print(f"== {kind}")
    for page in ("baseline_signin", "dashboard", "cluster_page"):
        f = figures[page]
        ratio = f" ({f['vs_baseline']}x the baseline)" if "vs_baseline" in f else ""
        print(
            f"{page:<16} median {f['median_ms']:7.1f} ms  p95 {f['p95_ms']:7.1f} ms"
            f"  first {f['first_ms']:7.1f} ms{ratio}"
        )
    for name in ("one_client", "many_clients"):
        f = figures[name]
        print(
            f"{name:<16} {f['clients']} client(s) x {f['events']} events: delay median"
            f" {f['delay_median_ms']} ms, p95 {f['delay_p95_ms']} ms, max {f['delay_max_ms']} ms;"
            f" streams missing an event: {f['streams_missing_or_misordered']}"
        )


def missed(kind: str, figures: dict[str, Any]) -> list[str]:
    problems = []
    for page in ("dashboard", "cluster_page"):
        if figures[page]["median_ms"] > PAGE_MEDIAN_MS or figures[page]["p95_ms"] > PAGE_P95_MS:
            problems.append(f"{kind} {page} {figures[page]}")
    for name in ("one_client", "many_clients"):
        f = figures[name]
        late = name == "one_client" and f["delay_max_ms"] > EVENT_MS  # 50: none missed
        if late or f["streams_missing_or_misordered"]:
            problems.append(f"{kind} {name} {f}")
    return problems


@contextlib.contextmanager
def postgresql() -> Iterator[str | None]:
    from tests.jobs.postgres import find_binaries, postgres_cluster

    binaries = find_binaries()
    if binaries is None:
        yield None
        return
    with postgres_cluster(binaries, durable=True) as url:
        yield url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests timed per page")
    parser.add_argument("--clients", type=int, default=50, help="concurrent SSE clients")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument(
        "--follow", nargs=4, metavar=("BASE", "COOKIES", "JOB", "STREAMS"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--write-events", nargs=3, metavar=("URL", "JOB", "COUNT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.write_events:
        url, job, count = args.write_events
        write_events(url, int(job), int(count))
        return 0
    if args.follow:
        base, cookies, job, streams = args.follow
        follow_streams(base, cookies, int(job), int(streams))
        return 0
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        results["sqlite"] = measure("sqlite", f"{scratch}/jobs.sqlite", args.requests, args.clients)
    if not args.sqlite_only:
        with postgresql() as url:
            if url is None:
                print("postgresql  skipped: no /usr/lib/postgresql/*/bin")
            else:
                results["postgresql"] = measure("postgresql", url, args.requests, args.clients)
    print(json.dumps(results))
    problems = [p for kind, figures in results.items() for p in missed(kind, figures)]
    print("targets missed: " + "; ".join(problems) if problems else "targets met")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
