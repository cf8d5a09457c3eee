"""Build a `CloudView` of a live cloud through the client SDK: the planner's one I/O step.

```python
async with Cloud.connect("powervc") as cloud:
    view = await fetch_view(cloud)
    plan = build_plan(spec, view)
```

Every collection is listed once, concurrently: a dozen list calls whatever the size of the
deployment. What the caller may not see (hypervisors, storage providers and limits are admin
views on PowerVC) is left out rather than failing the plan: a host list the caller cannot
read leaves `hosts_visible` False, and the planner then skips the capacity checks it cannot
make instead of reporting "no usable host".
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from powerbridge.client import (
    Cloud,
    CollocationRule,
    ComputeTemplate,
    Host,
    HostGroup,
    Image,
    Network,
    Port,
    Server,
    StorageConnectivityGroup,
    Subnet,
    Volume,
)
from powerbridge.client.errors import Forbidden, NotFound
from powerbridge.deploy import cloudview as cv

__all__ = ["fetch_view"]

T = TypeVar("T")


async def _optional(call: Awaitable[T], default: T) -> T:
    """`call`'s result, or `default` when the caller may not see it (403) or it is absent."""
    try:
        return await call
    except (Forbidden, NotFound):
        return default


async def fetch_view(cloud: Cloud) -> cv.CloudView:
    """A snapshot of what `build_plan` reads, for the cloud's current project."""
    await cloud.session.authenticate()  # a wrong password is one error, not fifteen
    try:
        return await _fetch(cloud)
    except ExceptionGroup as failed:  # the first failed list call says what is wrong
        raise failed.exceptions[0] from None


async def _fetch(cloud: Cloud) -> cv.CloudView:
    async with asyncio.TaskGroup() as group:
        spawn = group.create_task
        templates = spawn(cloud.compute.templates())
        images = spawn(cloud.image.images())
        networks = spawn(cloud.network.networks())
        subnets = spawn(cloud.network.subnets())
        ports = spawn(cloud.network.ports())
        storage_templates = spawn(cloud.volume.storage_templates())
        default_type = spawn(_optional(_default_storage_template(cloud), None))
        providers = spawn(_optional(_storage_providers(cloud), []))
        hosts = spawn(_optional(_hosts(cloud), None))
        host_groups = spawn(_optional(cloud.powervc.host_groups(), []))
        scgs = spawn(_optional(_scgs(cloud), []))
        rules = spawn(cloud.powervc.collocation_rules())
        servers = spawn(cloud.compute.servers())
        volumes = spawn(cloud.volume.volumes())
        limits = spawn(_optional(_limits(cloud), cv.ProjectLimits()))
    return _view(
        templates.result(),
        images.result(),
        _networks(networks.result(), subnets.result(), ports.result()),
        [
            cv.StorageTemplate(t.id, t.name, t.backend, t.id == default_type.result())
            for t in storage_templates.result()
        ],
        providers.result(),
        hosts.result(),
        host_groups.result(),
        scgs.result(),
        rules.result(),
        servers.result(),
        volumes.result(),
        limits.result(),
    )


def _view(
    templates: list[ComputeTemplate],
    images: list[Image],
    networks: list[cv.Network],
    storage_templates: list[cv.StorageTemplate],
    providers: list[cv.StorageProvider],
    hosts: list[Host] | None,
    host_groups: list[HostGroup],
    scgs: list[cv.StorageConnectivityGroup],
    rules: list[CollocationRule],
    servers: list[Server],
    volumes: list[Volume],
    limits: cv.ProjectLimits,
) -> cv.CloudView:
    return cv.CloudView(
        templates=tuple(
            cv.ComputeTemplate(t.id, t.name, t.ram, t.vcpus, t.disk, dict(t.extra_specs))
            for t in templates
        ),
        images=tuple(
            cv.Image(i.id, i.name, i.min_disk, i.status, dict(i.properties)) for i in images
        ),
        networks=tuple(networks),
        storage_templates=tuple(storage_templates),
        storage_providers=tuple(providers),
        hosts=tuple(_host(h) for h in hosts or ()),
        hosts_visible=hosts is not None,
        host_groups=tuple(
            cv.HostGroup(g.id, g.name, g.availability_zone, tuple(g.hosts)) for g in host_groups
        ),
        storage_connectivity_groups=tuple(scgs),
        collocation_rules=tuple(
            cv.CollocationRule(r.id, r.name, r.policy or "", tuple(r.members)) for r in rules
        ),
        servers=tuple(_server(s) for s in servers),
        volumes=tuple(
            cv.Volume(
                v.id,
                v.name,
                v.size,
                v.status,
                dict(v.metadata),
                v.server_ids,
                v.multiattach,
                v.storage_template,
            )
            for v in volumes
        ),
        limits=limits,
    )


async def _scgs(cloud: Cloud) -> list[cv.StorageConnectivityGroup]:
    """The groups, each with the storage templates it reaches (one call per group, at once)."""
    groups = await cloud.powervc.storage_connectivity_groups()
    reach = await asyncio.gather(*(_reach(cloud, group) for group in groups))
    return [
        cv.StorageConnectivityGroup(group.id, group.name, tuple(group.hosts), templates)
        for group, templates in zip(groups, reach, strict=True)
    ]


