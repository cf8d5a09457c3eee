"""Fallover, fallback and moves on the manual clock: a node that goes down under running
cluster services loses its group to the next node after failure_detection (BO: offline);
a node that comes back starts with services stopped and FALLBACK applies once they start."""

from __future__ import annotations

from powerbridge.emulator.aix.node import BOOTING, DOWN, UP, Node
from powerbridge.ha.parse import clstrmgr_state, rginfo_rows
from tests.support.powerha_lab import Lab, configured

ONLINE_CMD = "clmgr online cluster WHEN=now MANAGE=auto START_CAA=yes"


def online(lab: Lab, count: int, **policies: str) -> list[Node]:
    nodes = configured(lab, count, **policies)
    lab.ok(nodes[0], ONLINE_CMD)
    lab.advance(100)
    return nodes


def where(lab: Lab, node: Node) -> list[tuple[str, str]]:
    return [(r.state, r.node) for r in rginfo_rows(lab.ok(node, "clRGinfo -s"))]


def state(lab: Lab, node: Node) -> str | None:
    return clstrmgr_state(lab.world.clusters.subsystem_status(node, "clstrmgrES") or "")


def test_fallover_to_the_next_node_after_failure_detection(lab: Lab) -> None:
    a, b, c = online(lab, 3)
    lab.world.set_state(a, DOWN)  # the server stopped through PowerVC
    # until the survivors notice, they still show the group where it was
    assert where(lab, b)[0] == ("ONLINE", "ha1")
    lab.advance(19)
    assert where(lab, c)[0] == ("ONLINE", "ha1")
    assert "node_down ha1" not in b.fs.read_text("/var/hacmp/log/hacmp.out")
    lab.advance(1)  # failure_detection (20)
    assert where(lab, b)[0] == ("OFFLINE", "ha1")
    assert ("ACQUIRING", "ha2") in where(lab, b)
    lab.advance(10)
    assert where(lab, c) == [("OFFLINE", "ha1"), ("ONLINE", "ha2"), ("OFFLINE", "ha3")]
    assert "10.10.0.50" in b.record.interfaces[0].aliases
    assert lab.world.clusters.service_labels() == [("hasvc", "10.10.0.50", b.server_id)]
    assert "EVENT START: node_down ha1" in b.fs.read_text("/var/hacmp/log/hacmp.out")


def test_bring_offline_leaves_the_group_offline(lab: Lab) -> None:
    a, b = online(lab, 2, fallover="BO")
    lab.world.set_state(a, DOWN)
    lab.advance(60)
    assert all(s == "OFFLINE" for s, _ in where(lab, b))


def test_a_rebooted_node_comes_back_stopped_and_fbhpn_moves_the_group_back(lab: Lab) -> None:
    a, b = online(lab, 2, fallback="FBHPN")
    lab.world.set_state(a, BOOTING)  # reboot through PowerVC
    lab.advance(30)
    lab.world.set_state(a, UP)
    assert state(lab, a) == "ST_INIT"
    assert where(lab, b) == [("OFFLINE", "ha1"), ("ONLINE", "ha2")]
    lab.ok(a, "clmgr online node ha1")
    lab.advance(100)
    assert state(lab, a) == "ST_STABLE"
    assert where(lab, b) == [("ONLINE", "ha1"), ("OFFLINE", "ha2")]
    assert b.record.interfaces[0].aliases == []
    assert (b.server_id, "datavg") not in lab.disks.varied_on


def test_never_fallback_stays_on_the_survivor(lab: Lab) -> None:
    a, _b = online(lab, 2, fallback="NFB")
    lab.world.set_state(a, DOWN)
    lab.advance(30)
    lab.world.set_state(a, UP)
    lab.ok(a, "clmgr start node ha1")
    lab.advance(100)
    assert state(lab, a) == "ST_STABLE"
    assert where(lab, a) == [("OFFLINE", "ha1"), ("ONLINE", "ha2")]


def test_move_resource_group(lab: Lab) -> None:
    a, _b = online(lab, 2)
    lab.ok(a, "clmgr move resource_group rg1 NODE=ha2")
    assert where(lab, a) == [("OFFLINE", "ha1"), ("ACQUIRING", "ha2")]
    lab.advance(10)
    assert where(lab, a) == [("OFFLINE", "ha1"), ("ONLINE", "ha2")]
    again = lab.run(a, "clmgr mv rg rg1 NODE=ha2")
    assert again.status != 0
    assert "already online" in again.err
    nowhere = lab.run(a, "clmgr move rg rg1 NODE=ha9")
    assert nowhere.status != 0
    assert "ha9" in nowhere.err


def test_a_node_stopped_before_services_started_is_not_a_failure(lab: Lab) -> None:
    a, b = configured(lab, 2)
    lab.world.set_state(a, DOWN)
    lab.advance(60)
    assert lab.world.clusters.of_node(a) is not None
    assert state(lab, b) == "ST_INIT"
    result = lab.run(b, ONLINE_CMD)  # starts the nodes that are up
    assert result.status == 0
    lab.advance(100)
    assert (state(lab, a), state(lab, b)) == ("ST_INIT", "ST_STABLE")
    assert all(s == "OFFLINE" for s, _ in where(lab, b))  # OHN: its home node is down


def test_offline_node_with_manage_move_moves_its_group(lab: Lab) -> None:
    a, b = online(lab, 2)
    lab.ok(a, "clmgr offline node ha1 WHEN=now MANAGE=move")
    assert state(lab, a) == "ST_INIT"
    lab.advance(10)
    assert where(lab, b) == [("OFFLINE", "ha1"), ("ONLINE", "ha2")]
    bad = lab.run(a, "clmgr offline node ha2 MANAGE=sideways")
    assert bad.status != 0
    assert "MANAGE" in bad.err


def test_online_with_manage_manual_acquires_nothing(lab: Lab) -> None:
    a, b = configured(lab, 2)
    lab.ok(a, "clmgr online cluster WHEN=now MANAGE=manual")
    lab.advance(100)
    assert (state(lab, a), state(lab, b)) == ("ST_STABLE", "ST_STABLE")
    assert all(s == "OFFLINE" for s, _ in where(lab, a))
    lab.ok(a, "clmgr move rg rg1 NODE=ha1")  # the operator brings it online
    lab.advance(10)
    assert where(lab, a)[0] == ("ONLINE", "ha1")
