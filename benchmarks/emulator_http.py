"""HTTP throughput of the emulator, and of moto's server mode as the reference emulator.

The server under test runs pinned to one core, this load generator on the other; requests go
over keep-alive connections (several in flight). For each call: requests per second, p50 and
p99 latency. Calls: token validation (`GET /v3/auth/tokens`), token issue, server show,
`servers/detail` with 100 servers, `servers/detail?limit=1000` over 10,000 servers (admin,
all projects; with the connections in flight, then alone), then the emulator's resident
memory holding 10,000 servers, and the page's latency against server show's. Then moto
(`moto_server`) with EC2 DescribeInstances over 100 instances and STS GetCallerIdentity, and
the ratios. Targets: >= 1,000 req/s for token validation and server show; >= 10x moto on the
comparable list call; 10,000 servers under 500 MB RSS; the 1,000-server page under 150 ms.

    python benchmarks/emulator_http.py [--seconds 5] [--connections 8] [--servers 10000]

moto: the first Python that imports `moto.server` (this one, then `python3` on PATH), else
`moto[server]` is installed into benchmarks/.moto-venv. Needs 2 cores for pinning.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
PREFIX = "/powervc/openstack"
SERVER_CORE, CLIENT_CORE = 0, 1
BATCH = 100  # servers per create request (max_count)


# -- a keep-alive load generator ----------------------------------------------------------------
@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<56} {self.rate:>9.0f} req/s   p50 {self.percentile(0.50):7.2f} ms"
            f"   p99 {self.percentile(0.99):7.2f} ms   ({self.requests} requests, "
            f"{self.errors} errors)"
        )


def http_request(method: str, path: str, host: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status, and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    if match:
        await reader.readexactly(int(match.group(1)))
    elif re.search(rb"(?i)\r\ntransfer-encoding:\s*chunked", head):
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    closes = re.search(rb"(?i)\r\nconnection:\s*close", head) is not None
    return status, not closes


async def _connect(address: tuple[str, int]) -> tuple[asyncio.StreamReader, Any]:
    reader, writer = await asyncio.open_connection(*address)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


async def _worker(
    address: tuple[str, int], request: bytes, deadline: float, result: Result
) -> None:
    """Requests back to back on one connection; a server that closes after each response
    (moto's werkzeug) pays its reconnect inside the measured latency."""
    reader, writer = await _connect(address)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status, keep_alive = await _read_response(reader)
            if not keep_alive:
                writer.close()
                reader, writer = await _connect(address)
            result.latencies.append(time.perf_counter() - started)
            result.requests += 1
            if status >= 400:
                result.errors += 1
    finally:
        writer.close()


def load(
    name: str, address: tuple[str, int], request: bytes, seconds: float, connections: int
) -> Result:
    result = Result(name, 0, 0, 0.0, [])

    async def run() -> None:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(
            *(_worker(address, request, deadline, result) for _ in range(connections))
        )
        result.seconds = time.perf_counter() - started

    asyncio.run(run())
    print(result.line(), flush=True)
    return result


# -- processes pinned to a core ----------------------------------------------------------------
def _pin(core: int) -> Callable[[], None]:
    def pin() -> None:
        os.sched_setaffinity(0, {core})

    return pin


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError as error:
            if "HTTP Error" in str(error):
                return  # it answers
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered at {url} within {timeout} s")


@contextmanager
def pinned_process(command: list[str], ready_url: str, env: dict[str, str]) -> Iterator[int]:
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=_pin(SERVER_CORE),
            env=env,
        )
        try:
            _wait_for(ready_url)
            yield process.pid
        except BaseException:
            output.seek(0)
            sys.stderr.write(output.read()[-3000:].decode(errors="replace"))
            raise
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- the emulator --------------------------------------------------------------------------------
def bench_estate(servers: int, directory: Path) -> Path:
    """The packaged estate with room for `servers` small LPARs: more hosts, a large subnet."""
    text = resources.files("powerbridge.emulator").joinpath("default_estate.yaml").read_text()
    estate = yaml.safe_load(text)
    estate["server_health_status"] = False
    hosts_needed = max(3, servers // 500 + 1)
    estate["hosts"] += [  # added, not replaced: other sections may name the default hosts
        {
            "name": f"9080-M9S_BENCH{index:03d}",
            "display_name": f"bench-host-{index}",
            "memory_mb": 4 * 1024 * 1024,
            "processors": 192,
            "max_concurrent_deploys": 1000,
        }
        for index in range(hosts_needed)
    ]
    prefix = max(8, 32 - (servers * 2).bit_length())
    for network in estate["networks"]:
        if network["name"] == "cmbnet1":
            network["subnets"] = [{"name": "bench-subnet", "cidr": f"10.0.0.0/{prefix}"}]
    path = directory / "bench-estate.yaml"
    path.write_text(yaml.safe_dump(estate, sort_keys=False))
    return path


class Api:
    """Plain JSON over urllib, for setting up (not measured)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token = ""

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("X-Auth-Token", self.token)
        with urllib.request.urlopen(request, timeout=300) as response:
            raw = response.read()
            return response.status, response.headers, json.loads(raw) if raw else None


def password_body(user: str, password: str, project: str) -> dict[str, Any]:
    domain = {"name": "Default"}
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": user, "domain": domain, "password": password}},
            },
            "scope": {"project": {"name": project, "domain": domain}},
        }
    }


def login(api: Api, user: str, password: str, project: str) -> tuple[str, str]:
    _, headers, body = api.call(
        "POST", f"{PREFIX}/identity/v3/auth/tokens", password_body(user, password, project)
    )
    return headers["x-subject-token"], body["token"]["project"]["id"]


def populate(api: Api, servers: int) -> dict[str, str]:
    """100 servers in the admin's project, the rest in a second project (as its member)."""
    api.token, admin_project = login(api, "root", "passw0rd", "ibm-default")
    compute = f"{PREFIX}/compute/v2.1"
    flavor = {"name": "bench.mini", "ram": 512, "vcpus": 1, "disk": 1}
    flavor_id = api.call("POST", f"{compute}/flavors", {"flavor": flavor})[2]["flavor"]["id"]
    specs = {
        "powervm:min_mem": "512",
        "powervm:max_mem": "1024",
        "powervm:proc_units": "0.05",
        "powervm:min_proc_units": "0.05",
        "powervm:max_proc_units": "0.1",
        "powervm:min_vcpu": "1",
        "powervm:max_vcpu": "1",
    }
    api.call("POST", f"{compute}/flavors/{flavor_id}/os-extra_specs", {"extra_specs": specs})
    image = api.call("GET", f"{PREFIX}/image/v2/images?name=PowerHA713")[2]["images"][0]["id"]
    network = api.call("GET", f"{PREFIX}/network/v2.0/networks?name=cmbnet1")[2]["networks"][0]
    other = _second_project(api)
    unlimited = {"instances": -1, "cores": -1, "ram": -1}
    for project in (admin_project, other):
        api.call("PUT", f"{compute}/os-quota-sets/{project}", {"quota_set": unlimited})
    body = {
        "server": {
            "name": "bench",
            "imageRef": image,
            "flavorRef": flavor_id,
            "networks": [{"uuid": network["id"]}],
            "max_count": BATCH,
        }
    }
    started = time.perf_counter()
    first = api.call("POST", f"{compute}/servers", body)[2]["server"]["id"]
    member, _ = login(api, "bench-member", "bench-pw", "bench-big")
    admin_token, api.token = api.token, member
    for _ in range(max(0, servers - BATCH) // BATCH):
        api.call("POST", f"{compute}/servers", body)
    api.token = admin_token
    count = len(api.call("GET", f"{compute}/servers?all_tenants=1&limit=100000")[2]["servers"])
    print(f"created {count} servers in {time.perf_counter() - started:.1f} s", flush=True)
    return {"admin_token": admin_token, "server": first, "member_token": member}


def _second_project(api: Api) -> str:
    identity = f"{PREFIX}/identity/v3"
    project = api.call("POST", f"{identity}/projects", {"project": {"name": "bench-big"}})[2]
    user = {"name": "bench-member", "password": "bench-pw"}
    user_id = api.call("POST", f"{identity}/users", {"user": user})[2]["user"]["id"]
    role = api.call("GET", f"{identity}/roles?name=member")[2]["roles"][0]["id"]
    project_id = str(project["project"]["id"])
    api.call("PUT", f"{identity}/projects/{project_id}/users/{user_id}/roles/{role}")
    return project_id


def bench_emulator(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    port = _free_port()
    estate = bench_estate(args.servers, workdir)
    command = [
        sys.executable,
        "-m",
        "powerbridge",
        "emulator",
        "start",
        "--port",
        str(port),
        "--data",
        ":memory:",
        "--estate",
        str(estate),
    ]
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "NO_COLOR": "1"}
    with pinned_process(command, base + "/powervc/emulator/v1/health", env) as pid:
        api = Api(base)
        ids = populate(api, args.servers)
        print(f"emulator RSS once created: {rss_mb(pid):.0f} MB", flush=True)
        token = ids["admin_token"]
        host = f"127.0.0.1:{port}"
        auth = {"X-Auth-Token": token}
        compute = f"{PREFIX}/compute/v2.1"
        calls = {
            "token validation (GET /v3/auth/tokens)": http_request(
                "GET",
                f"{PREFIX}/identity/v3/auth/tokens",
                host,
                {**auth, "X-Subject-Token": token},
                b"",
            ),
            "token issue (POST /v3/auth/tokens)": http_request(
                "POST",
                f"{PREFIX}/identity/v3/auth/tokens",
                host,
                {"Content-Type": "application/json"},
                json.dumps(password_body("root", "passw0rd", "ibm-default")).encode(),
            ),
            "server show": http_request(
                "GET", f"{compute}/servers/{ids['server']}", host, auth, b""
            ),
            "servers/detail (100 servers)": http_request(
                "GET", f"{compute}/servers/detail", host, auth, b""
            ),
            f"servers/detail?limit=1000 ({args.servers} servers)": http_request(
                "GET", f"{compute}/servers/detail?all_tenants=1&limit=1000", host, auth, b""
            ),
        }
        address = ("127.0.0.1", port)
        results = {
            name: load(name, address, request, args.seconds, args.connections)
            for name, request in calls.items()
        }
        # the page's own latency, with nothing queued before it on the server
        page = f"servers/detail?limit=1000 ({args.servers} servers)"
        alone = f"{page.removesuffix(')')}, 1 in flight)"
        results[alone] = load(alone, address, calls[page], args.seconds, 1)
        memory = rss_mb(pid)
        print(f"emulator RSS with {args.servers} servers: {memory:.0f} MB", flush=True)
    return {"results": results, "rss_mb": memory}


# -- moto ----------------------------------------------------------------------------------------
def moto_python() -> str:
    candidates = [sys.executable, shutil.which("python3") or ""]
    for python in candidates:
        if python and _imports(python, "moto.server, flask"):
            return python
    venv = HERE / ".moto-venv"
    python = str(venv / "bin" / "python")
    if not Path(python).exists() or not _imports(python, "moto.server, flask"):
        print("installing moto[server] into benchmarks/.moto-venv", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "moto[server]"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return python


def _imports(python: str, modules: str) -> bool:
    check = subprocess.run(
        [python, "-c", f"import {modules}"], capture_output=True, stdin=subprocess.DEVNULL
    )
    return check.returncode == 0


def _aws_request(host: str, service: str, params: str) -> bytes:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Authorization": (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/"
            f"{service}/aws4_request, SignedHeaders=host, Signature=0"
        ),
    }
    return http_request("POST", "/", host, headers, params.encode())


def bench_moto(args: argparse.Namespace) -> dict[str, Result]:
    port = _free_port()
    python = moto_python()
    command = [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    base = f"http://127.0.0.1:{port}"
    with pinned_process(command, base + "/moto-api/", env):
        host = f"127.0.0.1:{port}"
        image = "ami-12c6146b"  # one of moto's default AMIs
        run = f"Action=RunInstances&Version=2016-11-15&ImageId={image}&MinCount=100&MaxCount=100"
        _raw_call(port, _aws_request(host, "ec2", run))
        describe = _aws_request(host, "ec2", "Action=DescribeInstances&Version=2016-11-15")
        identity = _aws_request(host, "sts", "Action=GetCallerIdentity&Version=2011-06-15")
        address = ("127.0.0.1", port)
        return {
            "ec2": load(
                "moto EC2 DescribeInstances (100)",
                address,
                describe,
                args.seconds,
                args.connections,
            ),
            "sts": load(
                "moto STS GetCallerIdentity", address, identity, args.seconds, args.connections
            ),
        }


def _raw_call(port: int, request: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        if not data.startswith(b"HTTP/1.1 2"):
            raise RuntimeError(f"moto refused the set-up call: {data[:300]!r}")


# -- report --------------------------------------------------------------------------------------
def page_report(emulator: dict[str, Any], servers: int, connections: int) -> None:
    """The 1,000-server page against server show, both measured in this run."""
    results: dict[str, Result] = emulator["results"]
    show = results["server show"]
    page = results[f"servers/detail?limit=1000 ({servers} servers)"]
    alone = results[f"servers/detail?limit=1000 ({servers} servers, 1 in flight)"]
    print(f"\n== servers/detail?limit=1000 over {servers} servers, against server show")
    for label, result in ((f"{connections} in flight", page), ("1 in flight", alone)):
        print(
            f"  {label:<12} p50 {result.percentile(0.5):7.2f} ms  p99 "
            f"{result.percentile(0.99):7.2f} ms  = "
            f"{result.percentile(0.5) / show.percentile(0.5):5.1f}x server show's p50"
        )
    for label, ok in (
        ("page p50 under 150 ms, 1 in flight", alone.percentile(0.5) < 150),
        (f"page p50 under 150 ms, {connections} in flight", page.percentile(0.5) < 150),
    ):
        print(f"  {'met    ' if ok else 'MISSED '} {label}")


def report(emulator: dict[str, Any], moto: dict[str, Result], servers: int) -> None:
    results: dict[str, Result] = emulator["results"]
    by_prefix = {name.split(" (")[0]: result for name, result in results.items()}
    detail_100 = results["servers/detail (100 servers)"]
    print("\n== ratios (emulator / moto, requests per second)")
    validation = by_prefix["token validation"]
    ratios = {
        "servers/detail (100) / EC2 DescribeInstances (100)": detail_100.rate / moto["ec2"].rate,
        "token validation / STS GetCallerIdentity": validation.rate / moto["sts"].rate,
    }
    for label, ratio in ratios.items():
        print(f"{label:<52} {ratio:6.1f}x")
    print("\n== targets")
    checks = [
        ("token validation >= 1,000 req/s", validation.rate >= 1000),
        ("server show >= 1,000 req/s", by_prefix["server show"].rate >= 1000),
        ("servers/detail >= 10x moto DescribeInstances", detail_100.rate >= 10 * moto["ec2"].rate),
        (f"{servers} servers under 500 MB RSS", emulator["rss_mb"] < 500),
    ]
    for label, ok in checks:
        print(f"  {'met    ' if ok else 'MISSED '} {label}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per call")
    parser.add_argument("--connections", type=int, default=8, help="kept alive, in flight")
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--skip-moto", action="store_true")
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) < 2:
        print("needs 2 cores: one for the server, one for the load generator", file=sys.stderr)
        return 1
    os.sched_setaffinity(0, {CLIENT_CORE})
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        print(f"== emulator (pinned to core {SERVER_CORE}; load on core {CLIENT_CORE})")
        emulator = bench_emulator(args, Path(workdir))
    page_report(emulator, args.servers, args.connections)
    if args.skip_moto:
        return 0
    print("\n== moto server mode (pinned to the same core)")
    moto = bench_moto(args)
    report(emulator, moto, args.servers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
