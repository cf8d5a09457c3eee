"""Building PowerHA clusters by hand with clmgr, on the manual clock: every node reaches
ST_STABLE, the group comes ONLINE on its home node with its resources; unsynced changes
block online; an emulator restart in the middle of online resumes (real servers and disks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from powerbridge.ha.parse import clmgr_attributes, clstrmgr_state, rginfo_rows
from tests.support.powerha_lab import Lab, build_lines, configured
from tests.support.powerha_real import RealLab, prepare_nodes

ONLINE_CMD = "clmgr online cluster WHEN=now MANAGE=auto START_CAA=yes"


def states(lab: Lab | RealLab, nodes: list) -> list[str | None]:  # type: ignore[type-arg]
    return [
        clstrmgr_state(lab.world.clusters.subsystem_status(n, "clstrmgrES") or "") for n in nodes
    ]


@pytest.mark.parametrize("count", [2, 3])
def test_cluster_reaches_stable_and_the_group_comes_online_on_its_home_node(
    lab: Lab, count: int
) -> None:
    nodes = configured(lab, count)
    assert states(lab, nodes) == ["ST_INIT"] * count
    lab.ok(nodes[0], ONLINE_CMD)
    # sync propagation (15) + caa_create (20) + cluster_join (10) + cluster_barrier (5)
    lab.advance(36)
    assert states(lab, nodes) == ["ST_JOINING"] * count
    lab.advance(10)
    assert states(lab, nodes) == ["ST_BARRIER"] * count
    lab.advance(5)
    assert states(lab, nodes) == ["ST_STABLE"] * count
    rows = rginfo_rows(lab.ok(nodes[1], "clRGinfo -s"))
    assert rows[0].state == "ACQUIRING"
    assert rows[0].node == "ha1"
    lab.advance(10)  # rg_acquire
    rows = rginfo_rows(lab.ok(nodes[1], "clRGinfo -s"))
    assert [(r.state, r.node) for r in rows] == [("ONLINE", "ha1")] + [
        ("OFFLINE", n.name) for n in nodes[1:]
    ]
    home = nodes[0]
    assert "10.10.0.50" in home.record.interfaces[0].aliases
    assert (home.server_id, "datavg") in lab.disks.varied_on
    assert (nodes[1].server_id, "datavg") not in lab.disks.varied_on
    assert lab.world.clusters.service_labels() == [("hasvc", "10.10.0.50", home.server_id)]
    query = clmgr_attributes(lab.ok(nodes[-1], "clmgr query resource_group rg1"))
    assert (query["STATE"], query["CURRENT_NODE"]) == ("ONLINE", "ha1")
    assert clmgr_attributes(lab.ok(nodes[0], "clmgr query cluster"))["STATE"] == "STABLE"
    hacmp = home.fs.read_text("/var/hacmp/log/hacmp.out")
    for event in (
        "node_up ha1",
        "rg_move_acquire ha1 rg1",
        "acquire_service_addr hasvc",
        "start_server app1",
    ):
        assert f"EVENT START: {event}" in hacmp
        assert f"EVENT COMPLETED: {event}" in hacmp


def test_the_minimal_form_names_the_cluster_after_the_local_node(lab: Lab) -> None:
    a, b = lab.nodes(2)
    lab.prepare([a, b])
    lab.disks.add("repo", [a, b], pvid="00c8a1b2c3d4e5f6")
    lab.ok(a, "clmgr add cluster nodes=ha1,ha2")
    assert 'UNSYNCED_CHANGES="true"' in lab.ok(a, "clmgr q cl")
    lab.ok(a, "clmgr add repository hdisk1")
    attrs = clmgr_attributes(lab.ok(b, "clmgr query cluster"))
    assert attrs["CLUSTER_NAME"] == "cluster_ha1"
    assert attrs["REPOSITORIES"] == "hdisk1"
    assert attrs["HEARTBEAT_TYPE"] == "unicast"


def test_changes_not_synced_block_online(lab: Lab) -> None:
    a, b = configured(lab, 2)
    lab.ok(a, "clmgr modify resource_group rg1 FALLBACK=FBHPN")
    result = lab.run(a, ONLINE_CMD)
    assert result.status != 0
    assert "ERROR:" in result.err
    assert "clmgr sync cluster" in result.err
    assert states(lab, [a, b]) == ["ST_INIT", "ST_INIT"]
    lab.ok(a, "clmgr sync cluster")
    lab.ok(a, ONLINE_CMD)
    lab.advance(100)
    assert states(lab, [a, b]) == ["ST_STABLE", "ST_STABLE"]


def test_a_restart_in_the_middle_of_online_resumes(tmp_path: Path) -> None:
    """Over real servers and disks: the nodes (and the cluster, the disks) are saved with
    their servers, so the emulator restarted comes back to the same nodes mid-online."""
    data = tmp_path / "data"
    first = RealLab(tmp_path, data_dir=data)
    nodes = first.deploy(["ha1", "ha2"])
    repo_disk, data_disk = prepare_nodes(first, nodes)
    for line in build_lines(nodes, repository=repo_disk, data=data_disk):
        first.ok(nodes[0], line)
    first.ok(nodes[0], ONLINE_CMD)
    first.advance(40)  # CAA up, nodes joining
    assert states(first, nodes) == ["ST_JOINING", "ST_JOINING"]
    first.close()

    second = RealLab(tmp_path, data_dir=data)
    revived = [second.world.node(n.server_id) for n in nodes]
    assert all(n is not None for n in revived)
    assert states(second, revived) == ["ST_JOINING", "ST_JOINING"]
    second.advance(30)
    assert states(second, revived) == ["ST_STABLE", "ST_STABLE"]
    rows = rginfo_rows(second.ok(revived[0], "clRGinfo -s"))  # type: ignore[arg-type]
    assert (rows[0].state, rows[0].node) == ("ONLINE", "ha1")
    second.close()


def test_offline_and_delete(lab: Lab) -> None:
    a, b = configured(lab, 2)
    lab.ok(a, ONLINE_CMD)
    lab.advance(100)
    refused = lab.run(b, "clmgr delete cluster")
    assert refused.status != 0
    assert "offline" in refused.err
    lab.ok(b, "clmgr offline cluster WHEN=now MANAGE=offline")
    assert states(lab, [a, b]) == ["ST_INIT", "ST_INIT"]
    assert a.record.interfaces[0].aliases == []
    assert (a.server_id, "datavg") not in lab.disks.varied_on
    assert "OFFLINE" in lab.ok(a, "clmgr -a STATE query cluster")
    lab.ok(b, "clmgr rm cluster")
    assert lab.world.clusters.of_node(a) is None
    assert lab.run(a, "clmgr query cluster").status != 0


def test_with_the_instant_clock_online_completes_at_once(tmp_path: Path) -> None:
    lab = Lab(tmp_path, clock="instant")
    nodes = configured(lab, 2)
    lab.ok(nodes[0], ONLINE_CMD)
    assert states(lab, nodes) == ["ST_STABLE", "ST_STABLE"]
    rows = rginfo_rows(lab.ok(nodes[0], "clRGinfo -s"))
    assert (rows[0].state, rows[0].node) == ("ONLINE", "ha1")
    lab.close()
