"""The demo's HA part: the shipped ha-2node example built as `powerbridge ha create` builds it,
shown Active / Normal, its home node stopped through PowerVC, the group followed to the other
node. Every state shown is read from the nodes (`ha.health` over the verify commands) and
from PowerVC (the servers' status), as `ha show` reads them.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from powerbridge.cli.demo_flow import say

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.ha.executor import NodeExecutor
    from powerbridge.ha.health import Health
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.model import ClusterSpec
    from powerbridge.ha.topology import Topology
    from powerbridge.jobs import JobStore

EXAMPLE = "ha-2node.yaml"  # shipped in powerbridge/examples
FALLOVER_WAIT_SECONDS = 600.0  # emulated failure detection + acquire take 30 s at speed 1
POLL_SECONDS = 0.25


def throwaway_key(folder: Path) -> Path:
    """A new ed25519 key in the demo's data dir: the nodes get its public half."""
    import asyncssh

    path = folder / "demo_ed25519"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(path))
    path.chmod(0o600)
    return path


def example_cluster(key: Path) -> ClusterSpec:
    from powerbridge.ha.spec import parse_cluster_spec

    text = resources.files("powerbridge.examples").joinpath(EXAMPLE).read_text()
    spec = parse_cluster_spec(text, source=EXAMPLE)
    return replace(spec, ssh=replace(spec.ssh, private_key=str(key)))


async def run_cluster(cloud: Cloud, ssh_config: Path, folder: Path, store_path: Path) -> int:
    """Build, show, fail over; 0 when the group fell over, 1 otherwise."""
    from powerbridge.cli.ha_view import StepProgress
    from powerbridge.ha.create import CreateOptions, create_cluster
    from powerbridge.ha.errors import HAError
    from powerbridge.ha.identity import load_identity
    from powerbridge.ha.node_errors import NodeAccessError
    from powerbridge.jobs import JobStore

    key = throwaway_key(folder)
    spec = example_cluster(key)
    say(f"Building the PowerHA cluster {spec.name} of examples/{EXAMPLE} (a throwaway key):")
    identity = load_identity(str(key), None, env={}, interactive=False)
    store = JobStore.open(str(store_path))
    try:
        options = CreateOptions(ssh_configs=(ssh_config,), source=EXAMPLE)
        try:
            with StepProgress(stream=sys.stdout, live=False) as progress:
                await create_cluster(cloud, spec, store, identity, options, progress.event)
        except HAError as problem:
            say(f"  the create failed: {problem}")
            return 1
        try:
            return await _fall_over(cloud, spec, store, identity, ssh_config)
        except NodeAccessError as problem:  # a node that stopped answering: one line
            say(f"  {problem}")
            return 1
    finally:
        store.close()


async def _fall_over(
    cloud: Cloud, spec: ClusterSpec, store: JobStore, identity: Identity, ssh_config: Path
) -> int:
    """Show the cluster, stop its home node's server, show where the group went."""
    from powerbridge.ha.executor import NodeExecutor
    from powerbridge.ha.journal import pinned_host_keys
    from powerbridge.ha.topology_reader import read_topology

    topology = await read_topology(cloud, spec)
    pins = pinned_host_keys(store, spec.name)  # the keys the create pinned
    executor = NodeExecutor(identity, ssh_configs=[ssh_config], pins=pins, cluster=spec.name)
    async with executor:
        deadline = time.monotonic() + 60.0
        for node in topology.nodes:
            await executor.connect(node.name, node.address, deadline=deadline)
        health = await cluster_health(cloud, executor, spec, topology)
        show(spec, health)
        home = next(node for node in topology.nodes if node.name == spec.home_node)
        say(f"Stopping the home node {home.name} through PowerVC (nova stop) ...")
        assert home.server_id is not None  # read_topology lists servers by id
        await cloud.compute.stop_server(home.server_id)
        health = await _until_moved(cloud, executor, spec, topology)
    show(spec, health)
    moved = health.group_node not in (None, spec.home_node)
    if moved:
        say(f"  {spec.resource_group.name} fell over to {health.group_node}")
    return 0 if moved else 1


async def _until_moved(
    cloud: Cloud, executor: NodeExecutor, spec: ClusterSpec, topology: Topology
) -> Health:
    """Poll until the group is online on another node than its home (or time runs out)."""
    deadline = time.monotonic() + FALLOVER_WAIT_SECONDS
    seen = ""
    while True:
        health = await cluster_health(cloud, executor, spec, topology)
        words = f"{health.state} / {health.status}, group on {health.group_node or 'no node'}"
        if words != seen:
            seen = words
            say(f"  {words}")
        moved = health.group_node not in (None, spec.home_node)
        if moved or time.monotonic() > deadline:
            return health
        await asyncio.sleep(POLL_SECONDS)


async def cluster_health(
    cloud: Cloud, executor: NodeExecutor, spec: ClusterSpec, topology: Topology
) -> Health:
    """The cluster as `ha.health` judges it: each running node's verify output (the state
    of its cluster manager, CAA's view, clRGinfo), the servers' status from PowerVC."""
    from powerbridge.ha import node_commands
    from powerbridge.ha.health import assess, cluster_observation

    status = {
        node.name: (await cloud.compute.server(node.server_id)).status
        for node in topology.nodes
        if node.server_id is not None
    }
    running = [
        command
        for command in node_commands.verify_commands(spec, topology)
        if status.get(command.node) == "ACTIVE"
    ]
    results = await asyncio.gather(
        *(executor.run(c.node, c.command, stdin=c.stdin, step="demo") for c in running)
    )
    outputs: dict[str, str | None] = dict.fromkeys(spec.node_names)
    outputs.update({r.node: r.stdout if r.ok else None for r in results})
    why = {r.node: r.error_line for r in results if not r.ok}
    observation = cluster_observation(
        spec.home_node, outputs, server_status=dict(status), unreachable=why
    )
    return assess(observation)


def show(spec: ClusterSpec, health: Health) -> None:
    say(f"Cluster {spec.name}: {health.state} / {health.status}")
    group = spec.resource_group.name
    say(f"  {group} online on {health.group_node or 'no node'}")
    for reason in health.reasons:
        say(f"  - {reason}")
