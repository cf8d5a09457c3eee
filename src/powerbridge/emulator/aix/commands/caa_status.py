"""`lscluster -m|-d|-c|-i`: what Cluster Aware AIX reports about its nodes, disks, cluster
and interfaces (the lines the AIX man page shows, the rest reconstructed)."""

from __future__ import annotations

import uuid

from powerbridge.emulator.aix.commands.base import Invocation
from powerbridge.emulator.aix.powerha.model import ST_INIT, Cluster

USAGE = "Usage: lscluster -c | -d | -i | -m [-n cluster_name]"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_OID, "/".join(parts)))


def lscluster(inv: Invocation) -> int:
    cluster = inv.world.clusters.of_node(inv.node)
    flags = [a for a in inv.args if a.startswith("-")]
    flag = flags[0] if flags else ""
    if flag not in ("-m", "-d", "-c", "-i"):
        inv.err.line(USAGE)
        return 2
    if cluster is None or not cluster.caa_active:
        inv.err.line("lscluster: Cluster services are not active on this node.")
        return 1
    {"-m": _members, "-d": _disks, "-c": _configuration, "-i": _interfaces}[flag](inv, cluster)
    return 0


def _node_up(cluster: Cluster, inv: Invocation, name: str) -> bool:
    node = inv.world.clusters.events.node(cluster, name)
    return node is not None and node.is_up


def _members(inv: Invocation, cluster: Cluster) -> None:
    local = inv.world.clusters.name_in(cluster, inv.node)
    inv.out.line("Calling node query for all nodes...")
    inv.out.line(f"Node query number of nodes examined: {len(cluster.nodes)}")
    for index, name in enumerate(cluster.nodes, start=1):
        up = _node_up(cluster, inv, name)
        state = "UP" if up else "DOWN"
        inv.out.line()
        inv.out.line(f"        Node name: {name}")
        inv.out.line(f"        Cluster shorthand id for node: {index}")
        inv.out.line(f"        UUID for node: {_uuid(cluster.id, name)}")
        inv.out.line(f"        State of node:  {state}{'  NODE_LOCAL' if name == local else ''}")
        inv.out.line(f"        Reason:  {'NONE' if up else 'NODE_DOWN'}")
        inv.out.line("        Smoothed rtt to node: 7")
        inv.out.line("        Mean Deviation in network rtt to node: 3")
        inv.out.line("        Number of clusters node is a member in: 1")
        inv.out.line("        CLUSTER NAME       SHID         UUID")
        inv.out.line(f"        {cluster.name:<18} 0            {_uuid(cluster.id)}")
        inv.out.line("        SITE NAME          SHID         UUID")
        inv.out.line(f"        LOCAL              1            {_uuid(cluster.id, 'site')}")
        if name == local:
            continue
        _points_of_contact(inv, cluster, local, name, state)
        inv.out.line("-" * 30)


def _points_of_contact(
    inv: Invocation, cluster: Cluster, local: str, name: str, state: str
) -> None:
    events = inv.world.clusters.events
    mine, theirs = events.node(cluster, local), events.node(cluster, name)
    source = mine.addresses[0] if mine and mine.addresses else ""
    target = theirs.addresses[0] if theirs and theirs.addresses else ""
    inv.out.line()
    inv.out.line("        Points of contact for node: 1")
    inv.out.line("        -----------------------------------------")
    inv.out.line("        Interface     State  Protocol    Status     SRC_IP->DST_IP")
    inv.out.line("        -----------------------------------------")
    protocol = "IPv4" if cluster.heartbeat_type == "unicast" else "IPv4 mcast"
    inv.out.line(
        f"        tcpsock->{len(name):02d}   {state:<6} {protocol:<11} none       "
        f"{source}->{target}"
    )


