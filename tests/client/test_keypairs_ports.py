"""Nova key pairs and Neutron ports through the SDK against a started emulator (real HTTP)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from powerbridge.client import BadRequest, Cloud, Conflict, HttpError, NotFound
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator

T = TypeVar("T")


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None, clock="instant")) as running:
        yield running


def use(emulator: RunningEmulator, work: Callable[[Cloud], Awaitable[T]]) -> T:
    async def main() -> T:
        async with Cloud.connect(environ=emulator.env()) as connected:
            return await work(connected)

    return asyncio.run(main())


def public_key_line() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    raw = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return raw.decode() + " test@powerbridge"


def test_keypair_created_listed_shown_deleted(cloud: RunningEmulator) -> None:
    line = public_key_line()

    async def work(c: Cloud) -> None:
        made = await c.compute.create_keypair("ha-key", line)
        assert made.name == "ha-key"
        assert made.public_key.split()[:2] == line.split()[:2]
        assert len(made.fingerprint.split(":")) == 16  # nova's MD5, colon hex
        assert "ha-key" in {pair.name for pair in await c.compute.keypairs()}
        shown = await c.compute.keypair("ha-key")
        assert shown.fingerprint == made.fingerprint
        with pytest.raises(Conflict):
            await c.compute.create_keypair("ha-key", line)
        await c.compute.delete_keypair("ha-key")
        with pytest.raises(NotFound):
            await c.compute.keypair("ha-key")
        with pytest.raises(NotFound):
            await c.compute.delete_keypair("ha-key")

    use(cloud, work)


def test_keypair_refuses_a_key_that_is_not_one(cloud: RunningEmulator) -> None:
    async def work(c: Cloud) -> None:
        with pytest.raises(BadRequest):
            await c.compute.create_keypair("broken", "ssh-ed25519 not-base64!")

    use(cloud, work)


def test_port_reserves_an_address_until_deleted(cloud: RunningEmulator) -> None:
    async def work(c: Cloud) -> None:
        net = await c.network.find_network("cmbnet1")
        port = await c.network.create_port(
            net.id, name="svc", fixed_ip="192.168.100.200", description="service IP"
        )
        assert port.ips == ("192.168.100.200",)
        assert port.name == "svc"
        holders = await c.network.ports(fixed_ip="192.168.100.200")
        assert [p.id for p in holders] == [port.id]
        with pytest.raises(HttpError) as taken:
            await c.network.create_port(net.id, name="again", fixed_ip="192.168.100.200")
        assert taken.value.status == 409
        picked = await c.network.create_port(net.id, name="any")
        assert picked.ips[0].startswith("192.168.100.")
        await c.network.delete_port(port.id)
        await c.network.delete_port(picked.id)
        assert not await c.network.ports(fixed_ip="192.168.100.200")
        with pytest.raises(NotFound):
            await c.network.delete_port(port.id)

    use(cloud, work)
