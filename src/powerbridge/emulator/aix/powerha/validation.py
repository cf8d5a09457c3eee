"""What CAA, clcomd and PowerHA verification check before they change anything.

Each check returns the `ERROR:` lines it would print (empty: fine) and never changes the
model, so a command runs every check first and creates nothing when one fails. Messages
quoted in docs/emulator-aix.md come from public PowerHA output; the others are reconstructed.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from powerbridge import powerha
from powerbridge.emulator.aix.powerha.model import Cluster, ResourceGroup
from powerbridge.powerha import REPOSITORY_MAX_MB, REPOSITORY_MIN_MB

if TYPE_CHECKING:
    from powerbridge.emulator.aix.disks import DiskView
    from powerbridge.emulator.aix.node import Interface, Node
    from powerbridge.emulator.aix.world import AixWorld


def resolve(node: Node, name: str) -> str | None:
    """The address `name` has in this node's /etc/hosts (what CAA and clcomd resolve with)."""
    try:
        text = node.fs.read_text("/etc/hosts")
    except Exception:
        return None
    short = name.split(".")[0]
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        names = fields[1:]
        if name in names or short in (n.split(".")[0] for n in names):
            return fields[0]
    return None


def find_nodes(world: AixWorld, local: Node, names: list[str]) -> tuple[list[Node], list[str]]:
    """The nodes these names are, resolved through the local node's /etc/hosts."""
    nodes: list[Node] = []
    errors: list[str] = []
    for name in names:
        address = resolve(local, name)
        node = world.find(address) if address else world.find(name)
        if node is None or address is None:
            errors.append(f'ERROR: unable to communicate with "{name}"({name},{address or ""})')
            continue
        if not node.has_powerha:
            errors.append(f'ERROR: PowerHA SystemMirror is not installed on node "{name}".')
            continue
        nodes.append(node)
    return nodes, errors


def trusts(node: Node, peer: Node) -> bool:
    """Whether clcomd on `node` accepts `peer`: by the rhosts lines clcomd last loaded."""
    loaded = node.record.clcomd_rhosts
    if loaded is None:
        return False
    entries = {line.split("#", 1)[0].strip() for line in loaded}
    return bool(entries & {peer.name, *peer.addresses})


def _comm_error(peer: Node) -> str:
    address = peer.addresses[0] if peer.addresses else ""
    return f'ERROR: unable to communicate with "{peer.name}"({peer.name},{address})'


def check_communication(nodes: list[Node]) -> list[str]:
    """Every node up with clcomd active, resolving every other, trusted by every other."""
    errors: list[str] = []
    for node in nodes:
        if not node.is_up or node.record.subsystems.get("clcomd") != "active":
            errors += [f"ERROR:Comm error found on node:{node.name}", _comm_error(node)]
    if errors:
        return errors
    for node in nodes:
        for peer in nodes:
            if peer is node:
                continue
            address = resolve(node, peer.name)
            if address is None:
                errors.append(
                    f'ERROR: the host name "{peer.name}" cannot be resolved on node '
                    f'"{node.name}": add it to /etc/hosts on "{node.name}".'
                )
            elif address not in peer.addresses:
                errors.append(
                    f'ERROR: "{peer.name}" resolves to {address} on node "{node.name}", '
                    f'which is not an address of "{peer.name}".'
                )
            elif not trusts(peer, node):
                errors += [f"ERROR:Comm error found on node:{peer.name}", _comm_error(peer)]
    return errors


def repository_errors(world: AixWorld, local: Node, nodes: list[Node], spec: str) -> list[str]:
    """A CAA repository: one volume every node sees, 512 MB to 460 GB, no VG, no_reserve."""
    disk = world.disks.find(local, spec)
    if disk is None:
        return [f'ERROR: "{spec}" is not a valid physical volume on node "{local.name}".']
    return volume_errors(world, nodes, disk, repository=True)


