"""`powerbridge emulator start --ssh-ports` and `env`'s POWERBRIDGE_SSH_CONFIG."""

from __future__ import annotations

from pathlib import Path

from powerbridge.cli import emulator as cli
from powerbridge.emulator.config import DEFAULT_SSH_PORTS
from tests.support.cli_process import run_cli


def test_the_cli_default_range_is_the_emulators() -> None:
    assert "-".join(str(port) for port in DEFAULT_SSH_PORTS) == cli.DEFAULT_SSH_PORTS


def test_env_exports_the_ssh_config_of_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    started = run_cli(
        "emulator", "start", "--detach", "--port", "0", "--ssh-ports", "0", "--data", str(data)
    )
    try:
        assert started.returncode == 0, started.stderr
        assert f"ssh -F {data / 'ssh' / 'config'}" in started.stdout
        env = run_cli("emulator", "env", "--data", str(data))
        assert env.returncode == 0, env.stderr
        assert f"export POWERBRIDGE_SSH_CONFIG={data / 'ssh' / 'config'}\n" in env.stdout
        assert (data / "ssh" / "config").read_text().startswith("# Written by")
    finally:
        run_cli("emulator", "stop", "--data", str(data))


def test_bad_ssh_port_ranges_are_usage_errors() -> None:
    for text in ("22999-22000", "abc", "0-70000", "-5"):
        result = run_cli("emulator", "start", "--ssh-ports", text, "--data", ":memory:")
        assert result.returncode == 2, text
        assert "--ssh-ports" in result.stderr
