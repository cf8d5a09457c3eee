"""Neutron's IP address management: allocation pools and the addresses ports hold.

`Ipam` keeps one `IpAllocator` per subnet, which hands out the lowest free address of the
subnet's allocation pools in O(log n), so a deployer allocating thousands of addresses never
scans the ports. A port's addresses are taken all or none. The pool helpers compute and check
pools as neutron does. The network backend owns the subnet records; `Ipam` reads them.
"""

from __future__ import annotations

import bisect
import heapq
import ipaddress
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.logs import LogContext

IPAM_LOG = "neutron.db.ipam_pluggable_backend"
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Log = Callable[[str, str, LogContext | None], None]  # level, message, context


class SubnetLike(Protocol):
    id: str
    network_id: str
    ip_version: int
    cidr: str
    gateway_ip: str | None
    allocation_pools: list[dict[str, str]]


# -- errors (neutron's exception classes and messages) ----------------------------------
def neutron_error(status: int, neutron_type: str, message: str) -> ApiError:
    kinds = {
        400: "badRequest",
        403: "forbidden",
        404: "itemNotFound",
        409: "conflict",
        503: "serviceUnavailable",
    }
    return ApiError(
        kinds.get(status, "badRequest"), message, status=status, neutron_type=neutron_type
    )


def invalid_input(message: str) -> ApiError:
    return neutron_error(400, "InvalidInput", f"Invalid input for operation: {message}.")


def subnet_not_found(subnet_id: str) -> ApiError:
    return neutron_error(404, "SubnetNotFound", f"Subnet {subnet_id} could not be found.")


def generation_failure(network_id: str) -> ApiError:
    return neutron_error(
        409,
        "IpAddressGenerationFailure",
        f"No more IP addresses available on network {network_id}.",
    )


# -- one subnet's addresses ---------------------------------------------------------------
class IpAllocator:
    """Lowest-free-first allocation over one subnet's pools, O(log n) per operation.

    Addresses are ints. `used` holds every allocation (inside the pools or not). A cursor
    walks the pools upwards once; addresses freed behind it go to a min-heap. The lowest free
    address is therefore the smallest live heap entry, or else the cursor (skipping addresses
    taken explicitly ahead of it, each at most once).
    """

    def __init__(self, pools: Sequence[tuple[int, int]]) -> None:
        self.pools = sorted(pools)
        self._starts = [start for start, _ in self.pools]
        self.size = sum(end - start + 1 for start, end in self.pools)
        self.used: dict[int, str] = {}
        self.used_in_pools = 0
        self._pool_index = 0
        self._cursor: int | None = self.pools[0][0] if self.pools else None
        self._freed: list[int] = []

    @property
    def free(self) -> int:
        return self.size - self.used_in_pools

    def in_pools(self, address: int) -> bool:
        index = bisect.bisect_right(self._starts, address) - 1
        return index >= 0 and address <= self.pools[index][1]

    def take(self, address: int, port_id: str) -> None:
        self.used[address] = port_id
        if self.in_pools(address):
            self.used_in_pools += 1

    def release(self, address: int) -> None:
        if self.used.pop(address, None) is None:
            return
        if self.in_pools(address):
            self.used_in_pools -= 1
            if self._cursor is None or address < self._cursor:
                heapq.heappush(self._freed, address)

    def next_free(self) -> int | None:
        """The lowest free pool address (not taken: call `take`), or None when exhausted."""
        while self._freed:
            if self._freed[0] not in self.used:
                return self._freed[0]
            heapq.heappop(self._freed)
        while self._cursor is not None and self._cursor in self.used:
            self._advance()
        return self._cursor

    def _advance(self) -> None:
        assert self._cursor is not None
        if self._cursor < self.pools[self._pool_index][1]:
            self._cursor += 1
            return
        self._pool_index += 1
        more = self._pool_index < len(self.pools)
        self._cursor = self.pools[self._pool_index][0] if more else None


def allocator_for(subnet: SubnetLike) -> IpAllocator:
    ranges = [
        (int(ipaddress.ip_address(p["start"])), int(ipaddress.ip_address(p["end"])))
        for p in subnet.allocation_pools
    ]
    return IpAllocator(ranges)


