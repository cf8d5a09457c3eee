"""PowerHA and CAA status commands: clRGinfo, lscluster, clstat -o, cldump, clshowsrv -v and
clcmd. The lines public samples show are kept as they are (see docs/emulator-aix.md); the
rest of each layout is reconstructed."""

from __future__ import annotations

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.commands.caa_status import lscluster
from powerbridge.emulator.aix.node import Node
from powerbridge.emulator.aix.powerha.logs import long_date
from powerbridge.emulator.aix.powerha.model import (
    NOT_CONFIGURED,
    ONLINE,
    ST_INIT,
    ST_STABLE,
    Cluster,
    ResourceGroup,
)

NOT_FOUND = 127
RULE = "-" * 77
POLICY_WORDS = {
    "OHN": "Online On Home Node Only",
    "OFAN": "Online On First Available Node",
    "OAAN": "Online On All Available Nodes",
    "OUDP": "Online Using Node Distribution Policy",
    "FNPN": "Fallover To Next Priority Node In The List",
    "FUDNP": "Fallover Using Dynamic Node Priority",
    "BO": "Bring Offline (On Error Node Only)",
    "NFB": "Never Fallback",
    "FBHPN": "Fallback To Higher Priority Node In The List",
}


def _powerha(inv: Invocation) -> bool:
    if inv.node.has_powerha:
        return True
    inv.err.line(f"ksh: {inv.name}:  not found.")
    return False


def _local_state(inv: Invocation, cluster: Cluster | None) -> str:
    if cluster is None:
        return NOT_CONFIGURED
    return cluster.state_of(inv.world.clusters.name_in(cluster, inv.node))


def _ipc_error(inv: Invocation, state: str) -> int:
    inv.err.line(
        f"Cluster IPC error: The cluster manager on node {inv.node.name} is in {state} "
        f"state and cannot process the IPC request."
    )
    return 1


def clrginfo(inv: Invocation) -> int:
    """`clRGinfo [-s|-c] [-m] [RG ...]`."""
    if not _powerha(inv):
        return NOT_FOUND
    cluster = inv.world.clusters.of_node(inv.node)
    state = _local_state(inv, cluster)
    if cluster is None or state != ST_STABLE:
        return _ipc_error(inv, state)
    flags = {a for a in inv.args if a.startswith("-")}
    wanted = [a for a in inv.args if not a.startswith("-")]
    groups = [g for g in cluster.resource_groups if not wanted or g.name in wanted]
    unknown = [w for w in wanted if cluster.group(w) is None]
    if unknown:
        inv.err.line(f"ERROR: Group {unknown[0]} does not exist in the cluster configuration.")
        return 1
    if not groups:
        inv.out.line("Cluster Name: " + cluster.name)
        inv.out.line()
        inv.out.line("Resource Group Name: no resource groups are defined")
        return 0
    if flags & {"-s", "-c"}:
        for group in groups:
            for node in group.nodes:
                inv.out.line(_colon_row(group, node))
    elif "-m" in flags:
        _monitor_table(inv, cluster, groups)
    else:
        _table(inv, groups)
    return 0


def _colon_row(group: ResourceGroup, node: str) -> str:
    kind = "concurrent" if group.startup == "OAAN" else "non-concurrent"
    fields = [
        group.name,
        group.state_on(node),
        node,
        kind,
        group.startup,
        group.fallover,
        group.fallback,
        "ignore",
        "",
        "",
        "",
        "",
        "",
    ]
    return ":".join(fields)


def _table(inv: Invocation, groups: list[ResourceGroup]) -> None:
    inv.out.line(RULE)
    inv.out.line(f"{'Group Name':<30}{'Group State':<17}Node")
    inv.out.line(RULE)
    for group in groups:
        for index, node in enumerate(group.nodes):
            name = group.name if index == 0 else ""
            inv.out.line(f"{name:<30}{group.state_on(node):<17}{node}")
        inv.out.line()


