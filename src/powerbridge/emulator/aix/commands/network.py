"""ifconfig -a / ifconfig enN and netstat -in, from the node's interfaces (PowerVC ports) and
the service IP aliases PowerHA put on them."""

from __future__ import annotations

import ipaddress
import zlib

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.node import Interface, Node

EN_FLAGS = (
    "flags=1e084863,480<UP,BROADCAST,NOTRAILERS,RUNNING,SIMPLEX,MULTICAST,GROUPRT,64BIT,"
    "CHECKSUM_OFFLOAD(ACTIVE),CHAIN>"
)
LO_FLAGS = (
    "flags=e08084b,c0<UP,BROADCAST,LOOPBACK,RUNNING,SIMPLEX,MULTICAST,GROUPRT,64BIT,"
    "LARGESEND,CHAIN>"
)
EN_MTU, LO_MTU = 1500, 16896


def _network(interface: Interface, address: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(f"{address}/{interface.netmask or '255.255.255.0'}", strict=False)


def _inet_line(interface: Interface, address: str) -> str:
    network = _network(interface, address)
    mask = f"0x{int(network.netmask):08x}"
    return f"\tinet {address} netmask {mask} broadcast {network.broadcast_address}"


def _interface_block(interface: Interface) -> list[str]:
    lines = [f"{interface.name}: {EN_FLAGS}"]
    lines += [_inet_line(interface, address) for address in [interface.address, *interface.aliases]]
    lines.append("\t tcp_sendspace 262144 tcp_recvspace 262144 rfc1323 1")
    return lines


LOOPBACK_BLOCK = [
    f"lo0: {LO_FLAGS}",
    "\tinet 127.0.0.1 netmask 0xff000000 broadcast 127.255.255.255",
    "\tinet6 ::1%1/0",
    "\t tcp_sendspace 131072 tcp_recvspace 131072 rfc1323 1",
]


def ifconfig(inv: Invocation) -> int:
    interfaces = {interface.name: interface for interface in inv.node.record.interfaces}
    args = inv.args
    if args[:1] == ["-a"] or not args:
        for interface in interfaces.values():
            inv.out.write("".join(line + "\n" for line in _interface_block(interface)))
        inv.out.write("".join(line + "\n" for line in LOOPBACK_BLOCK))
        return 0
    if args[0] == "-l":
        inv.out.line(" ".join([*interfaces, "lo0"]))
        return 0
    if args[0] == "lo0":
        inv.out.write("".join(line + "\n" for line in LOOPBACK_BLOCK))
        return 0
    if args[0] in interfaces and len(args) == 1:
        inv.out.write("".join(line + "\n" for line in _interface_block(interfaces[args[0]])))
        return 0
    if args[0] in interfaces:
        inv.err.line("ifconfig: changing an interface is not simulated; PowerHA manages aliases.")
        return 1
    inv.err.line(f"ifconfig: interface {args[0]} does not exist")
    return 1


def _counters(node: Node, name: str) -> tuple[int, int]:
    seed = zlib.crc32(f"{node.server_id}/{name}".encode())
    return 100000 + seed % 900000, 50000 + (seed >> 8) % 450000


def _mac(interface: Interface) -> str:
    return (
        ".".join(f"{int(part, 16):x}" for part in interface.mac.split(":") if part) or "0.0.0.0.0.0"
    )


def _network_column(interface: Interface, address: str) -> str:
    network = str(_network(interface, address).network_address)
    while network.endswith(".0"):
        network = network[:-2]
    return network


def _netstat_row(name: str, mtu: int, network: str, address: str, ipkts: int, opkts: int) -> str:
    counts = f"{ipkts:>9}     0    {opkts:>9}     0     0"
    return f"{name:<6} {mtu:<5} {network:<15} {address:<21} {counts}"


def netstat(inv: Invocation) -> int:
    flags = "".join(arg.lstrip("-") for arg in inv.args)
    if not flags or set(flags) - set("in"):
        inv.err.line("netstat: only -in (the interfaces, numerically) is simulated")
        return 1
    header = f"{'Ipkts':>9} Ierrs    {'Opkts':>9} Oerrs  Coll"
    inv.out.line(f"{'Name':<6} {'Mtu':<5} {'Network':<15} {'Address':<21} {header}")
    for index, interface in enumerate(inv.node.record.interfaces, 2):
        ipkts, opkts = _counters(inv.node, interface.name)
        rows = [(f"link#{index}", _mac(interface))]
        rows += [
            (_network_column(interface, a), a) for a in [interface.address, *interface.aliases]
        ]
        for network, address in rows:
            inv.out.line(_netstat_row(interface.name, EN_MTU, network, address, ipkts, opkts))
    ipkts, _opkts = _counters(inv.node, "lo0")
    for network, address in (("link#1", ""), ("127", "127.0.0.1"), ("::1%1", "")):
        inv.out.line(_netstat_row("lo0", LO_MTU, network, address, ipkts, ipkts))
    return 0


COMMANDS: dict[str, Command] = {"ifconfig": ifconfig, "netstat": netstat}
