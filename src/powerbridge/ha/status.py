"""A cluster's state now, read from PowerVC and the nodes at the time of asking: `ha show`,
`ha status`, `ha list` and the portal.

```python
view = await read_cluster(cloud, store, "appha", identity)
view.state, view.status, view.reasons      # Active / Normal, or why not
view.nodes, view.groups, view.disks, view.service_ips, view.events
rows = await list_clusters(cloud, store, identity=identity)
```
The job record supplies only what the nodes cannot: the spec's text (node order, SSH user,
network), the pinned host keys, and whether a create runs, stopped midway or failed.
Everything shown is read now: the servers, hosts, addresses and volumes from PowerVC, and
from every node at once (`ha.node_reading`) the cluster manager, CAA, the resource groups,
the disks by WWN and the latest events; `ha.health.assess` decides state and status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from powerbridge.ha import status_parts as parts
from powerbridge.ha.cluster_view import ClusterSummary, ClusterView, ServiceIpView
from powerbridge.ha.errors import NotACluster
from powerbridge.ha.health import ClusterObservation, Health, assess, cluster_observation
from powerbridge.ha.journal import CLUSTER, COMMAND, CREATE, cluster_nodes, pinned_host_keys
from powerbridge.ha.model import CLUSTER_TAG
from powerbridge.ha.node_reading import NodeReading, read_nodes
from powerbridge.jobs import Job, JobStatus, JobStore, holder_alive

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.client.compute import Server
    from powerbridge.client.volume import Volume
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.model import ClusterSpec

DELETE = "delete"  # the action of `ha delete`'s job (ha.operations)

__all__ = ["ReadOptions", "job_spec", "list_clusters", "node_order", "read_cluster"]

SHOW_CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class ReadOptions:
    ssh_configs: tuple[Path, ...] | None = None  # None: the executor's defaults
    connect_timeout: float | None = None  # None: the spec's ssh.connect_timeout, at most 10 s
    command_timeout: float = 60.0


@dataclass(frozen=True)
class _Cloudside:
    """What PowerVC lists, once per `ha list` for every cluster."""

    servers: Sequence[Server]
    volumes: Sequence[Volume]

    def servers_of(self, cluster: str) -> dict[str, Server]:
        return {s.name: s for s in self.servers if s.metadata.get(CLUSTER_TAG) == cluster}

    def volumes_of(self, cluster: str) -> list[Volume]:
        return [v for v in self.volumes if v.metadata.get(CLUSTER_TAG) == cluster]


async def _cloudside(cloud: Cloud) -> _Cloudside:
    servers, volumes = await asyncio.gather(cloud.compute.servers(), cloud.volume.volumes())
    return _Cloudside(servers, volumes)


async def read_cluster(
    cloud: Cloud,
    store: JobStore,
    name: str,
    identity: Identity,
    options: ReadOptions | None = None,
) -> ClusterView:
    """The cluster `name` now. NotACluster when no job and no PowerVC server knows it."""
    return await _read(cloud, store, name, identity, options or ReadOptions(), None)


async def _read(
    cloud: Cloud,
    store: JobStore,
    name: str,
    identity: Identity,
    options: ReadOptions,
    listed: _Cloudside | None,
) -> ClusterView:
    job = store.latest(name, kind=CLUSTER, action=CREATE)
    spec = job_spec(job)
    side = listed or await _cloudside(cloud)
    servers = side.servers_of(name)
    if job is None and not servers:
        raise NotACluster(
            f"no cluster named {name}: no cluster job in the job store and no PowerVC server"
            f" tagged {CLUSTER_TAG}={name}",
            hint="`powerbridge ha list` shows the clusters",
        )
    deleted = _deleted_by(store, name)
    if deleted is not None and not servers:
        raise NotACluster(
            f"cluster {name} was deleted (job {deleted.id})",
            hint="`powerbridge ha list` shows the clusters",
        )
    recorded = cluster_nodes(store, name)
    names = node_order(spec, job, recorded, servers)
    addresses = {n: _addresses(servers.get(n), spec) for n in names}
    contact = {n: _contact(servers.get(n), addresses[n], recorded.get(n, {})) for n in names}
    reachable = {n: address for n, address in contact.items() if address is not None}
    readings = await _read_nodes(name, identity, spec, reachable, store, options)
    for n in names:  # the nodes not tried: say why
        readings.setdefault(n, NodeReading(n, None, _not_tried(servers.get(n), addresses[n])))
    volumes = side.volumes_of(name)
    return _view(_Seen(name, spec, job, names, servers, addresses, readings, volumes, store))


async def _read_nodes(
    name: str,
    identity: Identity,
    spec: ClusterSpec | None,
    contact: Mapping[str, str],
    store: JobStore,
    options: ReadOptions,
) -> dict[str, NodeReading]:
    # a show answers within one connect timeout: the spec's (30 s by default, for LPARs
    # that boot) capped at SHOW_CONNECT_TIMEOUT unless the caller asks for more
    timeout = options.connect_timeout or min(
        spec.ssh.connect_timeout if spec else SHOW_CONNECT_TIMEOUT, SHOW_CONNECT_TIMEOUT
    )
    return await read_nodes(
        identity,
        contact,
        cluster=name,
        pins=pinned_host_keys(store, name),
        user=spec.ssh.user if spec else "root",
        ssh_configs=options.ssh_configs,
        connect_timeout=timeout,
        command_timeout=options.command_timeout,
    )


@dataclass(frozen=True)
class _Seen:
    """Everything read for one cluster: the job store's, PowerVC's and the nodes' answers."""

    name: str
    spec: ClusterSpec | None
    job: Job | None
    names: Sequence[str]  # priority order
    servers: Mapping[str, Server]
    addresses: Mapping[str, tuple[str, ...]]
    readings: Mapping[str, NodeReading]
    volumes: Sequence[Volume]
    store: JobStore


