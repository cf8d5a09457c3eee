"""NetworkBackend without HTTP: seeding, IP allocation, server ports, isolation, persistence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.ipam import IpAllocator
from powerbridge.emulator.backend.network import NetworkBackend
from powerbridge.emulator.backend.network_records import Port
from powerbridge.emulator.clock import Clock
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.estate import Estate, NetworkSpec, SubnetSpec
from powerbridge.emulator.lifecycle import Engine
from powerbridge.emulator.logs import LogContext, ServiceLogs
from powerbridge.emulator.store import Store

ADMIN_PROJECT = "p-admin"
OTHER_PROJECT = "p-other"
CONTEXT = LogContext("req-11111111-2222-3333-4444-555555555555", "u-admin", ADMIN_PROJECT)

ESTATE = Estate(
    networks=[
        NetworkSpec(
            name="cmbnet1",
            vlan=1001,
            subnets=[
                SubnetSpec(
                    name="cmbnet1-subnet",
                    cidr="192.168.100.0/24",
                    gateway_ip="192.168.100.1",
                    allocation_pools=[{"start": "192.168.100.10", "end": "192.168.100.250"}],
                    dns_nameservers=["192.168.100.2"],
                )
            ],
        ),
        # a /29 has six host addresses; minus the gateway, five to hand out
        NetworkSpec(
            name="tiny",
            vlan=1002,
            subnets=[SubnetSpec(name="tiny-subnet", cidr="10.9.9.0/29", gateway_ip="10.9.9.1")],
        ),
    ]
)


def caller(
    project: str = ADMIN_PROJECT, roles: tuple[str, ...] = ("admin", "member", "reader")
) -> Caller:
    return Caller(
        token="t",
        user_id=f"u-{project}",
        user_name=f"user-{project}",
        project_id=project,
        project_name=project,
        roles=roles,
        methods=("password",),
        issued_at=0.0,
        expires_at=1e12,
        audit_id="a",
    )


ADMIN = caller()
MEMBER = caller(OTHER_PROJECT, ("member", "reader"))
READER = caller(OTHER_PROJECT, ("reader",))


@pytest.fixture
def store() -> Iterator[Store]:
    instance = Store(":memory:")
    yield instance
    instance.close()


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[ServiceLogs]:
    instance = ServiceLogs(tmp_path / "logs")
    yield instance
    instance.close()


def make_backend(store: Store, logs: ServiceLogs) -> NetworkBackend:
    clock = Clock("instant")
    return NetworkBackend(BackendContext(store, clock, Engine(clock), logs, ESTATE))


@pytest.fixture
def backend(store: Store, logs: ServiceLogs) -> NetworkBackend:
    instance = make_backend(store, logs)
    instance.seed(ADMIN_PROJECT)
    return instance


def network_id(backend: NetworkBackend, name: str) -> str:
    return next(n.id for n in backend.networks.values() if n.name == name)


def server_port(
    backend: NetworkBackend,
    server_id: str,
    *,
    network: str = "cmbnet1",
    fixed_ip: str | None = None,
    port_id: str | None = None,
    project: str = ADMIN_PROJECT,
    who: Caller = ADMIN,
) -> Port:
    return backend.allocate_server_port(
        network_id=network_id(backend, network) if network else "",
        fixed_ip=fixed_ip,
        port_id=port_id,
        server_id=server_id,
        project_id=project,
        caller=who,
        context=CONTEXT,
    )


def error_of(call: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def ips(port: Port) -> list[str]:
    return [f["ip_address"] for f in port.fixed_ips]


# -- seeding ----------------------------------------------------------------------------
def test_seed_creates_shared_vlan_networks_with_dhcp_off_subnets(backend: NetworkBackend) -> None:
    network = backend.networks[network_id(backend, "cmbnet1")]
    assert (network.shared, network.network_type, network.segmentation_id) == (True, "vlan", 1001)
    assert network.project_id == ADMIN_PROJECT
    assert network.physical_network == "default"
    [subnet] = [backend.subnets[s] for s in network.subnet_ids]
    assert subnet.enable_dhcp is False
    assert subnet.gateway_ip == "192.168.100.1"
    assert subnet.allocation_pools == [{"start": "192.168.100.10", "end": "192.168.100.250"}]
    assert subnet.dns_nameservers == ["192.168.100.2"]
    assert backend.free_ip_count(network.id) == 241


def test_seed_without_pools_uses_every_host_but_the_gateway(backend: NetworkBackend) -> None:
    tiny = backend.networks[network_id(backend, "tiny")]
    subnet = backend.subnets[tiny.subnet_ids[0]]
    assert subnet.allocation_pools == [{"start": "10.9.9.2", "end": "10.9.9.6"}]
    assert backend.free_ip_count(tiny.id) == 5


# -- the allocator ----------------------------------------------------------------------
def test_allocator_hands_out_lowest_free_first_across_pools() -> None:
    allocator = IpAllocator([(20, 21), (10, 12)])
    taken = []
    for n in range(5):
        address = allocator.next_free()
        assert address is not None
        allocator.take(address, f"port-{n}")
        taken.append(address)
    assert taken == [10, 11, 12, 20, 21]
    assert allocator.next_free() is None
    assert allocator.free == 0
    allocator.release(20)
    allocator.release(11)
    assert allocator.next_free() == 11
    allocator.take(11, "again")
    assert allocator.next_free() == 20


def test_allocator_skips_addresses_taken_explicitly_ahead_of_it() -> None:
    allocator = IpAllocator([(1, 6)])
    allocator.take(2, "fixed")
    allocator.take(3, "fixed")
    allocator.take(99, "outside the pools")
    assert allocator.free == 4  # the address outside the pools does not count
    assert allocator.next_free() == 1
    allocator.take(1, "a")
    assert allocator.next_free() == 4
    allocator.release(3)
    assert allocator.next_free() == 3
    allocator.release(99)
    allocator.release(99)  # releasing twice is harmless
    assert allocator.free == 4


# -- server ports -----------------------------------------------------------------------
def test_server_ports_get_consecutive_addresses_and_free_ones_are_reused(
    backend: NetworkBackend,
) -> None:
    first = server_port(backend, "vm-1")
    second = server_port(backend, "vm-2")
    third = server_port(backend, "vm-3")
    assert [ips(p) for p in (first, second, third)] == [
        ["192.168.100.10"],
        ["192.168.100.11"],
        ["192.168.100.12"],
    ]
    assert (second.device_id, second.device_owner, second.status) == (
        "vm-2",
        "compute:nova",
        "DOWN",
    )
    backend.release_server_ports("vm-2", CONTEXT)
    assert second.id not in backend.ports
    assert ips(server_port(backend, "vm-4")) == ["192.168.100.11"]
    assert ips(server_port(backend, "vm-5")) == ["192.168.100.13"]


def test_macs_are_openstack_style_and_unique(backend: NetworkBackend) -> None:
    macs = [server_port(backend, f"vm-{n}").mac_address for n in range(50)]
    assert len(set(macs)) == 50
    assert all(mac.startswith("fa:16:3e:") and len(mac) == 17 for mac in macs)


def test_fixed_ip_is_honoured_and_a_taken_one_is_a_409(backend: NetworkBackend) -> None:
    port = server_port(backend, "vm-1", fixed_ip="192.168.100.50")
    assert ips(port) == ["192.168.100.50"]
    subnet_id = port.fixed_ips[0]["subnet_id"]
    error = error_of(server_port, backend, "vm-2", fixed_ip="192.168.100.50")
    assert (error.status, error.neutron_type) == (409, "IpAddressAlreadyAllocated")
    assert error.message == f"IP address 192.168.100.50 already allocated in subnet {subnet_id}."
    assert "vm-2" not in backend._server_ports
    # an address outside the pool but inside the CIDR is allowed (neutron allows it too)
    assert ips(server_port(backend, "vm-3", fixed_ip="192.168.100.5")) == ["192.168.100.5"]


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.100.0", "192.168.100.255"])
def test_fixed_ip_outside_the_network_is_a_400(backend: NetworkBackend, address: str) -> None:
    error = error_of(server_port, backend, "vm-1", fixed_ip=address)
    assert (error.status, error.neutron_type) == (400, "InvalidIpForNetwork")
    assert error.message == (
        f"IP address {address} is not a valid IP for any of the subnets on the specified network."
    )


def test_exhausting_a_tiny_subnet_is_a_409_and_releasing_gives_room(
    backend: NetworkBackend,
) -> None:
    tiny = network_id(backend, "tiny")
    handed = [ips(server_port(backend, f"vm-{n}", network="tiny"))[0] for n in range(5)]
    assert handed == ["10.9.9.2", "10.9.9.3", "10.9.9.4", "10.9.9.5", "10.9.9.6"]
    assert backend.free_ip_count(tiny) == 0
    error = error_of(server_port, backend, "vm-9", network="tiny")
    assert (error.status, error.neutron_type) == (409, "IpAddressGenerationFailure")
    assert error.message == f"No more IP addresses available on network {tiny}."
    assert backend.server_port_ids("vm-9") == []
    backend.release_server_ports("vm-3", CONTEXT)
    assert backend.free_ip_count(tiny) == 1
    assert ips(server_port(backend, "vm-9", network="tiny")) == ["10.9.9.5"]


def test_bind_makes_ports_active_on_the_host(backend: NetworkBackend) -> None:
    port = server_port(backend, "vm-1")
    backend.bind_server_ports("vm-1", "8286-42A_215A0BV", CONTEXT)
    assert (port.status, port.binding_host_id, port.binding_vif_type) == (
        "ACTIVE",
        "8286-42A_215A0BV",
        "ovs",
    )
    assert port.revision_number == 2


def test_addresses_follow_nic_order_in_novas_shape(backend: NetworkBackend) -> None:
    first = server_port(backend, "vm-1", network="tiny")
    second = server_port(backend, "vm-1")
    third = server_port(backend, "vm-1", network="tiny")
    assert backend.server_port_ids("vm-1") == [first.id, second.id, third.id]
    assert backend.server_addresses("vm-1") == {
        "tiny": [
            {
                "version": 4,
                "addr": "10.9.9.2",
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": first.mac_address,
            },
            {
                "version": 4,
                "addr": "10.9.9.3",
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": third.mac_address,
            },
        ],
        "cmbnet1": [
            {
                "version": 4,
                "addr": "192.168.100.10",
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": second.mac_address,
            }
        ],
    }
    assert backend.server_addresses("unknown") == {}


def test_a_pre_existing_port_is_bound_then_unbound_not_deleted(backend: NetworkBackend) -> None:
    net = network_id(backend, "cmbnet1")
    own = backend.create_port(ADMIN, {"network_id": net, "name": "keep-me"})
    port = server_port(backend, "vm-1", network="", port_id=own.id)
    assert port is own
    assert own.device_id == "vm-1"
    backend.bind_server_ports("vm-1", "host-a", CONTEXT)
    assert own.status == "ACTIVE"
    free_before = backend.free_ip_count(net)
    backend.release_server_ports("vm-1", CONTEXT)
    backend.release_server_ports("vm-1", CONTEXT)  # idempotent
    assert backend.ports[own.id] is own
    assert (own.device_id, own.device_owner, own.binding_host_id) == ("", "", "")
    assert (own.status, own.binding_vif_type) == ("DOWN", "unbound")
    assert backend.free_ip_count(net) == free_before  # it keeps its address
    assert backend.server_port_ids("vm-1") == []


def test_a_port_in_use_cannot_be_given_to_another_server(backend: NetworkBackend) -> None:
    port = server_port(backend, "vm-1")
    error = error_of(server_port, backend, "vm-2", network="", port_id=port.id)
    assert (error.status, error.neutron_type) == (409, "PortInUse")
    assert error.message == f"Port {port.id} is still in use."


def test_another_projects_port_is_not_found_for_a_member(backend: NetworkBackend) -> None:
    admins = backend.create_port(ADMIN, {"network_id": network_id(backend, "cmbnet1")})
    error = error_of(
        server_port,
        backend,
        "vm-1",
        network="",
        port_id=admins.id,
        project=OTHER_PROJECT,
        who=MEMBER,
    )
    assert (error.status, error.neutron_type) == (404, "PortNotFound")
    assert error.message == f"Port {admins.id} could not be found."


def test_release_is_idempotent_and_frees_addresses(backend: NetworkBackend) -> None:
    net = network_id(backend, "cmbnet1")
    for _ in range(3):
        server_port(backend, "vm-1")
    assert backend.free_ip_count(net) == 238
    backend.release_server_ports("vm-1", CONTEXT)
    backend.release_server_ports("vm-1", CONTEXT)
    backend.release_server_ports("never-existed", CONTEXT)
    assert backend.free_ip_count(net) == 241
    assert backend.ports == {}


def test_allocations_and_failures_are_logged_with_the_request_id(
    backend: NetworkBackend, logs: ServiceLogs
) -> None:
    server_port(backend, "vm-1", fixed_ip="192.168.100.77")
    error_of(server_port, backend, "vm-2", fixed_ip="192.168.100.77")
    text = logs.path("neutron-server").read_text()
    allocated = [line for line in text.splitlines() if "Allocated IP 192.168.100.77" in line]
    assert allocated
    assert CONTEXT.request_id in allocated[0]
    assert "neutron.db.ipam_pluggable_backend" in allocated[0]
    failed = [line for line in text.splitlines() if "already allocated" in line]
    assert failed
    assert " WARNING " in failed[0]
    assert CONTEXT.request_id in failed[0]


# -- isolation and policy ---------------------------------------------------------------
def test_members_see_own_and_shared_networks_and_only_their_ports(
    backend: NetworkBackend,
) -> None:
    private = backend.create_network(ADMIN, {"name": "admin-private"})
    mine = backend.create_network(MEMBER, {"name": "mine"})
    names = {n.name for n in backend.visible_networks(MEMBER)}
    assert names == {"cmbnet1", "tiny", "mine"}
    assert {n.name for n in backend.visible_networks(ADMIN)} >= {"admin-private", "mine"}
    error = error_of(backend.network, private.id, MEMBER)
    assert (error.status, error.message) == (404, f"Network {private.id} could not be found.")
    admins = backend.create_port(ADMIN, {"network_id": network_id(backend, "cmbnet1")})
    theirs = backend.create_port(MEMBER, {"network_id": network_id(backend, "cmbnet1")})
    assert [p.id for p in backend.visible_ports(MEMBER)] == [theirs.id]
    assert {p.id for p in backend.visible_ports(ADMIN)} == {admins.id, theirs.id}
    assert error_of(backend.port, admins.id, MEMBER).neutron_type == "PortNotFound"
    assert backend.network(mine.id, MEMBER).project_id == OTHER_PROJECT


def test_readers_cannot_write(backend: NetworkBackend) -> None:
    error = error_of(backend.create_port, READER, {"network_id": network_id(backend, "cmbnet1")})
    assert (error.status, error.neutron_type) == (403, "PolicyNotAuthorized")
    assert error.message == "(rule:create_port) is disallowed by policy"
    assert error_of(backend.create_network, READER, {}).message == (
        "(rule:create_network) is disallowed by policy"
    )


def test_members_cannot_change_a_shared_network_they_do_not_own(backend: NetworkBackend) -> None:
    net = network_id(backend, "cmbnet1")
    error = error_of(backend.update_network, net, MEMBER, {"name": "mine now"})
    assert error.message == "(rule:update_network) is disallowed by policy"
    error = error_of(backend.create_network, MEMBER, {"shared": True})
    assert error.message == "(rule:create_network:shared) is disallowed by policy"


# -- lifecycle rules --------------------------------------------------------------------
def test_a_network_with_ports_cannot_be_deleted(backend: NetworkBackend) -> None:
    net = network_id(backend, "tiny")
    port = server_port(backend, "vm-1", network="tiny")
    error = error_of(backend.delete_network, net, ADMIN, CONTEXT)
    assert (error.status, error.neutron_type) == (409, "NetworkInUse")
    subnet_id = port.fixed_ips[0]["subnet_id"]
    assert error_of(backend.delete_subnet, subnet_id, ADMIN).neutron_type == "SubnetInUse"
    backend.release_server_ports("vm-1", CONTEXT)
    backend.delete_network(net, ADMIN, CONTEXT)
    assert net not in backend.networks
    assert subnet_id not in backend.subnets


def test_api_created_networks_take_the_next_free_vlan(backend: NetworkBackend) -> None:
    first = backend.create_network(ADMIN, {"name": "a"})
    second = backend.create_network(ADMIN, {"name": "b"})
    assert (first.network_type, first.segmentation_id) == ("vlan", 1)
    assert second.segmentation_id == 2
    error = error_of(backend.create_network, ADMIN, {"provider:segmentation_id": 1001})
    assert (error.status, error.neutron_type) == (409, "VlanIdInUse")


def test_state_survives_a_restart(store: Store, logs: ServiceLogs) -> None:
    before = make_backend(store, logs)
    before.seed(ADMIN_PROJECT)
    kept = server_port(before, "vm-1", network="tiny")
    server_port(before, "vm-2", network="tiny", fixed_ip="10.9.9.3")
    after = make_backend(store, logs)
    assert set(after.networks) == set(before.networks)
    assert after.server_port_ids("vm-1") == [kept.id]
    assert after.free_ip_count(network_id(after, "tiny")) == 3
    assert ips(server_port(after, "vm-3", network="tiny")) == ["10.9.9.4"]
    after.release_server_ports("vm-1", CONTEXT)
    assert ips(server_port(after, "vm-4", network="tiny")) == ["10.9.9.2"]


def test_thousands_of_allocations_stay_fast(store: Store, logs: ServiceLogs) -> None:
    estate = Estate(
        networks=[NetworkSpec(name="big", vlan=7, subnets=[SubnetSpec("big", "10.64.0.0/20")])]
    )
    clock = Clock("instant")
    backend = NetworkBackend(BackendContext(store, clock, Engine(clock), logs, estate))
    backend.seed(ADMIN_PROJECT)
    net = network_id(backend, "big")
    for n in range(3000):
        backend.allocate_server_port(
            network_id=net,
            fixed_ip=None,
            port_id=None,
            server_id=f"vm-{n}",
            project_id=ADMIN_PROJECT,
            caller=ADMIN,
            context=CONTEXT,
        )
    assert backend.free_ip_count(net) == 4093 - 3000
    last = backend.ports[backend.server_port_ids("vm-2999")[0]]
    assert ips(last) == ["10.64.11.185"]  # .2 + 2999 addresses on


@pytest.mark.parametrize("bad", ["", "not-an-ip", "192.168.100.999", "1.2.3"])
def test_a_server_fixed_ip_that_is_no_address_is_a_400(backend: NetworkBackend, bad: str) -> None:
    """Compute hands `fixed_ip` over unchecked: a bad one is neutron's 400, never a crash, and
    nothing is left allocated."""
    free = backend.free_ip_count(network_id(backend, "cmbnet1"))
    error = error_of(server_port, backend, "vm-bad", fixed_ip=bad)
    assert (error.status, error.neutron_type) == (400, "InvalidInput")
    assert "is not a valid IP address" in error.message
    assert backend.free_ip_count(network_id(backend, "cmbnet1")) == free
    assert backend.server_port_ids("vm-bad") == []
