"""Deploy 100 VMs with one volume each: powerbridge's apply against two hand-written baselines.

Each scenario gets a fresh emulator (its own process, `--clock real`), with an estate of
HOSTS hosts that run at most PER_HOST deploys at once (the rest queue), so a deploy takes
DEPLOY_SECONDS and a volume VOLUME_SECONDS of wall time. Measured in the same run:

- apply: `powerbridge.deploy` (plan, then apply with `parallel` = HOSTS x PER_HOST);
- (a) sequential: a script in the style of PowerVC's REST examples (create a volume, poll it,
  create the VM, poll it until ACTIVE, next); run on SEQUENTIAL VMs and extrapolated to N;
- (b) per-VM polling: the same work with the same concurrency, each worker polling its own
  volume and VM with a GET per tick.

Printed: wall time, wall / ideal where ideal = volume phase + waves x deploy time (waves =
ceil(N / (HOSTS x PER_HOST))), API calls per VM apart from shared list polls, and list calls.
Targets: apply at most 1.15 x ideal and at most 5 calls per VM. Exit 1 when one is missed.

    python benchmarks/deploy_100.py [--servers N] [--speed X]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import yaml

HOSTS = 4
PER_HOST = 5
DEPLOY_STEPS = ("scheduling", "block_device_mapping", "networking", "spawning")
TICK = 0.2  # the baselines' poll interval
SEQUENTIAL = 10
TARGET_RATIO = 1.15
TARGET_CALLS = 5.0


@dataclass
class Outcome:
    name: str
    servers: int
    seconds: float
    per_vm_calls: float
    list_calls: int
    active: int
    note: str = ""


def estate_file(folder: Path) -> tuple[Path, dict[str, float]]:
    text = resources.files("powerbridge.emulator").joinpath("default_estate.yaml").read_text()
    estate = yaml.safe_load(text)
    estate["hosts"] = [
        {
            "name": f"9009-42A_BENCH{n:02d}",
            "display_name": f"bench-host{n}",
            "memory_mb": 1048576,
            "processors": 64,
            "vios": 2,
            "max_concurrent_deploys": PER_HOST,
        }
        for n in range(1, HOSTS + 1)
    ]
    estate["storage_connectivity_groups"] = []  # they name the default estate's hosts
    estate["host_groups"] = []
    estate["unmanaged_lpars"] = []  # on a default host; their volumes go with them
    estate["unmanaged_volumes"] = []
    path = folder / "estate.yaml"
    path.write_text(yaml.safe_dump(estate))
    return path, dict(estate["timings"])


@contextmanager
def emulator(folder: Path, estate: Path, speed: float) -> Iterator[dict[str, str]]:
    data = folder / "data"
    start = [
        sys.executable,
        "-m",
        "powerbridge",
        "emulator",
        "start",
        "--port",
        "0",
        "--data",
        str(data),
        "--estate",
        str(estate),
        "--clock",
        "real",
        "--speed",
        str(speed),
        "--detach",
    ]
    started = subprocess.run(start, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if started.returncode:
        raise SystemExit(f"the emulator did not start: {started.stderr.strip()}")
    try:
        env_text = subprocess.run(
            [sys.executable, "-m", "powerbridge", "emulator", "env", "--data", str(data)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        env = {}
        for line in env_text.splitlines():
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").partition("=")
                env[key] = value.strip("'\"")
        yield env
    finally:
        subprocess.run(
            [sys.executable, "-m", "powerbridge", "emulator", "stop", "--data", str(data)],
            capture_output=True,
            check=False,
        )


def pipe_spec(folder: Path, prefix: str, count: int) -> Path:
    lines = [
        f"flavor_name=powervm.tiny|vm_name={prefix}{n:03d}|image_name=AIX72|vlan_name=cmbnet1"
        f"|lun_spec=1:1:svc82 base template:::bench data"
        for n in range(1, count + 1)
    ]
    path = folder / f"{prefix}.pipe"
    path.write_text("\n".join(lines) + "\n")
    return path


# -- powerbridge --------------------------------------------------------------------------------
async def run_apply(env: dict[str, str], spec: Path, store: Path, parallel: int) -> Outcome:
    from powerbridge.client import Cloud, load_config
    from powerbridge.deploy import load_spec
    from powerbridge.deploy.apply import ApplyOptions, apply_plan
    from powerbridge.deploy.service import prepare, start_job
    from powerbridge.jobs import JobStore

    started = time.perf_counter()
    async with Cloud.connect(config=load_config(environ=env, search_path=[])) as cloud:
        prepared = await prepare(cloud, load_spec(spec))
        jobs = JobStore.open(str(store))
        job = start_job(jobs, prepared.plan, resume=False, source=str(spec))
        options = ApplyOptions(parallel=parallel)
        report = await apply_plan(cloud, prepared.plan, prepared.view, jobs, job, options)
        jobs.close()
    seconds = time.perf_counter() - started
    servers = report.servers
    calls = report.calls
    return Outcome(
        "powerbridge apply",
        len(servers),
        seconds,
        (calls["create"] + calls["delete"]) / max(1, len(servers)),
        calls["list"],
        sum(1 for s in servers if s.status == "ACTIVE"),
        f"plan + apply; {len(prepared.plan.creates)} creates",
    )


# -- baselines: what an administrator's script does ---------------------------------------------
class Script:
    """A PowerVC REST example: token, catalog, then plain calls, each counted."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.client = httpx.AsyncClient(timeout=60)
        self.urls: dict[str, str] = {}
        self.calls = 0

    async def login(self) -> None:
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self.env["OS_USERNAME"],
                            "domain": {"name": self.env.get("OS_USER_DOMAIN_NAME", "Default")},
                            "password": self.env["OS_PASSWORD"],
                        }
                    },
                },
                "scope": {
                    "project": {
                        "name": self.env["OS_PROJECT_NAME"],
                        "domain": {"name": self.env.get("OS_PROJECT_DOMAIN_NAME", "Default")},
                    }
                },
            }
        }
        url = self.env["OS_AUTH_URL"].rstrip("/") + "/auth/tokens"
        response = await self.client.post(url, json=body)
        response.raise_for_status()
        self.client.headers["X-Auth-Token"] = response.headers["X-Subject-Token"]
        for service in response.json()["token"]["catalog"]:
            for endpoint in service["endpoints"]:
                if endpoint["interface"] == "public":
                    self.urls[service["type"]] = endpoint["url"]

    async def call(self, method: str, service: str, path: str, body: Any = None) -> Any:
        self.calls += 1
        response = await self.client.request(method, self.urls[service] + path, json=body)
        response.raise_for_status()
        return response.json() if response.content else None

    async def ids(self) -> tuple[str, str, str]:
        images = (await self.call("GET", "image", "/v2/images?name=AIX72"))["images"]
        flavors = (await self.call("GET", "compute", "/flavors"))["flavors"]
        networks = (await self.call("GET", "network", "/v2.0/networks?name=cmbnet1"))["networks"]
        flavor = next(f["id"] for f in flavors if f["name"] == "powervm.tiny")
        return images[0]["id"], flavor, networks[0]["id"]

    async def one_vm(self, name: str, ids: tuple[str, str, str]) -> bool:
        image, flavor, network = ids
        volume_body = {
            "volume": {"name": f"{name}-data", "size": 1, "volume_type": "svc82 base template"}
        }
        volume = (await self.call("POST", "volumev3", "/volumes", volume_body))["volume"]["id"]
        while (await self.call("GET", "volumev3", f"/volumes/{volume}"))["volume"][
            "status"
        ] == "creating":
            await asyncio.sleep(TICK)
        server_body = {
            "server": {
                "name": name,
                "imageRef": image,
                "flavorRef": flavor,
                "networks": [{"uuid": network}],
                "block_device_mapping_v2": [
                    {"uuid": volume, "source_type": "volume", "destination_type": "volume"}
                ],
            }
        }
        server = (await self.call("POST", "compute", "/servers", server_body))["server"]["id"]
        while True:
            status = (await self.call("GET", "compute", f"/servers/{server}"))["server"]["status"]
            if status in ("ACTIVE", "ERROR"):
                return status == "ACTIVE"
            await asyncio.sleep(TICK)


