"""hypothesis: random exec command lines never bring a node's SSH server down."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.emulator.aix.ssh_support import client_key, ensure_commands, lab, lab_config, ssh_run

WORDS = ["cat", "hostname", "exit", "ls", "cd", "../../..", "/etc/passwd", "$(", "'", '"', "|"]
LINES = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=120),
    st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
).filter(bool)  # an empty command is a shell request: it waits for input, as a login does


def test_random_command_lines_never_crash_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_commands(monkeypatch)
    key = client_key(tmp_path)
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        assert aix.create_keypair("lab", key.public).status_code in (200, 201)
        server = aix.deploy("hanode1", key_name="lab")
        aix.wait_node(str(server["id"]))

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        @given(line=LINES)
        def one_line(line: str) -> None:
            done = asyncio.run(ssh_run(aix, "hanode1", key, line))
            assert isinstance(done.exit_status, int)
            assert 0 <= done.exit_status <= 255

        one_line()
        after = asyncio.run(ssh_run(aix, "hanode1", key, "hostname"))
        assert (after.stdout, after.exit_status) == ("hanode1\n", 0)


def test_garbage_on_the_wire_never_crashes_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_commands(monkeypatch)
    key = client_key(tmp_path)
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        assert aix.create_keypair("lab", key.public).status_code in (200, 201)
        server = aix.deploy("hanode1", key_name="lab")
        aix.wait_node(str(server["id"]))
        node = aix.running.emulator.aix.node(str(server["id"]))
        assert node is not None
        port = node.record.ssh_port
        assert port is not None

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        @given(data=st.one_of(st.binary(max_size=300), st.just(b"SSH-2.0-x\r\n" + b"\0" * 64)))
        def one_blob(data: bytes) -> None:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
                raw.sendall(data)
                raw.shutdown(socket.SHUT_WR)
                with contextlib.suppress(OSError):
                    raw.recv(4096)

        one_blob()
        after = asyncio.run(ssh_run(aix, "hanode1", key, "hostname"))
        assert (after.stdout, after.exit_status) == ("hanode1\n", 0)
