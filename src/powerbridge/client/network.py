"""Neutron 2.0 on PowerVC: networks (a VLAN each), their subnets, and ports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from powerbridge.client import _resource
from powerbridge.client._records import WireRecord, computed, raw_payload, wire
from powerbridge.client._wire import objects, opt_text
from powerbridge.client.session import Session

SERVICE = "network"


def _project_id(body: Mapping[str, Any]) -> str | None:
    return opt_text(body.get("project_id")) or opt_text(body.get("tenant_id"))  # older neutron


@dataclass(frozen=True)
class Network(WireRecord):
    id: str
    name: str
    status: str = ""
    shared: bool = False
    admin_state_up: bool = True
    subnet_ids: tuple[str, ...] = field(default=(), metadata=wire("subnets"))
    network_type: str | None = field(  # vlan, flat... (admin only)
        default=None, metadata=wire("provider:network_type")
    )
    physical_network: str | None = field(default=None, metadata=wire("provider:physical_network"))
    segmentation_id: int | None = field(  # the VLAN id
        default=None, metadata=wire("provider:segmentation_id")
    )
    mtu: int | None = None
    project_id: str | None = field(default=None, metadata=computed(_project_id))
    description: str | None = None
    raw: Mapping[str, Any] = raw_payload()


def _pools(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(p.get("start", "")), str(p.get("end", ""))) for p in objects(value))


@dataclass(frozen=True)
class Subnet(WireRecord):
    id: str
    name: str
    network_id: str
    cidr: str
    ip_version: int = 4
    gateway_ip: str | None = None
    enable_dhcp: bool = False
    dns_nameservers: tuple[str, ...] = ()
    allocation_pools: tuple[tuple[str, str], ...] = field(  # (start, end)
        default=(), metadata=wire(conv=_pools)
    )
    raw: Mapping[str, Any] = raw_payload()


def _fixed_ips(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(f.get("subnet_id", "")), str(f.get("ip_address", ""))) for f in objects(value)
    )


@dataclass(frozen=True)
class Port(WireRecord):
    id: str
    name: str
    network_id: str
    status: str = ""
    mac_address: str | None = None
    device_id: str | None = None  # the server's id, for a VM's port
    device_owner: str | None = None
    fixed_ips: tuple[tuple[str, str], ...] = field(  # (subnet_id, ip_address)
        default=(), metadata=wire(conv=_fixed_ips)
    )
    host_id: str | None = field(default=None, metadata=wire("binding:host_id"))
    raw: Mapping[str, Any] = raw_payload()

    @property
    def ips(self) -> tuple[str, ...]:
        return tuple(ip for _, ip in self.fixed_ips)


class Networking:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def _list(self, collection: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return await _resource.list_all(
            self.session, SERVICE, f"/v2.0/{collection}", collection, params=params
        )

    async def _show(self, collection: str, item_id: str, key: str) -> Mapping[str, Any]:
        path = _resource.item_path(f"/v2.0/{collection}", item_id)
        body = await _resource.get_json(self.session, SERVICE, path)
        found = body.get(key)
        return found if isinstance(found, Mapping) else {}

    async def networks(self, *, name: str | None = None) -> list[Network]:
        rows = await self._list("networks", {"name": name} if name else {})
        return [Network.from_wire(row) for row in rows]

    async def network(self, network_id: str) -> Network:
        return Network.from_wire(await self._show("networks", network_id, "network"))

    async def find_network(self, name_or_id: str) -> Network:
        async def named(name: str) -> list[Network]:
            return await self.networks(name=name)

        return await _resource.find(
            "network", name_or_id, self.network, named, everything=self.networks
        )

    async def subnets(self, *, network_id: str | None = None) -> list[Subnet]:
        rows = await self._list("subnets", {"network_id": network_id} if network_id else {})
        return [Subnet.from_wire(row) for row in rows]

    async def subnet(self, subnet_id: str) -> Subnet:
        return Subnet.from_wire(await self._show("subnets", subnet_id, "subnet"))

    async def ports(
        self,
        *,
        network_id: str | None = None,
        device_id: str | None = None,
        fixed_ip: str | None = None,
    ) -> list[Port]:
        """Ports, filtered as neutron filters them; `fixed_ip`: the ports holding that address."""
        params = {
            "network_id": network_id,
            "device_id": device_id,
            "fixed_ips": f"ip_address={fixed_ip}" if fixed_ip else None,
        }
        rows = await self._list("ports", {k: v for k, v in params.items() if v})
        return [Port.from_wire(row) for row in rows]

    async def port(self, port_id: str) -> Port:
        return Port.from_wire(await self._show("ports", port_id, "port"))

    async def create_port(
        self,
        network_id: str,
        *,
        name: str,
        fixed_ip: str | None = None,
        description: str | None = None,
    ) -> Port:
        """A port on `network_id` holding `fixed_ip` (None: neutron picks a free address), so
        no server deployed later takes that address."""
        port: dict[str, Any] = {"network_id": network_id, "name": name}
        if fixed_ip is not None:
            port["fixed_ips"] = [{"ip_address": fixed_ip}]
        if description is not None:
            port["description"] = description
        response = await self.session.request(
            SERVICE, "POST", "/v2.0/ports", json={"port": port}, idempotent=False
        )
        body = response.json()
        found = body.get("port") if isinstance(body, dict) else None
        return Port.from_wire(found if isinstance(found, dict) else {})

    async def delete_port(self, port_id: str) -> None:
        await self.session.request(SERVICE, "DELETE", _resource.item_path("/v2.0/ports", port_id))
