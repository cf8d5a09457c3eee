"""`ha delete NAME [--delete-data]`: a snapshot kept in the job, the cluster offline and
deleted on the nodes, then what the cluster made in PowerVC (`ha.delete_inventory`).

```
inventory -> connect (the nodes still up; the others are noted and skipped)
  -> snapshot (clmgr add snapshot, and the configuration's queries, kept in the job)
  -> offline (clmgr offline cluster) -> remove (clmgr delete cluster)
  -> servers -> volumes (repository; data only with --delete-data) -> rule, port, key pair
```
A cluster already partly gone (servers deleted, stopped or unreachable) is still deleted:
the node-side steps run where a node answers and are skipped with a note otherwise. Run again
after a failure, it deletes what is left. The API asks no question: confirmation is the
caller's (`ha delete` asks unless `--yes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from powerbridge.client import NotFound
from powerbridge.deploy.teardown import delete_servers, delete_volumes
from powerbridge.ha.delete_inventory import Inventory, read_inventory
from powerbridge.ha.errors import StepFailed
from powerbridge.ha.ksh import LIBRARY, quote
from powerbridge.ha.node_commands import NodeCommand
from powerbridge.ha.node_errors import NodeAccessError
from powerbridge.ha.operations import (
    DELETE,
    OperationOptions,
    Progress,
    connect_wait,
    load_cluster_spec_of,
    run_operation,
)
from powerbridge.ha.parse import SECTION_MARK, clstrmgr_state
from powerbridge.ha.services import OFFLINE_CLUSTER
from powerbridge.jobs import ItemState

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.workflow import Build, Step
    from powerbridge.jobs import Job, JobStore

__all__ = ["SNAPSHOT_QUERIES", "delete_cluster", "snapshot_name"]

OFFLINE_WAIT_SECONDS = 600.0
OFFLINE_POLL_SECONDS = 1.0
STOPPED = ("ST_INIT", "NOT_CONFIGURED")
SNAPSHOT_QUERIES = (
    "clmgr query cluster",
    "clmgr -v query node",
    "clmgr -v query resource_group",
    "clmgr -v query service_ip",
    "clmgr -v query application_controller",
    "clmgr -v query volume_group",
    "clmgr -v query file_system",
    "clRGinfo -s",
    "lscluster -m",
)


def snapshot_name(cluster: str) -> str:
    return f"{cluster}_before_delete"


def _inventory_of(build: Build) -> Inventory:
    found: Inventory = build.facts["inventory"]
    return found


async def _inventory(build: Build) -> str:
    options: OperationOptions = build.facts["options"]
    found = await read_inventory(
        build.cloud, build.journal.store, build.spec, delete_data=options.delete_data
    )
    build.facts["inventory"] = found
    build.facts["deleted"] = []
    for note in found.notes:
        build.journal.say("inventory", "note", note)
    return (
        f"{len(found.servers)} servers, {len(found.volumes)} volumes, {len(found.rules)} rules,"
        f" {len(found.ports)} ports to delete; {len(found.kept)} kept"
    )


async def _connect(build: Build) -> str:
    found = _inventory_of(build)
    deadline = time.monotonic() + connect_wait(build)
    reached: list[str] = []

    async def reach(name: str, address: str) -> None:
        try:
            await build.executor.connect(name, address, deadline=deadline)
        except NodeAccessError as problem:
            found.notes.append(f"node {name} is unreachable ({problem}): skipped on the nodes")
            build.journal.say("connect", "unreachable", str(problem), node=name)
            return
        reached.append(name)
        build.journal.say("connect", "up", address, node=name)

    await asyncio.gather(*(reach(name, address) for name, address in found.addresses.items()))
    order = [name for name in build.spec.node_names if name in reached]
    build.facts["reached"] = order
    if not order:
        return "no node answers: the node-side steps are skipped"
    return f"{', '.join(order)} answer over SSH"


def _script(node: str, step: str, body: str, description: str) -> NodeCommand:
    script = f"# powerbridge ha delete {step} on {node}\nTHIS_NODE={quote(node)}\n{LIBRARY}"
    guard = (
        "if ! clmgr query cluster >/dev/null 2>&1; then\n"
        "    echo 'no cluster is defined on this node'\n"
        "    exit 0\n"
        "fi\n"
    )
    return NodeCommand(node, step, script + guard + body, description)


def _first(build: Build, step: str) -> str | None:
    reached: list[str] = build.facts["reached"]
    if not reached:
        build.journal.say(step, "skipped", "no node answers")
    return reached[0] if reached else None


async def _snapshot(build: Build) -> str:
    node = _first(build, "snapshot")
    if node is None:
        return "no node answers: no snapshot taken"
    name = snapshot_name(build.spec.name)
    body = (
        f"clmgr query snapshot {name} >/dev/null 2>&1 ||"
        f" pb_run clmgr add snapshot {name} DESCRIPTION={quote('before ha delete')}\n"
        + "".join(
            f"echo {quote(SECTION_MARK + query)}\n{query} 2>&1\n"
            for query in (*SNAPSHOT_QUERIES, f"clmgr -v query snapshot {name}")
        )
    )
    result = await build.run("snapshot", _script(node, "snapshot", body, "cluster snapshot"))
    store, job = build.journal.store, build.journal.job
    store.put_item(
        job.id, "snapshot", name, ItemState.DONE, details={"node": node, "text": result.stdout}
    )
    build.facts["snapshot"] = name
    return f"snapshot {name} taken on {node}, kept in job {job.id}"


async def _offline(build: Build) -> str:
    node = _first(build, "offline")
    if node is None:
        return "no node answers"
    body = (
        "pb_state=$(pb_attr -a STATE query cluster)\n"
        f'[ "$pb_state" = OFFLINE ] || pb_run {OFFLINE_CLUSTER}\n'
    )
    await build.run("offline", _script(node, "offline", body, OFFLINE_CLUSTER))
    deadline = time.monotonic() + OFFLINE_WAIT_SECONDS
    while running := await _running(build):
        if time.monotonic() > deadline:
            raise StepFailed("offline", f"cluster services still run on {', '.join(running)}")
        await asyncio.sleep(OFFLINE_POLL_SECONDS)
    return "cluster services stopped"


async def _running(build: Build) -> list[str]:
    """The reachable nodes whose cluster manager is not stopped yet."""
    reached: list[str] = build.facts["reached"]
    results = await asyncio.gather(
        *(build.executor.run(n, "lssrc -ls clstrmgrES", step="offline") for n in reached)
    )
    return [r.node for r in results if r.ok and clstrmgr_state(r.stdout) not in STOPPED]


async def _remove(build: Build) -> str:
    node = _first(build, "remove")
    if node is None:
        return "no node answers"
    body = "pb_run clmgr delete cluster\n"
    result = await build.run("remove", _script(node, "remove", body, "clmgr delete cluster"))
    if "no cluster is defined" in result.stdout:
        return "no cluster was defined on the nodes"
    return f"clmgr delete cluster on {node}"


def _deleted(build: Build, kind: str) -> Callable[[str, str], None]:
    def mark(resource_id: str, name: str) -> None:
        build.journal.store.put_item(
            build.journal.job.id, kind, name, ItemState.DELETED, resource_id=resource_id
        )
        build.facts["deleted"].append(f"{kind} {name}")
        build.journal.say(kind, "deleted", name)

    return mark


async def _servers(build: Build) -> str:
    servers = _inventory_of(build).servers
    await delete_servers(build.cloud, servers, _deleted(build, "server"))
    return f"{len(servers)} servers deleted"


async def _volumes(build: Build) -> str:
    volumes = _inventory_of(build).volumes
    await delete_volumes(build.cloud, volumes, _deleted(build, "volume"))
    return f"{len(volumes)} volumes deleted"


async def _others(build: Build) -> str:
    """The collocation rule, the service-IP port and the key pair this cluster made."""
    found, cloud = _inventory_of(build), build.cloud
    for rule_id, name in found.rules.items():
        with contextlib.suppress(NotFound):
            await cloud.session.request("compute", "DELETE", f"/os-server-groups/{rule_id}")
        _deleted(build, "collocation_rule")(rule_id, name)
    for port_id, name in found.ports.items():
        with contextlib.suppress(NotFound):
            await cloud.network.delete_port(port_id)
        _deleted(build, "port")(port_id, name)
    if found.key_pair is not None:
        with contextlib.suppress(NotFound):
            await cloud.compute.delete_keypair(found.key_pair)
        _deleted(build, "keypair")(found.key_pair, found.key_pair)
    build.facts["summary"] = {
        "deleted": build.facts["deleted"],
        "kept": found.kept,
        "notes": found.notes,
        "snapshot": build.facts.get("snapshot"),
    }
    return f"{len(build.facts['deleted'])} resources deleted, {len(found.kept)} kept"


STEPS: dict[str, Step] = {
    "inventory": _inventory,
    "connect": _connect,
    "snapshot": _snapshot,
    "offline": _offline,
    "remove": _remove,
    "servers": _servers,
    "volumes": _volumes,
    "others": _others,
}


async def delete_cluster(
    cloud: Cloud,
    store: JobStore,
    name: str,
    identity: Identity,
    options: OperationOptions,
    progress: Progress | None = None,
) -> Job:
    """Delete cluster `name`: nodes, repository, rule, port (data volumes with
    `options.delete_data`); the job's summary lists what was deleted and what was kept."""
    spec = load_cluster_spec_of(store, name)
    return await run_operation(cloud, store, spec, identity, DELETE, STEPS, options, progress)
