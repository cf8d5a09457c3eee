"""The shipped examples' scripts and application command run on emulated AIX nodes, over SSH,
from the image each example names: the start script starts, the monitor sees it, the stop
script stops, the application command succeeds."""

from __future__ import annotations

import asyncio
import posixpath
from importlib import resources
from pathlib import Path

import pytest

from powerbridge.ha.model import ClusterSpec, ScriptSpec
from powerbridge.ha.spec import load_cluster_spec
from tests.emulator.aix.ssh_support import ClientKey, Lab, client_key, lab, lab_config, ssh_run

EXAMPLES = resources.files("powerbridge") / "examples"


def run(aix: Lab, host: str, key: ClientKey, command: str, stdin: str | None = None) -> int:
    result = asyncio.run(ssh_run(aix, host, key, command, stdin))
    assert result.exit_status is not None
    return result.exit_status


def install(aix: Lab, host: str, key: ClientKey, script: ScriptSpec) -> None:
    """What the workflow does with a script's content: written to its path, mode 755."""
    assert script.content is not None
    assert run(aix, host, key, f"mkdir -p {posixpath.dirname(script.path)}") == 0
    assert run(aix, host, key, f"cat > {script.path}", stdin=script.content) == 0
    assert run(aix, host, key, f"chmod 755 {script.path}") == 0


def exercise(aix: Lab, host: str, key: ClientKey, spec: ClusterSpec) -> None:
    application = spec.application
    monitor = application.monitor.script if application.monitor else None
    for script in (application.start, application.stop, monitor):
        if script is not None:
            install(aix, host, key, script)
    assert run(aix, host, key, application.start.path) == 0
    if monitor is not None:
        assert run(aix, host, key, monitor.path) == 0
    assert spec.application_command is not None
    assert run(aix, host, key, spec.application_command.command) == 0
    assert run(aix, host, key, application.stop.path) == 0
    if monitor is not None:
        assert run(aix, host, key, monitor.path) != 0  # stopped: the monitor notices


@pytest.mark.acceptance
def test_example_scripts_and_commands_run_on_the_images_they_name(tmp_path: Path) -> None:
    key = client_key(tmp_path)
    specs = [load_cluster_spec(str(EXAMPLES / name)) for name in ("ha-2node.yaml", "ha-3node.yaml")]
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        assert aix.create_keypair("lab", key.public).status_code in (200, 201)
        for index, spec in enumerate(specs):
            host = f"example{index}"
            server = aix.deploy(host, key_name="lab", image=spec.image)
            aix.wait_node(str(server["id"]))
            exercise(aix, host, key, spec)
