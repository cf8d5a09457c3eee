"""What the node-side tests share: a cluster spec over `deploy_cluster_servers`' nodes, its
topology from what PowerVC made, and node commands run over real SSH with asyncssh (the
product's executor is written apart)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from powerbridge.ha.model import (
    ApplicationCommandSpec,
    ApplicationSpec,
    ClusterSpec,
    FileSystemSpec,
    LogicalVolumeSpec,
    NodeSpec,
    ResourceGroupSpec,
    ScriptSpec,
    ServiceIPSpec,
    SharedStorageSpec,
    SshSpec,
)
from powerbridge.ha.node_commands import NodeCommand
from powerbridge.ha.topology import NodeFacts, SharedDisk, Topology
from tests.emulator.aix.cluster_support import Cluster
from tests.emulator.aix.ssh_support import ClientKey, Lab, ssh_run

START = "#!/bin/ksh\necho started on $(hostname) > /tmp/app.state\n"
STOP = "#!/bin/ksh\necho stopped > /tmp/app.state\n"


def cluster_spec(names: list[str], **changes: object) -> ClusterSpec:
    base = ClusterSpec(
        name="hademo",
        nodes=tuple(NodeSpec(name) for name in names),
        image="PowerHA72",
        template="powervm.small",
        network="cmbnet1",
        ssh=SshSpec("halab"),
        service_ip=ServiceIPSpec("hasvc"),
        resource_group=ResourceGroupSpec("rg1"),
        application=ApplicationSpec(
            "app1", ScriptSpec("/opt/app/start.sh", START), ScriptSpec("/opt/app/stop.sh", STOP)
        ),
        shared_storage=SharedStorageSpec(
            count=1,
            size_gb=2,
            logical_volumes=(LogicalVolumeSpec("datalv", 512),),
            file_systems=(FileSystemSpec("/data", "datalv"),),
        ),
        application_command=ApplicationCommandSpec("echo deployed on $(hostname)"),
    )
    fields = {**base.__dict__, **changes}
    return ClusterSpec(**fields)  # type: ignore[arg-type]


def topology_of(cluster: Cluster, *extra: SharedDisk, domain: str | None = None) -> Topology:
    return Topology(
        nodes=tuple(
            NodeFacts(name, cluster.addresses[name], cluster.server_ids[name])
            for name in cluster.names
        ),
        service_address=cluster.service_ip,
        disks=(
            SharedDisk("repository", "hademo-repository", cluster.repository_wwn),
            SharedDisk("data", "hademo-data", cluster.data_wwn),
            *extra,
        ),
        domain=domain,
    )


@dataclass(frozen=True)
class Ran:
    command: NodeCommand
    status: int
    out: str
    err: str


async def _run(aix: Lab, key: ClientKey, command: NodeCommand) -> Ran:
    done = await ssh_run(aix, command.node, key, command.command, stdin=command.stdin)
    status = -1 if done.exit_status is None else int(done.exit_status)  # -1: the answer was lost
    return Ran(command, status, str(done.stdout), str(done.stderr))


def run_all(aix: Lab, key: ClientKey, commands: Iterable[NodeCommand]) -> list[Ran]:
    """The commands of one phase, in parallel as the workflow runs them."""

    async def every() -> list[Ran]:
        return list(await asyncio.gather(*(_run(aix, key, c) for c in commands)))

    return asyncio.run(every())


def run_ok(aix: Lab, key: ClientKey, commands: Iterable[NodeCommand]) -> list[Ran]:
    results = run_all(aix, key, commands)
    for ran in results:
        assert ran.status == 0, (ran.command.node, ran.command.step, ran.out, ran.err)
    return results


def shell(aix: Lab, key: ClientKey, node: str, line: str) -> str:
    done = asyncio.run(ssh_run(aix, node, key, line))
    assert done.exit_status == 0, (node, line, done.stdout, done.stderr)
    return str(done.stdout)


def phases(spec: ClusterSpec, topology: Topology) -> list[list[NodeCommand]]:
    """Every configuring step in the workflow's order, one list per phase."""
    from powerbridge.ha import node_commands as steps

    return [
        steps.prepare(spec, topology),
        *steps.disks(spec, topology),
        [steps.cluster(spec, topology)],
        [steps.resources(spec, topology)],
        [steps.sync(spec, topology)],
        [steps.online(spec, topology)],
    ]