def _monitor_table(inv: Invocation, cluster: Cluster, groups: list[ResourceGroup]) -> None:
    inv.out.line(f"{'Group Name':<30}{'Group State':<17}{'Application state':<22}Node")
    inv.out.line(RULE)
    for group in groups:
        current = group.current_node
        inv.out.line(f"{group.name:<30}{group.summary_state:<17}{'':<22}{current}")
        for app in group.applications:
            monitors = [m.name for m in cluster.monitors if app in m.applications]
            for monitor in monitors:
                state = "ONLINE MONITORED" if current else "OFFLINE"
                inv.out.line(f" {app:<29}{'':<17}{state:<22}")
                inv.out.line(f"  {monitor}")
        inv.out.line()


def clshowsrv(inv: Invocation) -> int:
    """`clshowsrv -v`: the local node's cluster services, clcomd and CAA (IBM's sample)."""
    if not _powerha(inv):
        return NOT_FOUND
    cluster = inv.world.clusters.of_node(inv.node)
    state = _local_state(inv, cluster)
    services = (
        "OFFLINE"
        if state in (ST_INIT, NOT_CONFIGURED)
        else ("ONLINE" if state == ST_STABLE else "UNSTABLE")
    )
    comms = "UP" if inv.node.record.subsystems.get("clcomd") == "active" else "DOWN"
    caa = "UP" if cluster is not None and cluster.caa_active else "DOWN"
    fqdn = _fqdn(inv.node)
    inv.out.line(f'Local node: "{inv.node.name}" ("{fqdn}", "{fqdn}")')
    inv.out.line(f'         Cluster services status:   "{services}" ("{state}")')
    inv.out.line(f'         Remote communications:     "{comms}"')
    inv.out.line(f'         Cluster-Aware AIX status:  "{caa}"')
    return 0


def _fqdn(node: Node) -> str:
    try:
        text = node.fs.read_text("/etc/hosts")
    except Exception:
        return node.name
    for line in text.splitlines():
        names = line.split("#", 1)[0].split()[1:]
        short = [n for n in names if n.split(".")[0] == node.name]
        if short:
            return max(short, key=len)
    return node.name


def _node_up(inv: Invocation, cluster: Cluster, name: str) -> bool:
    return cluster.state_of(name) == ST_STABLE


def clstat(inv: Invocation) -> int:
    """`clstat -o`: one snapshot of the cluster status monitor (IBM's sample lines)."""
    if not _powerha(inv):
        return NOT_FOUND
    cluster = inv.world.clusters.of_node(inv.node)
    if cluster is None or not cluster.active_nodes:
        inv.err.line("clstat: Unable to find a cluster with clinfo running; is clinfoES active?")
        return 1
    events = inv.world.clusters.events
    state = "UP" if cluster.active_nodes else "DOWN"
    sub = "STABLE" if cluster.state == "STABLE" else "UNSTABLE"
    inv.out.line("                clstat - PowerHA SystemMirror Cluster Status Monitor")
    inv.out.line("                -------------------------------------------------")
    inv.out.line()
    inv.out.line(f"Cluster: {cluster.name} ({cluster.id})")
    inv.out.line(long_date(inv.world.now()))
    inv.out.line(f"                State: {state}               Nodes: {len(cluster.nodes)}")
    inv.out.line(f"                SubState: {sub}")
    for name in cluster.nodes:
        node = events.node(cluster, name)
        up = _node_up(inv, cluster, name)
        inv.out.line()
        inv.out.line(f"        Node: {name:<20} State: {'UP' if up else 'DOWN'}")
        for interface in node.record.interfaces if node else []:
            for address in [interface.address, *interface.aliases]:
                inv.out.line(f"           Interface: {interface.name:<18} Address: {address}")
                inv.out.line(f"{'':<48}State:   {'UP' if up else 'DOWN'}")
        for group in cluster.resource_groups:
            if name in group.nodes and group.state_on(name) == ONLINE:
                inv.out.line(f"           Resource Group: {group.name:<12} State: online")
    return 0


