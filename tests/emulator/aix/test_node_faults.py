"""Issue 14's remaining node fault rules, through the admin API over real HTTP and real SSH:
a command failing (once, N times, always), a node crash, a host failure, a lost repository
disk; and their validation."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.aix.cluster_support import (
    Admin,
    clmgr_script,
    deploy_cluster_servers,
    manual_built_cluster,
    no_reserve_script,
    prepare_script,
    pvid_script,
)
from tests.emulator.aix.ssh_support import (
    ADMIN,
    ClientKey,
    Lab,
    add_behaviour,
    advance_until,
    deploy_node,
    lab,
    lab_config,
    remove_behaviour,
    ssh_run,
)

HOST = "OS-EXT-SRV-ATTR:host"


pytestmark = pytest.mark.usefixtures("commands")


def one_node(aix: Lab, key: ClientKey, name: str = "hanode1") -> str:
    return str(deploy_node(aix, key, name)["id"])


def run(aix: Lab, key: ClientKey, command: str, host: str = "hanode1") -> tuple[int, str, str]:
    done = asyncio.run(ssh_run(aix, host, key, command))
    return int(done.exit_status or 0), str(done.stdout), str(done.stderr)


def rules(aix: Lab) -> dict[str, dict[str, Any]]:
    reply = aix.http.get(f"{aix.running.base_url}{ADMIN}/behaviours")
    assert reply.status_code == 200, reply.text
    return {rule["id"]: rule for rule in reply.json()["behaviours"]}


# -- fail_command -----------------------------------------------------------------------------
def test_a_command_failing_twice_then_running(aix: Lab, key: ClientKey) -> None:
    one_node(aix, key)
    rule = {
        "kind": "node",
        "mode": "fail_command",
        "name_regex": "^hanode1$",
        "command_regex": "^hostname",
        "message": "hostname: 0403-011 injected",
        "exit_status": 4,
        "times": 2,
    }
    add_behaviour(aix, rule)
    assert run(aix, key, "hostname") == (4, "", "hostname: 0403-011 injected\n")
    assert run(aix, key, "echo before; hostname -s || echo failed") == (
        0,
        "before\nfailed\n",
        "hostname: 0403-011 injected\n",
    )
    assert run(aix, key, "hostname") == (0, "hanode1\n", "")
    assert run(aix, key, "echo other")[0] == 0


def test_a_command_failing_always_until_removed(aix: Lab, key: ClientKey) -> None:
    one_node(aix, key)
    rule = {"kind": "node", "mode": "fail_command", "command_regex": "^hostname"}
    rule_id = add_behaviour(aix, rule)
    for _ in range(3):
        status, out, err = run(aix, key, "hostname")
        assert (status, out) == (1, "")  # the default status
        assert "hostname" in err
    assert run(aix, key, "echo hostname")[0] == 0  # the line must match, not a word of it
    remove_behaviour(aix, rule_id)
    assert run(aix, key, "hostname") == (0, "hanode1\n", "")


# -- slow_command -----------------------------------------------------------------------------
def test_a_slow_command_waits_its_latency_then_runs(aix: Lab, key: ClientKey) -> None:
    one_node(aix, key)
    rule = {"kind": "node", "mode": "slow_command", "command_regex": "^hostname"}
    rule_id = add_behaviour(aix, {**rule, "latency": 0.5, "times": 1})
    started = time.monotonic()
    assert run(aix, key, "echo first; hostname") == (0, "first\nhanode1\n", "")
    assert time.monotonic() - started >= 0.5  # held, then run as usual
    assert rules(aix)[rule_id]["times"] == 0  # spent: the next one runs at once
    assert run(aix, key, "hostname") == (0, "hanode1\n", "")


def test_clmgr_sync_failing_once_then_succeeding(aix: Lab, key: ClientKey) -> None:
    cluster = deploy_cluster_servers(aix, key, ["hanode1", "hanode2"])
    admin = Admin(aix, key)
    for name in cluster.names:
        admin.run(name, prepare_script(cluster))
    admin.run("hanode1", pvid_script())
    for name in cluster.names:
        admin.run(name, no_reserve_script(cluster))
    message = "ERROR: Verification failed: injected by a fault rule."
    rule = {
        "kind": "node",
        "mode": "fail_command",
        "name_regex": "^hanode1$",
        "command_regex": r"^clmgr sync cluster\b",
        "message": message,
        "exit_status": 2,
        "times": 1,
    }
    add_behaviour(aix, rule)
    status, _, err = run(aix, key, f"ksh <<'EOF'\n{clmgr_script(cluster)}\nEOF")
    assert status == 2
    assert message in err
    assert run(aix, key, "clmgr sync cluster")[0] == 0
    assert run(aix, key, "clmgr online cluster WHEN=now MANAGE=auto START_CAA=yes")[0] == 0


# -- crash ------------------------------------------------------------------------------------
def test_a_crash_fails_the_cluster_over_and_the_server_shows_shutoff(
    tmp_path: Path, key: ClientKey
) -> None:
    with manual_built_cluster(tmp_path / "manual", key) as (aix, cluster, admin):
        world = aix.running.emulator.aix
        assert admin.group("hanode1")["hanode1"] == "ONLINE"
        home = cluster.server_ids["hanode1"]

        rule_id = add_behaviour(aix, {"kind": "node", "mode": "crash", "name_regex": "^hanode1$"})
        server = aix.server(home)
        assert (server["status"], server["OS-EXT-STS:power_state"]) == ("SHUTOFF", 4)
        assert server["OS-EXT-STS:vm_state"] == "stopped"
        assert rules(aix)[rule_id]["times"] == 0  # one shot: spent
        aix.wait_node(home, up=False)
        aix.advance(world.timing("failure_detection", 20) / 2)
        assert admin.group("hanode2")["hanode2"] != "ONLINE"
        aix.advance(world.timing("failure_detection", 20) + world.timing("rg_acquire", 10))
        assert admin.group("hanode2")["hanode2"] == "ONLINE"

        aix.action(home, {"os-start": None})  # `openstack server start`
        advance_until(aix, home, "ACTIVE")
        aix.advance(world.timing("aix_boot", 30))
        aix.wait_node(home)  # the spent rule does not crash it again
        assert admin.run("hanode1", "hostname") == "hanode1\n"


def test_a_crash_matching_nothing_is_a_no_op(aix: Lab, key: ClientKey) -> None:
    server_id = one_node(aix, key)
    rule_id = add_behaviour(aix, {"kind": "node", "mode": "crash", "name_regex": "^nosuch$"})
    assert aix.server(server_id)["status"] == "ACTIVE"
    assert rules(aix)[rule_id]["times"] == 0
    assert run(aix, key, "hostname") == (0, "hanode1\n", "")


# -- host failure -----------------------------------------------------------------------------
def test_a_host_failure_stops_every_node_on_it(aix: Lab, key: ClientKey) -> None:
    assert aix.create_keypair("lab", key.public).status_code in (200, 201)
    servers = [aix.deploy(f"hanode{n}", key_name="lab") for n in (1, 2, 3)]
    for server in servers:
        aix.wait_node(str(server["id"]))
    failed = servers[0][HOST]
    rule_id = add_behaviour(aix, {"kind": "node", "mode": "host_failure", "host": failed})
    for server in servers:
        now = aix.server(str(server["id"]))
        on_failed = server[HOST] == failed
        assert now["status"] == ("SHUTOFF" if on_failed else "ACTIVE")
        aix.wait_node(str(server["id"]), up=not on_failed)
    assert hypervisor_state(aix, failed) == "down"

    remove_behaviour(aix, rule_id)
    assert hypervisor_state(aix, failed) == "up"
    assert aix.server(str(servers[0]["id"]))["status"] == "SHUTOFF"  # until started
    aix.action(str(servers[0]["id"]), {"os-start": None})
    aix.wait_status(str(servers[0]["id"]), "ACTIVE")
    aix.wait_node(str(servers[0]["id"]))


def hypervisor_state(aix: Lab, host: str) -> str:
    reply = aix.http.get(f"{aix.compute}/os-hypervisors/detail")
    assert reply.status_code == 200, reply.text
    for hypervisor in reply.json()["hypervisors"]:
        if hypervisor["hypervisor_hostname"] == host:
            return str(hypervisor["state"])
    raise AssertionError(f"no hypervisor {host}")


def test_a_host_failure_for_an_unknown_host_is_a_no_op(aix: Lab, key: ClientKey) -> None:
    server_id = one_node(aix, key)
    add_behaviour(aix, {"kind": "node", "mode": "host_failure", "host": "no-such-host"})
    assert aix.server(server_id)["status"] == "ACTIVE"


# -- lost repository --------------------------------------------------------------------------
def test_a_lost_repository_disk_restricts_the_cluster(aix: Lab, key: ClientKey) -> None:
    cluster = deploy_cluster_servers(aix, key, ["hanode1", "hanode2"])
    admin = Admin(aix, key)
    admin.build(cluster)
    assert "State : UP" in admin.run("hanode2", "lscluster -d")
    rule = {"kind": "node", "mode": "lose_repository_disk", "name_regex": "^hanode2$"}
    rule_id = add_behaviour(aix, rule)
    assert rules(aix)[rule_id]["times"] == 0
    assert "State : DOWN" in admin.run("hanode1", "lscluster -d")
    status, _, err = run(aix, key, "clmgr add node hanode3")
    assert status != 0
    assert "restricted mode" in err


# -- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "node", "mode": "explode"}, "Node behaviour 'mode' must be one of"),
        ({"kind": "node", "mode": "fail_command"}, "'fail_command' needs 'command_regex'"),
        (
            {"kind": "node", "mode": "fail_command", "command_regex": "clmgr ("},
            "in 'command_regex'",
        ),
        (
            {"kind": "node", "mode": "fail_command", "command_regex": "x", "exit_status": 300},
            "'exit_status' must be a whole number from 0 to 255",
        ),
        ({"kind": "node", "mode": "host_failure"}, "'host_failure' needs 'host'"),
        ({"kind": "node", "mode": "crash", "times": 2}, "one-shot event"),
        ({"kind": "node", "mode": "crash", "host": "h"}, "'host' applies to 'host_failure'"),
        (
            {"kind": "node", "mode": "reset_ssh", "command_regex": "x"},
            "'command_regex' applies to 'fail_command' and 'slow_command' only",
        ),
        (
            {"kind": "node", "mode": "slow_command", "command_regex": "x"},
            "'slow_command' needs 'latency'",
        ),
        (
            {"kind": "node", "mode": "slow_command", "command_regex": "x", "exit_status": 2},
            "'exit_status' applies to 'fail_command' only",
        ),
        (
            {"kind": "node", "mode": "fail_command", "command_regex": "x", "latency": 2},
            "'latency' applies to 'slow_command'",
        ),
    ],
)
def test_bad_node_rules_are_refused(aix: Lab, rule: dict[str, object], message: str) -> None:
    reply = aix.http.post(f"{aix.running.base_url}{ADMIN}/behaviours", json={"behaviour": rule})
    assert reply.status_code == 400
    assert message in reply.text


def test_a_spent_crash_stays_spent_across_a_restart(tmp_path: Path, key: ClientKey) -> None:
    config = lab_config(tmp_path / "data", tmp_path / "logs")
    with lab(config) as aix:
        server_id = one_node(aix, key)
        add_behaviour(aix, {"kind": "node", "mode": "crash", "name_regex": "^hanode1$"})
        assert aix.server(server_id)["status"] == "SHUTOFF"
        aix.action(server_id, {"os-start": None})
        aix.wait_status(server_id, "ACTIVE")
    with lab(config) as aix:
        assert aix.server(server_id)["status"] == "ACTIVE"
        aix.wait_node(server_id)
        assert run(aix, key, "hostname") == (0, "hanode1\n", "")
