"""Node fault rules (behaviours of kind `node`): sshd refusing, a reset mid-session, a changed
host key; and their validation."""

from __future__ import annotations

import asyncio
import time

import asyncssh
import pytest

from tests.emulator.aix.ssh_support import (
    ClientKey,
    Lab,
    add_behaviour,
    remove_behaviour,
    ssh_run,
)

pytestmark = pytest.mark.usefixtures("commands")


@pytest.fixture
def aix(aix_node: Lab) -> Lab:
    return aix_node


def test_a_node_refusing_ssh_and_back(aix: Lab, key: ClientKey) -> None:
    rule = add_behaviour(aix, {"kind": "node", "mode": "refuse_ssh", "name_regex": "^hanode1$"})
    aix.wait_node(aix.ids["node"], up=False)
    with pytest.raises(ConnectionRefusedError):
        asyncio.run(ssh_run(aix, "hanode1", key, "hostname"))
    remove_behaviour(aix, rule)
    aix.wait_node(aix.ids["node"])
    assert asyncio.run(ssh_run(aix, "hanode1", key, "hostname")).exit_status == 0


def test_a_reset_mid_session_once(aix: Lab, key: ClientKey) -> None:
    add_behaviour(aix, {"kind": "node", "mode": "reset_ssh", "name_regex": "hanode", "times": 1})
    cut = asyncio.run(ssh_run(aix, "hanode1", key, "hostname"))
    assert (cut.exit_status, cut.stdout) == (None, "")  # no answer: the connection was cut
    assert asyncio.run(ssh_run(aix, "hanode1", key, "hostname")).stdout == "hanode1\n"


def test_a_reset_runs_a_script_fed_on_stdin_first(aix: Lab, key: ClientKey) -> None:
    add_behaviour(aix, {"kind": "node", "mode": "reset_ssh", "name_regex": "hanode", "times": 1})
    cut = asyncio.run(ssh_run(aix, "hanode1", key, "ksh", stdin="echo ran >> /tmp/reset\n"))
    assert cut.exit_status is None
    assert asyncio.run(ssh_run(aix, "hanode1", key, "cat /tmp/reset")).stdout == "ran\n"


def test_a_changed_host_key_fails_strict_checking(aix: Lab, key: ClientKey) -> None:
    known = aix.running.ssh_config.with_name("known_hosts")  # type: ignore[union-attr]
    before = known.read_text()
    rule = add_behaviour(aix, {"kind": "node", "mode": "changed_host_key"})
    deadline = time.monotonic() + 10
    while True:  # until sshd presents the other key (the listener is swapped meanwhile)
        try:
            asyncio.run(ssh_run(aix, "hanode1", key, "hostname"))
        except asyncssh.HostKeyNotVerifiable:
            break
        except (asyncssh.Error, OSError):
            pass
        assert time.monotonic() < deadline, "the node kept its host key"
        time.sleep(0.05)
    assert known.read_text() == before  # the client's record is what no longer matches
    remove_behaviour(aix, rule)
    deadline = time.monotonic() + 10
    while True:
        try:
            done = asyncio.run(ssh_run(aix, "hanode1", key, "hostname"))
            break
        except (asyncssh.Error, OSError):
            assert time.monotonic() < deadline, "the node kept the other host key"
            time.sleep(0.05)
    assert done.exit_status == 0


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "node", "mode": "explode"}, "Node behaviour 'mode' must be one of"),
        ({"kind": "node", "mode": "reset_ssh", "fraction": 2}, "'fraction' must be between"),
        ({"kind": "node", "mode": "reset_ssh", "status": 500}, "apply to API behaviours"),
    ],
)
def test_bad_node_rules_are_refused(aix: Lab, rule: dict[str, object], message: str) -> None:
    reply = aix.http.post(
        f"{aix.running.base_url}/powervc/emulator/v1/behaviours", json={"behaviour": rule}
    )
    assert reply.status_code == 400
    assert message in reply.text
