"""Fixtures for the HA planner's tests: emulators over real HTTP (the default estate, and a
small one with two hosts and a PowerHA 7.1.2 image), cluster specs built directly, and a
plan run against them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from importlib import resources
from typing import Any, TypeVar

import pytest
import yaml

from powerbridge.client import Cloud
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from powerbridge.ha.model import (
    ApplicationSpec,
    ClusterSpec,
    NodeSpec,
    ResourceGroupSpec,
    ScriptSpec,
    ServiceIPSpec,
    SshSpec,
)
from powerbridge.ha.plan import ClusterPlan, plan_cluster

T = TypeVar("T")

FINGERPRINT = "11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00"


@pytest.fixture(scope="module", name="cloud")
def cloud_fixture() -> Iterator[RunningEmulator]:
    """The default estate: three hosts, PowerHA713 and PowerHA72 images."""
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


@pytest.fixture(scope="module", name="small_cloud")
def small_cloud_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """Two hosts only, and an image with PowerHA 7.1.2 (multicast only)."""
    text = resources.files("powerbridge.emulator").joinpath("default_estate.yaml").read_text()
    estate: dict[str, Any] = yaml.safe_load(text)
    estate["hosts"] = estate["hosts"][:2]
    estate["storage_connectivity_groups"] = []
    old = dict(estate["images"][0], name="PowerHA712", properties={"powerha_version": "7.1.2"})
    estate["images"].append(old)
    path = tmp_path_factory.mktemp("estate") / "two-hosts.yaml"
    path.write_text(yaml.safe_dump(estate))
    with running_emulator(EmulatorConfig(port=0, data_dir=None, estate_path=path)) as running:
        yield running


def use(emulator: RunningEmulator, work: Callable[[Cloud], Awaitable[T]]) -> T:
    async def main() -> T:
        async with Cloud.connect(environ=emulator.env()) as connected:
            return await work(connected)

    return asyncio.run(main())


def cluster(name: str, count: int = 2, **changes: Any) -> ClusterSpec:
    """A cluster on the default estate's cmbnet1 (192.168.100.0/24); `changes` replace fields."""
    spec = ClusterSpec(
        name=name,
        nodes=tuple(NodeSpec(f"{name}n{i}") for i in range(1, count + 1)),
        image="PowerHA72",
        template="powervm.small",
        network="cmbnet1",
        ssh=SshSpec(key_pair=f"{name}-key"),
        service_ip=ServiceIPSpec(label=f"{name}svc", address="192.168.100.240"),
        resource_group=ResourceGroupSpec(name=f"{name}_rg"),
        application=ApplicationSpec(
            name=f"{name}_app",
            start=ScriptSpec("/usr/local/bin/start_app", "#!/bin/ksh\nexit 0\n"),
            stop=ScriptSpec("/usr/local/bin/stop_app", "#!/bin/ksh\nexit 0\n"),
        ),
        locations={
            "repository.size_gb": 12,
            "service_ip.address": 9,
            "resource_group": 14,
            "anti_affinity": 20,
            "heartbeat": 21,
            "split_merge": 22,
            "ssh.key_pair": 5,
            "nodes.0": 3,
            "nodes.1": 4,
            "image": 6,
        },
    )
    return replace(spec, **changes)


def plan(
    emulator: RunningEmulator, spec: ClusterSpec, fingerprint: str | None = FINGERPRINT
) -> ClusterPlan:
    async def work(c: Cloud) -> ClusterPlan:
        return await plan_cluster(c, spec, public_key_fingerprint=fingerprint)

    return use(emulator, work)


def counts(emulator: RunningEmulator) -> tuple[int, int, int, int]:
    """Servers, volumes, collocation rules and key pairs the cloud has."""

    async def work(c: Cloud) -> tuple[int, int, int, int]:
        servers = await c.compute.servers()
        volumes = await c.volume.volumes()
        rules = await c.powervc.collocation_rules()
        pairs = await c.compute.keypairs()
        return len(servers), len(volumes), len(rules), len(pairs)

    return use(emulator, work)


def codes(result: ClusterPlan) -> list[str]:
    return [finding.code for finding in result.blocks]
