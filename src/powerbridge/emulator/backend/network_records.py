"""Neutron's records (networks, subnets, ports), its error wordings and policy checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.ipam import neutron_error
from powerbridge.emulator.errors import ApiError
from powerbridge.powervc_roles import allows

PROCESS = "neutron-server"
PLUGIN_LOG = "neutron.db.db_base_plugin_common"
ML2_LOG = "neutron.plugins.ml2.plugin"
SERVER_DEVICE_OWNER = "compute:nova"
DEFAULT_MTU = 1500
DEFAULT_PHYSICAL_NETWORK = "default"
VLAN_RANGE = range(1, 4095)
MAC_PREFIX = "fa:16:3e"
BOUND_VIF_DETAILS: dict[str, Any] = {
    "connectivity": "l2",
    "port_filter": True,
    "ovs_hybrid_plug": False,
    "datapath_type": "system",
    "bridge_name": "br-int",
}


# -- errors (neutron's exception classes and messages) ----------------------------------
def policy_denied(rule: str) -> ApiError:
    return neutron_error(403, "PolicyNotAuthorized", f"(rule:{rule}) is disallowed by policy")


def network_not_found(network_id: str) -> ApiError:
    return neutron_error(404, "NetworkNotFound", f"Network {network_id} could not be found.")


def port_not_found(port_id: str) -> ApiError:
    return neutron_error(404, "PortNotFound", f"Port {port_id} could not be found.")


# -- records ----------------------------------------------------------------------------
@dataclass
class Network:
    id: str
    name: str
    project_id: str
    seq: int
    created_at: float
    updated_at: float
    shared: bool = False
    admin_state_up: bool = True
    status: str = "ACTIVE"
    mtu: int = DEFAULT_MTU
    description: str = ""
    network_type: str = "vlan"
    physical_network: str | None = DEFAULT_PHYSICAL_NETWORK
    segmentation_id: int | None = None
    router_external: bool = False
    port_security_enabled: bool = True
    availability_zone_hints: list[str] = field(default_factory=list)
    dns_domain: str = ""
    is_default: bool = False
    subnet_ids: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    revision_number: int = 1


@dataclass
class Subnet:
    id: str
    name: str
    project_id: str
    network_id: str
    seq: int
    created_at: float
    updated_at: float
    ip_version: int
    cidr: str
    gateway_ip: str | None
    allocation_pools: list[dict[str, str]]
    dns_nameservers: list[str] = field(default_factory=list)
    host_routes: list[dict[str, str]] = field(default_factory=list)
    enable_dhcp: bool = True
    description: str = ""
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None
    service_types: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    revision_number: int = 0


@dataclass
class Port:
    id: str
    name: str
    project_id: str
    network_id: str
    seq: int
    created_at: float
    updated_at: float
    mac_address: str
    fixed_ips: list[dict[str, str]]  # [{"subnet_id", "ip_address"}]
    admin_state_up: bool = True
    status: str = "DOWN"
    device_id: str = ""
    device_owner: str = ""
    description: str = ""
    binding_host_id: str = ""
    binding_profile: dict[str, Any] = field(default_factory=dict)
    binding_vif_type: str = "unbound"
    binding_vif_details: dict[str, Any] = field(default_factory=dict)
    binding_vnic_type: str = "normal"
    allowed_address_pairs: list[dict[str, str]] = field(default_factory=list)
    extra_dhcp_opts: list[dict[str, Any]] = field(default_factory=list)
    port_security_enabled: bool = True
    security_groups: list[str] = field(default_factory=list)
    dns_name: str = ""
    tags: list[str] = field(default_factory=list)
    revision_number: int = 1
    # not on the wire: whether compute created it for a server (delete on release) or
    # bound a pre-existing one (unbind on release), and the order it was attached in
    server_owned: bool = False
    attach_seq: int = 0


Record = Network | Subnet | Port
KIND_OF: dict[type[Any], str] = {Network: "network", Subnet: "subnet", Port: "port"}


# -- policy -----------------------------------------------------------------------------
def require_write(caller: Caller, rule: str) -> None:
    """A write PowerVC's policy table allows some roles (keystone's member among them)."""
    if not allows(caller.roles, rule):
        raise policy_denied(rule)


def require_admin_rule(caller: Caller, rule: str) -> None:
    if not caller.is_admin:
        raise policy_denied(rule)


def tag_not_found(tag: str, collection: str, resource_id: str) -> ApiError:
    return neutron_error(
        404,
        "TagNotFound",
        f"Tag {tag} could not be found for {collection[:-1]} {resource_id}.",
    )
