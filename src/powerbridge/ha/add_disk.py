"""`ha add-disk NAME --size GB`: a new shared disk in the cluster's volume group on every node.

```
connect -> volume (multiattach, tagged, named <cluster>-data-<n>) -> attach (every node)
  -> disks (cfgmgr, found by WWN through lspv -u, PVID, no_reserve: as create does)
  -> extend (C-SPOC: clmgr modify volume_group VG ADD=hdiskN, then sync) -> verify (lspv -u
     on every node shows the disk in the VG)
```
Idempotent on retry: an add-disk that stopped (failed, interrupted) left its volume's name in
its job; the next add-disk of the cluster continues with that volume instead of making a
second, and every node-side step asks before it changes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from powerbridge.client.volume import VolumeCreate
from powerbridge.client.waiter import wait_for_volumes
from powerbridge.ha import node_disks, node_prepare
from powerbridge.ha.errors import HAError, StepFailed
from powerbridge.ha.journal import CLUSTER
from powerbridge.ha.ksh import quote
from powerbridge.ha.model import CLUSTER_TAG
from powerbridge.ha.node_cluster import sync
from powerbridge.ha.node_commands import NodeCommand, header
from powerbridge.ha.node_values import DiskRef, values_for
from powerbridge.ha.operations import (
    ADD_DISK,
    OperationOptions,
    Progress,
    connect_step,
    load_cluster_spec_of,
    run_operation,
)
from powerbridge.ha.parse import disk_by_wwn, lspv_rows
from powerbridge.ha.topology_reader import WWN_KEY, disk_role, read_topology
from powerbridge.jobs import ItemState, JobStatus

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.client.volume import Volume
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.model import ClusterSpec
    from powerbridge.ha.workflow import Build, Step
    from powerbridge.jobs import Job, JobStore

__all__ = ["add_disk", "next_data_name"]

ATTACH_WAIT_SECONDS = 600.0
ATTACH_POLL_SECONDS = 0.5
VOLUME_WAIT_SECONDS = 1800.0
NEW_DISK = "NEWDATA_WWN"  # the shell variable of the new disk's WWN (NEWDATA_DISK: its hdisk)


def next_data_name(cluster: str, names: list[str]) -> str:
    """`<cluster>-data-<n>`, n one more than the highest data volume's."""
    numbers = [
        int(tail)
        for name in names
        if disk_role(cluster, name) == "data" and (tail := name.rpartition("-")[2]).isdigit()
    ]
    return f"{cluster}-data-{max(numbers, default=0) + 1}"


def _own_volume(build: Build) -> str | None:
    """The volume an earlier run of this very job chose (its record was read at the start)."""
    return next((name for kind, name in build.journal.items if kind == "volume"), None)


def _unfinished_volume(build: Build) -> str | None:
    """The volume an earlier add-disk of this cluster chose and did not finish with: this
    job's own when an earlier run of it stopped (a worker took it over)."""
    store, name = build.journal.store, build.spec.name
    mine = _own_volume(build)
    if mine is not None:
        return mine
    for job in store.jobs(name, kind=CLUSTER, action=ADD_DISK):
        if job.id == build.journal.job.id:
            continue
        if job.status is JobStatus.SUCCEEDED:
            return None
        return next((i.name for i in store.items(job.id) if i.kind == "volume"), None)
    return None


async def _cluster_volumes(build: Build) -> tuple[dict[str, Volume], list[str]]:
    """The cluster's volumes by name, and every volume name PowerVC has (a new name is
    numbered past them all, so it names no other volume either)."""
    every = await build.cloud.volume.volumes()
    tagged = {v.name: v for v in every if v.metadata.get(CLUSTER_TAG) == build.spec.name}
    return tagged, [v.name for v in every]


async def _volume(build: Build) -> str:
    options: OperationOptions = build.facts["options"]
    spec, journal = build.spec, build.journal
    volumes, names = await _cluster_volumes(build)
    earlier = _unfinished_volume(build)
    if earlier is not None and earlier in volumes:
        volume = volumes[earlier]
        said = f"continuing with {earlier}, left by an earlier add-disk"
    else:
        name = next_data_name(spec.name, names)
        template = options.storage_template or spec.shared_storage.storage_template
        journal.store.put_item(journal.job.id, "volume", name, ItemState.CREATING)
        volume, _ = await build.cloud.volume.create_volume(
            VolumeCreate(
                size=options.size_gb or 0,
                name=name,
                storage_template=template,
                multiattach=True,
                description=f"shared data volume of PowerHA cluster {spec.name}"
                f" ({spec.shared_storage.volume_group})",
                metadata={CLUSTER_TAG: spec.name},
            )
        )
        said = f"created {name} ({volume.size} GB, {template})"
    journal.store.put_item(
        journal.job.id,
        "volume",
        volume.name,
        ItemState.DONE,
        resource_id=volume.id,
        created_here=earlier != volume.name or earlier == _own_volume(build),
    )
    outcome = (
        await wait_for_volumes(build.cloud.volume, [volume.id], timeout=VOLUME_WAIT_SECONDS)
    )[volume.id]
    if not outcome.ok:
        raise StepFailed("volume", f"volume {volume.name} is {outcome.status}, not available")
    build.facts["volume"] = volume.name
    return said


