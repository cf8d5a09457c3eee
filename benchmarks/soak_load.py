"""Load: C concurrent clients of mixed reads and writes against one emulator for S seconds.

Each client signs in for itself (its own connection and token) and loops, choosing with a
seeded random generator: 80% reads (servers, flavors, images, networks, ports, volumes) and
20% writes (a volume created then deleted, a key pair created then deleted, a server's
metadata item set). Every answer is timed; an error is a status of 400 or more or no answer.
The emulator runs as its own process, instant clock, loopback.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from soak_lab import Lab, estate_file

READS = (
    ("compute", "/servers/detail"),
    ("compute", "/flavors/detail"),
    ("image", "/v2/images"),
    ("network", "/v2.0/networks"),
    ("network", "/v2.0/ports"),
    ("volumev3", "/volumes/detail"),
)
WRITE_SHARE = 0.2


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, seconds: float, problem: str | None) -> None:
        self.latencies.append(seconds)
        if problem is not None:
            self.errors.append(problem)


class Client:
    def __init__(
        self, lab: Lab, number: int, server_id: str, tally: Tally, seed: int, token: str
    ) -> None:
        self.lab = lab
        self.number = number
        self.server_id = server_id
        self.tally = tally
        self.chance = random.Random(seed * 1000 + number)
        self.http = httpx.AsyncClient(timeout=30, headers={"X-Auth-Token": token})
        self.sequence = 0

    async def call(self, method: str, service: str, path: str, body: Any = None) -> Any:
        url = self.lab.url(service) if not path.startswith("/v2") else _root(self.lab, service)
        started = time.perf_counter()
        problem = None
        answer = None
        try:
            answer = await self.http.request(method, url + path, json=body)
            if answer.status_code >= 400:
                problem = f"{method} {path}: {answer.status_code} {answer.text[:120]}"
        except httpx.TransportError as error:
            problem = f"{method} {path}: {type(error).__name__} {error}"
        self.tally.add(time.perf_counter() - started, problem)
        if answer is None or not answer.content or problem:
            return None
        return answer.json()

    async def run(self, until: float) -> None:
        try:
            while time.perf_counter() < until:
                if self.chance.random() < WRITE_SHARE:
                    await self.write()
                else:
                    await self.call("GET", *self.chance.choice(READS))
        finally:
            await self.http.aclose()

    async def write(self) -> None:
        self.sequence += 1
        name = f"load-{self.number}-{self.sequence}"
        kind = self.chance.randrange(3)
        if kind == 0:
            made = await self.call(
                "POST", "volumev3", "/volumes", {"volume": {"size": 1, "name": name}}
            )
            if made is not None:
                await self.call("DELETE", "volumev3", f"/volumes/{made['volume']['id']}")
        elif kind == 1:
            made = await self.call("POST", "compute", "/os-keypairs", {"keypair": {"name": name}})
            if made is not None:
                await self.call("DELETE", "compute", f"/os-keypairs/{name}")
        else:
            path = f"/servers/{self.server_id}/metadata/client{self.number}"
            await self.call("PUT", "compute", path, {"meta": {f"client{self.number}": name}})


def _root(lab: Lab, service: str) -> str:
    """Glance and neutron paths here carry their version: the service root without it."""
    url = lab.url(service)
    for suffix in ("/v2.0", "/v2"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def one_server(lab: Lab) -> str:
    """A server for the metadata writes, made before the clock starts."""
    images = httpx.get(
        _root(lab, "image") + "/v2/images?name=AIX72",
        headers={"X-Auth-Token": lab.token()},
        timeout=30,
    ).json()["images"]
    flavors = lab.get("compute", "/flavors")["flavors"]
    networks = httpx.get(
        _root(lab, "network") + "/v2.0/networks?name=cmbnet1",
        headers={"X-Auth-Token": lab.token()},
        timeout=30,
    ).json()["networks"]
    flavor = next(f for f in flavors if f["name"] == "powervm.tiny")
    body = {
        "server": {
            "name": "load-target",
            "imageRef": images[0]["id"],
            "flavorRef": flavor["id"],
            "networks": [{"uuid": networks[0]["id"]}],
        }
    }
    answer = httpx.post(
        lab.url("compute") + "/servers", json=body, headers={"X-Auth-Token": lab.token()}
    )
    answer.raise_for_status()
    return str(answer.json()["server"]["id"])


async def drive(lab: Lab, clients: int, seconds: float, seed: int) -> tuple[Tally, float]:
    server_id = one_server(lab)
    tally = Tally()
    # each client signs in for itself, before the clock starts (a sign-in hashes a password)
    workers = [Client(lab, n, server_id, tally, seed, lab.sign_in()) for n in range(clients)]
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(worker.run(until) for worker in workers))
    return tally, time.perf_counter() - started


def run_load(folder: Path, clients: int, seconds: float, seed: int) -> dict[str, Any]:
    lab = Lab(folder, estate_file(folder, 4, 5), clock="instant")
    lab.start()
    try:
        tally, elapsed = asyncio.run(drive(lab, clients, seconds, seed))
    finally:
        lab.stop()
    latencies = sorted(tally.latencies)
    count = len(latencies)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": count,
        "requests_per_second": round(count / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if count else None,
        "p99_ms": round(latencies[min(count - 1, int(count * 0.99))] * 1000, 1) if count else None,
        "error_rate": round(len(tally.errors) / count, 5) if count else None,
        "errors": tally.errors[:5],
    }
