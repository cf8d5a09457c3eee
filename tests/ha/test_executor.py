"""The node executor over real SSH to the emulator's AIX nodes: one connection per node, the
emulator's ssh/config as written, host keys pinned, resets retried, refusals waited out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from powerbridge.ha.executor import (
    CommandResult,
    HostKeyChanged,
    HostKeyNotTrusted,
    NodeAuthFailed,
    NodeExecutor,
    NodeNotConnected,
    NodeUnreachable,
    default_ssh_configs,
)
from powerbridge.ha.identity import load_identity
from tests.emulator.aix.ssh_support import (
    ClientKey,
    Lab,
    add_behaviour,
    client_key,
    lab,
    lab_config,
    remove_behaviour,
)
from tests.ha.node_access_support import (
    deadline,
    deploy_nodes,
    executor,
    key_identity,
    ssh_add,
    ssh_agent,
    until_raises,
)

NODES = ("hanode1", "hanode2")


@pytest.fixture
def key(tmp_path: Path) -> ClientKey:
    return client_key(tmp_path)


@pytest.fixture
def aix(tmp_path: Path) -> Iterator[Lab]:
    with lab(lab_config(None, tmp_path / "logs")) as instance:
        yield instance


@pytest.fixture
def addresses(aix: Lab, key: ClientKey) -> dict[str, str]:
    return deploy_nodes(aix, key, NODES)


def known_host_key(aix: Lab, node: str) -> str:
    """The node's key as the emulator's known_hosts lists it (`type base64`)."""
    assert aix.running.ssh_config is not None
    for line in aix.running.ssh_config.with_name("known_hosts").read_text().splitlines():
        names, key_type, blob = line.split()[:3]
        if node in names.split(","):
            return f"{key_type} {blob}"
    raise AssertionError(f"{node} is not in known_hosts")


def test_one_connection_per_node_through_the_emulator_config(
    aix: Lab, key: ClientKey, addresses: dict[str, str], tmp_path: Path
) -> None:
    async def scenario() -> tuple[NodeExecutor, list[str]]:
        async with executor(aix, key_identity(key, tmp_path)) as nodes:
            for node, address in addresses.items():
                pinned = await nodes.connect(node, address, deadline=deadline())
                assert pinned == known_host_key(aix, node)
            runs = [nodes.run(node, "hostname") for node in NODES for _ in range(5)]
            names = [result.stdout.strip() for result in await asyncio.gather(*runs)]
            return nodes, names

    nodes, names = asyncio.run(scenario())
    assert names == ["hanode1"] * 5 + ["hanode2"] * 5
    assert nodes.connections_opened == 2
    assert set(nodes.pins) == set(NODES)


def test_output_exit_status_stdin_and_the_error_line(
    aix: Lab, key: ClientKey, addresses: dict[str, str], tmp_path: Path
) -> None:
    async def scenario() -> list[CommandResult]:
        async with executor(aix, key_identity(key, tmp_path)) as nodes:
            await nodes.connect("hanode1", addresses["hanode1"], deadline=deadline())
            return [
                await nodes.run("hanode1", "cat > /tmp/f; cat /tmp/f", stdin="a\nb\n", step="s"),
                await nodes.run("hanode1", "echo WARNING: x >&2; echo ERROR: it broke >&2; exit 3"),
                await nodes.run("hanode1", "no-such-command"),
                await nodes.run("hanode1", "exit 4"),
            ]

    copied, failed, missing, bare = asyncio.run(scenario())
    assert (copied.stdout, copied.exit_status, copied.ok, copied.step) == ("a\nb\n", 0, True, "s")
    assert (failed.exit_status, failed.ok, failed.error_line) == (3, False, "ERROR: it broke")
    assert missing.exit_status == 127
    assert missing.error_line == "ksh: no-such-command:  not found."
    assert bare.error_line == "exit status 4"
    record = failed.to_dict()
    assert record["exit_status"] == 3
    assert record["error_line"] == "ERROR: it broke"
    assert record["started_at"] <= record["ended_at"]
    assert record["retried"] is False


def test_secrets_are_redacted_from_command_and_output(
    aix: Lab, key: ClientKey, addresses: dict[str, str], tmp_path: Path
) -> None:
    async def scenario() -> CommandResult:
        identity = key_identity(key, tmp_path)
        async with executor(aix, identity, redact=["s3cret", "s3cret-token"]) as nodes:
            await nodes.connect("hanode1", addresses["hanode1"], deadline=deadline())
            return await nodes.run("hanode1", "echo pw=s3cret-token; echo s3cret >&2; exit 1")

    result = asyncio.run(scenario())
    assert result.command == "echo pw=***; echo *** >&2; exit 1"
    assert (result.stdout, result.stderr) == ("pw=***\n", "***\n")
    assert "s3cret" not in str(result.to_dict())


def test_a_reset_mid_command_reconnects_and_runs_it_again(
    aix: Lab, key: ClientKey, addresses: dict[str, str], tmp_path: Path
) -> None:
    async def scenario() -> tuple[NodeExecutor, CommandResult, CommandResult]:
        async with executor(aix, key_identity(key, tmp_path)) as nodes:
            await nodes.connect("hanode2", addresses["hanode2"], deadline=deadline())
            rule = {"kind": "node", "mode": "reset_ssh", "name_regex": "^hanode2$", "times": 1}
            await asyncio.to_thread(add_behaviour, aix, rule)
            cut = await nodes.run("hanode2", "echo ran >> /tmp/runs; hostname")
            again = await nodes.run("hanode2", "cat /tmp/runs")
            return nodes, cut, again

    nodes, cut, again = asyncio.run(scenario())
    assert (cut.retried, cut.exit_status, cut.stdout) == (True, 0, "hanode2\n")
    assert again.stdout == "ran\nran\n"  # it ran before the cut
    assert nodes.connections_opened == 2
    assert nodes.pins["hanode2"] == known_host_key(aix, "hanode2")


def test_commands_that_see_one_drop_share_one_reconnect(
    aix: Lab, key: ClientKey, addresses: dict[str, str], tmp_path: Path
) -> None:
    async def scenario() -> tuple[NodeExecutor, list[CommandResult]]:
        async with executor(aix, key_identity(key, tmp_path)) as nodes:
            await nodes.connect("hanode1", addresses["hanode1"], deadline=deadline())
            rule = {"kind": "node", "mode": "reset_ssh", "name_regex": "^hanode1$", "times": 1}
            await asyncio.to_thread(add_behaviour, aix, rule)
            runs = [nodes.run("hanode1", f"echo {n}") for n in range(4)]
            return nodes, list(await asyncio.gather(*runs))

    nodes, results = asyncio.run(scenario())
    assert [r.stdout for r in results] == [f"{n}\n" for n in range(4)]
    assert any(r.retried for r in results)
    assert nodes.connections_opened == 2


def test_a_changed_host_key_is_refused_until_re_pinned(
    aix: Lab, key: ClientKey, addresses: dict[str, str], tmp_path: Path
) -> None:
    identity = key_identity(key, tmp_path)
    address = addresses["hanode1"]

    async def first_contact() -> dict[str, str]:
        async with executor(aix, identity) as nodes:
            await nodes.connect("hanode1", address, deadline=deadline())
            return nodes.pins

    async def contact(**options: object) -> str:
        async with executor(aix, identity, **options) as nodes:
            return await nodes.connect("hanode1", address, deadline=deadline())

    pins = asyncio.run(first_contact())
    add_behaviour(aix, {"kind": "node", "mode": "changed_host_key", "name_regex": "^hanode1$"})
    changed = asyncio.run(until_raises(lambda: contact(pins=pins, cluster="db2"), HostKeyChanged))
    message = str(changed)
    assert "hanode1" in message
    assert address in message
    assert "man in the middle" in message
    assert changed.pinned == pins["hanode1"]
    assert "`powerbridge ha trust-host-key db2 hanode1`" in message
    assert message.count("SHA256:") == 2
    with pytest.raises(HostKeyNotTrusted, match="--accept-new-host-keys"):
        asyncio.run(contact())  # known_hosts still holds the old key
    new_key = asyncio.run(contact(accept_new_host_keys=True))
    assert new_key == changed.presented != pins["hanode1"]
    assert asyncio.run(contact(pins={"hanode1": new_key})) == new_key


def test_a_pinned_node_whose_connection_drops_is_checked_again(
    aix: Lab, key: ClientKey, addresses: dict[str, str], tmp_path: Path
) -> None:
    async def scenario() -> HostKeyChanged:
        async with executor(aix, key_identity(key, tmp_path)) as nodes:
            await nodes.connect("hanode1", addresses["hanode1"], deadline=deadline())
            rule = {"kind": "node", "mode": "changed_host_key", "name_regex": "^hanode1$"}
            await asyncio.to_thread(add_behaviour, aix, rule)
            return await until_raises(lambda: nodes.run("hanode1", "hostname"), HostKeyChanged)

    assert "hanode1" in str(asyncio.run(scenario()))


def test_refused_connections_are_retried_until_the_deadline(
    aix: Lab, key: ClientKey, addresses: dict[str, str], tmp_path: Path
) -> None:
    identity = key_identity(key, tmp_path)
    refusal = {"kind": "node", "mode": "refuse_ssh", "name_regex": "^hanode1$"}
    rule = add_behaviour(aix, refusal)
    server_id = next(
        s["id"]
        for s in aix.http.get(f"{aix.compute}/servers").json()["servers"]
        if s["name"] == "hanode1"
    )
    aix.wait_node(server_id, up=False)

    async def too_soon() -> None:
        async with executor(aix, identity) as nodes:
            await nodes.connect("hanode1", addresses["hanode1"], deadline=deadline(0.8))

    with pytest.raises(NodeUnreachable, match="connection refused") as unreachable:
        asyncio.run(too_soon())
    assert unreachable.value.address == addresses["hanode1"]

    async def waits() -> NodeExecutor:
        async with executor(aix, identity) as nodes:
            connecting = asyncio.create_task(
                nodes.connect("hanode1", addresses["hanode1"], deadline=deadline())
            )
            await asyncio.sleep(0.5)
            assert not connecting.done()
            await asyncio.to_thread(remove_behaviour, aix, rule)
            await connecting
            assert (await nodes.run("hanode1", "hostname")).stdout == "hanode1\n"
            return nodes

    assert asyncio.run(waits()).connections_opened == 1


def test_a_key_the_node_does_not_hold_is_refused(
    aix: Lab, key: ClientKey, addresses: dict[str, str], tmp_path: Path
) -> None:
    stranger = client_key(tmp_path, "stranger")
    identity = key_identity(stranger, tmp_path)

    async def scenario() -> None:
        async with executor(aix, identity) as nodes:
            await nodes.connect("hanode1", addresses["hanode1"], deadline=deadline())

    with pytest.raises(NodeAuthFailed) as refused:
        asyncio.run(scenario())
    message = str(refused.value)
    assert "as root" in message
    assert str(stranger.path) in message
    assert "nova key pair" in message
    assert identity.fingerprint in message


def test_the_agent_logs_in_with_its_keys(
    aix: Lab, key: ClientKey, addresses: dict[str, str], tmp_path: Path
) -> None:
    with ssh_agent(tmp_path) as socket_path:
        ssh_add(socket_path, key.path)
        identity = load_identity(None, None, env={"SSH_AUTH_SOCK": socket_path}, home=tmp_path)
        assert identity.source == "ssh-agent"

        async def scenario() -> str:
            async with executor(aix, identity) as nodes:
                await nodes.connect("hanode2", addresses["hanode2"], deadline=deadline())
                return (await nodes.run("hanode2", "hostname")).stdout

        assert asyncio.run(scenario()) == "hanode2\n"


def test_run_before_connect_is_a_clear_error(key: ClientKey, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with NodeExecutor(key_identity(key, tmp_path), ssh_configs=[]) as nodes:
            await nodes.run("hanode1", "hostname")

    with pytest.raises(NodeNotConnected, match="call connect"):
        asyncio.run(scenario())


def test_default_ssh_configs(tmp_path: Path) -> None:
    assert default_ssh_configs({}, home=tmp_path) == ()
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "config").write_text("Host *\n")
    env = {"POWERBRIDGE_SSH_CONFIG": "/data/ssh/config", "HOME": str(tmp_path)}
    assert default_ssh_configs(env) == (Path("/data/ssh/config"), tmp_path / ".ssh" / "config")


def test_unreachable_address_names_the_node(key: ClientKey, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with NodeExecutor(key_identity(key, tmp_path), ssh_configs=[]) as nodes:
            await nodes.connect("ghost", "127.0.0.1", deadline=time.monotonic() + 0.3)

    with pytest.raises(NodeUnreachable, match=r"node ghost \(127\.0\.0\.1\)"):
        asyncio.run(scenario())