def _health(seen: _Seen, home: str, flags: _JobFlags) -> tuple[ClusterObservation, Health]:
    outputs = {n: seen.readings[n].output for n in seen.names}
    observation = cluster_observation(
        home,
        outputs,
        server_status={n: s.status for n, s in seen.servers.items()},
        unreachable={n: r.reason for n, r in seen.readings.items() if r.reason},
    )
    judged = replace(
        observation,
        deploying=flags.deploying,
        interrupted=flags.interrupted,
        failed=flags.failed,
    )
    return observation, assess(judged)


def _view(seen: _Seen) -> ClusterView:
    found = parts.sections({n: seen.readings[n].output for n in seen.names})
    spec = seen.spec
    home = spec.home_node if spec else (*parts.priority_nodes(found), *seen.names, "")[0]
    flags = _job_flags(seen.job)
    observation, health = _health(seen, home, flags)
    groups = parts.group_views(found, observation)
    holder = [health.group_node] if health.group_node else []
    refused = (r.host_key_error for r in seen.readings.values())
    return ClusterView(
        name=seen.name,
        state=health.state,
        status=health.status,
        reasons=health.reasons,
        home_node=home or None,
        group_node=health.group_node,
        nodes=parts.node_views(seen.names, seen.servers, seen.addresses, observation),
        groups=groups,
        disks=parts.disk_views(seen.name, seen.volumes, found),
        service_ips=parts.service_ip_views(found, groups) or _spec_service_ip(spec),
        events=parts.events(found, holder),
        job=_job_record(seen.job),
        hint=_hint(seen.name, seen.job, flags),
        failed_command=_failed_command(seen.store, seen.job) if flags.failed else {},
        host_key_errors=tuple(str(error) for error in refused if error is not None),
    )


@dataclass(frozen=True)
class _JobFlags:
    deploying: bool = False
    interrupted: bool = False
    failed: bool = False


def _deleted_by(store: JobStore, name: str) -> Job | None:
    """The `ha delete` job that deleted the cluster, when it is the cluster's latest job."""
    latest = store.latest(name, kind=CLUSTER)
    if latest is not None and latest.action == DELETE and latest.status is JobStatus.SUCCEEDED:
        return latest
    return None


def _job_flags(job: Job | None) -> _JobFlags:
    """What the create job says: it runs (or waits for a worker), stopped midway, failed.
    A RUNNING job whose process is gone was killed: stopped midway, not running."""
    if job is None:
        return _JobFlags()
    running = job.status is JobStatus.RUNNING
    alive = running and holder_alive(job)
    return _JobFlags(
        deploying=alive or job.status is JobStatus.QUEUED,
        interrupted=job.status is JobStatus.INTERRUPTED or (running and not alive),
        failed=job.status is JobStatus.FAILED,
    )


def _hint(name: str, job: Job | None, flags: _JobFlags) -> str | None:
    if job is None or not (flags.interrupted or flags.failed):
        return None
    spec_file = job.source or "SPEC"
    how = _failure(job) if flags.failed else "stopped"
    return (
        f"the create of {name} (job {job.id}) {how}; fix the cause if any, then continue it"
        f" with `powerbridge ha create {spec_file} --resume`"
    )


def _failed_command(store: JobStore, job: Job | None) -> dict[str, Any]:
    """The last remote command of a failed create that exited non-zero, as recorded (node,
    command, exit status, stdout, stderr; secrets already redacted): the full output the
    create's one-line error points to."""
    if job is None:
        return {}
    failed = [
        item.details
        for item in store.items(job.id)
        if item.kind == COMMAND and item.details.get("exit_status") not in (0, None)
    ]
    if not failed:
        return {}
    keep = ("node", "step", "command", "exit_status", "error_line", "stdout", "stderr")
    return {key: failed[-1].get(key) for key in keep}