def volume_errors(
    world: AixWorld, nodes: list[Node], disk: DiskView, *, repository: bool, vg: str = ""
) -> list[str]:
    """The checks a shared disk passes on every node (the repository has a few more)."""
    pvid = disk.pvid or "none"
    errors: list[str] = []
    if repository and not REPOSITORY_MIN_MB <= disk.size_mb <= REPOSITORY_MAX_MB:
        errors.append(
            f'ERROR: "{disk.name}" is {disk.size_mb} MB: a repository disk must be 512 MB to '
            f"460 GB."
        )
    for node in nodes:
        seen = world.disks.on_node(node, disk.volume_id)
        if seen is None:
            errors.append(
                f'ERROR: the disk "{disk.name}" (PVID {pvid}) is not accessible from node '
                f'"{node.name}".'
            )
            continue
        if seen.pvid is None:
            errors.append(
                f'ERROR: Node "{node.name}" does not have this PVID defined ({pvid}, '
                f'{disk.name}): run cfgmgr on "{node.name}" to read it, or assign a PVID '
                f"with chdev -l {seen.name} -a pv=yes."
            )
        if seen.volume_group not in (None, vg or None):
            errors.append(
                f"ERROR: A disk with PVID {pvid} is a part of the volume group "
                f'{seen.volume_group} on node "{node.name}" ({seen.name}).'
            )
        if seen.reserve_policy != "no_reserve":
            errors.append(
                f'ERROR: the reserve_policy of "{seen.name}" on node "{node.name}" is '
                f"{seen.reserve_policy}: set it with chdev -l {seen.name} -a "
                f"reserve_policy=no_reserve."
            )
    return errors


def in_subnet_of(interface: Interface, address: str) -> bool:
    """Whether the address lies in the subnet of the interface's address and netmask."""
    try:
        net = ipaddress.ip_network(f"{interface.address}/{interface.netmask}", strict=False)
        return ipaddress.ip_address(address) in net
    except ValueError:
        return False


def in_subnet(node: Node, address: str) -> bool:
    return any(in_subnet_of(interface, address) for interface in node.record.interfaces)


def service_ip_errors(nodes: list[Node], label: str) -> tuple[str | None, list[str]]:
    """The label's address if it resolves to the same address on every node, in its subnet."""
    addresses = {node.name: resolve(node, label) for node in nodes}
    errors = [
        f'ERROR: the service IP label "{label}" cannot be resolved on node "{name}": add it '
        f'to /etc/hosts on "{name}".'
        for name, address in addresses.items()
        if address is None
    ]
    if errors:
        return None, errors
    found = set(addresses.values())
    if len(found) > 1:
        return None, [f'ERROR: "{label}" resolves to different addresses on the nodes.']
    address = found.pop()
    assert address is not None
    for node in nodes:
        if address in node.addresses:
            errors.append(f'ERROR: {address} is a base address of node "{node.name}".')
        elif not in_subnet(node, address):
            errors.append(
                f'ERROR: the service IP "{label}" ({address}) is not in the subnet of any '
                f'interface of node "{node.name}".'
            )
    return address, errors


def script_errors(nodes: list[Node], path: str) -> list[str]:
    errors = []
    for node in nodes:
        entry = node.fs.stat(path)
        if entry is None or entry.is_dir:
            errors.append(f'ERROR: the script "{path}" does not exist on node "{node.name}".')
        elif not entry.executable:
            errors.append(f'ERROR: the script "{path}" is not executable on node "{node.name}".')
    return errors


def policy_errors(group: ResourceGroup) -> list[str]:
    """The startup/fallover/fallback combinations PowerHA refuses."""
    return powerha.policy_errors(
        group.startup,
        group.fallover,
        group.fallback,
        group.node_priority_policy,
        has_service_labels=bool(group.service_labels),
    )


def group_resource_errors(cluster: Cluster, group: ResourceGroup) -> list[str]:
    errors = [
        f'ERROR: "{n}" is not a node of cluster "{cluster.name}".'
        for n in group.nodes
        if n not in cluster.nodes
    ]
    for kind, names, known in (
        ("service IP label", group.service_labels, [s.label for s in cluster.service_ips]),
        ("application controller", group.applications, [c.name for c in cluster.controllers]),
        ("volume group", group.volume_groups, [v.name for v in cluster.volume_groups]),
    ):
        errors += [
            f'ERROR: the {kind} "{name}" does not exist.' for name in names if name not in known
        ]
        for other in cluster.resource_groups:
            if other.name == group.name:
                continue
            taken = set(names) & set(
                other.service_labels + other.applications + other.volume_groups
            )
            errors += [f'ERROR: "{t}" is already in resource group "{other.name}".' for t in taken]
    return errors
