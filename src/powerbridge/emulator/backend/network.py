"""Neutron v2.0: networks, subnets and ports (addresses come from `ipam.Ipam`).

Records live in memory dicts and are written through to the store. Policy follows neutron's
defaults: a non-admin sees their own and shared networks (and the subnets on them) but only
their own ports; readers cannot write; attributes such as `shared`, `provider:*` and
`binding:host_id` are admin-only.

Compute drives server ports through `allocate_server_port`, `bind_server_ports`,
`release_server_ports`, `server_addresses`, `server_port_ids` and `free_ip_count`.
"""

from __future__ import annotations

import ipaddress
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity import Caller
from powerbridge.emulator.backend.ipam import (
    IPAM_LOG,
    IpAllocator,
    Ipam,
    IpNetwork,
    default_pools,
    generation_failure,
    invalid_input,
    is_host_address,
    neutron_error,
    subnet_not_found,
    validate_pools,
)
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.estate import NetworkSpec, SubnetSpec
from powerbridge.emulator.logs import LogContext

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


__all__ = [  # the error helpers and allocator live in ipam; kept importable from here
    "IpAllocator",
    "generation_failure",
    "invalid_input",
    "neutron_error",
    "subnet_not_found",
]


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
    if not caller.can_write:
        raise policy_denied(rule)


def require_admin_rule(caller: Caller, rule: str) -> None:
    if not caller.is_admin:
        raise policy_denied(rule)