def _disks(inv: Invocation, cluster: Cluster) -> None:
    inv.out.line("Storage Interface Query")
    inv.out.line()
    inv.out.line(f"Cluster Name: {cluster.name}")
    inv.out.line(f"Cluster UUID: {_uuid(cluster.id)}")
    up = [n for n in cluster.nodes if _node_up(cluster, inv, n)]
    inv.out.line(f"Number of nodes reporting = {len(up)}")
    inv.out.line(f"Number of nodes expected = {len(cluster.nodes)}")
    for name in up:
        node = inv.world.clusters.events.node(cluster, name)
        disk = inv.world.disks.on_node(node, cluster.repository or "") if node else None
        inv.out.line()
        inv.out.line(f"Node {name}")
        inv.out.line(f"Node UUID = {_uuid(cluster.id, name)}")
        inv.out.line("Number of disks discovered = 1")
        if disk is None:
            continue
        inv.out.line(f"        {disk.name}:")
        inv.out.line(f"                  State : {'DOWN' if cluster.repository_lost else 'UP'}")
        inv.out.line(f"                   uDid : {disk.udid}")
        inv.out.line(f"                   uUid : {_uuid(disk.volume_id)}")
        inv.out.line("              Site uUid : " + _uuid(cluster.id, "site"))
        inv.out.line("                   Type : REPDISK")


def _configuration(inv: Invocation, cluster: Cluster) -> None:
    events = inv.world.clusters.events
    inv.out.line(f"Cluster Name: {cluster.name}")
    inv.out.line(f"Cluster UUID: {_uuid(cluster.id)}")
    inv.out.line(f"Number of nodes in cluster = {len(cluster.nodes)}")
    for index, name in enumerate(cluster.nodes, start=1):
        node = events.node(cluster, name)
        inv.out.line(f"        Cluster ID for node {name}: {index}")
        inv.out.line(
            f"        Primary IP address for node {name}: "
            f"{node.addresses[0] if node and node.addresses else ''}"
        )
    repository = inv.world.disks.on_node(inv.node, cluster.repository or "")
    inv.out.line(f"Number of disks in cluster = {1 if repository else 0}")
    if repository is not None:
        inv.out.line(
            f"        Disk = {repository.name} UUID = {_uuid(repository.volume_id)} "
            f"cluster_major = 0 cluster_minor = 1"
        )
    if cluster.heartbeat_type == "multicast":
        inv.out.line("Multicast for site LOCAL: IPv4 228.0.0.1 IPv6 ff05::e400:1")
    inv.out.line(f"Communication Mode: {cluster.heartbeat_type}")
    inv.out.line(f"Local node maximum capabilities: {_capabilities()}")
    active = [n for n in cluster.nodes if cluster.state_of(n) != ST_INIT]
    inv.out.line(f"Nodes with cluster services running: {' '.join(active) or 'none'}")


def _capabilities() -> str:
    return "CAA_NETMON, AUTO_REPOS_REPLACE, HNAME_CHG, UNICAST, IPV6, SITE"


def _interfaces(inv: Invocation, cluster: Cluster) -> None:
    events = inv.world.clusters.events
    inv.out.line("Network/Storage Interface Query")
    inv.out.line()
    inv.out.line(f"Cluster Name: {cluster.name}")
    inv.out.line(f"Cluster UUID: {_uuid(cluster.id)}")
    inv.out.line(f"Number of nodes reporting = {len(cluster.nodes)}")
    inv.out.line("Number of nodes stale = 0")
    inv.out.line(f"Number of nodes expected = {len(cluster.nodes)}")
    for name in cluster.nodes:
        node = events.node(cluster, name)
        up = "UP" if node is not None and node.is_up else "DOWN"
        interfaces = node.record.interfaces if node else []
        inv.out.line()
        inv.out.line(f"Node {name}")
        inv.out.line(f"Node UUID = {_uuid(cluster.id, name)}")
        inv.out.line(f"Number of interfaces discovered = {len(interfaces) + 1}")
        for interface in interfaces:
            inv.out.line(f"        Interface number 1, {interface.name}")
            inv.out.line("                IFNET type = 6 (IFT_ETHER)")
            inv.out.line("                MAC address length = 6")
            inv.out.line(f"                MAC address = {interface.mac}")
            inv.out.line(f"                Interface state = {up}")
            inv.out.line("                Number of regular addresses configured on interface = 1")
            inv.out.line(
                f"                IPv4 ADDRESS: {interface.address} broadcast "
                f"0.0.0.0 netmask {interface.netmask}"
            )
        inv.out.line("        Interface number 2, dpcom")
        inv.out.line("                IFNET type = 0 (none)")
        dpcom = "UP RESTRICTED AIX_CONTROLLED" if up == "UP" else "DOWN"
        inv.out.line(f"                Interface state = {dpcom}")
