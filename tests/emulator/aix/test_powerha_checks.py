"""What CAA, clcomd and PowerHA refuse: each failure prints its ERROR naming the node or disk,
exits non-zero and changes nothing (the stored model and the disks compared before/after)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from powerbridge.emulator.aix.node import Node
from tests.support.powerha_lab import SERVICE, Lab, configured

ADD = "clmgr add cluster hacl NODES=ha1,ha2 REPOSITORIES=hdisk1"


def model(lab: Lab) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    clusters = sorted(lab.world.ctx.store.load("powerha_cluster"), key=lambda b: b["id"])
    disks = {v: (d.volume_group, sorted(d.read_by)) for v, d in lab.disks.volumes.items()}
    return copy.deepcopy(clusters), disks


def refused(lab: Lab, node: Node, line: str, *needles: str) -> str:
    before = model(lab)
    result = lab.run(node, line)
    assert result.status != 0, result.out
    assert "ERROR" in result.err
    for needle in needles:
        assert needle in result.err, result.err
    assert model(lab) == before
    return result.err


def two(lab: Lab, version: str = "7.2.5") -> tuple[Node, Node]:
    a, b = lab.nodes(2, version=version)
    lab.prepare([a, b], labels=SERVICE)
    return a, b


def test_a_repository_disk_missing_on_one_node(lab: Lab) -> None:
    a, _b = two(lab)
    lab.disks.add("repo", [a], pvid="00c8a1b2c3d4e5f6")
    refused(lab, a, ADD, "not accessible from node", '"ha2"', "hdisk1")


def test_a_node_absent_from_rhosts(lab: Lab) -> None:
    a, b = two(lab)
    lab.disks.add("repo", [a, b], pvid="00c8a1b2c3d4e5f6")
    b.record.clcomd_rhosts = ["10.10.0.12"]  # ha1 missing from what clcomd loaded on ha2
    refused(
        lab,
        a,
        ADD,
        "ERROR:Comm error found on node:ha2",
        'ERROR: unable to communicate with "ha2"(ha2,10.10.0.12)',
    )


def test_rhosts_never_loaded_by_clcomd(lab: Lab) -> None:
    a, b = two(lab)
    lab.disks.add("repo", [a, b], pvid="00c8a1b2c3d4e5f6")
    a.record.clcomd_rhosts = None
    refused(lab, a, ADD, "Comm error found on node:ha1")


def test_clcomd_inactive_and_unresolved_names(lab: Lab) -> None:
    a, b = two(lab)
    lab.disks.add("repo", [a, b], pvid="00c8a1b2c3d4e5f6")
    b.record.subsystems["clcomd"] = "inoperative"
    refused(lab, a, ADD, "Comm error found on node:ha2")
    b.record.subsystems["clcomd"] = "active"
    b.fs.write_text("/etc/hosts", "127.0.0.1 loopback localhost\n10.10.0.12 ha2\n")
    refused(lab, a, ADD, 'the host name "ha1" cannot be resolved on node "ha2"')


def test_a_pvid_not_yet_read_on_a_node(lab: Lab) -> None:
    a, b = two(lab)
    lab.disks.add("repo", [a, b], pvid="00c8a1b2c3d4e5f6")
    lab.disks.volumes["repo"].read_by.discard(b.server_id)
    refused(lab, a, ADD, 'Node "ha2" does not have this PVID defined', "cfgmgr")


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"size_mb": 256}, "512 MB to 460 GB"),
        ({"reserve": "single_path"}, "reserve_policy"),
    ],
)
def test_repository_size_and_reserve_policy(lab: Lab, kwargs: dict[str, Any], needle: str) -> None:
    a, b = two(lab)
    lab.disks.add("repo", [a, b], pvid="00c8a1b2c3d4e5f6", **kwargs)
    refused(lab, a, ADD, needle)


def test_a_repository_in_a_volume_group(lab: Lab) -> None:
    a, b = two(lab)
    lab.disks.add("repo", [a, b], pvid="00c8a1b2c3d4e5f6")
    lab.disks.set_volume_group("repo", "datavg")
    refused(lab, a, ADD, "is a part of the volume group datavg")


def test_a_second_cluster_on_a_node_is_refused(lab: Lab) -> None:
    a, b = configured(lab, 2)
    c = lab.node("ha3", "10.10.0.13")
    lab.prepare([a, b, c], labels=SERVICE)
    refused(lab, c, "clmgr add cluster other NODES=ha3,ha1", "already a member of cluster")


@pytest.mark.parametrize(
    ("policies", "needle"),
    [
        ("STARTUP=OAAN FALLOVER=FNPN FALLBACK=NFB", "OAAN"),
        ("STARTUP=OUDP FALLOVER=FNPN FALLBACK=FBHPN", "OUDP"),
        ("STARTUP=OHN FALLOVER=FUDNP FALLBACK=NFB", "NODE_PRIORITY_POLICY"),
        ("STARTUP=OHX", '"OHX" is not a valid value for STARTUP'),
    ],
)
def test_invalid_policy_combinations(lab: Lab, policies: str, needle: str) -> None:
    a, _ = configured(lab, 2)
    refused(lab, a, f"clmgr add resource_group rg2 NODES=ha1,ha2 {policies}", needle)
    refused(lab, a, f"clmgr modify resource_group rg1 {policies}", needle)


def test_dynamic_node_priority_with_its_policy_is_accepted(lab: Lab) -> None:
    a, _ = configured(lab, 2)
    lab.ok(
        a, "clmgr add rg rg2 NODES=ha2,ha1 FALLOVER=FUDNP NODE_PRIORITY_POLICY=cl_highest_free_mem"
    )
    lab.ok(a, "clmgr add rg rg3 NODES=ha1,ha2 STARTUP=OAAN FALLOVER=BO FALLBACK=NFB")


def test_split_policy_needs_7_2_1(lab: Lab) -> None:
    a, b = two(lab, version="7.1.3")
    lab.disks.add("repo", [a, b], pvid="00c8a1b2c3d4e5f6")
    refused(lab, a, ADD + " SPLIT_POLICY=tiebreaker MERGE_POLICY=tiebreaker", "7.1.3", "7.2.1")
    lab.ok(a, ADD)
    refused(lab, a, "clmgr modify cluster SPLIT_POLICY=manual MERGE_POLICY=manual", "7.2.1")
    assert 'HEARTBEAT_TYPE="unicast"' in lab.ok(a, "clmgr query cluster")


def test_split_and_merge_policies_from_7_2_1(lab: Lab) -> None:
    a, b = two(lab)
    lab.disks.add("repo", [a, b], pvid="00c8a1b2c3d4e5f6")
    lab.ok(a, ADD + " SPLIT_POLICY=manual MERGE_POLICY=manual")
    refused(
        lab,
        a,
        "clmgr modify cluster SPLIT_POLICY=none MERGE_POLICY=tiebreaker",
        "cannot be used with the split policy",
    )


def test_unicast_needs_7_1_3(lab: Lab) -> None:
    a, b = two(lab, version="7.1.2")
    lab.disks.add("repo", [a, b], pvid="00c8a1b2c3d4e5f6")
    refused(lab, a, ADD + " HEARTBEAT_TYPE=unicast", "HEARTBEAT_TYPE", "multicast")
    lab.ok(a, ADD)
    assert 'HEARTBEAT_TYPE="multicast"' in lab.ok(a, "clmgr query cluster")


def test_service_ip_and_scripts_are_checked_on_every_node(lab: Lab) -> None:
    a, b = configured(lab, 2)
    refused(lab, a, "clmgr add service_ip nosuch", '"nosuch" cannot be resolved on node "ha1"')
    for node in (a, b):
        node.fs.write_text("/etc/hosts", "192.168.9.9 farsvc\n", append=True)
    refused(lab, a, "clmgr add service_ip farsvc", "not in the subnet")
    b.fs.chmod("/opt/app/start", 0o644)
    refused(
        lab,
        a,
        "clmgr add ac app2 STARTSCRIPT=/opt/app/start STOPSCRIPT=/opt/app/stop",
        'not executable on node "ha2"',
    )
    b.fs.remove("/opt/app/start")
    err = refused(lab, a, "clmgr sync cluster", 'does not exist on node "ha2"')
    assert "cldare: Error detected during synchronization." in err


def test_sync_reports_a_pvid_lost_on_a_node(lab: Lab) -> None:
    a, b = configured(lab, 2)
    lab.disks.volumes["data"].read_by.discard(b.server_id)
    err = refused(lab, a, "clmgr sync cluster", 'Node "ha2" does not have this PVID defined')
    assert "ERROR: Updating the cluster in AIX failed." in err


def test_a_concurrent_group_cannot_hold_a_service_ip(lab: Lab) -> None:
    a, _ = configured(lab, 2)
    lab.ok(a, "clmgr delete rg rg1")
    refused(
        lab,
        a,
        "clmgr add rg rg2 NODES=ha1,ha2 STARTUP=OAAN FALLOVER=BO FALLBACK=NFB SERVICE_LABEL=hasvc",
        "cannot contain service IP labels",
    )
