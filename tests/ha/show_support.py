"""Helpers for the show tests: read a lab's cluster as `ha show` does, break it by hand."""

from __future__ import annotations

import asyncio
from typing import Any

from powerbridge.ha.cluster_view import ClusterView
from powerbridge.ha.status import ReadOptions, read_cluster
from tests.emulator.aix.cluster_support import volume_url
from tests.emulator.aix.ssh_support import ssh_run
from tests.ha.cluster_lab import ClusterLab

CONNECT_TIMEOUT = 2.0  # seconds for all nodes together: a refused node costs this once


def read_options(lab: ClusterLab) -> ReadOptions:
    assert lab.aix.running.ssh_config is not None
    return ReadOptions(ssh_configs=(lab.aix.running.ssh_config,), connect_timeout=CONNECT_TIMEOUT)


def show(lab: ClusterLab, name: str = "appha") -> ClusterView:
    """What `ha show NAME` reads now, through the emulator's HTTP and SSH."""
    return lab.run(
        lambda cloud: read_cluster(cloud, lab.store, name, lab.identity, read_options(lab))
    )


def servers(lab: ClusterLab) -> dict[str, dict[str, Any]]:
    """PowerVC's servers by name, as its HTTP API lists them."""
    reply = lab.aix.http.get(f"{lab.aix.compute}/servers/detail")
    assert reply.status_code == 200, reply.text
    return {server["name"]: server for server in reply.json()["servers"]}


def volumes(lab: ClusterLab) -> dict[str, dict[str, Any]]:
    reply = lab.aix.http.get(f"{volume_url(lab.aix)}/volumes/detail")
    assert reply.status_code == 200, reply.text
    return {volume["name"]: volume for volume in reply.json()["volumes"]}


def on_node(lab: ClusterLab, node: str, command: str) -> str:
    """Run `command` as an admin would, over SSH on `node` (by its PowerVC address)."""
    return asyncio.run(run_on(lab, node, command))


async def run_on(lab: ClusterLab, node: str, command: str) -> str:
    address = servers(lab)[node]["addresses"]["cmbnet1"][0]["addr"]
    done = await ssh_run(lab.aix, address, lab.key, command)
    assert done.exit_status == 0, f"{command}: {done.stdout}{done.stderr}"
    return str(done.stdout)
