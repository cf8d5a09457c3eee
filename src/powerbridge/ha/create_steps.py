"""The steps of a cluster create, each a coroutine over the shared `Build`.

PowerVC's side (key pair, service IP port, the deploy) goes through the SDK and the batch
deployer; the nodes' side runs the commands `ha.node_commands` writes, through the executor.
Each returns the words its progress line ends with.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from powerbridge.client import NotFound
from powerbridge.ha import node_commands
from powerbridge.ha.deployment import service_port_name
from powerbridge.ha.errors import StepFailed
from powerbridge.ha.pacing import pause
from powerbridge.ha.topology_reader import read_topology
from powerbridge.jobs import ItemState

if TYPE_CHECKING:
    from powerbridge.ha.workflow import Build, Step

__all__ = ["STEP_FUNCTIONS"]

BOOT_WAIT_SECONDS = 1800.0  # an LPAR's first boot, cloud-init included
VERIFY_WAIT_SECONDS = 900.0
VERIFY_POLL_SECONDS = (0.2, 1.0)  # the shortest and longest pause between looks (ha.pacing)


async def validate(build: Build) -> str:
    from powerbridge.ha.errors import PlanBlocked
    from powerbridge.ha.plan import plan_cluster

    plan = await plan_cluster(
        build.cloud,
        build.spec,
        public_key_fingerprint=build.identity.fingerprint,
        authorized_keys=build.authorized_keys,
    )
    if not plan.ok:
        first = plan.blocks[0]
        raise StepFailed("validate", f"the plan is blocked: {first}") from PlanBlocked(str(first))
    build.facts["plan"] = plan
    return f"{len(plan.plan.creates)} PowerVC resources to create"


def _intend(build: Build, kind: str, name: str) -> None:
    """Record that this job is about to create `name`: killed between the create and its
    record, the resume still knows the resource is the cluster's (`ha delete` removes it)."""
    build.journal.store.put_item(
        build.journal.job.id, kind, name, ItemState.BUILDING, created_here=True
    )


def _intended(build: Build, kind: str, name: str) -> bool:
    """Whether an earlier run of this job set out to create `name` (and maybe did)."""
    return any(
        item.kind == kind and item.name == name and item.created_here
        for item in build.journal.store.items(build.journal.job.id)
    )


async def key_pair(build: Build) -> str:
    name = build.spec.ssh.key_pair
    try:
        pair = await build.cloud.compute.keypair(name)
        if not _intended(build, "keypair", name):
            return f"key pair {name} exists"
    except NotFound:
        _intend(build, "keypair", name)
        pair = await build.cloud.compute.create_keypair(name, build.identity.public_key)
    build.journal.store.put_item(
        build.journal.job.id,
        "keypair",
        name,
        ItemState.DONE,
        resource_id=pair.name,
        created_here=True,
    )
    return f"created key pair {name} from {build.identity.source}"


async def service_ip(build: Build) -> str:
    """A Neutron port holds the service address, so no deploy takes it."""
    spec, network = build.spec, build.cloud.network
    name = service_port_name(spec.name)
    found = [port for port in await network.ports() if port.name == name]
    if found and not _intended(build, "port", name):
        return f"port {name} holds {found[0].ips[0]}"
    if found:
        port = found[0]  # created by the run a kill stopped before it was recorded
    else:
        net = await network.find_network(spec.network)
        _intend(build, "port", name)
        port = await network.create_port(
            net.id,
            name=name,
            fixed_ip=spec.service_ip.address,
            description=f"service IP {spec.service_ip.label} of PowerHA cluster {spec.name}",
        )
    build.journal.store.put_item(
        build.journal.job.id,
        "port",
        name,
        ItemState.DONE,
        resource_id=port.id,
        created_here=True,
        details={"address": port.ips[0]},
    )
    return f"port {name} reserves {port.ips[0]}"


async def deploy(build: Build) -> str:
    from powerbridge.deploy.apply import ApplyOptions, ProgressEvent, apply_plan

    plan = build.facts["plan"]
    journal = build.journal

    def progress(event: ProgressEvent) -> None:
        # the deployer's message starts with its state ("creating (1 GB ...)"): said once
        detail = event.message.removeprefix(event.state).strip(" :")
        detail = detail[1:-1] if detail.startswith("(") and detail.endswith(")") else detail
        journal.say("deploy", event.state, detail, node=f"{event.kind} {event.name}")

    options = ApplyOptions(finish_job=False)
    report = await apply_plan(
        build.cloud, plan.plan, plan.view, journal.store, journal.job, options, progress
    )
    if report.failed:
        first = report.failed[0]
        raise StepFailed("deploy", f"{first.kind} {first.name}: {first.fault or first.status}")
    return f"{len(report.resources)} PowerVC resources ready"


async def ssh(build: Build) -> str:
    topology = await _topology(build)
    deadline = time.monotonic() + BOOT_WAIT_SECONDS

    async def reach(name: str, address: str) -> None:
        key = await build.executor.connect(name, address, deadline=deadline)
        build.journal.node(name, address=address, host_key=key)
        build.journal.say("ssh", "up", address, node=name)

    await asyncio.gather(*(reach(node.name, node.address) for node in topology.nodes))
    return f"{len(topology.nodes)} nodes answer over SSH"


async def _topology(build: Build) -> Any:
    if build.topology is None:
        build.topology = await read_topology(build.cloud, build.spec)
    return build.topology


async def prepare(build: Build) -> str:
    topology = await _topology(build)
    await build.run_all("prepare", node_commands.prepare(build.spec, topology))
    return "hosts, rhosts, clcomd and the application scripts on every node"


async def disks(build: Build) -> str:
    topology = await _topology(build)
    for phase in node_commands.disks(build.spec, topology):
        await build.run_all("disks", phase)
    return f"{len(topology.disks)} shared disks found by WWN on every node"


def _one(name: str) -> Step:
    async def step(build: Build) -> str:
        topology = await _topology(build)
        command = getattr(node_commands, name)(build.spec, topology)
        if command is None:
            return "nothing to run"
        result = await build.run(name, command)
        return command.description if result.ok else ""

    return step


async def verify(build: Build) -> str:
    from powerbridge.ha.verify import look

    await _topology(build)
    began = time.monotonic()
    while True:
        health, results = await look(build)
        normal = health.state == "Active" and health.status == "Normal"
        waited = time.monotonic() - began
        if normal or waited > VERIFY_WAIT_SECONDS:
            break
        await asyncio.sleep(pause(waited, *VERIFY_POLL_SECONDS))
    for result in results:  # the last look is what the job keeps
        build.journal.command("verify", result)
    if not normal:
        raise StepFailed(
            "verify", f"{health.state} / {health.status}: " + "; ".join(health.reasons)
        )
    return "Active / Normal: ST_STABLE on every node, the group ONLINE on its home node"


STEP_FUNCTIONS: dict[str, Step] = {
    "validate": validate,
    "key_pair": key_pair,
    "service_ip": service_ip,
    "deploy": deploy,
    "ssh": ssh,
    "prepare": prepare,
    "disks": disks,
    "cluster": _one("cluster"),
    "resources": _one("resources"),
    "sync": _one("sync"),
    "online": _one("online"),
    "verify": verify,
    "application": _one("application"),
}
