"""Access to a cluster's nodes besides the workflow: re-pinning a host key, an inventory.

```python
trusted = await trust_host_key(store, "appha", "appha-node2", identity)
print(await cluster_inventory(cloud, store, "appha"))   # Ansible inventory YAML
```
`trust_host_key` is for a node rebuilt on purpose: it reads the key the node presents now
and records it as the node's pin in a job of its own (kind "cluster", action
"trust-host-key"), so every later contact compares against it (`journal.pinned_host_keys`:
the newest job wins). It never trusts a key silently: the caller is told both fingerprints.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from powerbridge.ha.errors import HAError, NotACluster
from powerbridge.ha.journal import CLUSTER, CREATE, NODE, cluster_nodes, pinned_host_keys
from powerbridge.ha.node_errors import sha256_fingerprint as fingerprint
from powerbridge.jobs import ItemState, JobStatus, JobStore

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.ha.identity import Identity

__all__ = [
    "TRUST_HOST_KEY",
    "TrustedKey",
    "cluster_inventory",
    "inventory_yaml",
    "trust_host_key",
]

TRUST_HOST_KEY = "trust-host-key"


@dataclass(frozen=True)
class TrustedKey:
    node: str
    address: str
    previous: str | None  # the SHA256 fingerprint of the key pinned before (None: none)
    current: str  # the SHA256 fingerprint of the key pinned now
    job_id: int

    @property
    def changed(self) -> bool:
        return self.previous != self.current


async def trust_host_key(
    store: JobStore,
    cluster: str,
    node: str,
    identity: Identity,
    *,
    address: str | None = None,
    user: str = "root",
    ssh_configs: Sequence[Path] | None = None,
    connect_timeout: float = 10.0,
) -> TrustedKey:
    """Read `node`'s host key now (logging in with `identity`) and pin it for the cluster."""
    from powerbridge.ha.executor import NodeExecutor

    recorded = cluster_nodes(store, cluster)
    if node not in recorded:
        raise _unknown_node(store, cluster, node, recorded)
    where = address or recorded[node].get("address")
    if not where:
        raise HAError(f"node {node} of cluster {cluster} has no recorded address")
    previous = pinned_host_keys(store, cluster).get(node)
    executor = NodeExecutor(
        identity,
        user=user,
        ssh_configs=ssh_configs,
        accept_new_host_keys=True,  # without the old pin: what the node presents now
        connect_timeout=connect_timeout,
        cluster=cluster,
    )
    async with executor:
        key = await executor.connect(node, str(where), deadline=time.monotonic() + connect_timeout)
    job_id = _record_pin(store, cluster, node, str(where), key, previous)
    old = fingerprint(previous) if previous else None
    return TrustedKey(node, str(where), old, fingerprint(key), job_id)


def _unknown_node(store: JobStore, cluster: str, node: str, recorded: dict[str, Any]) -> HAError:
    if not recorded and cluster not in store.targets(CLUSTER):
        return NotACluster(
            f"no cluster named {cluster} in the job store",
            hint="`powerbridge ha list` shows the clusters",
        )
    known = ", ".join(sorted(recorded)) or "none recorded"
    return HAError(f"cluster {cluster} has no node {node} (its nodes: {known})")


def _record_pin(
    store: JobStore, cluster: str, node: str, address: str, key: str, previous: str | None
) -> int:
    job = store.create_job(CLUSTER, cluster, action=TRUST_HOST_KEY, spec={"node": node})
    details = {"address": address, "host_key": key, "previous_host_key": previous}
    store.put_item(job.id, NODE, node, ItemState.DONE, details=details)
    store.event(job.id, f"host key of {node} pinned: {fingerprint(key)}", kind=NODE, name=node)
    store.finish(job.id, JobStatus.SUCCEEDED, {"node": node, "fingerprint": fingerprint(key)})
    return job.id


async def cluster_inventory(cloud: Cloud, store: JobStore, cluster: str) -> str:
    """The cluster's Ansible inventory from PowerVC (no node is contacted): its tagged
    servers' addresses, the spec's node order, home node and SSH user."""
    from powerbridge.ha.model import CLUSTER_TAG
    from powerbridge.ha.status import job_spec, node_order

    job = store.latest(cluster, kind=CLUSTER, action=CREATE)
    spec = job_spec(job)
    recorded = cluster_nodes(store, cluster)
    servers = {
        s.name: s for s in await cloud.compute.servers() if s.metadata.get(CLUSTER_TAG) == cluster
    }
    if not servers and not recorded:
        raise NotACluster(
            f"no cluster named {cluster}: no job and no PowerVC server tagged"
            f" {CLUSTER_TAG}={cluster}",
            hint="`powerbridge ha list` shows the clusters",
        )
    order = node_order(spec, job, recorded, servers)
    addresses = {}
    for name in order:
        server = servers.get(name)
        found: list[str] = []
        if server is not None:
            on_network = [a.addr for a in server.addresses if spec and a.network == spec.network]
            found = on_network or list(server.ips)
        addresses[name] = found[0] if found else recorded.get(name, {}).get("address")
    home = spec.home_node if spec else (order[0] if order else None)
    return inventory_yaml(cluster, addresses, home, spec.ssh.user if spec else "root")


def inventory_yaml(
    cluster: str, addresses: Mapping[str, str | None], home: str | None, user: str
) -> str:
    """An Ansible inventory (YAML): a group named after the cluster, each node with
    `ansible_host` and `ansible_user`, the home node marked (`powerha_home_node` and a
    `<cluster>_home` group). No Python interpreter is set: the AIX nodes here have none, so
    use `ansible -m raw` (or install Python on them first)."""
    hosts: dict[str, dict[str, Any]] = {}
    for node, address in addresses.items():
        entry: dict[str, Any] = {"ansible_host": address} if address else {}
        entry.update(ansible_user=user, powerha_home_node=node == home)
        hosts[node] = entry
    group = {
        "hosts": hosts,
        "vars": {"powerha_cluster": cluster},
        "children": {f"{cluster}_home": {"hosts": {home: None} if home in hosts else {}}},
    }
    document = {"all": {"children": {cluster: group}}}
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
