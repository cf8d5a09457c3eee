"""Neutron 2.0 on PowerVC: networks (a VLAN each), their subnets, and ports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from powerbridge.client import _resource
from powerbridge.client._wire import Record, Wire
from powerbridge.client.session import Session

SERVICE = "network"

NETWORK_FIELDS = {
    "id": "id",
    "name": "name",
    "status": "status",
    "shared": "shared",
    "admin_state_up": "admin_state_up",
    "subnet_ids": "subnets",
    "network_type": "provider:network_type",
    "physical_network": "provider:physical_network",
    "segmentation_id": "provider:segmentation_id",  # the VLAN id
    "mtu": "mtu",
    "project_id": "project_id",
    "description": "description",
}


@dataclass(frozen=True)
class Network(Record):
    id: str
    name: str
    status: str = ""
    shared: bool = False
    admin_state_up: bool = True
    subnet_ids: tuple[str, ...] = ()
    network_type: str | None = None  # vlan, flat... (admin only)
    physical_network: str | None = None
    segmentation_id: int | None = None
    mtu: int | None = None
    project_id: str | None = None
    description: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> Network:
        wire = Wire(body, NETWORK_FIELDS)
        return cls(
            id=wire.text("id"),
            name=wire.text("name"),
            status=wire.text("status"),
            shared=wire.flag("shared"),
            admin_state_up=wire.flag("admin_state_up", True),
            subnet_ids=wire.strings("subnet_ids"),
            network_type=wire.opt_text("network_type"),
            physical_network=wire.opt_text("physical_network"),
            segmentation_id=wire.opt_integer("segmentation_id"),
            mtu=wire.opt_integer("mtu"),
            project_id=wire.opt_text("project_id") or wire.opt_text("tenant_id"),
            description=wire.opt_text("description"),
            raw=body,
        )


SUBNET_FIELDS = {
    "id": "id",
    "name": "name",
    "network_id": "network_id",
    "cidr": "cidr",
    "ip_version": "ip_version",
    "gateway_ip": "gateway_ip",
    "enable_dhcp": "enable_dhcp",
    "dns_nameservers": "dns_nameservers",
    "allocation_pools": "allocation_pools",
}


@dataclass(frozen=True)
class Subnet(Record):
    id: str
    name: str
    network_id: str
    cidr: str
    ip_version: int = 4
    gateway_ip: str | None = None
    enable_dhcp: bool = False
    dns_nameservers: tuple[str, ...] = ()
    allocation_pools: tuple[tuple[str, str], ...] = ()  # (start, end)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> Subnet:
        wire = Wire(body, SUBNET_FIELDS)
        return cls(
            id=wire.text("id"),
            name=wire.text("name"),
            network_id=wire.text("network_id"),
            cidr=wire.text("cidr"),
            ip_version=wire.integer("ip_version", 4),
            gateway_ip=wire.opt_text("gateway_ip"),
            enable_dhcp=wire.flag("enable_dhcp"),
            dns_nameservers=wire.strings("dns_nameservers"),
            allocation_pools=tuple(
                (str(p.get("start", "")), str(p.get("end", "")))
                for p in wire.objects("allocation_pools")
            ),
            raw=body,
        )


PORT_FIELDS = {
    "id": "id",
    "name": "name",
    "network_id": "network_id",
    "status": "status",
    "mac_address": "mac_address",
    "device_id": "device_id",
    "device_owner": "device_owner",
    "fixed_ips": "fixed_ips",
    "host_id": "binding:host_id",
}


@dataclass(frozen=True)
class Port(Record):
    id: str
    name: str
    network_id: str
    status: str = ""
    mac_address: str | None = None
    device_id: str | None = None  # the server's id, for a VM's port
    device_owner: str | None = None
    fixed_ips: tuple[tuple[str, str], ...] = ()  # (subnet_id, ip_address)
    host_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> Port:
        wire = Wire(body, PORT_FIELDS)
        return cls(
            id=wire.text("id"),
            name=wire.text("name"),
            network_id=wire.text("network_id"),
            status=wire.text("status"),
            mac_address=wire.opt_text("mac_address"),
            device_id=wire.opt_text("device_id"),
            device_owner=wire.opt_text("device_owner"),
            fixed_ips=tuple(
                (str(f.get("subnet_id", "")), str(f.get("ip_address", "")))
                for f in wire.objects("fixed_ips")
            ),
            host_id=wire.opt_text("host_id"),
            raw=body,
        )

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
        self, *, network_id: str | None = None, device_id: str | None = None
    ) -> list[Port]:
        params = {"network_id": network_id, "device_id": device_id}
        rows = await self._list("ports", {k: v for k, v in params.items() if v})
        return [Port.from_wire(row) for row in rows]

    async def port(self, port_id: str) -> Port:
        return Port.from_wire(await self._show("ports", port_id, "port"))
