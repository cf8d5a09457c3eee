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
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.ipam import (
    IpNetwork,
    default_pools,
    invalid_input,
    neutron_error,
    validate_pools,
)
from powerbridge.emulator.backend.network_attrs import (
    apply_port_attrs,
    gateway_of,
    owner_of,
    refresh_binding,
    valid_mtu,
)
from powerbridge.emulator.backend.network_records import (
    DEFAULT_PHYSICAL_NETWORK,
    ML2_LOG,
    PLUGIN_LOG,
    SERVER_DEVICE_OWNER,
    VLAN_RANGE,
    Network,
    Port,
    Record,
    Subnet,
    policy_denied,
    require_admin_rule,
    require_write,
)
from powerbridge.emulator.backend.network_store import NetworkRecords
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.estate import NetworkSpec, SubnetSpec
from powerbridge.emulator.logs import LogContext

# the records, errors and allocator live in network_records and ipam; the HTTP layer reads
# them from here


class NetworkBackend(NetworkRecords):
    """Changes to networks, subnets and ports, under neutron's rules (the records, lookups and
    tags are `NetworkRecords`')."""

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
            project_id=owner_of(caller, attrs),
            seq=self._next_seq(),
            created_at=now,
            updated_at=now,
            shared=attrs.get("shared", False),
            admin_state_up=attrs.get("admin_state_up", True),
            mtu=valid_mtu(attrs.get("mtu")),
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
            network.mtu = valid_mtu(changes["mtu"])
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
        return self._build_subnet(network, attrs, owner_of(caller, attrs))

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
        gateway = gateway_of(ip_net, attrs)
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
            gateway = gateway_of(ip_net, {"gateway_ip": changes["gateway_ip"]})
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
            owner_of(caller, attrs),
            attrs.get("fixed_ips"),
            attrs.get("mac_address"),
            context,
        )
        apply_port_attrs(port, attrs)
        refresh_binding(port)
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
        apply_port_attrs(port, changes)
        refresh_binding(port)
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
        if port.device_id:
            self._addresses_changed(port.device_id)
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
            refresh_binding(port)
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
            refresh_binding(port)
            self._touch(port)
            self._log(
                "INFO", PLUGIN_LOG, f"Port {port.id} detached from server {server_id}", context
            )
        self._server_ports.pop(server_id, None)
        self._addresses_changed(server_id)
