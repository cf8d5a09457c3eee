"""Scheduler throughput: place 10,000 VMs on 1,000 hosts in 1,000 anti-affinity groups.

Calls the emulator's placement function in-process (`Scheduler.place`, the call a deploy's
scheduling step makes), once per VM, for each placement policy, and prints the scheduler time
(building each request's anti-affinity filter included) and the placements per second. Members
of a group are placed one after another, so each placement must step past the hosts its
group already uses. Target: under 1 s per run. Not a timed test: run it by hand.

    python benchmarks/scheduler.py [--hosts N] [--vms N] [--groups N] [--policy P]
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal

from powerbridge.emulator.backend.hosts import Claim, HostInventory
from powerbridge.emulator.backend.placement import (
    HostFilter,
    PlacementRequest,
    Scheduler,
    Scope,
)
from powerbridge.emulator.estate import DEFAULT_ZONE, PLACEMENT_POLICIES, HostSpec

TARGET_SECONDS = 1.0
SIZES = (Claim(4096, Decimal("0.5"), 2), Claim(8192, Decimal("1"), 4))


def build(hosts: int, policy: str) -> Scheduler:
    specs = [
        HostSpec(name=f"9009-42A_{n:07X}", memory_mb=1024 * 1024, processors=64)
        for n in range(hosts)
    ]
    scheduler = Scheduler(HostInventory(specs))
    names = tuple(spec.name for spec in specs)
    # as the emulator runs it: every host in the default host group's zone, plus the
    # all-hosts scope, so each claim re-ranks the host in two indexes
    scheduler.configure({DEFAULT_ZONE: Scope(policy, names)}, policy)
    return scheduler


def run(hosts: int, vms: int, groups: int, policy: str) -> tuple[float, float]:
    """(seconds for the whole loop, seconds inside Scheduler.place)."""
    scheduler = build(hosts, policy)
    members: list[set[str]] = [set() for _ in range(groups)]
    per_group = max(1, vms // groups)
    in_place = 0.0
    started = time.perf_counter()
    for vm in range(vms):
        group = min(vm // per_group, groups - 1)
        used = members[group]
        rule = HostFilter(frozenset(used), keep=False, reason="anti-affinity")
        request = PlacementRequest(SIZES[vm % 2], filters=(rule,) if used else ())
        before = time.perf_counter()
        host = scheduler.place(f"vm-{vm}", request)
        in_place += time.perf_counter() - before
        used.add(host.name)
    return time.perf_counter() - started, in_place


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--vms", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--policy", choices=PLACEMENT_POLICIES, action="append")
    args = parser.parse_args()
    print(f"{args.vms} VMs on {args.hosts} hosts, {args.groups} anti-affinity groups")
    for policy in args.policy or PLACEMENT_POLICIES:
        total, placing = run(args.hosts, args.vms, args.groups, policy)
        verdict = "OK" if total < TARGET_SECONDS else "OVER TARGET"
        print(
            f"  {policy:16s} {total:6.3f} s scheduler time ({placing:6.3f} s in place()), "
            f"{args.vms / total:8.0f} placements/s: {verdict} (target < {TARGET_SECONDS:.0f} s)"
        )


if __name__ == "__main__":
    main()
