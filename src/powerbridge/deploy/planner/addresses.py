"""IP addresses: a fixed IP inside its network's subnets and free; enough free addresses."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence

from powerbridge.deploy.cloudview import CloudView, Network
from powerbridge.deploy.plan_model import Block, Kind, ServerCreate

__all__ = ["address_blocks", "fixed_ip_problem"]


def fixed_ip_problem(
    network: Network, fixed_ip: str | None, view: CloudView | None = None
) -> str | None:
    """Why `fixed_ip` cannot be given on `network`, or None when it can (or there is none);
    `view` names the server holding a taken address."""
    if fixed_ip is None:
        return None
    address = ipaddress.ip_address(fixed_ip)
    subnets = [ipaddress.ip_network(cidr, strict=False) for cidr in network.cidrs]
    holding = [subnet for subnet in subnets if address in subnet]
    if subnets and not holding:
        return (
            f"fixed IP {fixed_ip} is outside the subnets of network '{network.name}'"
            f" ({', '.join(network.cidrs)})"
        )
    if any(_reserved_address(address, subnet) for subnet in holding):
        return (
            f"fixed IP {fixed_ip} is the network or broadcast address of its subnet on"
            f" network '{network.name}'; pick a host address"
        )
    if fixed_ip in network.gateways:
        return f"fixed IP {fixed_ip} is the gateway of network '{network.name}'"
    if fixed_ip in network.used_ips:
        return f"fixed IP {fixed_ip} is already in use on network '{network.name}'" + _held_by(
            network, fixed_ip, view
        )
    return None


def _held_by(network: Network, fixed_ip: str, view: CloudView | None) -> str:
    """`: held by port P of server S (id); ...what to do`, or "" when the holder is unknown."""
    holder = network.holders.get(fixed_ip)
    if holder is None:
        return ""
    port_id, server_id = holder
    if server_id is None:
        held = f"port {port_id} (attached to no server)"
        free = "delete that port, or give another fixed IP"
    else:
        server = view.server_index.by_id(server_id) if view is not None else None
        name = f"{server.name} ({server_id})" if server is not None else server_id
        held = f"port {port_id} of server {name}"
        free = "give another fixed IP (or none), or delete that server first"
    return f", held by {held}: {free}"


def address_blocks(view: CloudView, servers: Sequence[ServerCreate]) -> Iterator[Block]:
    """A fixed IP given to two servers; a network without a free address for each server."""
    needs: dict[str, int] = {}
    fixed: dict[tuple[str, str], str] = {}
    for server in servers:
        for item in server.networks:
            needs[item.network_id] = needs.get(item.network_id, 0) + 1
            if item.fixed_ip is None:
                continue
            first = fixed.setdefault((item.network_id, item.fixed_ip), server.name)
            if first != server.name:
                message = f"fixed IP {item.fixed_ip} is also given to server {first}"
                yield Block(Kind.NETWORK, item.network, message, "fixed_ip", (server.name,))
    for network_id, count in needs.items():
        network = view.network_index.by_id(network_id)
        if network and network.free_ips is not None and count > network.free_ips:
            message = (
                f"network '{network.name}' has {network.free_ips} free IP addresses;"
                f" the plan needs {count}"
            )
            yield Block(Kind.NETWORK, network.name, message, "ips")


def _reserved_address(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
    subnet: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> bool:
    """The subnet's own address, or its broadcast (IPv4 subnets larger than /31)."""
    if address == subnet.network_address and subnet.prefixlen < subnet.max_prefixlen - 1:
        return True
    return (
        isinstance(subnet, ipaddress.IPv4Network)
        and subnet.prefixlen < 31
        and address == subnet.broadcast_address
    )