class NetworkBackend:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.networks: dict[str, Network] = {}
        self.subnets: dict[str, Subnet] = {}
        self.ports: dict[str, Port] = {}
        self.ipam = Ipam(self.subnets, self._ipam_log)
        self._network_ports: dict[str, dict[str, None]] = {}
        self._server_ports: dict[str, dict[str, None]] = {}
        self._macs: set[str] = set()
        self._seq = 0
        self._load()

    # -- persistence ---------------------------------------------------------------------
    def _load(self) -> None:
        load = self.ctx.store.load
        for network in sorted((Network(**b) for b in load("network")), key=lambda r: r.seq):
            self.networks[network.id] = network
            self._network_ports[network.id] = {}
        for subnet in sorted((Subnet(**b) for b in load("subnet")), key=lambda r: r.seq):
            self.subnets[subnet.id] = subnet
            self.ipam.add_subnet(subnet)
        ports = sorted((Port(**b) for b in load("port")), key=lambda r: r.seq)
        for port in ports:
            self._index_port(port)
            self.ipam.restore(port.id, port.fixed_ips)
        for port in sorted(ports, key=lambda r: r.attach_seq):
            self._index_server(port, None)
        records: list[Record] = [*self.networks.values(), *self.subnets.values(), *ports]
        self._seq = max((r.seq for r in records), default=0)
        self._seq = max(self._seq, max((p.attach_seq for p in ports), default=0))

    def _save(self, record: Record) -> None:
        self.ctx.store.put(KIND_OF[type(record)], record.id, asdict(record))

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _touch(self, record: Record) -> None:
        record.revision_number += 1
        record.updated_at = self.ctx.clock.now()
        self._save(record)

    def seed(self, owner_project_id: str) -> None:
        """The estate's networks, shared VLAN networks owned by the admin project."""
        for spec in self.ctx.estate.networks:
            self._seed_network(spec, owner_project_id)

    def _seed_network(self, spec: NetworkSpec, owner: str) -> None:
        now = self.ctx.clock.now()
        network = Network(
            id=str(uuid.uuid4()),
            name=spec.name,
            project_id=owner,
            seq=self._next_seq(),
            created_at=now,
            updated_at=now,
            shared=spec.shared,
            physical_network=spec.physical_network,
            segmentation_id=spec.vlan,
        )
        self._add_network(network)
        for subnet_spec in spec.subnets:
            self._seed_subnet(network, subnet_spec, owner)

    def _seed_subnet(self, network: Network, spec: SubnetSpec, owner: str) -> None:
        attrs: dict[str, Any] = {
            "name": spec.name,
            "network_id": network.id,
            "ip_version": ipaddress.ip_network(spec.cidr, strict=False).version,
            "cidr": spec.cidr,
            "enable_dhcp": False,  # PowerVC networks never run neutron DHCP
            "dns_nameservers": list(spec.dns_nameservers),
            "project_id": owner,
        }
        if spec.gateway_ip is not None:  # else neutron's default, the first host address
            attrs["gateway_ip"] = spec.gateway_ip
        if spec.allocation_pools:
            attrs["allocation_pools"] = [dict(p) for p in spec.allocation_pools]
        self._build_subnet(network, attrs, owner)

    def resume(self) -> None:
        """Nothing to resume: networks have no timed lifecycle."""

    # -- visibility ----------------------------------------------------------------------
    def _network_visible(self, network: Network, caller: Caller) -> bool:
        return caller.is_admin or network.shared or network.project_id == caller.project_id

    def _subnet_visible(self, subnet: Subnet, caller: Caller) -> bool:
        if caller.is_admin or subnet.project_id == caller.project_id:
            return True
        network = self.networks.get(subnet.network_id)
        return network is not None and network.shared

    @staticmethod
    def _port_visible(port: Port, caller: Caller) -> bool:
        return caller.is_admin or port.project_id == caller.project_id

    def network(self, network_id: str, caller: Caller) -> Network:
        network = self.networks.get(network_id)
        if network is None or not self._network_visible(network, caller):
            raise network_not_found(network_id)
        return network

    def subnet(self, subnet_id: str, caller: Caller) -> Subnet:
        subnet = self.subnets.get(subnet_id)
        if subnet is None or not self._subnet_visible(subnet, caller):
            raise subnet_not_found(subnet_id)
        return subnet

    def port(self, port_id: str, caller: Caller) -> Port:
        port = self.ports.get(port_id)
        if port is None or not self._port_visible(port, caller):
            raise port_not_found(port_id)
        return port

    def visible_networks(self, caller: Caller) -> list[Network]:
        return [n for n in self.networks.values() if self._network_visible(n, caller)]

    def visible_subnets(self, caller: Caller) -> list[Subnet]:
        return [s for s in self.subnets.values() if self._subnet_visible(s, caller)]

    def visible_ports(self, caller: Caller) -> list[Port]:
        return [p for p in self.ports.values() if self._port_visible(p, caller)]

    @staticmethod
    def _owned(record: Record, caller: Caller, rule: str) -> None:
        """Writes need the member role, and the record's project unless admin."""
        require_write(caller, rule)
        if not caller.is_admin and record.project_id != caller.project_id:
            raise policy_denied(rule)

    # -- networks ------------------------------------------------------------------------
    def create_network(self, caller: Caller, attrs: Mapping[str, Any]) -> Network:
        """`attrs`: validated wire attributes (name, shared, provider:*, ...)."""
        require_write(caller, "create_network")
        for key in ("shared", "router:external", "is_default"):
            if attrs.get(key):
                require_admin_rule(caller, f"create_network:{key}")
        for key in ("provider:network_type", "provider:physical_network"):
            if attrs.get(key) is not None:
                require_admin_rule(caller, f"create_network:{key}")
        if attrs.get("provider:segmentation_id") is not None:
            require_admin_rule(caller, "create_network:provider:segmentation_id")
        network_type, physnet, vlan = self._segment(attrs)
        now = self.ctx.clock.now()
        network = Network(
            id=str(uuid.uuid4()),
            name=attrs.get("name", ""),
            project_id=_owner(caller, attrs),
            seq=self._next_seq(),
            created_at=now,
            updated_at=now,
            shared=attrs.get("shared", False),
            admin_state_up=attrs.get("admin_state_up", True),
            mtu=_mtu(attrs.get("mtu")),
            description=attrs.get("description", ""),
            network_type=network_type,
            physical_network=physnet,
            segmentation_id=vlan,
            router_external=attrs.get("router:external", False),
            port_security_enabled=attrs.get("port_security_enabled", True),
            availability_zone_hints=list(attrs.get("availability_zone_hints", [])),
            dns_domain=attrs.get("dns_domain", ""),
            is_default=attrs.get("is_default", False),
            tags=list(attrs.get("tags", [])),
        )
        self._add_network(network)
        return network

    def _add_network(self, network: Network) -> None:
        self.networks[network.id] = network
        self._network_ports[network.id] = {}
        self._save(network)

    def _segment(self, attrs: Mapping[str, Any]) -> tuple[str, str | None, int | None]:
        """ML2's segment: VLAN by default (the next free id on the physical network)."""
        network_type = attrs.get("provider:network_type") or "vlan"
        physnet = attrs.get("provider:physical_network")
        vlan = attrs.get("provider:segmentation_id")
        if network_type == "flat":
            if vlan is not None:
                raise invalid_input("segmentation_id specified for flat provider network")
            return "flat", physnet or DEFAULT_PHYSICAL_NETWORK, None
        if network_type != "vlan":
            raise invalid_input(f"network_type value '{network_type}' not supported")
        physnet = physnet or DEFAULT_PHYSICAL_NETWORK
        used = {
            n.segmentation_id
            for n in self.networks.values()
            if n.network_type == "vlan" and n.physical_network == physnet
        }
        if vlan is None:
            free = next((v for v in VLAN_RANGE if v not in used), None)
            if free is None:
                raise neutron_error(
                    503,
                    "NoNetworkAvailable",
                    "Unable to create the network. No tenant network is available for allocation.",
                )
            return "vlan", physnet, free
        if vlan not in VLAN_RANGE:
            raise invalid_input(
                f"segmentation_id out of range ({VLAN_RANGE.start} through {VLAN_RANGE.stop - 1})"
            )
        if vlan in used:
            raise neutron_error(
                409,
                "VlanIdInUse",
                f"Unable to create the network. The VLAN {vlan} on physical network "
                f"{physnet} is in use.",
            )
        return "vlan", physnet, int(vlan)

    def update_network(
        self, network_id: str, caller: Caller, changes: Mapping[str, Any]
    ) -> Network:
        network = self.network(network_id, caller)
        self._owned(network, caller, "update_network")
        for key in ("shared", "router:external", "is_default"):
            if key in changes:
                require_admin_rule(caller, f"update_network:{key}")
        if any(key.startswith("provider:") for key in changes):
            raise invalid_input("Plugin does not support updating provider attributes")
        if changes.get("shared") is False and network.shared:
            self._check_unshare(network)
        simple = {
            "name": "name",
            "admin_state_up": "admin_state_up",
            "description": "description",
            "shared": "shared",
            "router:external": "router_external",
            "port_security_enabled": "port_security_enabled",
            "dns_domain": "dns_domain",
            "is_default": "is_default",
        }
        for wire, attribute in simple.items():
            if wire in changes:
                setattr(network, attribute, changes[wire])
        if "mtu" in changes:
            network.mtu = _mtu(changes["mtu"])
        self._touch(network)
        return network

    def _check_unshare(self, network: Network) -> None:
        ports = (self.ports[p] for p in self._network_ports.get(network.id, {}))
        if any(port.project_id != network.project_id for port in ports):
            raise neutron_error(
                409,
                "InvalidSharedSetting",
                f"Unable to reconfigure sharing settings for network {network.id}. "
                "Multiple tenants are using it.",
            )

    def delete_network(self, network_id: str, caller: Caller, context: LogContext) -> None:
        network = self.network(network_id, caller)
        self._owned(network, caller, "delete_network")
        self._discard_network(network)
        self._log("INFO", PLUGIN_LOG, f"Deleted network {network_id}", context)

    def _discard_network(self, network: Network) -> None:
        if self._network_ports.get(network.id):
            raise neutron_error(
                409,
                "NetworkInUse",
                f"Unable to complete operation on network {network.id}. There are one or "
                "more ports still in use on the network.",
            )
        for subnet_id in list(network.subnet_ids):
            self._drop_subnet(self.subnets[subnet_id])
        del self.networks[network.id]
        self._network_ports.pop(network.id, None)
        self.ctx.store.delete("network", network.id)

    # -- subnets -------------------------------------------------------------------------
    def create_subnet(self, caller: Caller, attrs: Mapping[str, Any]) -> Subnet:
        require_write(caller, "create_subnet")
        network = self.network(str(attrs["network_id"]), caller)
        if not caller.is_admin and network.project_id != caller.project_id:
            raise policy_denied("create_subnet")
        return self._build_subnet(network, attrs, _owner(caller, attrs))

    def _build_subnet(self, network: Network, attrs: Mapping[str, Any], owner: str) -> Subnet:
        cidr = attrs.get("cidr")
        if cidr is None:
            raise neutron_error(
                400,
                "BadRequest",
                "Bad subnets request: a subnetpool must be specified in the absence of a cidr.",
            )
        ip_net = ipaddress.ip_network(cidr, strict=False)
        if ip_net.version != attrs["ip_version"]:
            raise invalid_input("Cidr and IP version are not compatible")
        self._check_overlap(network, ip_net)
        gateway = _gateway(ip_net, attrs)
        pools = attrs.get("allocation_pools")
        pools = default_pools(ip_net, gateway) if pools is None else [dict(p) for p in pools]
        validate_pools(ip_net, pools, gateway)
        now = self.ctx.clock.now()
        subnet = Subnet(
            id=str(uuid.uuid4()),
            name=attrs.get("name", ""),
            project_id=owner,
            network_id=network.id,
            seq=self._next_seq(),
            created_at=now,
            updated_at=now,
            ip_version=ip_net.version,
            cidr=str(ip_net),
            gateway_ip=gateway,
            allocation_pools=pools,
            dns_nameservers=list(attrs.get("dns_nameservers", [])),
            host_routes=[dict(r) for r in attrs.get("host_routes", [])],
            enable_dhcp=attrs.get("enable_dhcp", True),
            description=attrs.get("description", ""),
            ipv6_ra_mode=attrs.get("ipv6_ra_mode"),
            ipv6_address_mode=attrs.get("ipv6_address_mode"),
            service_types=list(attrs.get("service_types", [])),
            tags=list(attrs.get("tags", [])),
        )
        self.subnets[subnet.id] = subnet
        self.ipam.add_subnet(subnet)
        self._save(subnet)
        network.subnet_ids.append(subnet.id)
        self._touch(network)
        return subnet

    def _check_overlap(self, network: Network, ip_net: IpNetwork) -> None:
        for subnet_id in network.subnet_ids:
            other = ipaddress.ip_network(self.subnets[subnet_id].cidr)
            if other.version == ip_net.version and other.overlaps(ip_net):
                raise invalid_input(
                    f"Requested subnet with cidr: {ip_net} for network: {network.id} "
                    "overlaps with another subnet"
                )

    def update_subnet(self, subnet_id: str, caller: Caller, changes: Mapping[str, Any]) -> Subnet:
        subnet = self.subnet(subnet_id, caller)
        self._owned(subnet, caller, "update_subnet")
        ip_net = ipaddress.ip_network(subnet.cidr)
        gateway = subnet.gateway_ip
        if "gateway_ip" in changes:
            gateway = _gateway(ip_net, {"gateway_ip": changes["gateway_ip"]})
            self._check_gateway_free(subnet, gateway)
        pools = changes.get("allocation_pools", subnet.allocation_pools)
        validate_pools(ip_net, pools, gateway)
        subnet.gateway_ip = gateway
        if "allocation_pools" in changes:
            subnet.allocation_pools = [dict(p) for p in pools]
            self.ipam.repool(subnet)
        for key in ("name", "description", "enable_dhcp", "dns_nameservers", "service_types"):
            if key in changes:
                setattr(subnet, key, changes[key])
        if "host_routes" in changes:
            subnet.host_routes = [dict(r) for r in changes["host_routes"]]
        self._touch(subnet)
        return subnet

    def _check_gateway_free(self, subnet: Subnet, gateway: str | None) -> None:
        holder = None if gateway is None else self.ipam.holder(subnet.id, gateway)
        if holder is not None:
            raise neutron_error(
                409,
                "GatewayIpInUse",
                f"Current gateway ip {gateway} already in use by port {holder}. Unable to update.",
            )

    def delete_subnet(self, subnet_id: str, caller: Caller) -> None:
        subnet = self.subnet(subnet_id, caller)
        self._owned(subnet, caller, "delete_subnet")
        if self.ipam.in_use(subnet.id):
            raise neutron_error(
                409,
                "SubnetInUse",
                f"Unable to complete operation on subnet {subnet.id}: One or more ports "
                "have an IP allocation from this subnet.",
            )
        self._drop_subnet(subnet)
        network = self.networks.get(subnet.network_id)
        if network is not None:
            self._touch(network)

    def _drop_subnet(self, subnet: Subnet) -> None:
        network = self.networks.get(subnet.network_id)
        if network is not None and subnet.id in network.subnet_ids:
            network.subnet_ids.remove(subnet.id)
        del self.subnets[subnet.id]
        self.ipam.drop_subnet(subnet.id)
        self.ctx.store.delete("subnet", subnet.id)

    # -- ports ---------------------------------------------------------------------------
    def create_port(
        self, caller: Caller, attrs: Mapping[str, Any], context: LogContext | None = None
    ) -> Port:
        require_write(caller, "create_port")
        network = self.network(str(attrs["network_id"]), caller)
        for key in ("binding:host_id", "binding:profile"):
            if attrs.get(key):
                require_admin_rule(caller, f"create_port:{key}")
        if not caller.is_admin and network.project_id != caller.project_id:
            if "mac_address" in attrs:
                raise policy_denied("create_port:mac_address")
            if any("ip_address" in item for item in attrs.get("fixed_ips") or []):
                raise policy_denied("create_port:fixed_ips:ip_address")
        port = self._new_port(
            network,
            _owner(caller, attrs),
            attrs.get("fixed_ips"),
            attrs.get("mac_address"),
            context,
        )
        _apply_port_attrs(port, attrs)
        _refresh_binding(port)
        self._store_port(port)
        return port

    def _new_port(
        self,
        network: Network,
        project_id: str,
        requested: Sequence[Mapping[str, str]] | None,
        mac_address: str | None,
        context: LogContext | None,
    ) -> Port:
        port_id = str(uuid.uuid4())
        mac = self._claim_mac(network, mac_address)
        try:
            fixed_ips = self.ipam.allocate(
                network.id, network.subnet_ids, port_id, requested, context
            )
        except ApiError:
            self._macs.discard(mac)
            raise
        now = self.ctx.clock.now()
        return Port(
            id=port_id,
            name="",
            project_id=project_id,
            network_id=network.id,
            seq=self._next_seq(),
            created_at=now,
            updated_at=now,
            mac_address=mac,
            fixed_ips=fixed_ips,
        )

    def _store_port(self, port: Port) -> None:
        """Record a new port whose addresses are already taken in the allocators."""
        self._index_port(port)
        self._index_server(port, None)
        self._save(port)

    def _index_port(self, port: Port) -> None:
        self.ports[port.id] = port
        self._network_ports.setdefault(port.network_id, {})[port.id] = None
        self._macs.add(port.mac_address)

    def _index_server(self, port: Port, old_device_id: str | None) -> None:
        """Keep `server id -> port ids` for ports that compute attached to a server."""
        if old_device_id:
            self._server_ports.get(old_device_id, {}).pop(port.id, None)
        if port.device_id and port.device_owner.startswith("compute:"):
            self._server_ports.setdefault(port.device_id, {})[port.id] = None

    def _claim_mac(self, network: Network, requested: str | None) -> str:
        if requested is not None:
            mac = requested.lower()
            in_network = (self.ports[p].mac_address for p in self._network_ports[network.id])
            if mac in in_network:
                raise neutron_error(
                    409,
                    "MacAddressInUse",
                    f"Unable to complete operation for network {network.id}. The mac address "
                    f"{mac} is in use.",
                )
            self._macs.add(mac)
            return mac
        while True:
            suffix = secrets.token_bytes(3)
            mac = MAC_PREFIX + "".join(f":{byte:02x}" for byte in suffix)
            if mac not in self._macs:
                self._macs.add(mac)
                return mac

    def update_port(
        self,
        port_id: str,
        caller: Caller,
        changes: Mapping[str, Any],
        context: LogContext | None = None,
    ) -> Port:
        port = self.port(port_id, caller)
        self._owned(port, caller, "update_port")
        for key in ("binding:host_id", "binding:profile", "mac_address"):
            if key in changes:
                require_admin_rule(caller, f"update_port:{key}")
        if "mac_address" in changes:
            self._change_mac(port, str(changes["mac_address"]).lower())
        if "fixed_ips" in changes:
            self._change_fixed_ips(port, changes["fixed_ips"], context)
        old_device = port.device_id
        _apply_port_attrs(port, changes)
        _refresh_binding(port)
        self._index_server(port, old_device)
        self._touch(port)
        return port

    def _change_mac(self, port: Port, mac: str) -> None:
        if mac == port.mac_address:
            return
        if port.binding_vif_type not in ("unbound", "binding_failed"):
            raise neutron_error(
                409,
                "PortBound",
                f"Unable to complete operation on port {port.id}, port is already bound, "
                f"port type: {port.binding_vif_type}, old_mac {port.mac_address}, "
                f"new_mac {mac}.",
            )
        network = self.networks[port.network_id]
        self._macs.discard(port.mac_address)
        port.mac_address = self._claim_mac(network, mac)

    def _change_fixed_ips(
        self, port: Port, requested: Sequence[Mapping[str, str]], context: LogContext | None
    ) -> None:
        network = self.networks[port.network_id]
        kept = [dict(f) for f in port.fixed_ips]
        self.ipam.release(kept)
        try:
            port.fixed_ips = self.ipam.allocate(
                network.id, network.subnet_ids, port.id, requested, context
            )
        except ApiError:
            self.ipam.restore(port.id, kept)  # give the port its old addresses back
            raise

    def delete_port(self, port_id: str, caller: Caller, context: LogContext | None = None) -> None:
        port = self.port(port_id, caller)
        self._owned(port, caller, "delete_port")
        self._discard_port(port, context)

    def _discard_port(self, port: Port, context: LogContext | None) -> None:
        self.ipam.release(port.fixed_ips)
        self._macs.discard(port.mac_address)
        self._network_ports.get(port.network_id, {}).pop(port.id, None)
        self._server_ports.get(port.device_id, {}).pop(port.id, None)
        del self.ports[port.id]
        self.ctx.store.delete("port", port.id)
        addresses = ", ".join(f["ip_address"] for f in port.fixed_ips) or "none"
        self._log("INFO", PLUGIN_LOG, f"Deleted port {port.id} (addresses: {addresses})", context)

    # -- bulk create ---------------------------------------------------------------------
    def create_many(
        self, create: Callable[[Mapping[str, Any]], Record], items: Sequence[Mapping[str, Any]]
    ) -> list[Record]:
        """neutron's bulk create: all or nothing, what was created is removed on failure."""
        created: list[Record] = []
        try:
            for item in items:
                created.append(create(item))
        except ApiError:
            for record in reversed(created):
                self._undo_create(record)
            raise
        return created

    def _undo_create(self, record: Record) -> None:
        if isinstance(record, Port):
            self._discard_port(record, None)
        elif isinstance(record, Subnet):
            self._drop_subnet(record)
        else:
            self._discard_network(record)

    # -- tags ----------------------------------------------------------------------------
    def record(self, collection: str, resource_id: str, caller: Caller) -> Record:
        """The visible network, subnet or port `resource_id` of `collection` (404 if not)."""
        lookup: dict[str, Callable[[str, Caller], Record]] = {
            "networks": self.network,
            "subnets": self.subnet,
            "ports": self.port,
        }
        return lookup[collection](resource_id, caller)

    def replace_tags(
        self, collection: str, resource_id: str, caller: Caller, tags: Sequence[str], rule: str
    ) -> list[str]:
        record = self.record(collection, resource_id, caller)
        self._owned(record, caller, rule)
        record.tags = list(dict.fromkeys(tags))
        self._touch(record)
        return list(record.tags)

    def add_tag(self, collection: str, resource_id: str, caller: Caller, tag: str) -> None:
        record = self.record(collection, resource_id, caller)
        self._owned(record, caller, f"create_{collection}_tags")
        if tag not in record.tags:
            record.tags.append(tag)
            self._touch(record)

    def remove_tag(self, collection: str, resource_id: str, caller: Caller, tag: str) -> None:
        record = self.record(collection, resource_id, caller)
        self._owned(record, caller, f"delete_{collection}_tags")
        if tag not in record.tags:
            raise tag_not_found(tag, collection, resource_id)
        record.tags.remove(tag)
        self._touch(record)

    # -- what compute calls --------------------------------------------------------------
    def allocate_server_port(
        self,
        *,
        network_id: str,
        fixed_ip: str | None,
        port_id: str | None,
        server_id: str,
        project_id: str,
        caller: Caller,
        context: LogContext,
    ) -> Port:
        """A port for one of a server's NICs: a new one on `network_id` (with `fixed_ip` or
        the next free address), or the existing unbound port `port_id` of the project."""
        if port_id:
            port = self._attach_existing(port_id, server_id, project_id, caller, context)
        else:
            network = self.network(network_id, caller)
            requested = None if fixed_ip is None else [{"ip_address": fixed_ip}]
            port = self._new_port(network, project_id, requested, None, context)
            port.device_id, port.device_owner = server_id, SERVER_DEVICE_OWNER
            port.server_owned = True
            port.attach_seq = self._next_seq()
            self._store_port(port)
            self._log("INFO", PLUGIN_LOG, f"Created port {port.id} for server {server_id}", context)
        return port

    def _attach_existing(
        self, port_id: str, server_id: str, project_id: str, caller: Caller, context: LogContext
    ) -> Port:
        port = self.port(port_id, caller)
        if port.device_id:
            raise neutron_error(409, "PortInUse", f"Port {port_id} is still in use.")
        if port.project_id != project_id:
            raise neutron_error(
                400, "PortNotUsable", f"Port {port_id} not usable for instance {server_id}."
            )
        port.device_id, port.device_owner = server_id, SERVER_DEVICE_OWNER
        port.server_owned = False
        port.attach_seq = self._next_seq()
        self._index_server(port, None)
        self._touch(port)
        self._log("INFO", PLUGIN_LOG, f"Port {port_id} attached to server {server_id}", context)
        return port

    def bind_server_ports(self, server_id: str, host: str, context: LogContext) -> None:
        for port in self._ports_of(server_id):
            port.binding_host_id = host
            _refresh_binding(port)
            self._touch(port)
            self._log(
                "INFO",
                ML2_LOG,
                f"Port {port.id} bound to host {host} (vif_type {port.binding_vif_type}), "
                f"status {port.status}",
                context,
            )

    def release_server_ports(self, server_id: str, context: LogContext) -> None:
        """Delete the ports created for the server, unbind the ones it was given."""
        for port in self._ports_of(server_id):
            if port.server_owned:
                self._discard_port(port, context)
                continue
            port.device_id = port.device_owner = port.binding_host_id = ""
            _refresh_binding(port)
            self._touch(port)
            self._log(
                "INFO", PLUGIN_LOG, f"Port {port.id} detached from server {server_id}", context
            )
        self._server_ports.pop(server_id, None)

    def server_port_ids(self, server_id: str) -> list[str]:
        return list(self._server_ports.get(server_id, {}))

    def _ports_of(self, server_id: str) -> list[Port]:
        return [self.ports[p] for p in self.server_port_ids(server_id) if p in self.ports]

    def server_addresses(self, server_id: str) -> dict[str, list[dict[str, Any]]]:
        """nova's `addresses`: network name -> the server's fixed IPs on it, in NIC order."""
        addresses: dict[str, list[dict[str, Any]]] = {}
        for port in self._ports_of(server_id):
            network = self.networks.get(port.network_id)
            entries = addresses.setdefault(network.name if network else port.network_id, [])
            for fixed in port.fixed_ips:
                entries.append(
                    {
                        "version": 6 if ":" in fixed["ip_address"] else 4,
                        "addr": fixed["ip_address"],
                        "OS-EXT-IPS:type": "fixed",
                        "OS-EXT-IPS-MAC:mac_addr": port.mac_address,
                    }
                )
        return addresses

    def free_ip_count(self, network_id: str) -> int:
        network = self.networks.get(network_id)
        if network is None:
            raise network_not_found(network_id)
        return self.ipam.free(network.subnet_ids)

    def _log(self, level: str, module: str, message: str, context: LogContext | None) -> None:
        self.ctx.logs.write(PROCESS, level, module, message, context)

    def _ipam_log(self, level: str, message: str, context: LogContext | None) -> None:
        self._log(level, IPAM_LOG, message, context)


