"""The waiter: one list call per tick for any number of servers (changes-since, pages), every
state change reported, ACTIVE / ERROR / deleted / timeout outcomes with the fault."""

from __future__ import annotations

import asyncio
from typing import Any

from powerbridge.client import (
    Compute,
    StateChange,
    wait_for_server_deletion,
    wait_for_servers,
)
from tests.client.fakenova import Cloud, FakeNova, FakeServer, session
from tests.support.fake_cloud import CONFIG


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def run_wait(nova: FakeNova, ids: list[str], **options: Any) -> tuple[dict[str, Any], FakeTime]:
    from powerbridge.client import ServerSource, wait_for

    clock = FakeTime()

    async def main() -> dict[str, Any]:
        async with session(Cloud(nova), CONFIG) as s:
            source = ServerSource(Compute(s))
            return await wait_for(
                source, ids, sleep=clock.sleep, monotonic=clock.monotonic, **options
            )

    return asyncio.run(main()), clock


def fleet(count: int, *, failing: frozenset[int] = frozenset(), page_size: int = 50) -> FakeNova:
    nova = FakeNova(page_size=page_size)
    for index in range(count):
        nova.add(FakeServer(f"s{index:04d}", f"vm{index}", 2 + index % 4, index in failing))
    return nova


def test_200_servers_make_one_list_call_per_tick() -> None:
    nova = fleet(200, failing=frozenset({7}), page_size=1000)
    outcomes, clock = run_wait(nova, list(nova.servers), interval=5.0)
    ticks = nova.tick
    assert ticks == 5  # final states come at ticks 2..5
    assert nova.list_calls == ticks
    assert len(outcomes) == 200
    assert outcomes["s0007"].result == "failed"
    assert outcomes["s0007"].fault.message == "vm7 failed"
    assert all(o.result == "done" for k, o in outcomes.items() if k != "s0007")
    assert clock.sleeps == [5.0] * (ticks - 1)
    changes_since = [q for q in nova.listed if "changes-since" in q]
    assert len(changes_since) == ticks - 1  # a full listing first, then only changes


def test_pages_are_followed_within_a_tick() -> None:
    nova = fleet(120, page_size=50)
    outcomes, _ = run_wait(nova, list(nova.servers), interval=1.0)
    assert all(o.ok for o in outcomes.values())
    first_tick = nova.listed[:3]
    assert "marker" not in first_tick[0]
    assert "marker" in first_tick[1]
    assert "marker" in first_tick[2]
    assert nova.list_calls <= nova.tick * 3  # pages, never one GET per server


def test_every_state_change_is_reported() -> None:
    nova = fleet(2)
    changes: list[StateChange] = []
    run_wait(nova, ["s0000", "s0001"], on_change=changes.append)
    states = [(c.name, c.state) for c in changes if c.name == "vm1"]
    assert states == [
        ("vm1", "BUILD (block_device_mapping)"),
        ("vm1", "BUILD (networking)"),
        ("vm1", "ACTIVE"),
    ]
    assert changes[0].previous_status is None


def test_timeout_keeps_the_last_state() -> None:
    nova = FakeNova()
    nova.add(FakeServer("slow", "slowvm", ready_tick=100))
    outcomes, clock = run_wait(nova, ["slow"], timeout=10.0, interval=3.0)
    outcome = outcomes["slow"]
    assert outcome.result == "timeout"
    assert outcome.status == "BUILD"
    assert outcome.task_state is not None
    assert clock.now == 10.0  # the last look is at the deadline, not past it


def test_missing_and_deleted_servers() -> None:
    nova = FakeNova()
    nova.add(FakeServer("gone", "gonevm", ready_tick=100, deleted_at_tick=2))
    outcomes, _ = run_wait(nova, ["gone", "never"])
    assert outcomes["never"].result == "missing"
    assert outcomes["gone"].result == "deleted"


def test_waiting_for_deletion() -> None:
    nova = FakeNova()
    nova.add(FakeServer("d1", "d1", ready_tick=1, deleted_at_tick=3))
    clock = FakeTime()

    async def main() -> dict[str, Any]:
        async with session(Cloud(nova), CONFIG) as s:
            return await wait_for_server_deletion(Compute(s), ["d1", "absent"], sleep=clock.sleep)

    outcomes = asyncio.run(main())
    assert outcomes["d1"].ok
    assert outcomes["absent"].ok


def test_convenience_function_uses_the_same_path() -> None:
    nova = fleet(3)
    clock = FakeTime()

    async def main() -> dict[str, Any]:
        async with session(Cloud(nova), CONFIG) as s:
            return await wait_for_servers(Compute(s), list(nova.servers), sleep=clock.sleep)

    outcomes = asyncio.run(main())
    assert all(o.ok for o in outcomes.values())
