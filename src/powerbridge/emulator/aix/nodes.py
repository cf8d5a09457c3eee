"""Which servers are simulated AIX nodes, and when they boot, stop and come back.

`NodeRegistry` follows every saved server (`ServerRegistry.watch`). A server deployed from an
image whose `os_distro` is `aix` becomes a node the first time it is ACTIVE: its host name
(the server's name as nova hands it to cloud-init), interfaces en0.. from its Neutron ports in
order, its PowerHA level (image property `powerha_version`), an SSH port kept for good, a host
key made at that first boot and root's authorized keys (`cloud_config`); then its first-boot
files (`node_files.seed_files`) and `/.ssh/authorized_keys`.

Node states follow the server: ACTIVE -> booting, then up after the estate timing `aix_boot`
(a lifecycle step whose due time is kept in the record, so a restart resumes it); SHUTOFF,
ERROR, REBOOT, HARD_REBOOT and REBUILD -> down (a reboot boots again when ACTIVE comes back);
a rebuild's next boot is a fresh install (new host key, new files, the new key pair's key, the
same port); a live migration and a resize keep the node as it is. A deleted server's node goes
down (listeners see it) and its record is removed.
"""

from __future__ import annotations

import ipaddress
import logging
import re

import asyncssh

from powerbridge.emulator.aix.cloud_config import authorized_keys
from powerbridge.emulator.aix.node import (
    BOOTING,
    DEFAULT_AIX_LEVEL,
    DOWN,
    UP,
    Interface,
    Node,
    NodeRecord,
)
from powerbridge.emulator.aix.node_files import seed_files
from powerbridge.emulator.aix.world import AixWorld
from powerbridge.emulator.backend.server_records import Server

BOOT_TOPIC = "aix.node.boot"
HOST_KEY_TYPE = "ssh-ed25519"
AIX_BOOT_DEFAULT = 30.0
AUTHORIZED_KEYS = "/.ssh/authorized_keys"
DELETED = "DELETED"
# statuses in which the LPAR is not running (a reboot runs down, then boots when ACTIVE)
DOWN_STATUSES = frozenset({"SHUTOFF", "ERROR", "REBOOT", "HARD_REBOOT", "REBUILD"})
HOSTNAME_MAX = 63

log = logging.getLogger(__name__)