async def _attach(build: Build) -> str:
    assert build.topology is not None  # the connect step read it
    name = build.facts["volume"]
    volume = (await _cluster_volumes(build))[0][name]
    servers = {node.server_id: node.name for node in build.topology.nodes if node.server_id}
    missing = [sid for sid in servers if sid not in volume.server_ids]
    for server_id in missing:  # one at a time: PowerVC maps a multiattach LUN host by host
        await build.cloud.compute.attach_volume(server_id, volume.id)
        build.journal.say("attach", "attached", name, node=servers[server_id])
    deadline = time.monotonic() + ATTACH_WAIT_SECONDS
    while not set(servers) <= set(volume.server_ids):
        if time.monotonic() > deadline:
            absent = [servers[s] for s in servers if s not in volume.server_ids]
            raise StepFailed("attach", f"{name} is not attached to {', '.join(absent)}")
        await asyncio.sleep(ATTACH_POLL_SECONDS)
        volume = await build.cloud.volume.volume(volume.id)
    wwn = volume.metadata.get(WWN_KEY)
    if not wwn:
        raise StepFailed("attach", f"volume {name} has no {WWN_KEY} in PowerVC's metadata")
    build.facts["disk"] = DiskRef("data", "the new data disk", NEW_DISK, wwn, name, volume.size)
    build.topology = await read_topology(build.cloud, build.spec)
    return f"{name} attached to {len(servers)} nodes" if missing else f"{name} was attached"


def _command(build: Build, node: str, step: str, body: str, description: str) -> NodeCommand:
    values = replace(values_for(build.spec, build.topology), disks=(build.facts["disk"],))
    script = f"# powerbridge ha {step} on {node}: {description}\n{header(values, quote(node))}"
    return NodeCommand(node, step, script + body, description)


async def _disks(build: Build) -> str:
    disk: DiskRef = build.facts["disk"]
    home, found = build.spec.home_node, node_disks.locate([disk])
    first = node_prepare.cfgmgr() + found + node_disks.assign_pvids([disk])
    await build.run("disks", _command(build, home, "disks", first, "the new disk by WWN, PVID"))
    checks = found + node_disks.require_pvids([disk], home) + node_disks.no_reserve([disk])
    commands = [
        _command(
            build,
            name,
            "disks",
            checks if name == home else node_prepare.cfgmgr() + checks,
            "PVID read, no_reserve",
        )
        for name in build.spec.node_names
    ]
    await build.run_all("disks", commands)
    return f"{disk.volume_name} found by WWN on every node, PVID and no_reserve set"


def extend_script(spec: ClusterSpec, disk: DiskRef) -> str:
    """The VG extended by C-SPOC unless the disk is in it already, then a sync."""
    vg = spec.shared_storage.volume_group
    variable = node_disks.disk_variable(disk)
    return (
        node_disks.locate([disk])
        + f"pb_vg=$(lspv | awk -v d=\"${variable}\" '$1==d {{print $3}}')\n"
        + f'if [ "$pb_vg" = {quote(vg)} ]; then\n'
        + f'    echo "${variable} is in {vg} already"\n'
        + 'elif [ "$pb_vg" != None ]; then\n'
        + f'    pb_fail "${variable} ({disk.what}) is in volume group $pb_vg, not {vg}"\n'
        + "else\n"
        + f'    pb_run clmgr modify volume_group {quote(vg)} ADD="${variable}"\n'
        + "fi\n"
        + sync()
    )


async def _extend(build: Build) -> str:
    vg = build.spec.shared_storage.volume_group
    body = extend_script(build.spec, build.facts["disk"])
    home = build.spec.home_node
    await build.run("extend", _command(build, home, "extend", body, f"{vg} extended, synced"))
    return f"clmgr modify volume_group {vg} ADD=<the new hdisk>; clmgr sync cluster"


async def _verify(build: Build) -> str:
    disk: DiskRef = build.facts["disk"]
    vg = build.spec.shared_storage.volume_group
    assert disk.wwn is not None
    seen = {}
    for name in build.spec.node_names:
        result = await build.run("verify", NodeCommand(name, "verify", "lspv -u", "lspv -u", False))
        row = disk_by_wwn(lspv_rows(result.stdout), disk.wwn)
        if row is None or row.volume_group != vg:
            shown = "no disk with its WWN" if row is None else f"{row.name} in {row.volume_group}"
            raise StepFailed("verify", f"lspv -u shows {shown}, not a disk of {vg}", node=name)
        seen[name] = row.name
    build.facts["summary"] = {"volume": disk.volume_name, "volume_group": vg, "hdisks": seen}
    return (
        f"{disk.volume_name} is in {vg} on every node ("
        + ", ".join(f"{node} {hdisk}" for node, hdisk in seen.items())
        + ")"
    )


STEPS: dict[str, Step] = {
    "connect": connect_step,
    "volume": _volume,
    "attach": _attach,
    "disks": _disks,
    "extend": _extend,
    "verify": _verify,
}


def _check(spec: ClusterSpec, options: OperationOptions) -> None:
    if options.size_gb is None or options.size_gb < 1:
        raise HAError(
            f"add-disk needs the new disk's size in GB (1 or more), got {options.size_gb}",
            hint="give --size GB",
        )
    if spec.shared_storage.count == 0:
        raise HAError(
            f"cluster {spec.name} has no shared volume group to add a disk to"
            " (its spec has shared_storage.count 0); nothing was created"
        )


async def add_disk(
    cloud: Cloud,
    store: JobStore,
    name: str,
    identity: Identity,
    options: OperationOptions,
    progress: Progress | None = None,
) -> Job:
    """A new `options.size_gb` GB shared disk in cluster `name`'s volume group on every node."""
    spec = load_cluster_spec_of(store, name)
    _check(spec, options)
    return await run_operation(cloud, store, spec, identity, ADD_DISK, STEPS, options, progress)