# -- helpers ----------------------------------------------------------------------------
def tag_not_found(tag: str, collection: str, resource_id: str) -> ApiError:
    return neutron_error(
        404,
        "TagNotFound",
        f"Tag {tag} could not be found for {collection[:-1]} {resource_id}.",
    )


def _owner(caller: Caller, attrs: Mapping[str, Any]) -> str:
    """The project a new record belongs to: the caller's, or another one only for admins."""
    requested = attrs.get("project_id") or attrs.get("tenant_id")
    if requested and requested != caller.project_id:
        if not caller.is_admin:
            raise neutron_error(
                400,
                "HTTPBadRequest",
                "Specifying 'project_id' or 'tenant_id' other than the authenticated project "
                "in request requires admin privileges",
            )
        return str(requested)
    return caller.project_id or ""


def _mtu(value: Any) -> int:
    if value is None:
        return DEFAULT_MTU
    if value > DEFAULT_MTU:
        raise invalid_input(f"Requested MTU is too big, maximum is {DEFAULT_MTU}")
    if value < 68:
        raise invalid_input("Requested MTU is too small, minimum is 68")
    return int(value)


def _gateway(ip_net: IpNetwork, attrs: Mapping[str, Any]) -> str | None:
    """The requested gateway (None: none), or by default the CIDR's first host address."""
    if "gateway_ip" not in attrs:
        if ip_net.num_addresses < 2:
            return None
        return str(ip_net.network_address + 1)
    gateway = attrs["gateway_ip"]
    if gateway is None:
        return None
    address = ipaddress.ip_address(gateway)
    if not is_host_address(ip_net, address):
        raise invalid_input("Gateway is not valid on subnet")
    return str(address)


