"""A lost repository disk: rep_disk_notify on every node; from 7.2.0 the first backup takes
over at once; without one (or on 7.1.3) the cluster is restricted until it is replaced."""

from __future__ import annotations

from powerbridge.emulator.aix.node import DOWN, UP, Node
from powerbridge.ha.parse import rginfo_rows
from tests.support.powerha_lab import SERVICE, Lab, build_lines

ONLINE_CMD = "clmgr online cluster WHEN=now MANAGE=auto START_CAA=yes"


def online(lab: Lab, version: str, *, backup: bool) -> list[Node]:
    nodes = lab.nodes(2, version=version)
    lab.prepare(nodes, labels=SERVICE)
    lab.disks.add("repo", nodes, pvid="00c8a1b2c3d4e5f6")
    lab.disks.add("data", nodes, pvid="00c8a1b2c3d4e5f7", size_mb=10240)
    lab.disks.add("spare", nodes, pvid="00c8a1b2c3d4e5f8")
    lab.script(nodes, "/opt/app/start")
    lab.script(nodes, "/opt/app/stop")
    for line in build_lines(nodes):
        lab.ok(nodes[0], line)
    if backup:
        lab.ok(nodes[0], "clmgr add repository hdisk3")
        lab.ok(nodes[0], "clmgr sync cluster")
    lab.ok(nodes[0], ONLINE_CMD)
    lab.advance(100)
    return nodes


def test_from_7_2_0_the_backup_repository_takes_over(lab: Lab) -> None:
    a, _ = online(lab, "7.2.5", backup=True)
    assert lab.world.clusters.repository_lost("repo") == ["hacl"]
    hacmp = a.fs.read_text("/var/hacmp/log/hacmp.out")
    assert "rep_disk_notify" in hacmp
    assert "on Cluster hacl has lost access to repository disk hdisk1." in hacmp
    assert lab.ok(a, "clmgr query repository") == "hdisk3\n"
    assert lab.disks.volumes["spare"].volume_group == "caavg_private"
    assert "State : UP" in lab.ok(a, "lscluster -d")


def test_without_automatic_replacement_the_cluster_is_restricted(lab: Lab) -> None:
    a, b = online(lab, "7.1.3", backup=True)
    lab.world.clusters.repository_lost("repo")
    assert "State : DOWN" in lab.ok(a, "lscluster -d")
    c = lab.node("ha3", "10.10.0.13", version="7.1.3")
    lab.prepare([a, b, c], labels=SERVICE)
    joined = lab.run(a, "clmgr add node ha3")
    assert joined.status != 0
    assert "restricted mode" in joined.err
    lab.ok(a, "clmgr move resource_group rg1 NODE=ha2")  # groups can still move
    lab.advance(10)
    assert ("ONLINE", "ha2") in [(r.state, r.node) for r in rginfo_rows(lab.ok(a, "clRGinfo -s"))]
    lab.world.set_state(a, DOWN)
    lab.world.set_state(a, UP)
    refused = lab.run(a, "clmgr online node ha1")
    assert refused.status != 0
    assert "Repository disk was not found. Hence CAA is not loaded on local node." in refused.err
    lab.ok(b, "clmgr replace repository hdisk3")
    lab.ok(a, "clmgr online node ha1")
    lab.advance(100)
    assert lab.ok(a, "clmgr -a RAW_STATE query node ha1") == 'RAW_STATE="ST_STABLE"\n'
    assert lab.world.clusters.repository_lost("nosuch") == []
