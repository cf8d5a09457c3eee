"""How the cloud commands are put together: lazy loading (fast start-up), the --os-* options,
the progress line, and the import boundary (no emulator in client or cloud commands)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from powerbridge.cli.cloud import CloudArgs
from powerbridge.cli.errors import UsageProblem
from powerbridge.cli.progress import Progress
from powerbridge.client import StateChange

CLI = Path(__file__).parents[2] / "src" / "powerbridge" / "cli"
# the emulator group itself (emulator_services.py: its `services` command; emulator_backup.py:
# `backup`, `restore`; emulator_check.py: `check`) and the demo
STARTS_THE_EMULATOR = {
    "emulator.py",
    "emulator_services.py",
    "emulator_backup.py",
    "emulator_check.py",
    "demo.py",
}


def test_help_imports_neither_the_client_nor_the_command_groups() -> None:
    code = (
        "import sys\n"
        "from powerbridge.cli.main import invoke\n"
        "invoke(['--help'])\n"
        "loaded = [m for m in sys.modules if m.startswith(('httpx', 'powerbridge.client',"
        " 'powerbridge.cli.server', 'powerbridge.cli.inventory', 'powerbridge.cli.diagnose'))]\n"
        "print('LOADED', loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "LOADED []" in result.stdout
    for group in ("image", "template", "server", "volume", "diagnose", "host-group", "scg"):
        assert group in result.stdout


def test_a_command_of_one_group_does_not_import_the_emulator_commands() -> None:
    code = (
        "import sys\n"
        "from powerbridge.cli.main import invoke\n"
        "invoke(['image', 'list', '--help'])\n"
        "print('LOADED', [m for m in sys.modules if m.startswith('powerbridge.cli.emulator')])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "LOADED []" in result.stdout
    assert "--format" in result.stdout


def test_every_group_has_its_commands() -> None:
    from tests.support.clirun import invoke

    for group in ("image", "template", "network", "storage-template", "scg", "host"):
        assert invoke([group, "list", "--help"]) == 0
        assert invoke([group, "show", "--help"]) == 0
    for command in ("list", "show", "create", "delete", "rename", "start", "stop"):
        assert invoke(["server", command, "--help"]) == 0
    for command in ("list", "show", "create", "delete", "attach", "detach"):
        assert invoke(["volume", command, "--help"]) == 0
    assert invoke(["diagnose", "--help"]) == 0
    assert invoke(["server", "no-such-command"]) == 2


def test_cloud_args_become_config_overrides() -> None:
    args = CloudArgs(os_cloud="pvc", os_region_name="RegionTwo", os_cacert="/ca.pem")
    assert args.overrides() == {"region_name": "RegionTwo", "cacert": "/ca.pem"}
    assert CloudArgs(insecure=True).overrides() == {"verify": False}
    with pytest.raises(UsageProblem):
        CloudArgs(os_cacert="/ca.pem", insecure=True).overrides()


def change(name: str, status: str, task: str | None, elapsed: float) -> StateChange:
    return StateChange(name, name, status, task, None, None, elapsed)


def test_progress_plain_lines_without_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress("server", stream=stream, live=False)
    progress.change(change("vm1", "BUILD", "spawning", 3.2))
    progress.tick(1, 4.0)
    progress.change(change("vm1", "ACTIVE", None, 65.0))
    progress.finish()
    assert stream.getvalue() == "vm1: BUILD (spawning) (3s)\nvm1: ACTIVE (1m05s)\n"


def test_progress_live_line_is_rewritten() -> None:
    stream = io.StringIO()
    progress = Progress("server", stream=stream, live=True)
    progress.change(change("vm1", "BUILD", "spawning", 1.0))
    progress.change(change("vm2", "BUILD", "networking", 1.0))
    progress.tick(2, 2.0)
    progress.finish()
    text = stream.getvalue()
    assert text.count("\r") == 3
    assert "\rserver vm1: BUILD (spawning)  1s" in text
    assert "2 servers: 1 BUILD (networking), 1 BUILD (spawning)  2s" in text
    assert text.endswith("\n")


def test_cloud_commands_do_not_import_the_emulator() -> None:
    for module in CLI.glob("*.py"):
        if module.name not in STARTS_THE_EMULATOR:
            assert "powerbridge.emulator" not in module.read_text(), module.name