# -- every subnet's addresses -------------------------------------------------------------
class Ipam:
    def __init__(self, subnets: Mapping[str, SubnetLike], log: Log) -> None:
        self._subnets = subnets
        self._log = log
        self.allocators: dict[str, IpAllocator] = {}

    # -- subnets -------------------------------------------------------------------------
    def add_subnet(self, subnet: SubnetLike) -> None:
        self.allocators[subnet.id] = allocator_for(subnet)

    def drop_subnet(self, subnet_id: str) -> None:
        self.allocators.pop(subnet_id, None)

    def repool(self, subnet: SubnetLike) -> None:
        """New allocation pools for a subnet: its current allocations stay."""
        fresh = allocator_for(subnet)
        for address, port_id in self.allocators[subnet.id].used.items():
            fresh.take(address, port_id)
        self.allocators[subnet.id] = fresh

    def holder(self, subnet_id: str, address: str) -> str | None:
        """The port holding `address` on the subnet, if any."""
        return self.allocators[subnet_id].used.get(int(ipaddress.ip_address(address)))

    def in_use(self, subnet_id: str) -> bool:
        return bool(self.allocators[subnet_id].used)

    def free(self, subnet_ids: Iterable[str]) -> int:
        return sum(self.allocators[s].free for s in subnet_ids)

    # -- ports ---------------------------------------------------------------------------
    def restore(self, port_id: str, fixed_ips: Iterable[Mapping[str, str]]) -> None:
        """Take addresses a port already holds (on load, or giving back after a failure)."""
        for fixed in fixed_ips:
            allocator = self.allocators.get(fixed["subnet_id"])
            if allocator is not None:
                allocator.take(int(ipaddress.ip_address(fixed["ip_address"])), port_id)

    def release(self, fixed_ips: Iterable[Mapping[str, str]]) -> None:
        for fixed in fixed_ips:
            allocator = self.allocators.get(fixed["subnet_id"])
            if allocator is not None:
                allocator.release(int(ipaddress.ip_address(fixed["ip_address"])))

    def allocate(
        self,
        network_id: str,
        subnet_ids: Sequence[str],
        port_id: str,
        requested: Sequence[Mapping[str, str]] | None,
        context: LogContext | None,
    ) -> list[dict[str, str]]:
        """All requested addresses (or the next free one per IP version) or none: a failure
        releases what was already taken."""
        taken: list[tuple[SubnetLike, int]] = []
        try:
            if requested is None:
                for subnet in self._auto_subnets(network_id, subnet_ids):
                    taken.append(self._take_next(network_id, subnet, port_id))
            else:
                for item in requested:
                    taken.append(self._take_requested(network_id, subnet_ids, item, port_id))
        except ApiError as error:
            for subnet, address in taken:
                self.allocators[subnet.id].release(address)
            self._log("WARNING", f"IP allocation failed: {error.message}", context)
            raise
        fixed = [
            {"subnet_id": subnet.id, "ip_address": ip_of(subnet.ip_version, address)}
            for subnet, address in taken
        ]
        for item in fixed:
            self._log(
                "INFO",
                f"Allocated IP {item['ip_address']} on subnet {item['subnet_id']} "
                f"for port {port_id}",
                context,
            )
        return fixed

    def _auto_subnets(self, network_id: str, subnet_ids: Sequence[str]) -> list[SubnetLike]:
        """One address per IP version: the first subnet of each version with room."""
        chosen: dict[int, SubnetLike | None] = {}
        for subnet_id in subnet_ids:
            subnet = self._subnets[subnet_id]
            if chosen.get(subnet.ip_version) is None:
                has_room = self.allocators[subnet.id].free > 0
                chosen[subnet.ip_version] = subnet if has_room else None
        if any(subnet is None for subnet in chosen.values()):
            raise generation_failure(network_id)
        return [subnet for subnet in chosen.values() if subnet is not None]

    def _take_next(
        self, network_id: str, subnet: SubnetLike, port_id: str
    ) -> tuple[SubnetLike, int]:
        allocator = self.allocators[subnet.id]
        address = allocator.next_free()
        if address is None:
            raise generation_failure(network_id)
        allocator.take(address, port_id)
        return subnet, address

    def _take_requested(
        self,
        network_id: str,
        subnet_ids: Sequence[str],
        item: Mapping[str, str],
        port_id: str,
    ) -> tuple[SubnetLike, int]:
        subnet_id, ip_text = item.get("subnet_id"), item.get("ip_address")
        if subnet_id is None and ip_text is None:
            raise invalid_input("IP allocation requires subnet_id or ip_address")
        if subnet_id is None:
            address = parse_address(ip_text)
            subnet = self._subnet_holding(subnet_ids, address)
            return subnet, self._take_address(subnet, address, port_id)
        found = self._subnets.get(subnet_id)
        if found is None:
            raise subnet_not_found(subnet_id)
        if found.network_id != network_id:
            raise invalid_input(
                f"Failed to create port on network {network_id}, because fixed_ips "
                f"included invalid subnet {subnet_id}"
            )
        if ip_text is None:
            return self._take_next(network_id, found, port_id)
        address = parse_address(ip_text)
        if not is_host_address(ipaddress.ip_network(found.cidr), address):
            raise neutron_error(
                400,
                "InvalidIpForSubnet",
                f"IP address {ip_text} is not a valid IP for the specified subnet.",
            )
        return found, self._take_address(found, address, port_id)

    def _subnet_holding(self, subnet_ids: Sequence[str], address: IpAddress) -> SubnetLike:
        for subnet_id in subnet_ids:
            subnet = self._subnets[subnet_id]
            if is_host_address(ipaddress.ip_network(subnet.cidr), address):
                return subnet
        raise neutron_error(
            400,
            "InvalidIpForNetwork",
            f"IP address {address} is not a valid IP for any of the subnets on the "
            "specified network.",
        )

    def _take_address(self, subnet: SubnetLike, address: IpAddress, port_id: str) -> int:
        allocator = self.allocators[subnet.id]
        value = int(address)
        if value in allocator.used or str(address) == subnet.gateway_ip:
            raise neutron_error(
                409,
                "IpAddressAlreadyAllocated",
                f"IP address {address} already allocated in subnet {subnet.id}.",
            )
        allocator.take(value, port_id)
        return value


