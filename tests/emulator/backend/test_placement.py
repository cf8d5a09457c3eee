"""The scheduler without HTTP: policies, indexes kept in step with usage, filters, and the
reasons a placement fails."""

from __future__ import annotations

from decimal import Decimal

import pytest

from powerbridge.emulator.backend.hosts import Claim, HostInventory, NoValidHost
from powerbridge.emulator.backend.placement import (
    HostFilter,
    PlacementRequest,
    Scheduler,
    Scope,
)
from powerbridge.emulator.estate import HostSpec

SMALL = Claim(4096, Decimal("0.5"), 2)


def scheduler(policy: str = "striping", hosts: int = 3, memory_mb: int = 16384) -> Scheduler:
    specs = [HostSpec(name=f"h{n}", memory_mb=memory_mb, processors=4) for n in range(hosts)]
    built = Scheduler(HostInventory(specs))
    names = tuple(s.name for s in specs)
    built.configure({"nova": Scope(policy, names)}, policy)
    return built


def place_many(sched: Scheduler, count: int, request: PlacementRequest | None = None) -> list[str]:
    request = request or PlacementRequest(SMALL)
    return [sched.place(f"vm{n}", request).name for n in range(count)]


def test_striping_spreads_evenly() -> None:
    placed = place_many(scheduler("striping"), 6)
    assert sorted(placed) == ["h0", "h0", "h1", "h1", "h2", "h2"]
    assert placed[:3] == ["h0", "h1", "h2"]


def test_packing_fills_one_host_first() -> None:
    placed = place_many(scheduler("packing"), 6)
    assert placed == ["h0", "h0", "h0", "h0", "h1", "h1"]  # 16 GB hosts take four 4 GB VMs


def test_packing_skips_hosts_without_enough_memory() -> None:
    sched = scheduler("packing")
    place_many(sched, 3)  # h0 has 4 GB left
    big = Claim(8192, Decimal("0.5"), 1)
    assert sched.place("big", PlacementRequest(big)).name == "h1"
    assert sched.place("small", PlacementRequest(SMALL)).name == "h0"


def test_balanced_policies_rank_by_allocated_share() -> None:
    sched = scheduler("memory_balanced")
    inventory = sched.inventory
    inventory.claim(inventory.hosts["h0"], "x", Claim(8192, Decimal("0.1")))
    inventory.claim(inventory.hosts["h1"], "y", Claim(2048, Decimal("3")))
    assert sched.select(PlacementRequest(SMALL)).name == "h2"
    inventory.claim(inventory.hosts["h2"], "z", Claim(4096, Decimal("0.1")))
    assert sched.select(PlacementRequest(SMALL)).name == "h1"  # 2 GB of 16 is the least
    cpu = scheduler("cpu_balanced")
    cpu.inventory.claim(cpu.inventory.hosts["h0"], "x", Claim(1024, Decimal("2")))
    cpu.inventory.claim(cpu.inventory.hosts["h1"], "y", Claim(1024, Decimal("1")))
    cpu.inventory.claim(cpu.inventory.hosts["h2"], "z", Claim(1024, Decimal("3")))
    assert cpu.select(PlacementRequest(SMALL)).name == "h1"


def test_release_puts_the_host_back_in_front() -> None:
    sched = scheduler("striping")
    place_many(sched, 3)
    sched.inventory.release("h1", "vm1", SMALL)
    assert sched.select(PlacementRequest(SMALL)).name == "h1"
    assert sched.inventory.hosts["h1"].memory_free_mb == 16384


def test_exclusion_filter_and_its_reason() -> None:
    sched = scheduler(hosts=2)
    rule = HostFilter(frozenset({"h0", "h1"}), keep=False, reason="rule web keeps apart")
    with pytest.raises(NoValidHost) as failure:
        sched.place("vm", PlacementRequest(SMALL, filters=(rule,)))
    assert str(failure.value) == "No valid host was found. rule web keeps apart"
    one = HostFilter(frozenset({"h0"}), keep=False, reason="x")
    assert sched.place("vm", PlacementRequest(SMALL, filters=(one,))).name == "h1"


