"""One emulator over real HTTP for a module's deploy and CLI tests, and a `Shell` on it.

The fixtures are named `cloud`, `store_path` (the test's own job store) and `sh` (which
needs the other two); a test module imports all three:

    from tests.support.deploy_lab import (  # noqa: F401
        cloud_fixture,
        sh_fixture,
        store_path_fixture,
    )
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from powerbridge.client import Session, load_config
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from tests.support.clirun import Shell

T = TypeVar("T")


@pytest.fixture(scope="module", name="cloud")
def cloud_fixture() -> Iterator[RunningEmulator]:
    """An emulator with the default estate, shared by the module's tests."""
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


@pytest.fixture(name="store_path")
def store_path_fixture(tmp_path: Path) -> Path:
    """The test's own job store (`POWERBRIDGE_STORE` for `sh`)."""
    return tmp_path / "jobs.sqlite"


@pytest.fixture(name="sh")
def sh_fixture(
    cloud: RunningEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    store_path: Path,
) -> Shell:
    """`powerbridge` against `cloud`, with the test's own job store."""
    shell = Shell(monkeypatch, capsys, cloud.env())
    shell.set({"POWERBRIDGE_STORE": str(store_path)})
    return shell


def api(cloud: RunningEmulator, use: Callable[[Session], Awaitable[T]]) -> T:
    """`use` run with a client session on `cloud` (as the deployer's own calls are made)."""

    async def main() -> T:
        async with Session(load_config(environ=cloud.env(), search_path=[])) as session:
            return await use(session)

    return asyncio.run(main())
