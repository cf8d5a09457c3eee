"""One emulator over real HTTP for a module's deploy and CLI tests, and a `Shell` on it.

Import the fixtures into a test module (they are named `cloud` and `sh`):
`from tests.support.deploy_lab import cloud_fixture, sh_fixture  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from tests.support.clirun import Shell


@pytest.fixture(scope="module", name="cloud")
def cloud_fixture() -> Iterator[RunningEmulator]:
    """An emulator with the default estate, shared by the module's tests."""
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


@pytest.fixture(name="sh")
def sh_fixture(
    cloud: RunningEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Shell:
    """`powerbridge` against `cloud`, with the test's own job store."""
    shell = Shell(monkeypatch, capsys, cloud.env())
    shell.set({"POWERBRIDGE_STORE": str(tmp_path / "jobs.sqlite")})
    return shell