async def _reach(cloud: Cloud, group: StorageConnectivityGroup) -> frozenset[str] | None:
    found = await _optional(cloud.powervc.storage_connectivity_group_templates(group.id), None)
    return frozenset(found) if found is not None else None


def _server(server: Server) -> cv.Server:
    flavor = server.flavor
    copy = None
    if flavor.ram is not None and flavor.vcpus is not None:  # nova shows a copy from 2.47
        copy = cv.FlavorCopy(
            flavor.name, flavor.ram, flavor.vcpus, flavor.disk or 0, dict(flavor.extra_specs)
        )
    return cv.Server(
        server.id,
        server.name,
        server.status,
        dict(server.metadata),
        server.hypervisor_hostname or server.host,
        tuple(a.addr for a in server.addresses),
        flavor=copy,
        image_id=server.image_id,
        networks=tuple((a.network, a.addr) for a in server.addresses),
        volume_ids=server.volume_ids,
    )


async def _hosts(cloud: Cloud) -> list[Host]:
    return await cloud.powervc.hosts()


def _host(host: Host) -> cv.Host:
    units = host.proc_units if host.proc_units is not None else Decimal(host.vcpus)
    used = host.proc_units_used if host.proc_units_used is not None else Decimal(host.vcpus_used)
    return cv.Host(
        name=host.name,
        display_name=host.display_name,
        free_memory_mb=host.memory_mb_free,
        free_proc_units=units - used,
        state=host.state or "up",
        status=host.status or "enabled",
    )


def _networks(
    networks: Iterable[Network], subnets: Iterable[Subnet], ports: Iterable[Port]
) -> list[cv.Network]:
    """Networks with their subnets' CIDRs, the addresses ports hold, and how many are free."""
    by_network: dict[str, list[Any]] = {}
    for subnet in subnets:
        by_network.setdefault(subnet.network_id, []).append(subnet)
    used: dict[str, set[str]] = {}
    holders: dict[str, dict[str, tuple[str, str | None]]] = {}
    for port in ports:
        used.setdefault(port.network_id, set()).update(ip for _, ip in port.fixed_ips)
        held = holders.setdefault(port.network_id, {})
        held.update((ip, (port.id, port.device_id or None)) for _, ip in port.fixed_ips)
    views = []
    for network in networks:
        mine = by_network.get(network.id, [])
        taken = used.get(network.id, set())
        pool = sum(_pool_size(subnet) for subnet in mine)
        free = max(0, pool - len(taken)) if mine else None
        cidrs = tuple(subnet.cidr for subnet in mine)
        gateways = frozenset(subnet.gateway_ip for subnet in mine if subnet.gateway_ip)
        views.append(
            cv.Network(
                network.id,
                network.name,
                free,
                cidrs,
                frozenset(taken),
                gateways,
                holders.get(network.id, {}),
            )
        )
    return views


def _pool_size(subnet: Subnet) -> int:
    if subnet.allocation_pools:
        return sum(
            int(ipaddress.ip_address(end)) - int(ipaddress.ip_address(start)) + 1
            for start, end in subnet.allocation_pools
        )
    network = ipaddress.ip_network(subnet.cidr, strict=False)
    return max(0, network.num_addresses - 2)


async def _default_storage_template(cloud: Cloud) -> str | None:
    response = await cloud.session.request("volumev3", "GET", "/types/default")
    body: Mapping[str, Any] = response.json().get("volume_type") or {}
    found = body.get("id")
    return str(found) if found else None


async def _storage_providers(cloud: Cloud) -> list[cv.StorageProvider]:
    response = await cloud.session.request("volumev3", "GET", "/storage-providers/detail")
    rows = response.json().get("storage_providers") or []
    providers = []
    for row in rows:
        free = row.get("free_capacity_gb")
        name = str(row.get("storage_hostname") or row.get("host_display_name") or "")
        identifier = row.get("id")
        providers.append(
            cv.StorageProvider(
                name,
                int(free) if isinstance(free, int | float) else None,
                str(identifier) if identifier is not None else None,
            )
        )
    return providers


async def _limits(cloud: Cloud) -> cv.ProjectLimits:
    response = await cloud.session.request("compute", "GET", "/limits")
    absolute: Mapping[str, Any] = (response.json().get("limits") or {}).get("absolute") or {}

    def number(key: str, default: int) -> int:
        value = absolute.get(key)
        return int(value) if isinstance(value, int | float) else default

    return cv.ProjectLimits(
        instances_used=number("totalInstancesUsed", 0),
        instances_max=number("maxTotalInstances", cv.UNLIMITED),
        cores_used=number("totalCoresUsed", 0),
        cores_max=number("maxTotalCores", cv.UNLIMITED),
        ram_used_mb=number("totalRAMUsed", 0),
        ram_max_mb=number("maxTotalRAMSize", cv.UNLIMITED),
    )
