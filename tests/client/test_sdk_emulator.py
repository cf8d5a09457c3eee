"""The SDK against a started emulator (real HTTP): every service's records, a provisioned VM
with volumes, the waiter with a real clock, the sync facade."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import pytest

from powerbridge.client import (
    Cloud,
    InvalidTemplate,
    NewVolume,
    ProvisionFailed,
    ServerOrder,
    StateChange,
    provision,
    resolve,
    sync,
    wait_for_servers,
)
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator

pytestmark = pytest.mark.acceptance
T = TypeVar("T")


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    config = EmulatorConfig(port=0, data_dir=None, clock="real", speed=20.0)
    with running_emulator(config) as running:
        yield running


def use(emulator: RunningEmulator, work: Callable[[Cloud], Awaitable[T]]) -> T:
    async def main() -> T:
        async with Cloud.connect(environ=emulator.env()) as connected:
            return await work(connected)

    return asyncio.run(main())


def test_inventory_records(cloud: RunningEmulator) -> None:
    async def work(c: Cloud) -> None:
        assert "AIX72" in {i.name for i in await c.image.images()}
        templates = {t.name: t for t in await c.compute.templates()}
        assert templates["powervm.tiny"].powervm is not None
        networks = await c.network.networks()
        assert {n.name for n in networks} >= {"cmbnet1", "mgmtnet"}
        subnets = await c.network.subnets(network_id=networks[0].id)
        assert subnets[0].network_id == networks[0].id
        assert {t.name for t in await c.volume.storage_templates()} >= {"xiv90 base template"}
        hosts = await c.powervc.hosts()
        assert len(hosts) == 3
        assert all(h.memory_mb > 0 for h in hosts)
        assert await c.powervc.host_groups()
        scgs = await c.powervc.storage_connectivity_groups()
        assert {s.name for s in scgs} >= {"rack1 NPIV"}
        assert isinstance(await c.powervc.collocation_rules(), list)

    use(cloud, work)


def test_provision_waits_and_reports_every_change(cloud: RunningEmulator) -> None:
    changes: list[StateChange] = []

    async def work(c: Cloud) -> None:
        order = ServerOrder(
            name="sdkvm",
            image="PowerHA713",
            template="powervm.tiny",
            networks=(("cmbnet1", None),),
            new_volumes=(NewVolume(1, "xiv90 base template"),),
        )
        done = await provision(c, await resolve(c, order), interval=0.1)
        assert done.server.request_id is not None
        outcomes = await wait_for_servers(
            c.compute, [done.server.id], interval=0.1, timeout=60, on_change=changes.append
        )
        outcome = outcomes[done.server.id]
        assert outcome.ok
        server = await c.compute.server(done.server.id)
        assert server.volume_ids == (done.volumes[0].id,)
        actions = await c.compute.instance_actions(server.id)
        assert actions[-1].request_id == done.server.request_id

    use(cloud, work)
    states = [c.state for c in changes]
    assert states[-1] == "ACTIVE"
    assert len(states) >= 3  # BUILD (...) steps seen on the way


def test_refusals(cloud: RunningEmulator) -> None:
    async def work(c: Cloud) -> None:
        bad = ServerOrder("sdkbad", "AIX72", "powervm.small", overrides={"powervm:max_mem": "1024"})
        with pytest.raises(InvalidTemplate) as broken:
            await resolve(c, bad)
        assert broken.value.violations[0].field == "ram"
        before = {v.id for v in await c.volume.volumes()}
        refused = ServerOrder(
            "sdkrefused",
            "AIX72",
            "powervm.tiny",
            networks=(("cmbnet1", "10.99.99.99"),),  # outside the subnet: refused
            new_volumes=(NewVolume(1, "xiv90 base template"),),
        )
        with pytest.raises(ProvisionFailed) as failed:
            await provision(c, await resolve(c, refused), interval=0.1)
        assert failed.value.cleaned_up
        assert not failed.value.left_behind
        await asyncio.sleep(0.2)  # the deletes finish on the emulator's clock
        after = {v.id for v in await c.volume.volumes() if v.status != "deleting"}
        assert after == before

    use(cloud, work)


def test_sync_facade(cloud: RunningEmulator) -> None:
    with sync.connect(environ=cloud.env()) as blocking:
        images = blocking.image.images()
        assert "AIX72" in {i.name for i in images}
        template = blocking.compute.find_template("powervm.small")
        assert template.ram == 4096
        token = blocking.run(blocking.async_cloud.session.authenticate())
        assert token.project_name == "ibm-default"
