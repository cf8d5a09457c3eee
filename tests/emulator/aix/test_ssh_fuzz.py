"""hypothesis: random exec command lines never bring a node's SSH server down."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.emulator.aix.ssh_support import ClientKey, Lab, ssh_run

pytestmark = pytest.mark.usefixtures("commands")

WORDS = ["cat", "hostname", "exit", "ls", "cd", "../../..", "/etc/passwd", "$(", "'", '"', "|"]
LINES = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=120),
    st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
).filter(bool)  # an empty command is a shell request: it waits for input, as a login does


@pytest.fixture
def aix(aix_node: Lab) -> Lab:
    return aix_node


def test_random_command_lines_never_crash_the_server(aix: Lab, key: ClientKey) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(line=LINES)
    def one_line(line: str) -> None:
        done = asyncio.run(ssh_run(aix, "hanode1", key, line))
        assert isinstance(done.exit_status, int)
        assert 0 <= done.exit_status <= 255

    one_line()
    after = asyncio.run(ssh_run(aix, "hanode1", key, "hostname"))
    assert (after.stdout, after.exit_status) == ("hanode1\n", 0)


def test_garbage_on_the_wire_never_crashes_the_server(aix: Lab, key: ClientKey) -> None:
    node = aix.running.emulator.aix.node(aix.ids["node"])
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