_PORT_ATTRS = {
    "name": "name",
    "admin_state_up": "admin_state_up",
    "device_id": "device_id",
    "device_owner": "device_owner",
    "description": "description",
    "binding:host_id": "binding_host_id",
    "binding:profile": "binding_profile",
    "binding:vnic_type": "binding_vnic_type",
    "allowed_address_pairs": "allowed_address_pairs",
    "extra_dhcp_opts": "extra_dhcp_opts",
    "port_security_enabled": "port_security_enabled",
    "security_groups": "security_groups",
    "dns_name": "dns_name",
    "tags": "tags",
}


def _apply_port_attrs(port: Port, attrs: Mapping[str, Any]) -> None:
    for wire, attribute in _PORT_ATTRS.items():
        if wire in attrs:
            value = attrs[wire]
            setattr(port, attribute, value if value is not None else _PORT_EMPTY[attribute])
    if "allowed_address_pairs" in attrs:
        # a pair without a MAC address takes the port's own
        port.allowed_address_pairs = [
            {
                "ip_address": str(pair["ip_address"]),
                "mac_address": str(pair.get("mac_address") or port.mac_address),
            }
            for pair in port.allowed_address_pairs
        ]


_PORT_EMPTY: dict[str, Any] = {
    "name": "",
    "device_id": "",
    "device_owner": "",
    "description": "",
    "binding_host_id": "",
    "binding_profile": {},
    "binding_vnic_type": "normal",
    "allowed_address_pairs": [],
    "extra_dhcp_opts": [],
    "security_groups": [],
    "dns_name": "",
    "tags": [],
    "admin_state_up": True,
    "port_security_enabled": True,
}


def _refresh_binding(port: Port) -> None:
    """ML2 binds a port once it has a host; a bound port with a device is ACTIVE."""
    if port.binding_host_id:
        port.binding_vif_type = "ovs"
        port.binding_vif_details = dict(BOUND_VIF_DETAILS)
    else:
        port.binding_vif_type = "unbound"
        port.binding_vif_details = {}
    active = bool(port.binding_host_id and port.device_id and port.admin_state_up)
    port.status = "ACTIVE" if active else "DOWN"
