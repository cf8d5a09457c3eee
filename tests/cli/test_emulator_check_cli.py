"""`powerbridge emulator check`: a stopped emulator's state checked; a dir with no state is
one error line naming the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.clirun import Shell


def test_check_of_a_stopped_emulators_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Emulator(EmulatorConfig(data_dir=tmp_path / "data")).close()  # seeded, then stopped
    shell = Shell(monkeypatch, capsys)
    result = shell.ok("emulator", "check", "--data", str(tmp_path / "data"))
    assert result.out == "the state is sound\n"


def test_check_of_a_dir_without_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = Shell(monkeypatch, capsys)("emulator", "check", "--data", str(tmp_path))
    assert result.code != 0
    assert result.error_lines == [f"error: {tmp_path} holds no emulator state (emulator.sqlite)"]
    assert "Traceback" not in result.err
