"""Neutron's records in memory and in the store: loading, indexes, visibility, lookups, tags."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.ipam import IPAM_LOG, Ipam, neutron_error, subnet_not_found
from powerbridge.emulator.backend.network_records import (
    KIND_OF,
    MAC_PREFIX,
    PROCESS,
    Network,
    Port,
    Record,
    Subnet,
    network_not_found,
    policy_denied,
    port_not_found,
    require_write,
    tag_not_found,
)
from powerbridge.emulator.logs import LogContext

AddressWatcher = Callable[[str | None], None]


class NetworkRecords:
    """The records and their indexes (ports per network and per server, MAC addresses), kept
    write-through in the store; lookups as neutron's policy shows them, tags, and the reads
    compute makes."""

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
        self._address_watchers: list[AddressWatcher] = []
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
        if isinstance(record, Port) and record.device_id:
            self._addresses_changed(record.device_id)
        elif isinstance(record, Network):  # its name keys every server's addresses on it
            self._addresses_changed(None)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _touch(self, record: Record) -> None:
        record.revision_number += 1
        record.updated_at = self.ctx.clock.now()
        self._save(record)

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

    # -- indexes -------------------------------------------------------------------------
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
            self._addresses_changed(old_device_id)
        if port.device_id and port.device_owner.startswith("compute:"):
            self._server_ports.setdefault(port.device_id, {})[port.id] = None
            self._addresses_changed(port.device_id)

    def watch_addresses(self, watcher: AddressWatcher) -> None:
        """Call `watcher(server_id)` whenever what nova shows of that server's addresses may
        have changed (a port of it saved, attached, detached or deleted), `watcher(None)` when
        any server's may (a network saved). It must be cheap; a servers/detail page keeps
        servers serialised until told."""
        self._address_watchers.append(watcher)

    def _addresses_changed(self, server_id: str | None) -> None:
        for watcher in self._address_watchers:
            watcher(server_id)

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

    # -- what compute reads --------------------------------------------------------------
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

    # -- logs ----------------------------------------------------------------------------
    def _log(self, level: str, module: str, message: str, context: LogContext | None) -> None:
        self.ctx.logs.write(PROCESS, level, module, message, context)

    def _ipam_log(self, level: str, message: str, context: LogContext | None) -> None:
        self._log(level, IPAM_LOG, message, context)