def parse_address(text: object) -> IpAddress:
    """An IP address from a request; anything else is neutron's 400 (callers other than the
    network API, such as a server's `fixed_ip`, reach here unchecked)."""
    try:
        return ipaddress.ip_address(text)  # type: ignore[arg-type]
    except ValueError:
        raise invalid_input(f"'{text}' is not a valid IP address") from None


# -- pools --------------------------------------------------------------------------------
def ip_of(version: int, value: int) -> str:
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))


def is_host_address(network: IpNetwork, address: IpAddress) -> bool:
    """neutron's check_subnet_ip: inside the CIDR, not the network (nor IPv4 broadcast) one."""
    if address.version != network.version or address not in network:
        return False
    if network.version == 4 and network.prefixlen >= 31:
        return True
    if address == network.network_address:
        return False
    return network.version == 6 or address != network.broadcast_address


def default_pools(network: IpNetwork, gateway: str | None) -> list[dict[str, str]]:
    """Every host address but the gateway, as neutron computes a subnet's default pools."""
    if network.version == 4 and network.prefixlen >= 31:
        first, last = int(network.network_address), int(network.broadcast_address)
    else:
        first, last = int(network.network_address) + 1, int(network.broadcast_address)
        if network.version == 4:
            last -= 1
    ranges = [(first, last)] if first <= last else []
    if gateway is not None:
        gw = int(ipaddress.ip_address(gateway))
        ranges = [part for lo, hi in ranges for part in ((lo, gw - 1), (gw + 1, hi))]
    return [
        {"start": ip_of(network.version, lo), "end": ip_of(network.version, hi)}
        for lo, hi in ranges
        if lo <= hi
    ]


def pool_range(pool: Mapping[str, str]) -> str:
    return f"{pool['start']}-{pool['end']}"


def validate_pools(
    network: IpNetwork, pools: Sequence[Mapping[str, str]], gateway: str | None
) -> list[tuple[int, int]]:
    """neutron's pool checks: each pool valid, inside the CIDR, disjoint, not the gateway."""
    ranges: list[tuple[int, int, Mapping[str, str]]] = []
    for pool in pools:
        start, end = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
        versions_ok = start.version == end.version == network.version
        if not versions_ok or int(start) > int(end):
            raise neutron_error(
                400,
                "InvalidAllocationPool",
                f"The allocation pool {pool_range(pool)} is not valid.",
            )
        if not (is_host_address(network, start) and is_host_address(network, end)):
            raise neutron_error(
                400,
                "OutOfBoundsAllocationPool",
                f"The allocation pool {pool_range(pool)} spans beyond the subnet cidr {network}.",
            )
        ranges.append((int(start), int(end), pool))
    ranges.sort(key=lambda item: item[0])
    for (_, end_a, pool_a), (start_b, _, pool_b) in itertools.pairwise(ranges):
        if start_b <= end_a:
            raise neutron_error(
                409,
                "OverlappingAllocationPools",
                f"Found overlapping allocation pools: {pool_range(pool_a)} "
                f"{pool_range(pool_b)} for subnet {network}.",
            )
    if gateway is not None:
        gw = int(ipaddress.ip_address(gateway))
        for start_i, end_i, pool in ranges:
            if start_i <= gw <= end_i:
                raise neutron_error(
                    409,
                    "GatewayConflictWithAllocationPools",
                    f"Gateway ip {gateway} conflicts with allocation pool {pool_range(pool)}.",
                )
    return [(start_i, end_i) for start_i, end_i, _ in ranges]
