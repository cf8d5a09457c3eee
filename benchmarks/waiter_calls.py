"""The waiter's cost: list calls for 200 deploying servers, against the per-server polling a
hand-written script does.

Starts the emulator on loopback (real clock, sped up), creates N servers (default 200), and
waits for all of them with `wait_for_servers`, counting the list requests it makes (pages
included) and the ticks. Beside it: the GET requests a loop of one `GET /servers/{id}` per
still-pending server per tick would have made over the same ticks. The waiter's count grows
with the ticks (O(ticks)), the per-server loop's with servers x ticks.

    python benchmarks/waiter_calls.py [--servers N] [--speed X] [--interval S]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from powerbridge.client import Cloud, Compute, NetworkRequest, ServerCreate, ServerSource, wait_for
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import running_emulator


async def deploy(cloud: Cloud, count: int) -> list[str]:
    image = await cloud.image.find_image("AIX72")
    template = await cloud.compute.find_template("powervm.tiny")
    network = await cloud.network.find_network("mgmtnet")
    ids = []
    for index in range(count):
        request = ServerCreate(
            name=f"bench{index:04d}",
            image_id=image.id,
            flavor_id=template.id,
            networks=(NetworkRequest(network.id),),
        )
        ids.append((await cloud.compute.create_server(request)).id)
    return ids


async def measure(env: dict[str, str], count: int, interval: float) -> None:
    async with Cloud.connect(environ=env) as cloud:
        started = time.perf_counter()
        ids = await deploy(cloud, count)
        print(f"created {count} servers in {time.perf_counter() - started:.1f} s")
        source = ServerSource(Compute(cloud.session))
        pending_per_tick: list[int] = []
        ticks = 0

        def tick(pending: int, elapsed: float) -> None:
            nonlocal ticks
            ticks += 1
            pending_per_tick.append(pending)

        started = time.perf_counter()
        outcomes = await wait_for(source, ids, interval=interval, timeout=600, on_tick=tick)
        took = time.perf_counter() - started
    active = sum(1 for o in outcomes.values() if o.ok)
    # a per-server loop GETs every server still pending at the start of each tick
    per_server = count + sum(pending_per_tick[:-1])
    print(f"waited {took:.1f} s: {active}/{count} ACTIVE after {ticks} ticks")
    waiter_rate = source.calls / ticks
    print(f"  waiter list calls (pages included): {source.calls:5d}   ({waiter_rate:.1f} per tick)")
    naive_rate = per_server / ticks
    print(f"  one GET per pending server per tick: {per_server:5d}   ({naive_rate:.1f} per tick)")
    print(f"  ratio: {per_server / max(source.calls, 1):.0f}x fewer requests with the waiter")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--speed", type=float, default=50.0)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()
    config = EmulatorConfig(port=0, data_dir=None, clock="real", speed=args.speed)
    with running_emulator(config) as emulator:
        asyncio.run(measure(emulator.env(), args.servers, args.interval))


if __name__ == "__main__":
    main()
