"""Reaching a node over real SSH: asyncssh's client and OpenSSH's `ssh`, with the emulator's
ssh/config, a key pair the test made, and nothing else."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import asyncssh
import pytest

from powerbridge.emulator.aix import sshd
from tests.emulator.aix.ssh_support import (
    CRASH,
    ClientKey,
    Lab,
    client_key,
    deploy_node,
    ssh_run,
)

pytestmark = pytest.mark.usefixtures("commands")


def test_asyncssh_reaches_a_node_by_address_and_by_name(aix: Lab, key: ClientKey) -> None:
    server = deploy_node(aix, key)
    by_address = asyncio.run(ssh_run(aix, aix.address(server), key, "hostname"))
    by_name = asyncio.run(ssh_run(aix, "hanode1", key, "hostname"))
    assert (by_address.stdout, by_address.exit_status) == ("hanode1\n", 0)
    assert by_name.stdout == "hanode1\n"


def test_openssh_reaches_a_node_with_the_generated_config(aix: Lab, key: ClientKey) -> None:
    ssh = shutil.which("ssh")
    if ssh is None:
        pytest.skip("OpenSSH's ssh client is not installed (.ci/run installs openssh-client)")
    server = deploy_node(aix, key)
    command = [ssh, "-F", str(aix.running.ssh_config), "-i", str(key.path)]
    command += ["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", aix.address(server), "hostname"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert (done.returncode, done.stdout) == (0, "hanode1\n"), done.stderr


def test_openssh_with_another_key_is_denied(aix: Lab, key: ClientKey, tmp_path: Path) -> None:
    ssh = shutil.which("ssh")
    if ssh is None:
        pytest.skip("OpenSSH's ssh client is not installed (.ci/run installs openssh-client)")
    deploy_node(aix, key)
    other = client_key(tmp_path, "other")
    command = [ssh, "-F", str(aix.running.ssh_config), "-i", str(other.path)]
    command += ["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "hanode1", "hostname"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 255
    assert "Permission denied (publickey)" in done.stderr


def test_a_wrong_key_is_refused(aix: Lab, key: ClientKey, tmp_path: Path) -> None:
    deploy_node(aix, key)
    with pytest.raises(asyncssh.PermissionDenied):
        asyncio.run(ssh_run(aix, "hanode1", client_key(tmp_path, "other"), "hostname"))


def test_stdin_of_an_exec_request_is_the_commands_input(aix: Lab, key: ClientKey) -> None:
    deploy_node(aix, key)

    async def scenario() -> asyncssh.SSHCompletedProcess:
        assert aix.running.ssh_config is not None
        async with asyncssh.connect(
            "hanode1", config=[str(aix.running.ssh_config)], client_keys=[key.key]
        ) as connection:
            return await connection.run("cat", input="line one\nline two\n")

    done = asyncio.run(scenario())
    assert (done.stdout, done.exit_status) == ("line one\nline two\n", 0)


def test_a_bare_shell_waits_for_a_script_that_comes_late(aix: Lab, key: ClientKey) -> None:
    """`ksh` alone runs what comes on stdin even when a busy client sends it after the short
    grace other readers get (8 nodes prepared at once once got an empty script)."""
    deploy_node(aix, key)

    async def scenario() -> tuple[str, int | None]:
        assert aix.running.ssh_config is not None
        async with asyncssh.connect(
            "hanode1", config=[str(aix.running.ssh_config)], client_keys=[key.key]
        ) as connection:
            process = await connection.create_process("ksh")
            await asyncio.sleep(3 * sshd.STDIN_GRACE)  # well past the short grace
            process.stdin.write("print late script on $(hostname)\n")
            process.stdin.write_eof()
            output = await asyncio.wait_for(process.stdout.read(), 10)
            await process.wait()
            return output, process.exit_status

    assert asyncio.run(scenario()) == ("late script on hanode1\n", 0)


def test_unknown_commands_and_exit_statuses_come_back(aix: Lab, key: ClientKey) -> None:
    deploy_node(aix, key)
    missing = asyncio.run(ssh_run(aix, "hanode1", key, "no-such-command -x"))
    assert missing.exit_status == 127
    assert "no-such-command" in str(missing.stderr)
    assert asyncio.run(ssh_run(aix, "hanode1", key, "exit 3")).exit_status == 3


def test_a_failing_command_ends_its_session_not_the_server(
    aix: Lab, key: ClientKey, caplog: pytest.LogCaptureFixture
) -> None:
    """The shell catches a command's bug: ksh's `internal error` line, status 1, the
    traceback logged; the session ends normally and the next connection is served."""
    deploy_node(aix, key)
    with caplog.at_level("ERROR", logger="powerbridge.emulator.aix"):
        crashed = asyncio.run(ssh_run(aix, "hanode1", key, CRASH))
    assert crashed.exit_status == 1
    assert str(crashed.stderr) == f"ksh: {CRASH}: internal error\n"
    assert any(
        record.exc_info is not None and CRASH in record.getMessage() for record in caplog.records
    )
    assert asyncio.run(ssh_run(aix, "hanode1", key, "hostname")).stdout == "hanode1\n"


def test_an_interactive_login_prompts_and_keeps_going_until_exit(aix: Lab, key: ClientKey) -> None:
    deploy_node(aix, key)

    async def scenario() -> tuple[str, int | None]:
        assert aix.running.ssh_config is not None
        async with asyncssh.connect(
            "hanode1", config=[str(aix.running.ssh_config)], client_keys=[key.key]
        ) as connection:
            process = await connection.create_process(term_type="xterm")
            process.stdin.write("hostname\n")
            process.stdin.write("exit 4\n")
            output = await asyncio.wait_for(process.stdout.read(), 10)
            await process.wait()
            return output, process.exit_status

    output, status = asyncio.run(scenario())
    assert output.startswith("# ")
    assert "hanode1" in output
    assert output.count("# ") >= 2
    assert status == 4


def test_openssh_interactive_login_with_a_terminal(aix: Lab, key: ClientKey) -> None:
    ssh = shutil.which("ssh")
    if ssh is None:
        pytest.skip("OpenSSH's ssh client is not installed (.ci/run installs openssh-client)")
    deploy_node(aix, key)
    command = [ssh, "-tt", "-F", str(aix.running.ssh_config), "-i", str(key.path)]
    command += ["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "hanode1"]
    done = subprocess.run(
        command, input="hostname\nexit 5\n", capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 5, done.stderr
    # the terminal echoes what was typed ahead, interleaved with the prompts and the answer
    assert done.stdout.count("# ") >= 2
    assert "hanode1" in done.stdout.replace("# ", "\n").splitlines()
