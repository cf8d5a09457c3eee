"""Who holds a fixed IP: a create refused with 409 because an address is taken says which
port (and which server) holds it, and what to do.

Neutron's refusal names only the subnet (`IP address 192.168.100.50 already allocated in
subnet ...`); one `GET /v2.0/ports?fixed_ips=ip_address=...` per requested fixed IP finds the
holder, on this failure path only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from powerbridge.client.cloud import Cloud
from powerbridge.client.errors import ClientError, Conflict

__all__ = ["explain_taken_address", "holder_text"]


def holder_text(port_id: str, device_id: str | None, server_name: str | None) -> str:
    """`port P of server S (id)`, or `port P (no server)`."""
    if not device_id:
        return f"port {port_id} (attached to no server)"
    server = f"server {server_name} ({device_id})" if server_name else f"server {device_id}"
    return f"port {port_id} of {server}"


async def explain_taken_address(
    cloud: Cloud, refused: ClientError, fixed_ips: Sequence[tuple[str, str, str]]
) -> None:
    """Amend a 409 `refused` with the holder of each requested fixed IP that is taken.

    `fixed_ips` holds (network id, network name, address) of the request. A lookup that
    fails leaves the refusal as it was: the explanation is a courtesy."""
    if not isinstance(refused, Conflict) or not fixed_ips:
        return
    held = []
    for network_id, network_name, address in fixed_ips:
        with contextlib.suppress(ClientError):
            for port in await cloud.network.ports(network_id=network_id, fixed_ip=address):
                name = await _server_name(cloud, port.device_id)
                holder = holder_text(port.id, port.device_id, name)
                held.append(f"fixed IP {address} on network {network_name} is held by {holder}")
                break
    if not held:
        return
    refused.amend(
        "; ".join(held) + ": give the server another fixed IP (or none, to let PowerVC"
        " choose), or free that address first (delete the server holding it, or its port)"
    )


async def _server_name(cloud: Cloud, server_id: str | None) -> str | None:
    if not server_id:
        return None
    with contextlib.suppress(ClientError):
        return (await cloud.compute.server(server_id)).name
    return None