def cldump(inv: Invocation) -> int:
    """`cldump`: the cluster, its nodes and networks, then a table per resource group."""
    if not _powerha(inv):
        return NOT_FOUND
    cluster = inv.world.clusters.of_node(inv.node)
    if cluster is None or not cluster.active_nodes:
        inv.err.line("cldump: Waiting for the Cluster SMUX peer (clstrmgrES)")
        inv.err.line("cldump: to stabilize...")
        inv.err.line("Failed retrieving cluster information.")
        return 1
    inv.out.line(f"Obtaining information via SNMP from Node: {inv.node.name}...")
    inv.out.line()
    inv.out.line("_" * 77)
    inv.out.line(f"Cluster Name: {cluster.name}")
    inv.out.line("Cluster State: UP")
    inv.out.line(f"Cluster Substate: {'STABLE' if cluster.state == 'STABLE' else 'UNSTABLE'}")
    inv.out.line("_" * 77)
    for name in cluster.nodes:
        _dump_node(inv, cluster, name)
    for group in cluster.resource_groups:
        _dump_group(inv, cluster, group)
    return 0


def _dump_node(inv: Invocation, cluster: Cluster, name: str) -> None:
    node = inv.world.clusters.events.node(cluster, name)
    up = "UP" if _node_up(inv, cluster, name) else "DOWN"
    inv.out.line()
    inv.out.line(f"Node Name: {name:<20} State: {up}")
    inv.out.line()
    inv.out.line(f"  Network Name: {cluster.networks[0]:<17} State: {up}")
    inv.out.line()
    for interface in node.record.interfaces if node else []:
        inv.out.line(f"    Address: {interface.address:<16} Label: {name:<17} State: {up}")
        for alias in interface.aliases:
            label = next((s.label for s in cluster.service_ips if s.address == alias), alias)
            inv.out.line(f"    Address: {alias:<16} Label: {label:<17} State: {up}")


def _dump_group(inv: Invocation, cluster: Cluster, group: ResourceGroup) -> None:
    inv.out.line()
    inv.out.line(f"Cluster Name: {cluster.name}")
    inv.out.line()
    inv.out.line(f"Resource Group Name: {group.name}")
    inv.out.line(f"Startup Policy: {POLICY_WORDS[group.startup]}")
    inv.out.line(f"Fallover Policy: {POLICY_WORDS[group.fallover]}")
    inv.out.line(f"Fallback Policy: {POLICY_WORDS[group.fallback]}")
    inv.out.line("Site Policy: ignore")
    inv.out.line(f"{'Node':<29}Group State")
    inv.out.line(f"{'-' * 28} {'-' * 15}")
    for name in group.nodes:
        inv.out.line(f"{name:<29}{group.state_on(name)}")


async def clcmd(inv: Invocation) -> int:
    """`clcmd CMD ...`: run CMD on every node of the CAA cluster, each output under its
    `NODE name` header."""
    from powerbridge.emulator.aix.shell import Session

    cluster = inv.world.clusters.of_node(inv.node)
    if cluster is None or not cluster.caa_active:
        inv.err.line("clcmd: The local node is not a member of an active CAA cluster.")
        return 1
    if not inv.args:
        inv.err.line("Usage: clcmd [-n nodelist] command [args]")
        return 2
    line = " ".join(inv.args)
    status = 0
    for name in sorted(cluster.nodes):
        node = inv.world.clusters.events.node(cluster, name)
        inv.out.line("-" * 31)
        inv.out.line(f"NODE {name}")
        inv.out.line("-" * 31)
        if node is None or not node.is_up:
            inv.err.line(f"clcmd: Unable to communicate with node {name}.")
            status = 1
            continue
        result = await Session(node, inv.world).run(line)
        inv.out.write(result.out)
        inv.err.write(result.err)
        inv.out.line()
    return status


COMMANDS: dict[str, Command] = {
    "clRGinfo": clrginfo,
    "clshowsrv": clshowsrv,
    "clstat": clstat,
    "cldump": cldump,
    "clcmd": clcmd,
    "lscluster": lscluster,
}
