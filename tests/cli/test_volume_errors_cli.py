"""Errors a person can act on (issue 19), against a started emulator over real HTTP: a volume
that ends in `error` says cinder's reason (its user message), and a cloud without user
messages (404) still says what failed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from powerbridge.client import Session, load_config
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from tests.support.clirun import Shell

pytestmark = pytest.mark.acceptance

BASE = ("--image", "AIX72", "--template", "powervm.small", "--network", "cmbnet1")
NO_BACKEND = "schedule allocate volume: Could not find any available weighted backend."
TOO_BIG = "30000"  # GB: more than the XIV's 20480


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


@pytest.fixture
def sh(
    cloud: RunningEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Shell:
    return Shell(monkeypatch, capsys, cloud.env())


@contextmanager
def behaviour(cloud: RunningEmulator, **rule: Any) -> Iterator[None]:
    """An emulator fault-injection rule for the duration of the block."""
    url = cloud.base_url + "/powervc/emulator/v1/behaviours"

    async def call(method: str, where: str, **kwargs: Any) -> Any:
        async with Session(load_config(environ=cloud.env(), search_path=[])) as session:
            return (await session.request("compute", method, where, **kwargs)).json()

    rule_id = asyncio.run(call("POST", url, json={"behaviour": rule}))["behaviour"]["id"]
    try:
        yield
    finally:

        async def remove() -> None:
            async with Session(load_config(environ=cloud.env(), search_path=[])) as session:
                await session.request("compute", "DELETE", f"{url}/{rule_id}")

        asyncio.run(remove())


def no_messages(cloud: RunningEmulator) -> Any:
    """A cinder without user messages: `GET /messages` answers 404."""
    return behaviour(
        cloud, kind="api", service="volume", method="GET", path_regex="/messages", status=404
    )


# -- a volume in error says why ----------------------------------------------------------------
def test_volume_create_wait_says_cinders_reason(sh: Shell) -> None:
    result = sh("volume", "create", "huge1", "--size", TOO_BIG, "--wait")
    assert result.code == 1
    [line] = result.error_lines
    assert line.startswith(f"error: volume huge1 is error: {NO_BACKEND} (request req-")
    assert "powerbridge volume delete huge1" in result.err
    assert "Traceback" not in result.err


def test_volume_create_wait_json_carries_the_reason(sh: Shell) -> None:
    result = sh("volume", "create", "huge2", "--size", TOO_BIG, "--wait", "-f", "json")
    assert result.code == 1
    assert result.json()["reason"] == NO_BACKEND


def test_without_user_messages_the_line_is_as_before(sh: Shell, cloud: RunningEmulator) -> None:
    with no_messages(cloud):
        result = sh("volume", "create", "huge3", "--size", TOO_BIG, "--wait")
    assert result.code == 1
    [line] = result.error_lines
    assert line.startswith("error: volume huge3 is error (request req-")


def test_server_create_with_a_volume_in_error_says_why(sh: Shell, cloud: RunningEmulator) -> None:
    huge = ("--volume", f"{TOO_BIG}:xiv90 base template")
    result = sh("server", "create", "hugevm", *BASE, *huge)
    assert result.code == 1
    [line] = result.error_lines
    assert "volumes did not become available: " in line
    assert f"failed (error): {NO_BACKEND}" in line
    assert "removed again: volume" in line
    with no_messages(cloud):
        before = sh("server", "create", "hugevm", *BASE, *huge)
    [line] = before.error_lines
    assert "failed (error) (removed again: volume" in line


# -- refusals that say what to do ----------------------------------------------------------------
def test_detaching_from_the_wrong_server_says_where_it_is_attached(sh: Shell) -> None:
    sh.json("volume", "create", "wrongvol", "--size", "1", "--wait")
    sh.json("server", "create", "holder1", *BASE, "--wait")
    sh.json("server", "create", "other1", *BASE, "--wait")
    sh.ok("volume", "attach", "holder1", "wrongvol")
    result = sh("volume", "detach", "other1", "wrongvol")
    assert result.code == 1
    [line] = result.error_lines
    assert line == (
        "error: volume wrongvol is not attached to server other1; it is attached to holder1"
    )
    assert "powerbridge volume detach holder1 wrongvol" in result.err


def test_attaching_a_volume_in_use_says_by_which_server(sh: Shell) -> None:
    sh.json("volume", "create", "busyvol", "--size", "1", "--wait")
    sh.json("server", "create", "busy1", *BASE, "--volume", "1:xiv90 base template", "--wait")
    sh.json("server", "create", "busy2", *BASE, "--wait")
    sh.ok("volume", "attach", "busy1", "busyvol")
    result = sh("volume", "attach", "busy2", "busyvol")
    assert result.code == 1
    [line] = result.error_lines
    assert line == "error: volume busyvol is in use by server busy1 and is not shared (multiattach)"
    assert "powerbridge volume detach busy1 busyvol" in result.err


def test_deleting_an_attached_volume_says_to_whom_and_how_to_detach(sh: Shell) -> None:
    sh.json("volume", "create", "heldvol", "--size", "1", "--wait")
    sh.json("server", "create", "held1", *BASE, "--wait")
    sh.ok("volume", "attach", "held1", "heldvol")
    result = sh("volume", "delete", "heldvol", "--yes")
    assert result.code == 1
    [line] = result.error_lines
    assert line.endswith("; volume heldvol is attached to server held1")
    assert "powerbridge volume detach held1 heldvol" in result.err
