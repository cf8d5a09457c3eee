"""The demo's flow: what PowerVC administrators script by hand, done by powerbridge.

Authenticate, read the inventory, then plan and apply the bundled pipe-format spec (data
volumes from a storage template, VMs deployed with them through `block_device_mapping_v2`,
one list call per tick, a summary), follow a deploy that PowerVC accepted (202) but failed
later down to its fault and its log lines, then build a PowerHA cluster and fail it over
(`demo_ha`).
"""

from __future__ import annotations

import asyncio
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from powerbridge.client import Cloud, Session

MAX_MEM_SPECS = {"powervm:min_mem": "2048", "powervm:max_mem": "8192"}


EXAMPLE_SPEC = "two-vms.pipe"  # shipped in powerbridge/examples


def say(text: str) -> None:
    typer.echo(text)


def example_spec() -> Path:
    return Path(str(resources.files("powerbridge") / "examples" / EXAMPLE_SPEC))


async def run_flow(
    env: dict[str, str], log_dir: Path, store_path: Path, ssh_config: Path, folder: Path
) -> int:
    """The demo; returns its exit status (3 when a VM of the example failed, 1 when the
    cluster did not build or fall over). `ssh_config` reaches the emulator's AIX nodes;
    `folder` is the demo's scratch data dir (the cluster's throwaway key goes there)."""
    from powerbridge.cli.demo_ha import run_cluster
    from powerbridge.client import Cloud, load_config

    async with Cloud.connect(config=load_config(environ=env, search_path=[])) as cloud:
        token = await cloud.session.authenticate()
        say(f"Authenticated as {token.user_name} in project {token.project_name}.")
        ids = await _inventory(cloud.session)
        status = await _deploy_example(cloud, store_path)
        await _failing_deploy(cloud.session, ids, log_dir)
        cluster_status = await run_cluster(cloud, ssh_config, folder, store_path)
    return status or cluster_status


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
        "network": _named(networks, "cmbnet1")["id"],
    }


async def _deploy_example(cloud: Cloud, store_path: Path) -> int:
    """Plan and apply the bundled pipe-format spec, as `powerbridge deploy apply` does."""
    from powerbridge.cli.deploy_view import LiveProgress, show_plan, show_report
    from powerbridge.cli.output import OutputFormat
    from powerbridge.deploy import load_spec
    from powerbridge.deploy.apply import apply_plan
    from powerbridge.deploy.service import prepare, start_job
    from powerbridge.jobs import JobStore

    spec_path = example_spec()
    say(f"Deploying the example spec {EXAMPLE_SPEC} (PowerVC's deploycli format):")
    for line in spec_path.read_text(encoding="utf-8").splitlines():
        say(f"  {line}")
    prepared = await prepare(cloud, load_spec(spec_path))
    show_plan(prepared.plan, OutputFormat.table)
    store = JobStore.open(str(store_path))
    try:
        job = start_job(store, prepared.plan, resume=False, source=EXAMPLE_SPEC)
        with LiveProgress(stream=sys.stdout) as progress:
            report = await apply_plan(
                cloud, prepared.plan, prepared.view, store, job, progress=progress.event
            )
    finally:
        store.close()
    show_report(report, OutputFormat.table)
    return report.exit_code


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
    server = await _wait_for_end(session, response.json()["server"]["id"])
    say(f"  fault: {server['fault']['message']}")
    say(f"  log lines with {request_id}:")
    for path in sorted(log_dir.rglob("*.log")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if request_id in line:
                say(f"    {path.relative_to(log_dir)}: {_without_context(line)}")


async def _wait_for_end(session: Session, server_id: str) -> dict[str, Any]:
    """Poll the one server until ACTIVE or ERROR, printing each state change."""
    seen = None
    while True:
        server = (await _json(session, "compute", f"/servers/{server_id}"))["server"]
        state = server["OS-EXT-STS:task_state"] or server["status"]
        if state != seen:
            seen = state
            say(f"  {server['name']:10s} {state}")
        if server["status"] in ("ACTIVE", "ERROR"):
            return dict(server)
        await asyncio.sleep(0.2)


def _without_context(line: str) -> str:
    """`date time pid LEVEL module [req user project - - -] message` -> `LEVEL module message`."""
    head, _, message = line.partition("] ")
    fields = head.split(" ")
    level_and_module = " ".join(fields[3:5]) if len(fields) > 4 else head
    return f"{level_and_module}: {message}"[:200]
