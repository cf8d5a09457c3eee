"""`powerbridge portal`: registered lazily (the top-level help imports no FastAPI), and a
start that cannot work is one error line, no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.clirun import Shell


def test_the_help_lists_portal_without_importing_it() -> None:
    code = (
        "import sys\n"
        "from powerbridge.cli.main import invoke\n"
        "invoke(['--help'])\n"
        "names = ('fastapi', 'powerbridge.portal')\n"
        "print('LOADED', [m for m in sys.modules if m.startswith(names)])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "LOADED []" in result.stdout
    assert "portal" in result.stdout


def test_the_command_has_its_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = Shell(monkeypatch, capsys)("portal", "--help")
    assert result.code == 0
    for option in ("--host", "--port", "--store", "--os-cloud", "--emulator", "--data-dir"):
        assert option in result.out


def test_an_unknown_cloud_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "clouds.yaml").write_text("clouds: {}\n")
    shell = Shell(monkeypatch, capsys)
    shell.set({"OS_CLIENT_CONFIG_FILE": str(tmp_path / "clouds.yaml")})
    result = shell("portal", "--os-cloud", "nosuch", "--data-dir", str(tmp_path / "d"))
    assert result.code == 1
    [line] = result.error_lines
    assert "nosuch" in line
    assert "Traceback" not in result.err
    assert "hint: name a cloud with --os-cloud, or use --emulator" in result.err


def test_both_a_cloud_and_the_emulator_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = Shell(monkeypatch, capsys)("portal", "--emulator", "--os-cloud", "pvc")
    assert result.code == 1
    assert result.error_lines == ["error: give --os-cloud or --emulator, not both"]


def test_a_port_in_use_or_out_of_range_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shell = Shell(monkeypatch, capsys)
    data = ("--data-dir", str(tmp_path / "d"), "--store", str(tmp_path / "jobs.db"))
    assert shell("portal", "--emulator", "--port", "99999", *data).code == 2
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        result = shell("portal", "--emulator", "--port", port, *data)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert any(f"cannot listen on 127.0.0.1:{port}" in line for line in result.error_lines)
    assert "hint: choose another --host / --port" in result.err


def test_a_cloud_named_twice_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = Shell(monkeypatch, capsys)(
        "portal", "--os-cloud", "site-a", "--os-cloud", "site-a", "--data-dir", str(tmp_path)
    )
    assert result.code == 1
    assert result.error_lines == ["error: --os-cloud site-a is named twice"]
    assert "hint: name each once" in result.err


def test_each_cloud_named_must_be_in_clouds_yaml(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    entry = "{auth: {auth_url: 'http://127.0.0.1:1/v3', username: u, password: p, project_name: p}}"
    (tmp_path / "clouds.yaml").write_text(f"clouds:\n  site-a: {entry}\n")
    shell = Shell(monkeypatch, capsys)
    shell.set({"OS_CLIENT_CONFIG_FILE": str(tmp_path / "clouds.yaml")})
    result = shell("portal", "--os-cloud", "site-a", "--os-cloud", "site-b")
    assert result.code == 1
    [line] = result.error_lines
    assert "site-b" in line
    assert "clouds there: site-a" in line
    assert "Traceback" not in result.err
