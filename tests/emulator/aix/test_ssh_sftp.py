"""SFTP on a node lands in the node's virtual file system and nowhere on the host."""

from __future__ import annotations

import asyncio
import shutil
import stat
import subprocess
from pathlib import Path

import asyncssh
import pytest

from tests.emulator.aix.ssh_support import ClientKey, Lab

SCRIPT = "#!/bin/ksh\necho starting app\nexit 0\n"


@pytest.fixture
def aix(aix_node: Lab) -> Lab:
    return aix_node


def sftp_session(aix: Lab, key: ClientKey, work: object) -> object:
    async def scenario() -> object:
        assert aix.running.ssh_config is not None
        async with (
            asyncssh.connect(
                "hanode1", config=[str(aix.running.ssh_config)], client_keys=[key.key]
            ) as connection,
            connection.start_sftp_client() as sftp,
        ):
            return await work(sftp)  # type: ignore[operator]

    return asyncio.run(scenario())


def test_put_and_get_of_a_script(aix: Lab, key: ClientKey, tmp_path: Path) -> None:
    local = tmp_path / "start_app.sh"
    local.write_text(SCRIPT)
    back = tmp_path / "back.sh"

    async def work(sftp: asyncssh.SFTPClient) -> tuple[list[str], int]:
        await sftp.makedirs("/opt/app/bin")
        await sftp.put(str(local), "/opt/app/bin/start_app.sh")
        await sftp.chmod("/opt/app/bin/start_app.sh", 0o755)
        await sftp.get("/opt/app/bin/start_app.sh", str(back))
        names = sorted(await sftp.listdir("/opt/app/bin"))
        mode = (await sftp.stat("/opt/app/bin/start_app.sh")).permissions or 0
        return names, mode

    names, mode = sftp_session(aix, key, work)  # type: ignore[misc]
    node = aix.running.emulator.aix.node(aix.ids["node"])
    assert node is not None
    assert node.fs.read_text("/opt/app/bin/start_app.sh") == SCRIPT
    assert node.fs.stat("/opt/app/bin/start_app.sh").executable  # type: ignore[union-attr]
    assert back.read_text() == SCRIPT
    assert "start_app.sh" in names
    assert stat.S_IMODE(mode) == 0o755
    assert not Path("/opt/app/bin/start_app.sh").exists()


def test_dot_dot_cannot_leave_the_node(aix: Lab, key: ClientKey, tmp_path: Path) -> None:
    target = f"/tmp/escaped-{tmp_path.name}.txt"  # /tmp exists on the node and on the host
    escape = "../../../.." + target
    local = tmp_path / "payload.txt"
    local.write_text("payload\n")

    async def work(sftp: asyncssh.SFTPClient) -> str:
        await sftp.put(str(local), escape)
        return await sftp.realpath("../../..")

    root = sftp_session(aix, key, work)
    assert root == "/"
    assert not Path(target).exists()
    node = aix.running.emulator.aix.node(aix.ids["node"])
    assert node is not None
    assert node.fs.read_text(target) == "payload\n"


def test_errors_are_sftp_errors(aix: Lab, key: ClientKey, tmp_path: Path) -> None:
    async def work(sftp: asyncssh.SFTPClient) -> list[str]:
        seen: list[str] = []
        for attempt in (
            sftp.get("/no/such/file", str(tmp_path / "x")),
            sftp.remove("/etc"),
            sftp.rmdir("/etc/hosts"),
            sftp.symlink("/etc/hosts", "/tmp/link"),
            sftp.rename("/etc/hosts", "/etc/hosts/inside"),
        ):
            try:
                await attempt
            except (asyncssh.SFTPError, OSError) as problem:
                seen.append(type(problem).__name__)
        await sftp.rename("/etc/hosts", "/tmp/hosts.moved")
        return seen

    seen = sftp_session(aix, key, work)
    assert len(seen) == 5  # type: ignore[arg-type]
    node = aix.running.emulator.aix.node(aix.ids["node"])
    assert node is not None
    assert node.fs.exists("/tmp/hosts.moved")
    assert not node.fs.exists("/etc/hosts")


@pytest.mark.parametrize("client", ["sftp", "scp"])
def test_openssh_copies_a_script_in_and_out(
    aix: Lab, key: ClientKey, tmp_path: Path, client: str
) -> None:
    program = shutil.which(client)
    if program is None:
        pytest.skip(f"OpenSSH's {client} is not installed (.ci/run installs openssh-client)")
    local = tmp_path / "stop_app.sh"
    local.write_text(SCRIPT)
    back = tmp_path / "back.sh"
    options = ["-F", str(aix.running.ssh_config), "-i", str(key.path), "-o", "BatchMode=yes"]
    options += ["-o", "IdentitiesOnly=yes"]
    if client == "sftp":
        batch = tmp_path / "batch"
        batch.write_text(f"put {local} /tmp/stop_app.sh\nget /tmp/stop_app.sh {back}\n")
        commands = [[program, *options, "-b", str(batch), "hanode1"]]
    else:
        commands = [
            [program, *options, str(local), "hanode1:/tmp/stop_app.sh"],
            [program, *options, "hanode1:/tmp/stop_app.sh", str(back)],
        ]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 0, done.stderr
    node = aix.running.emulator.aix.node(aix.ids["node"])
    assert node is not None
    assert node.fs.read_text("/tmp/stop_app.sh") == SCRIPT
    assert back.read_text() == SCRIPT
