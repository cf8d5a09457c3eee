"""The three resources neutron serves here (networks, subnets, ports): attribute map, view,
not-found error and the admin-only attributes of each."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from powerbridge.emulator.api.network.attributes import (
    NETWORK_ATTRS,
    PORT_ATTRS,
    SUBNET_ATTRS,
    Attr,
)
from powerbridge.emulator.api.network.views import network_view, port_view, subnet_view
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.ipam import subnet_not_found
from powerbridge.emulator.backend.network import NetworkBackend
from powerbridge.emulator.backend.network_records import Record, network_not_found, port_not_found
from powerbridge.emulator.errors import ApiError


@dataclass(frozen=True)
class Resource:
    name: str
    collection: str
    attrs: dict[str, Attr]
    view: Callable[[Any], dict[str, Any]]
    not_found: Callable[[str], ApiError]
    admin_only: frozenset[str] = field(default_factory=frozenset)  # hidden from others

    def records(self, backend: NetworkBackend, caller: Caller) -> Sequence[Record]:
        listing: dict[str, Callable[[Caller], Sequence[Record]]] = {
            "networks": backend.visible_networks,
            "subnets": backend.visible_subnets,
            "ports": backend.visible_ports,
        }
        return listing[self.collection](caller)

    def shape(self, row: Mapping[str, Any], caller: Caller, fields: Sequence[str]) -> Any:
        hidden = () if caller.is_admin else self.admin_only
        return {
            key: value
            for key, value in row.items()
            if key not in hidden and (not fields or key in fields)
        }


NETWORKS = Resource(
    "network",
    "networks",
    NETWORK_ATTRS,
    network_view,
    network_not_found,
    frozenset({"provider:network_type", "provider:physical_network", "provider:segmentation_id"}),
)
SUBNETS = Resource("subnet", "subnets", SUBNET_ATTRS, subnet_view, subnet_not_found)
PORTS = Resource(
    "port",
    "ports",
    PORT_ATTRS,
    port_view,
    port_not_found,
    frozenset({"binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details"}),
)
RESOURCES = (NETWORKS, SUBNETS, PORTS)