def test_small_only_filter_is_walked_in_policy_order() -> None:
    sched = scheduler(hosts=10)
    place_many(sched, 1)  # h0 has one VM
    keep = HostFilter(frozenset({"h0", "h7"}), keep=True, reason="scg")
    assert sched.select(PlacementRequest(SMALL, filters=(keep,))).name == "h7"


def test_soft_preferences_are_dropped_when_nothing_fits_with_them() -> None:
    sched = scheduler(hosts=2)
    avoid_all = HostFilter(frozenset({"h0", "h1"}), keep=False, reason="soft")
    host = sched.place("vm", PlacementRequest(SMALL, preferences=(avoid_all,)))
    assert host.name == "h0"
    avoid_h0 = HostFilter(frozenset({"h0"}), keep=False, reason="soft")
    assert sched.select(PlacementRequest(SMALL, preferences=(avoid_h0,))).name == "h1"


def test_shortage_names_the_resource_and_the_host() -> None:
    sched = scheduler(hosts=2)
    huge = Claim(20000, Decimal("1"))
    with pytest.raises(NoValidHost) as failure:
        sched.place("vm", PlacementRequest(huge))
    assert "Insufficient memory: 20000 MB requested, at most 16384 MB free" in str(failure.value)
    cpu = Claim(1024, Decimal("5"))
    with pytest.raises(NoValidHost, match="Insufficient processing units: 5 requested"):
        sched.place("vm", PlacementRequest(cpu))


def test_named_host_checks() -> None:
    sched = scheduler(hosts=2)
    assert sched.place("vm", PlacementRequest(SMALL, host="h1")).name == "h1"
    with pytest.raises(NoValidHost, match="Host nope is not managed by PowerVC"):
        sched.select(PlacementRequest(SMALL, host="nope"))
    with pytest.raises(NoValidHost, match="Insufficient memory on host h1: 20000 MB"):
        sched.select(PlacementRequest(Claim(20000, Decimal("1")), host="h1"))
    outside = scheduler(hosts=2)
    outside.configure({"nova": Scope("striping", ("h0",))}, "striping")
    with pytest.raises(NoValidHost, match="not in availability zone nova"):
        outside.select(PlacementRequest(SMALL, zone="nova", host="h1"))


def test_zones_scope_the_candidates() -> None:
    sched = scheduler(hosts=3)
    sched.configure(
        {"nova": Scope("striping", ("h0",)), "z1": Scope("packing", ("h1", "h2"))}, "striping"
    )
    assert {sched.place(f"v{n}", PlacementRequest(SMALL, zone="z1")).name for n in range(3)} == {
        "h1"
    }
    assert sched.zone_of("h2") == "z1"
    with pytest.raises(NoValidHost, match="Availability zone z9 does not exist"):
        sched.select(PlacementRequest(SMALL, zone="z9"))


def test_maintenance_takes_a_host_out_of_placement() -> None:
    sched = scheduler(hosts=2)
    inventory = sched.inventory
    inventory.set_maintenance(inventory.hosts["h0"], "on", "none")
    assert set(place_many(sched, 3)) == {"h1"}
    with pytest.raises(NoValidHost, match="Host h0 does not accept new virtual machines"):
        sched.select(PlacementRequest(SMALL, host="h0"))
    inventory.set_maintenance(inventory.hosts["h1"], "on", "none")
    with pytest.raises(NoValidHost, match="h0 \\(in maintenance mode\\)"):
        sched.select(PlacementRequest(SMALL))
    inventory.set_maintenance(inventory.hosts["h0"], "ok", "none")
    assert sched.select(PlacementRequest(SMALL)).name == "h0"


def test_host_lookup_by_every_name() -> None:
    specs = [HostSpec(name="8286-42A_215A0BV", memory_mb=1024, processors=2, display_name="p8")]
    inventory = HostInventory(specs)
    host = inventory.hosts["8286-42A_215A0BV"]
    for alias in ("8286-42A_215A0BV", "p8", "1", host.uuid):
        assert inventory.by_display_name(alias) is host
    assert inventory.by_display_name("2") is None
