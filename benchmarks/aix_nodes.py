"""Simulated AIX nodes: SSH connect + authenticate time, command time on an open connection,
and the resident memory of 100 nodes.

Starts an in-memory emulator (instant clock, nodes on free loopback ports) and deploys an AIX
node with a key pair made here, then measures with asyncssh and the emulator's ssh/config:
- connect and authenticate (a new connection each time, closed again), median of N;
- one command (`hostname`) on an open connection, median of M;
- resident memory: two fresh processes each deploy 100 servers, from the AIX72 image (100
  nodes, their SSH servers up) and from a Linux image (no nodes), and report their RSS.
Targets: connect + auth under 50 ms; a command under 5 ms median; 100 nodes under 100 MB.

    python benchmarks/aix_nodes.py [--connects N] [--commands M] [--nodes K]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncssh
import httpx

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator

CONNECT_TARGET_MS, COMMAND_TARGET_MS, MEMORY_TARGET_MB = 50.0, 5.0, 100.0
AUTH_BODY = {
    "auth": {
        "identity": {
            "methods": ["password"],
            "password": {
                "user": {"name": "root", "domain": {"name": "Default"}, "password": "passw0rd"}
            },
        },
        "scope": {"project": {"name": "ibm-default", "domain": {"name": "Default"}}},
    }
}


def api(running: RunningEmulator) -> tuple[httpx.Client, str]:
    http = httpx.Client(timeout=60.0, trust_env=False)
    reply = http.post(f"{running.auth_url}/auth/tokens", json=AUTH_BODY)
    http.headers["X-Auth-Token"] = reply.headers["x-subject-token"]
    return http, running.service_urls["compute"] + "/v2.1"


def deploy(running: RunningEmulator, image_name: str, count: int, key: str | None) -> None:
    http, compute = api(running)
    images = http.get(f"{running.service_urls['image']}/v2/images").json()["images"]
    flavors = http.get(f"{compute}/flavors").json()["flavors"]
    networks = http.get(f"{running.service_urls['network']}/v2.0/networks").json()["networks"]
    body: dict[str, Any] = {
        "name": "bench",
        "imageRef": next(i["id"] for i in images if i["name"] == image_name),
        "flavorRef": next(f["id"] for f in flavors if f["name"] == "powervm.tiny"),
        "networks": [{"uuid": next(n["id"] for n in networks if n["name"] == "cmbnet1")}],
        "min_count": count,
        "max_count": count,
    }
    if key is not None:
        http.post(f"{compute}/os-keypairs", json={"keypair": {"name": "bench", "public_key": key}})
        body["key_name"] = "bench"
    reply = http.post(f"{compute}/servers", json={"server": body})
    assert reply.status_code == 202, reply.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        servers = http.get(f"{compute}/servers/detail").json()["servers"]
        if len(servers) == count and all(s["status"] == "ACTIVE" for s in servers):
            break
        time.sleep(0.1)
    nodes = running.emulator.aix.nodes
    config = running.ssh_config
    while time.monotonic() < deadline and image_name.startswith("AIX") and config is not None:
        listed = config.read_text().count("\nHost ") if config.exists() else 0
        if len(nodes) == count and all(n.is_up for n in nodes.values()) and listed == count:
            break
        time.sleep(0.1)


def resident_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child(image_name: str, count: int) -> None:
    with running_emulator(EmulatorConfig(port=0, ssh_ports=(0, 0))) as running:
        key = asyncssh.generate_private_key("ssh-ed25519")
        deploy(running, image_name, count, bytes(key.export_public_key()).decode())
        time.sleep(0.5)  # the listeners and ssh files settle
        print(resident_kb())


def memory(count: int) -> tuple[float, float]:
    def measure(image_name: str) -> float:
        done = subprocess.run(
            [sys.executable, __file__, "--child", image_name, "--nodes", str(count)],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(done.stdout.split()[-1]) / 1024

    return measure("RHEL84-LE"), measure("AIX72")


async def latencies(config: Path, key: asyncssh.SSHKey, connects: int, commands: int) -> Any:
    connect_ms: list[float] = []
    for _ in range(connects):
        started = time.perf_counter()
        async with asyncssh.connect("bench", config=[str(config)], client_keys=[key]):
            connect_ms.append((time.perf_counter() - started) * 1000)
    command_ms: list[float] = []
    async with asyncssh.connect("bench", config=[str(config)], client_keys=[key]) as conn:
        for _ in range(commands):
            started = time.perf_counter()
            done = await conn.run("hostname")
            command_ms.append((time.perf_counter() - started) * 1000)
    assert done.exit_status in (0, 127), done.stderr  # 127 until `hostname` exists
    return statistics.median(connect_ms), statistics.median(command_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connects", type=int, default=30)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.nodes)
        return
    key = asyncssh.generate_private_key("ssh-ed25519")
    with running_emulator(EmulatorConfig(port=0, ssh_ports=(0, 0))) as running:
        deploy(running, "AIX72", 1, bytes(key.export_public_key()).decode())
        assert running.ssh_config is not None
        connect, command = asyncio.run(
            latencies(running.ssh_config, key, args.connects, args.commands)
        )
    without, with_nodes = memory(args.nodes)
    extra = with_nodes - without
    print(
        f"connect + authenticate: median {connect:.1f} ms over {args.connects} "
        f"(target < {CONNECT_TARGET_MS:g} ms, {connect / CONNECT_TARGET_MS:.2f} of it)"
    )
    print(
        f"command on an open connection: median {command:.2f} ms over {args.commands} "
        f"(target < {COMMAND_TARGET_MS:g} ms, {command / COMMAND_TARGET_MS:.2f} of it)"
    )
    print(
        f"resident memory: {without:.0f} MB with {args.nodes} Linux servers, "
        f"{with_nodes:.0f} MB with {args.nodes} AIX nodes: +{extra:.0f} MB "
        f"(target < {MEMORY_TARGET_MB:g} MB, {extra / MEMORY_TARGET_MB:.2f} of it)"
    )


if __name__ == "__main__":
    main()
