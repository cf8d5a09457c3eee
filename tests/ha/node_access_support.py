"""Helpers for the node access tests: a lab of AIX nodes with the test key authorised, an
identity for that key, an executor reading the emulator's ssh/config, a real ssh-agent."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from powerbridge.ha.executor import NodeExecutor
from powerbridge.ha.identity import Identity, load_identity
from tests.emulator.aix.ssh_support import ClientKey, Lab

E = TypeVar("E", bound=BaseException)
KEY_PAIR = "lab"
SOON = 30.0  # seconds a test waits at most for the emulator to follow a rule (loaded CI)


def key_identity(key: ClientKey, home: Path) -> Identity:
    return load_identity(None, str(key.path), env={}, home=home, interactive=False)


def executor(aix: Lab, identity: Identity, **options: Any) -> NodeExecutor:
    """An executor reaching the lab's nodes through the emulator's ssh/config, as written."""
    assert aix.running.ssh_config is not None
    return NodeExecutor(identity, ssh_configs=[aix.running.ssh_config], **options)


def deploy_nodes(aix: Lab, key: ClientKey, names: tuple[str, ...]) -> dict[str, str]:
    """The named PowerHA servers with `key` authorised, up: node -> its address."""
    assert aix.create_keypair(KEY_PAIR, key.public).status_code in (200, 201)
    addresses = {}
    for name in names:
        server = aix.deploy(name, key_name=KEY_PAIR)
        aix.wait_node(str(server["id"]))
        addresses[name] = aix.address(server)
    return addresses


def deadline(seconds: float = SOON) -> float:
    return time.monotonic() + seconds


async def until_raises(attempt: Callable[[], Awaitable[object]], kind: type[E]) -> E:
    """`attempt()` again until it raises `kind` (the emulator swaps a listener meanwhile)."""
    limit = deadline()
    while True:
        try:
            await attempt()
        except kind as raised:
            return raised
        assert time.monotonic() < limit, f"never raised {kind.__name__}"
        await asyncio.sleep(0.05)


@contextmanager
def ssh_agent(directory: Path) -> Iterator[str]:
    """A real ssh-agent on a socket in `directory`, stopped afterwards; yields the socket."""
    program = shutil.which("ssh-agent")
    if program is None:
        pytest.fail("ssh-agent is not installed: apt-get install openssh-client")
    socket_path = directory / "agent.sock"
    agent = subprocess.Popen([program, "-D", "-a", str(socket_path)], stdout=subprocess.DEVNULL)
    try:
        limit = deadline()
        while not socket_path.exists():
            assert time.monotonic() < limit, "ssh-agent never opened its socket"
            time.sleep(0.02)
        yield str(socket_path)
    finally:
        agent.terminate()
        agent.wait(timeout=10)


def ssh_add(socket_path: str, key_file: Path) -> None:
    program = shutil.which("ssh-add")
    if program is None:
        pytest.fail("ssh-add is not installed: apt-get install openssh-client")
    env = {**os.environ, "SSH_AUTH_SOCK": socket_path}
    done = subprocess.run(
        [program, str(key_file)], env=env, capture_output=True, text=True, timeout=10, check=False
    )
    assert done.returncode == 0, done.stderr