async def run_script(env: dict[str, str], prefix: str, count: int, workers: int) -> Outcome:
    script = Script(env)
    await script.login()
    ids = await script.ids()
    setup = script.calls
    names = [f"{prefix}{n:03d}" for n in range(1, count + 1)]
    queue = list(names)
    results: list[bool] = []
    started = time.perf_counter()

    async def worker() -> None:
        while queue:
            results.append(await script.one_vm(queue.pop(0), ids))

    await asyncio.gather(*(worker() for _ in range(workers)))
    seconds = time.perf_counter() - started
    await script.client.aclose()
    per_vm = (script.calls - setup) / count
    label = "(a) sequential script" if workers == 1 else "(b) per-VM polling"
    return Outcome(label, count, seconds, per_vm, 0, sum(results))


def print_table(outcomes: list[Outcome], ideal: float, count: int) -> None:
    print(f"{'scenario':26} {'VMs':>4} {'wall s':>8} {'x ideal':>8} {'calls/VM':>9} {'lists':>6}")
    for o in outcomes:
        wall = o.seconds if o.servers == count else o.seconds * count / o.servers
        extrapolated = (
            "" if o.servers == count else f"  (measured {o.servers} VMs: {o.seconds:.1f} s)"
        )
        print(
            f"{o.name:26} {count:>4} {wall:8.1f} {wall / ideal:8.2f} {o.per_vm_calls:9.1f}"
            f" {o.list_calls:>6}  {o.active} ACTIVE{extrapolated}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=100)
    parser.add_argument("--speed", type=float, default=5.0, help="emulated seconds per second")
    args = parser.parse_args()
    count = args.servers
    os.environ.pop("OS_CLOUD", None)
    with tempfile.TemporaryDirectory(prefix="pb-bench-") as scratch:
        folder = Path(scratch)
        estate, timings = estate_file(folder)
        deploy = sum(timings[step] for step in DEPLOY_STEPS) / args.speed
        volume = timings["volume_create"] / args.speed
        concurrency = HOSTS * PER_HOST
        waves = math.ceil(count / concurrency)
        ideal = volume + waves * deploy
        print(
            f"{count} VMs, one 1 GB volume each; {HOSTS} hosts x {PER_HOST} concurrent deploys;"
            f" deploy {deploy:.2f} s, volume {volume:.2f} s; ideal {volume:.2f} + {waves} x"
            f" {deploy:.2f} = {ideal:.2f} s"
        )
        outcomes = []
        with emulator(folder / "a", estate, args.speed) as env:
            spec = pipe_spec(folder, "pb", count)
            outcomes.append(asyncio.run(run_apply(env, spec, folder / "jobs.sqlite", concurrency)))
        with emulator(folder / "b", estate, args.speed) as env:
            outcomes.append(asyncio.run(run_script(env, "seq", min(SEQUENTIAL, count), 1)))
        with emulator(folder / "c", estate, args.speed) as env:
            outcomes.append(asyncio.run(run_script(env, "par", count, concurrency)))
    print_table(outcomes, ideal, count)
    ours = outcomes[0]
    ratio = ours.seconds / ideal
    print(
        json.dumps(
            {
                "apply_seconds": round(ours.seconds, 2),
                "ideal_seconds": round(ideal, 2),
                "apply_vs_ideal": round(ratio, 3),
                "apply_calls_per_vm": round(ours.per_vm_calls, 2),
                "sequential_vs_apply": round(
                    outcomes[1].seconds * count / outcomes[1].servers / ours.seconds, 1
                ),
                "per_vm_polling_calls_per_vm": round(outcomes[2].per_vm_calls, 1),
            }
        )
    )
    ok = ratio <= TARGET_RATIO and ours.per_vm_calls <= TARGET_CALLS and ours.active == count
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
