"""What `ha delete` may delete, read from PowerVC and the cluster's jobs: nothing else.

A resource is the cluster's to delete only when both agree: PowerVC shows it carrying
`powerbridge:cluster=<name>` (servers, volumes) or named as the cluster names it (the
service-IP port), and one of the cluster's jobs recorded creating it (`created_here`). So a
server or volume that existed before the cluster, or that lacks the tag, is never touched;
nor is a collocation rule the spec named, or one holding servers of others. Data volumes are
kept unless asked for; the key pair only goes when this cluster made it and no server left
uses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from powerbridge.ha.deployment import service_port_name
from powerbridge.ha.journal import CLUSTER
from powerbridge.ha.model import CLUSTER_TAG
from powerbridge.ha.topology_reader import disk_role

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.client.compute import Server
    from powerbridge.ha.model import ClusterSpec
    from powerbridge.jobs import JobStore

__all__ = ["Inventory", "read_inventory"]


@dataclass
class Inventory:
    """id -> name of what goes, per kind; `kept` and `notes` say what stays and why."""

    servers: dict[str, str] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)  # node -> address (ACTIVE ones)
    volumes: dict[str, str] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    ports: dict[str, str] = field(default_factory=dict)
    key_pair: str | None = None
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _created(store: JobStore, cluster: str) -> dict[str, set[str]]:
    """kind -> the resource ids (key pair: names) the cluster's jobs created."""
    made: dict[str, set[str]] = {}
    for item in store.created_by(cluster, kind=CLUSTER):
        made.setdefault(item.kind, set()).add(item.resource_id or item.name)
    return made


def _servers(spec: ClusterSpec, servers: list[Server], made: set[str], found: Inventory) -> None:
    for server in servers:
        if server.metadata.get(CLUSTER_TAG) != spec.name:
            continue
        if server.id not in made:
            found.kept.append(f"server {server.name}: tagged, but no job of the cluster made it")
            continue
        found.servers[server.id] = server.name
        on_network = [a.addr for a in server.addresses if a.network == spec.network]
        addresses = on_network or list(server.ips)
        if server.status == "ACTIVE" and addresses:
            found.addresses[server.name] = addresses[0]
        else:
            found.notes.append(
                f"node {server.name} is {server.status}: its node-side steps are skipped"
            )
    for name in spec.node_names:
        if name not in found.servers.values():
            found.notes.append(f"node {name} has no server left in PowerVC")


async def _volumes(
    cloud: Cloud, spec: ClusterSpec, made: set[str], delete_data: bool, found: Inventory
) -> None:
    for volume in await cloud.volume.volumes():
        role = disk_role(spec.name, volume.name)
        if volume.metadata.get(CLUSTER_TAG) != spec.name or role is None:
            continue
        if volume.id not in made:
            found.kept.append(f"volume {volume.name}: tagged, but no job of the cluster made it")
        elif role == "data" and not delete_data:
            found.kept.append(f"volume {volume.name} (data; --delete-data deletes it)")
        else:
            found.volumes[volume.id] = volume.name


async def _rules(cloud: Cloud, made: set[str], found: Inventory) -> None:
    for rule in await cloud.powervc.collocation_rules():
        if rule.id not in made:
            continue
        others = [member for member in rule.members if member not in found.servers]
        if others:
            found.kept.append(f"collocation rule {rule.name}: it holds {len(others)} other servers")
        else:
            found.rules[rule.id] = rule.name


async def _ports(cloud: Cloud, spec: ClusterSpec, made: set[str], found: Inventory) -> None:
    name = service_port_name(spec.name)
    for port in await cloud.network.ports():
        if port.name == name and port.id in made:
            found.ports[port.id] = port.name


def _key_pair(spec: ClusterSpec, servers: list[Server], made: set[str], found: Inventory) -> None:
    pair = spec.ssh.key_pair
    if pair not in made:
        return
    users = [s.name for s in servers if s.key_name == pair and s.id not in found.servers]
    if users:
        found.kept.append(f"key pair {pair}: servers {', '.join(users)} were deployed with it")
    else:
        found.key_pair = pair


async def read_inventory(
    cloud: Cloud, store: JobStore, spec: ClusterSpec, *, delete_data: bool
) -> Inventory:
    """What of `spec`'s cluster PowerVC still has, split into what goes and what stays."""
    made = _created(store, spec.name)
    found = Inventory()
    servers = await cloud.compute.servers()
    _servers(spec, servers, made.get("server", set()), found)
    await _volumes(cloud, spec, made.get("volume", set()), delete_data, found)
    await _rules(cloud, made.get("collocation_rule", set()), found)
    await _ports(cloud, spec, made.get("port", set()), found)
    if spec.collocation_rule is not None:
        found.kept.append(f"collocation rule {spec.collocation_rule}: the spec named it")
    _key_pair(spec, servers, made.get("keypair", set()), found)
    return found