def _failure(job: Job) -> str:
    """`failed at step cluster on appha-node1: ERROR: ...` from a failed create's summary
    (`workflow.failed_summary`), or just `failed`."""
    step, node, error = (job.summary.get(key) for key in ("failed_step", "node", "error"))
    if not step:
        return "failed"
    return (
        f"failed at step {step}" + (f" on {node}" if node else "") + (f": {error}" if error else "")
    )


def _job_record(job: Job | None) -> dict[str, Any]:
    if job is None:
        return {}
    record: dict[str, Any] = {"id": job.id, "action": job.action, "status": job.status.value}
    failed = {k: job.summary[k] for k in ("failed_step", "node", "error") if job.summary.get(k)}
    return {**record, **failed}


def job_spec(job: Job | None) -> ClusterSpec | None:
    """The cluster spec the create job kept (its text), or None when it kept none."""
    from powerbridge.deploy import SpecErrors
    from powerbridge.ha.spec import parse_cluster_spec

    text = job.spec.get("text") if job is not None else None
    if not isinstance(text, str):
        return None
    try:
        return parse_cluster_spec(text, source=job.source if job else None)
    except SpecErrors:
        return None  # a spec this version no longer reads: fall back on PowerVC's tags


def node_order(
    spec: ClusterSpec | None,
    job: Job | None,
    recorded: Mapping[str, Any],
    servers: Mapping[str, Server],
) -> list[str]:
    """The nodes in priority order: the spec's, else the finished create's summary (which
    lists them in that order), then any other recorded node or tagged server by name."""
    if spec is not None:
        names = list(spec.node_names)
    else:
        listed = job.summary.get("nodes") if job is not None else None
        names = [str(n) for n in listed] if isinstance(listed, list) else []
    others = (set(recorded) | set(servers)) - set(names)
    return names + sorted(others)


def _addresses(server: Server | None, spec: ClusterSpec | None) -> tuple[str, ...]:
    if server is None:
        return ()
    if spec is not None:
        on_network = [a.addr for a in server.addresses if a.network == spec.network]
        if on_network:
            return tuple(on_network)
    return server.ips


def _not_tried(server: Server | None, addresses: tuple[str, ...]) -> str:
    if server is None:
        return "no server in PowerVC"
    if server.status != "ACTIVE":
        return f"not contacted: server {server.status}"
    return "no IP address in PowerVC"


def _contact(
    server: Server | None, addresses: tuple[str, ...], recorded: Mapping[str, Any]
) -> str | None:
    """The address to log in at, None when the server is not ACTIVE (nothing answers)."""
    if server is None or server.status != "ACTIVE" or not addresses:
        return None
    used = recorded.get("address")
    return used if used in addresses else addresses[0]


def _spec_service_ip(spec: ClusterSpec | None) -> tuple[ServiceIpView, ...]:
    if spec is None:
        return ()
    return (ServiceIpView(spec.service_ip.label, spec.service_ip.address, None),)


async def list_clusters(
    cloud: Cloud,
    store: JobStore,
    *,
    identity: Identity | None = None,
    options: ReadOptions | None = None,
) -> list[ClusterSummary]:
    """Every cluster the job store or PowerVC's tags know, each read as `read_cluster`
    reads it (in parallel). Without an identity the nodes are not read: state Unknown."""
    side = await _cloudside(cloud)
    tagged = {s.metadata[CLUSTER_TAG] for s in side.servers if s.metadata.get(CLUSTER_TAG)}
    gone = {n for n in store.targets(CLUSTER) if n not in tagged and _deleted_by(store, n)}
    names = sorted((set(store.targets(CLUSTER)) | tagged) - gone)
    if identity is None:
        return [_unread(name, side) for name in names]
    chosen = options or ReadOptions()
    views = await asyncio.gather(
        *(_read(cloud, store, name, identity, chosen, side) for name in names)
    )
    return [_summary(view) for view in views]


def _summary(view: ClusterView) -> ClusterSummary:
    return ClusterSummary(
        view.name,
        view.state,
        view.status,
        tuple(node.name for node in view.nodes),
        view.group_node,
        view.reasons[0] if view.reasons and view.status != "Normal" else None,
    )


def _unread(name: str, side: _Cloudside) -> ClusterSummary:
    nodes = tuple(sorted(side.servers_of(name)))
    why = "the nodes were not read: no SSH key (give one with --ssh-key)"
    return ClusterSummary(name, "Unknown", "Unknown", nodes, None, why)
