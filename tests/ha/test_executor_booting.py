"""The executor on a manual clock: a connect waits out an LPAR's boot, a command waiting on
the clock runs past its timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from powerbridge.ha.executor import CommandTimedOut, NodeExecutor, NodeUnreachable
from tests.emulator.aix.ssh_support import (
    ClientKey,
    Lab,
    advance_until,
    client_key,
    lab,
    lab_config,
)
from tests.ha.node_access_support import KEY_PAIR, deadline, executor, key_identity


@pytest.fixture
def key(tmp_path: Path) -> ClientKey:
    return client_key(tmp_path)


@pytest.fixture
def booting(tmp_path: Path, key: ClientKey) -> Iterator[tuple[Lab, str]]:
    """A manual-clock lab whose `hanode1` is ACTIVE and still booting: (lab, its address)."""
    with lab(lab_config(None, tmp_path / "logs", clock="manual")) as aix:
        assert aix.create_keypair(KEY_PAIR, key.public).status_code in (200, 201)
        server_id = aix.create_server("hanode1", key_name=KEY_PAIR).json()["server"]["id"]
        advance_until(aix, server_id, "ACTIVE")
        yield aix, aix.address(aix.server(server_id))


def boot_seconds(aix: Lab) -> float:
    return float(aix.running.emulator.aix.timing("aix_boot", 30))


def test_connect_waits_while_the_lpar_boots(
    booting: tuple[Lab, str], key: ClientKey, tmp_path: Path
) -> None:
    aix, address = booting

    async def scenario() -> NodeExecutor:
        async with executor(aix, key_identity(key, tmp_path)) as nodes:
            connecting = asyncio.create_task(nodes.connect("hanode1", address, deadline=deadline()))
            await asyncio.sleep(0.6)  # a few refused attempts
            assert not connecting.done()
            await asyncio.to_thread(aix.advance, boot_seconds(aix))
            await connecting
            assert (await nodes.run("hanode1", "hostname")).stdout == "hanode1\n"
            return nodes

    assert asyncio.run(scenario()).connections_opened == 1


def test_a_node_still_booting_at_the_deadline_is_unreachable(
    booting: tuple[Lab, str], key: ClientKey, tmp_path: Path
) -> None:
    aix, address = booting

    async def scenario() -> None:
        async with executor(aix, key_identity(key, tmp_path)) as nodes:
            await nodes.connect("hanode1", address, deadline=deadline(0.6))

    with pytest.raises(NodeUnreachable) as unreachable:
        asyncio.run(scenario())
    # no ssh/config block for it yet: what the address answers (refused, reset) is the reason
    assert unreachable.value.reason in ("connection refused", "connection reset", "timed out")
    assert f"(last: {unreachable.value.reason})" in str(unreachable.value)
    assert str(unreachable.value).startswith(f"node hanode1 ({address}) did not answer SSH")


def test_a_command_past_its_timeout(
    booting: tuple[Lab, str], key: ClientKey, tmp_path: Path
) -> None:
    aix, address = booting
    aix.advance(boot_seconds(aix))

    async def scenario() -> NodeExecutor:
        async with executor(aix, key_identity(key, tmp_path), command_timeout=0.5) as nodes:
            await nodes.connect("hanode1", address, deadline=deadline())
            with pytest.raises(CommandTimedOut) as late:
                await nodes.run("hanode1", "sleep 100")  # the manual clock never gets there
            assert (late.value.node, late.value.command, late.value.seconds) == (
                "hanode1",
                "sleep 100",
                0.5,
            )
            assert "within 0.5 s" in str(late.value)
            with pytest.raises(CommandTimedOut):
                await nodes.run("hanode1", "sleep 100", timeout=0.2)
            assert (await nodes.run("hanode1", "hostname")).ok  # the connection still serves
            return nodes

    assert asyncio.run(scenario()).connections_opened == 1
