"""The demo's flow: what PowerVC administrators script by hand, through the client SDK.

Authenticate, read the inventory, create data volumes from a storage template, deploy VMs with
them through `block_device_mapping_v2`, wait with one list call per tick, and follow a deploy
that PowerVC accepted (202) but failed later down to its fault and its log lines.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from powerbridge.client import Session

MAX_MEM_SPECS = {"powervm:min_mem": "2048", "powervm:max_mem": "8192"}


@dataclass
class DemoVm:
    name: str
    volume_gb: int
    shared: bool = False


EXAMPLE = (DemoVm("testvm3", 3), DemoVm("testvm4", 2, shared=True))


def say(text: str) -> None:
    typer.echo(text)


async def run_flow(env: dict[str, str], log_dir: Path) -> None:
    from powerbridge.client import Session, load_config

    async with Session(load_config(environ=env)) as session:
        token = await session.authenticate()
        say(f"Authenticated as {token.user_name} in project {token.project_name}.")
        ids = await _inventory(session)
        rows = await _deploy_example(session, ids)
        _summary(rows)
        await _failing_deploy(session, ids, log_dir)


async def _json(session: Session, service: str, path: str) -> Any:
    return (await session.request(service, "GET", path)).json()


def _named(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(row for row in rows if row["name"] == name)


async def _inventory(session: Session) -> dict[str, Any]:
    images = (await _json(session, "image", "/v2/images"))["images"]
    flavors = (await _json(session, "compute", "/flavors/detail"))["flavors"]
    networks = (await _json(session, "network", "/v2.0/networks"))["networks"]
    types = (await _json(session, "volumev3", "/types"))["volume_types"]
    say("Inventory:")
    say(f"  images             {', '.join(i['name'] for i in images)}")
    say(f"  compute templates  {', '.join(f['name'] for f in flavors)}")
    say(f"  networks           {', '.join(n['name'] for n in networks)}")
    say(f"  storage templates  {', '.join(t['name'] for t in types)}")
    return {
        "image": _named(images, "PowerHA713")["id"],
        "flavor": _named(flavors, "powervm.small")["id"],
        "network": _named(networks, "cmbnet1")["id"],
        "storage_template": "xiv90 base template",
    }


async def _create_volume(
    session: Session, name: str, size: int, shared: bool, template: str
) -> str:
    body = {"volume": {"name": name, "size": size, "volume_type": template, "multiattach": shared}}
    response = await session.request("volumev3", "POST", "/volumes", json=body)
    volume_id: str = response.json()["volume"]["id"]
    while (await _json(session, "volumev3", f"/volumes/{volume_id}"))["volume"][
        "status"
    ] == "creating":
        await asyncio.sleep(0.1)
    return volume_id


async def _deploy_example(session: Session, ids: dict[str, Any]) -> list[dict[str, Any]]:
    say("Creating volumes and deploying " + ", ".join(vm.name for vm in EXAMPLE) + " ...")
    started = time.monotonic()
    servers: dict[str, tuple[str, str]] = {}
    for vm in EXAMPLE:
        prefix = "wzq-shared" if vm.shared else f"wzq-{vm.name}"
        volume_id = await _create_volume(
            session, f"{prefix}-1", vm.volume_gb, vm.shared, ids["storage_template"]
        )
        body = {
            "server": {
                "name": vm.name,
                "imageRef": ids["image"],
                "flavorRef": ids["flavor"],
                "networks": [{"uuid": ids["network"]}],
                "block_device_mapping_v2": [
                    {
                        "uuid": volume_id,
                        "source_type": "volume",
                        "destination_type": "volume",
                        "boot_index": -1,
                    }
                ],
            }
        }
        response = await session.request("compute", "POST", "/servers", json=body)
        servers[response.json()["server"]["id"]] = (vm.name, volume_id)
    final = await _wait(session, set(servers))
    rows = []
    for server_id, (name, volume_id) in servers.items():
        server = final[server_id]
        addresses = [a["addr"] for net in server["addresses"].values() for a in net]
        rows.append(
            {
                "name": name,
                "status": server["status"],
                "host": server.get("OS-EXT-SRV-ATTR:host"),
                "ips": addresses,
                "volume": volume_id[:8],
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    return rows


async def _wait(session: Session, pending: set[str]) -> dict[str, dict[str, Any]]:
    """Watch all servers with one list call per tick, printing each state change."""
    seen: dict[str, str] = {}
    final: dict[str, dict[str, Any]] = {}
    while pending:
        rows = (await _json(session, "compute", "/servers/detail"))["servers"]
        for server in rows:
            if server["id"] not in pending:
                continue
            state = server["OS-EXT-STS:task_state"] or server["status"]
            if seen.get(server["id"]) != state:
                seen[server["id"]] = state
                say(f"  {server['name']:10s} {state}")
            if server["status"] in ("ACTIVE", "ERROR"):
                pending.discard(server["id"])
                final[server["id"]] = server
        await asyncio.sleep(0.2)
    return final


def _summary(rows: list[dict[str, Any]]) -> None:
    from powerbridge.cli.output import OutputFormat, render

    render(
        rows,
        OutputFormat.table,
        columns=["name", "status", "host", "ips", "volume", "seconds"],
        title="Deployed",
    )


async def _failing_deploy(session: Session, ids: dict[str, Any], log_dir: Path) -> None:
    say("Deploying 'toobig' with an inline flavor whose ram is above powervm:max_mem ...")
    body = {
        "server": {
            "name": "toobig",
            "imageRef": ids["image"],
            "networks": [{"uuid": ids["network"]}],
            "flavor": {"ram": 10240, "vcpus": 2, "disk": 20, "extra_specs": MAX_MEM_SPECS},
        }
    }
    response = await session.request("compute", "POST", "/servers", json=body)
    request_id = response.headers.get("x-openstack-request-id", "")
    say(f"  accepted: HTTP {response.status_code}, request {request_id}")
    final = await _wait(session, {response.json()["server"]["id"]})
    server = next(iter(final.values()))
    say(f"  fault: {server['fault']['message']}")
    say(f"  log lines with {request_id}:")
    for path in sorted(log_dir.rglob("*.log")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if request_id in line:
                say(f"    {path.relative_to(log_dir)}: {_without_context(line)}")


def _without_context(line: str) -> str:
    """`date time pid LEVEL module [req user project - - -] message` -> `LEVEL module message`."""
    head, _, message = line.partition("] ")
    fields = head.split(" ")
    level_and_module = " ".join(fields[3:5]) if len(fields) > 4 else head
    return f"{level_and_module}: {message}"[:200]
