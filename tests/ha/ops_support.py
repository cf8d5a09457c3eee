"""Built clusters for the day-two operations: created as `ha create` creates them (the spec's
text kept in the job), then operated on over the emulator's real HTTP and SSH.

```python
def test_it(ops_cluster: OpsCluster) -> None:
    job = ops_cluster.call(failover, to_node="appha-node2")
    ops_cluster.ssh("appha-node1", "clRGinfo -s")
```
`ops_cluster` is one per module (operations that leave the cluster as they found it);
`fresh_cluster` is one per test (destructive ones: delete).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from powerbridge.client import Cloud
from powerbridge.ha.identity import Identity
from powerbridge.ha.journal import StepEvent
from powerbridge.ha.model import ClusterSpec
from powerbridge.ha.operations import OperationOptions
from powerbridge.ha.spec import parse_cluster_spec
from powerbridge.jobs import Job, JobStore
from tests.emulator.aix.ssh_support import ssh_run
from tests.ha.cluster_lab import ClusterLab, open_lab

Operation = Callable[
    [Cloud, JobStore, str, Identity, OperationOptions, Callable[[StepEvent], None]],
    Awaitable[Job],
]


def example_text(name: str = "ha-2node.yaml") -> str:
    return resources.files("powerbridge.examples").joinpath(name).read_text()


@dataclass
class OpsCluster:
    lab: ClusterLab
    spec: ClusterSpec
    job: Job

    @property
    def name(self) -> str:
        return self.spec.name

    def options(self, **changes: Any) -> OperationOptions:
        assert self.lab.aix.running.ssh_config is not None
        return replace(OperationOptions(ssh_configs=(self.lab.aix.running.ssh_config,)), **changes)

    def call(self, operation: Operation, name: str | None = None, **options: Any) -> Job:
        """Run `operation` on the cluster (or on `name`) as the CLI does; the finished job."""
        chosen = self.options(**options)
        lab = self.lab

        async def work(cloud: Cloud) -> Job:
            return await operation(
                cloud, lab.store, name or self.name, lab.identity, chosen, lab.events.append
            )

        return lab.run(work)

    def cli_env(self) -> dict[str, str]:
        """The environment `powerbridge ha ...` runs in against this lab (its cloud and the
        emulator's ssh/config)."""
        running = self.lab.aix.running
        assert running.ssh_config is not None
        return {**running.env(), "POWERBRIDGE_SSH_CONFIG": str(running.ssh_config)}

    def cli_options(self) -> list[str]:
        """The lab's job store and key, as `ha` command options."""
        database = self.lab.store.engine.url.database
        assert database is not None
        return ["--store", database, "--ssh-key", str(self.lab.key.path)]

    def ssh(self, node: str, command: str) -> str:
        """`command`'s stdout on `node`, over SSH as an admin would run it (exit 0 asserted)."""

        async def work(_: Cloud) -> str:
            done = await ssh_run(self.lab.aix, node, self.lab.key, command)
            assert done.exit_status == 0, (command, done.stdout, done.stderr)
            return str(done.stdout)

        return self.lab.run(work)


def build(directory: Path, example: str = "ha-2node.yaml") -> Iterator[OpsCluster]:
    for lab in open_lab(directory):
        text = example_text(example)
        spec = parse_cluster_spec(text, source=example)
        spec = replace(spec, ssh=replace(spec.ssh, private_key=str(lab.key.path)))
        job = lab.create(spec, spec_text=text, source=example)
        yield OpsCluster(lab, spec, job)


@pytest.fixture(scope="module", name="ops_cluster")
def ops_cluster_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsCluster]:
    yield from build(tmp_path_factory.mktemp("ops"))


@pytest.fixture(name="fresh_cluster")
def fresh_cluster_fixture(tmp_path: Path) -> Iterator[OpsCluster]:
    yield from build(tmp_path)
