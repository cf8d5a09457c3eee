"""Clusters built for real: an emulator with simulated AIX nodes over HTTP and SSH, a job
store in a file, a client key, and `create_cluster` run as `ha create` runs it.

```python
def test_something(built_cluster: BuiltCluster) -> None:
    built_cluster.lab.aix.http...   # the emulator's HTTP API
    built_cluster.run(lambda cloud: read_cluster(cloud, ...))
```
`built_cluster` (one per module) is the shipped ha-2node example, created; `cluster_lab`
(one per test) is the same setting with nothing created yet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import pytest

from powerbridge.client import Cloud
from powerbridge.ha.create import CreateOptions, create_cluster
from powerbridge.ha.identity import Identity
from powerbridge.ha.journal import StepEvent
from powerbridge.ha.model import ClusterSpec
from powerbridge.ha.spec import parse_cluster_spec
from powerbridge.jobs import Job, JobStore
from tests.emulator.aix.ssh_support import ClientKey, Lab, client_key, lab, lab_config
from tests.ha.node_access_support import key_identity

T = TypeVar("T")


def example_spec(name: str = "ha-2node.yaml", **changes: Any) -> ClusterSpec:
    """A shipped example, parsed; `changes` replace top-level fields."""
    text = resources.files("powerbridge.examples").joinpath(name).read_text()
    return replace(parse_cluster_spec(text, source=name), **changes)


@dataclass
class ClusterLab:
    """An emulator with AIX nodes, a job store and the key every cluster here uses."""

    aix: Lab
    store: JobStore
    key: ClientKey
    identity: Identity
    events: list[StepEvent]

    def run(self, work: Callable[[Cloud], Awaitable[T]]) -> T:
        """`work` with a client signed in to the emulator, in a fresh event loop."""

        async def main() -> T:
            async with Cloud.connect(environ=self.aix.running.env()) as cloud:
                return await work(cloud)

        return asyncio.run(main())

    def spec(self, example: str = "ha-2node.yaml", **changes: Any) -> ClusterSpec:
        """An example whose SSH access is this lab's key."""
        spec = example_spec(example, **changes)
        return replace(spec, ssh=replace(spec.ssh, private_key=str(self.key.path)))

    def options(self, **changes: Any) -> CreateOptions:
        """`ha create`'s options reaching the nodes through the emulator's ssh/config."""
        assert self.aix.running.ssh_config is not None
        return replace(CreateOptions(ssh_configs=(self.aix.running.ssh_config,)), **changes)

    def create(self, spec: ClusterSpec, **options: Any) -> Job:
        """Create (or, with resume=True, continue) `spec`'s cluster; the finished job."""
        chosen = self.options(**options)

        async def work(cloud: Cloud) -> Job:
            return await create_cluster(
                cloud, spec, self.store, self.identity, chosen, self.events.append
            )

        return self.run(work)


@dataclass
class BuiltCluster:
    lab: ClusterLab
    spec: ClusterSpec
    job: Job

    def run(self, work: Callable[[Cloud], Awaitable[T]]) -> T:
        return self.lab.run(work)


def open_lab(directory: Path, clock: str = "instant") -> Iterator[ClusterLab]:
    config = lab_config(directory / "emulator", directory / "logs", clock)
    store = JobStore.open(str(directory / "jobs.db"))
    try:
        with lab(config) as aix:
            key = client_key(directory)
            yield ClusterLab(aix, store, key, key_identity(key, directory), [])
    finally:
        store.close()


@pytest.fixture(name="cluster_lab")
def cluster_lab_fixture(tmp_path: Path) -> Iterator[ClusterLab]:
    yield from open_lab(tmp_path)


@pytest.fixture(scope="module", name="built_cluster")
def built_cluster_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltCluster]:
    for built in open_lab(tmp_path_factory.mktemp("built")):
        spec = built.spec()
        job = built.create(spec)
        yield BuiltCluster(built, spec, job)