class NodeRegistry:
    def __init__(self, world: AixWorld, *, ssh_ports: tuple[int, int]) -> None:
        self.world = world
        self.ssh_ports = ssh_ports
        self._range_full = False  # said once, not per node (estates of 10,000 AIX servers)
        self._status: dict[str, str] = {}  # the status each server had when last seen
        world.ctx.engine.on(BOOT_TOPIC, self._on_boot_due)
        world.servers.watch(self._on_server)
        self._resume()

    # -- following servers ---------------------------------------------------------------
    def _on_server(self, server: Server) -> None:
        """Runs on every server save: only a change of status does any work."""
        status = DELETED if server.deleted else server.status
        if self._status.get(server.id) == status:
            return
        self._status[server.id] = status
        if status == DELETED:
            del self._status[server.id]
        self.follow(server)

    def _resume(self) -> None:
        """After a restart: boots in flight resume; nodes follow what their servers became."""
        for server in self.world.servers.servers.values():
            if not server.deleted:
                self._status[server.id] = server.status
        for node in list(self.world.nodes.values()):
            record = node.record
            if self.world.servers.find(node.server_id) is None:
                self._forget(node)
            elif record.state == BOOTING and record.boot_due is not None:
                self.world.ctx.engine.schedule(record.boot_due, BOOT_TOPIC, node.server_id)
        for server in list(self.world.servers.servers.values()):
            if not server.deleted and (server.id in self.world.nodes or server.status == "ACTIVE"):
                self.follow(server)

    def follow(self, server: Server) -> None:
        """Bring the server's node to the state its server status implies (idempotent)."""
        status = DELETED if server.deleted else server.status
        node = self.world.node(server.id)
        if status == "ACTIVE":
            if node is None or node.record.rebuilding:
                if not self.is_aix(server):
                    if node is not None:
                        self._forget(node)
                    return
                node = self._install(server, node)
            if node.record.state == DOWN:
                self._boot(node)
        elif node is None:
            return
        elif status == DELETED:
            self._forget(node)
        elif status in DOWN_STATUSES:
            if status == "REBUILD" and not node.record.rebuilding:
                node.record.rebuilding = True
                self.world.save(node)
            self._down(node)

    def is_aix(self, server: Server) -> bool:
        image = self.world.images.images.get(server.image_id or "")
        return image is not None and image.properties.get("os_distro", "").lower() == "aix"

    # -- states --------------------------------------------------------------------------
    def _boot(self, node: Node) -> None:
        seconds = self.world.timing("aix_boot", AIX_BOOT_DEFAULT)
        node.record.boot_due = self.world.ctx.engine.after(seconds, BOOT_TOPIC, node.server_id)
        self.world.set_state(node, BOOTING)

    def _on_boot_due(self, server_id: str, due: float) -> None:
        node = self.world.node(server_id)
        if node is None or node.record.state != BOOTING or node.record.boot_due != due:
            return  # stale: the server stopped (or was deleted) while the node booted
        node.record.boot_due = None
        node.record.booted_at = due
        self.world.set_state(node, UP)

    def _down(self, node: Node) -> None:
        node.record.boot_due = None
        self.world.set_state(node, DOWN)

    def _forget(self, node: Node) -> None:
        self._down(node)
        self.world.remove(node.server_id)

    # -- first boot ----------------------------------------------------------------------
    def _install(self, server: Server, old: Node | None) -> Node:
        """A freshly installed node (first boot, or after a rebuild): same port, new host key,
        new files, the keys the server has now."""
        image = self.world.images.images.get(server.image_id or "")
        properties = image.properties if image is not None else {}
        record = NodeRecord(
            server_id=server.id,
            name=host_name(server.name, server.id),
            lpar_name=server.instance_name,
            aix_level=properties.get("aix_level", DEFAULT_AIX_LEVEL),
            powerha_version=properties.get("powerha_version") or None,
            interfaces=self._interfaces(server),
            ssh_port=old.record.ssh_port if old is not None else self._free_port(),
            host_key=new_host_key(),
            authorized_keys=authorized_keys(self._key_data(server), server.user_data),
        )
        node = self.world.add(record)
        seed_files(node)
        node.fs.mkdir("/.ssh", parents=True, mode=0o700)
        text = "".join(f"{key}\n" for key in record.authorized_keys)
        node.fs.write_text(AUTHORIZED_KEYS, text, mode=0o600)
        node.fs.chmod(AUTHORIZED_KEYS, 0o600)
        self.world.save(node)
        return node

    def _key_data(self, server: Server) -> str | None:
        """The key nova copied; for a server saved before key_data existed, its pair's key."""
        if server.key_data is not None or server.key_name is None:
            return server.key_data
        pair = self.world.keypairs.keypairs.get(f"{server.user_id}/{server.key_name}")
        return pair.public_key if pair is not None else None

    def _interfaces(self, server: Server) -> list[Interface]:
        networks = self.world.networks
        interfaces: list[Interface] = []
        for port_id in networks.server_port_ids(server.id):
            port = networks.ports.get(port_id)
            if port is None or not port.fixed_ips:
                continue
            fixed = port.fixed_ips[0]
            subnet = networks.subnets.get(fixed.get("subnet_id", ""))
            network = networks.networks.get(port.network_id)
            interfaces.append(
                Interface(
                    name=f"en{len(interfaces)}",
                    address=fixed["ip_address"],
                    netmask=netmask(subnet.cidr) if subnet is not None else "255.255.255.0",
                    mac=port.mac_address,
                    network=network.name if network is not None else port.network_id,
                )
            )
        return interfaces

    def _free_port(self) -> int | None:
        """The lowest port of the range no node has (None: any free port, chosen by sshd)."""
        low, high = self.ssh_ports
        if low == 0:
            return None
        used = {node.record.ssh_port for node in self.world.nodes.values()}
        for port in range(low, high + 1):
            if port not in used:
                self._range_full = False
                return port
        if not self._range_full:
            log.warning("no SSH port left in %d-%d: new nodes get any free port", low, high)
            self._range_full = True
        return None


def new_host_key() -> str:
    """A node's OpenSSH host key (private, OpenSSH format), made at its first boot."""
    key = asyncssh.generate_private_key(HOST_KEY_TYPE)
    return bytes(key.export_private_key()).decode()


def host_name(server_name: str, server_id: str) -> str:
    """The host name nova gives cloud-init for a display name (nova's sanitize_hostname:
    blanks and underscores become dashes, other characters outside [A-Za-z0-9.-] go, lower
    case, no leading or trailing dot or dash, at most 63 characters)."""
    name = re.sub(r"[ _]", "-", server_name)
    name = re.sub(r"[^\w.-]+|[^\x00-\x7f]", "", name, flags=re.ASCII).lower().strip(".-")
    return name[:HOSTNAME_MAX] or f"server-{server_id}"


def netmask(cidr: str) -> str:
    network = ipaddress.ip_network(cidr, strict=False)
    return str(network.netmask) if network.version == 4 else str(network.prefixlen)
