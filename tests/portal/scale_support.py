"""Portals as separate processes (`powerbridge portal --store postgresql://... --workers N`)
on one PostgreSQL store beside an emulator with AIX nodes, and what the emulator holds.

```python
with scale_lab(directory) as lab:
    first = lab.start_portal()                 # a `powerbridge portal` process, ready
    job = first.submit(cluster_spec("sc1"))    # POST /api/v1/clusters with a Keystone token
    first.kill()                               # SIGKILL: its jobs' leases expire
```
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from powerbridge.client import Cloud, load_config
from powerbridge.ha.model import CLUSTER_TAG
from powerbridge.jobs import Job, JobStatus, JobStore
from tests.emulator.aix.ssh_support import Lab, lab, lab_config
from tests.jobs.postgres import find_binaries, postgres_cluster
from tests.support.clirun import OS_VARIABLES

ROOT = Path(__file__).parents[2]
EXAMPLE = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
PORT_TRIES = 3  # a free port can be taken by another process before the portal binds it
LEASE_SECONDS = 2.0  # a killed portal's job is taken over this soon (loaded machine: not less)
T = TypeVar("T")


def cluster_spec(name: str) -> str:
    """The shipped 2-node example renamed `name`, its service IP allocated by Neutron (the
    example's fixed address is one per network)."""
    text = EXAMPLE.replace("appha", name)
    return text.replace("address: 192.168.100.251", "allocate: true")


def wait_for(check: Callable[[], T | None], what: str, seconds: float = 120) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Portal:
    """One `powerbridge portal` process."""

    process: subprocess.Popen[bytes]
    url: str
    token: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def holds(self, job: Job) -> bool:
        """`job`'s holder is one of this process's workers (or its actions)."""
        return f":{self.pid}:" in (job.lease_owner or "")

    def client(self) -> httpx.Client:
        headers = {"X-Auth-Token": self.token}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0, trust_env=False)

    def submit(self, spec: str) -> dict[str, Any]:
        with self.client() as http:
            answer = http.post(
                "/api/v1/clusters", content=spec, headers={"Content-Type": "application/yaml"}
            )
        assert answer.status_code == 202, answer.text
        job: dict[str, Any] = answer.json()["job"]
        return job

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        with self.client() as http:
            return http.post(path, json=body)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, as systemd stops it: uvicorn shuts down, the workers hand jobs back."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)


@dataclass
class ScaleLab:
    aix: Lab
    store_url: str
    directory: Path
    portals: list[Portal] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in OS_VARIABLES}
        env.update(self.aix.running.env())
        env["PYTHONPATH"] = str(ROOT / "src")
        return env

    def start_portal(self, workers: int = 2) -> Portal:
        for _ in range(PORT_TRIES):  # the free port can be taken before the portal binds it
            portal = self._launch(free_port(), workers)
            if wait_for(partial(self._answers, portal), f"the portal at {portal.url}", 60) == "up":
                return portal
            self.portals.remove(portal)
        raise AssertionError(f"no free port for a portal in {PORT_TRIES} tries")

    def _launch(self, port: int, workers: int) -> Portal:
        ssh = self.aix.running.ssh_config
        assert ssh is not None
        command = [
            *(sys.executable, "-m", "powerbridge", "portal"),
            *("--host", "127.0.0.1", "--port", str(port), "--store", self.store_url),
            *("--data-dir", str(self.directory / "portal"), "--ssh-config", str(ssh)),
            *("--workers", str(workers), "--lease-seconds", str(LEASE_SECONDS)),
        ]
        log = self.directory / f"portal-{len(self.portals) + 1}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=self.env(), stdout=out, stderr=out)
        portal = Portal(process, f"http://127.0.0.1:{port}", self.token(), log)
        self.portals.append(portal)
        return portal

    def _answers(self, portal: Portal) -> str | None:
        """ "up" once it answers, "taken" if it could not bind its port; None meanwhile."""
        if portal.process.poll() is not None:
            said = portal.log.read_text()
            if "address already in use" in said.lower():
                return "taken"
            raise AssertionError(f"the portal ended: {said}")
        try:
            answer = httpx.get(f"{portal.url}/signin", timeout=5, trust_env=False)
        except httpx.TransportError:
            return None
        return "up" if answer.status_code == 200 else None

    def token(self) -> str:
        """root's Keystone token for its project, as an API client holds one."""
        return self.aix.token

    def store(self) -> JobStore:
        return JobStore.open(self.store_url)

    def cloud(self, work: Callable[[Cloud], Any]) -> Any:
        async def main() -> Any:
            config = load_config(environ=self.aix.running.env(), search_path=[])
            async with Cloud.connect(config=config) as cloud:
                return await work(cloud)

        return asyncio.run(main())

    def servers(self) -> Counter[str]:
        """How many servers of each name PowerVC has, of the clusters' (tagged) ones."""

        async def work(cloud: Cloud) -> Counter[str]:
            found = await cloud.compute.servers()
            return Counter(s.name for s in found if CLUSTER_TAG in s.metadata)

        result: Counter[str] = self.cloud(work)
        return result

    def volumes(self) -> Counter[str]:
        """How many volumes each cluster has (by its tag)."""

        async def work(cloud: Cloud) -> Counter[str]:
            found = await cloud.volume.volumes()
            return Counter(v.metadata[CLUSTER_TAG] for v in found if CLUSTER_TAG in v.metadata)

        result: Counter[str] = self.cloud(work)
        return result


def finished(store: JobStore, ids: list[int]) -> list[Job] | None:
    jobs = [store.job(i) for i in ids]
    return jobs if all(job.status.finished for job in jobs) else None


def running_step_of(store: JobStore, portal: Portal) -> Job | None:
    """A create `portal` runs that has done its deploy step and not finished."""
    for job in store.jobs(status=JobStatus.RUNNING):
        if not portal.holds(job):
            continue
        done = {i.name for i in store.items(job.id) if i.kind == "step" and i.state.value == "done"}
        if "deploy" in done:
            return job
    return None


@contextmanager
def scale_lab(directory: Path) -> Iterator[ScaleLab]:
    binaries = find_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL's binaries are absent (no /usr/lib/postgresql/*/bin/initdb):"
            " apt-get install postgresql"
        )
    config = lab_config(directory / "emulator", directory / "logs")
    with postgres_cluster(binaries) as url, lab(config) as aix:
        aix.login()
        store_url = url.replace("postgresql://", "postgresql+psycopg://")
        JobStore.open(store_url).close()  # the schema, made once before the portals start
        scale = ScaleLab(aix, store_url, directory)
        try:
            yield scale
        finally:
            for portal in scale.portals:
                if portal.process.poll() is None:
                    portal.process.kill()
                    portal.process.wait(timeout=30)
