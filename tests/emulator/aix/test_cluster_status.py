"""The status commands (clRGinfo, lscluster, clstat -o, cldump, clshowsrv -v, clcmd,
lssrc -ls clstrmgrES text) and one parser reading the emulator's output and the public
samples of shared/powerha/README.md to the same result."""

from __future__ import annotations

import pytest

from powerbridge.emulator.aix.node import Node
from powerbridge.ha.parse import GroupRow, clmgr_attributes, clstrmgr_state, rginfo_rows
from tests.support.powerha_lab import Lab, configured

ONLINE_CMD = "clmgr online cluster WHEN=now MANAGE=auto START_CAA=yes"

# from shared/powerha/README.md ("Output formats"): the lssrc line, the clmgr query lines and
# the clshowsrv -v sample are verbatim; the README gives clRGinfo -s only as the form
# `group:state:node:...`, so that row follows the form with the README's policy names
README_LSSRC = "Current state: ST_STABLE\n"
README_QUERY = 'CLUSTER_NAME="hacl"\nSTATE="STABLE"\n'
README_RGINFO_S = "rg1:ONLINE:ha1:non-concurrent:OHN:FNPN:NFB:ignore::::::\n"
README_CLSHOWSRV = (
    'Local node: "hadev11" ("hadev11.aus.stglabs.ibm.com", "hadev11.aus.stglabs.ibm.com")\n'
    '         Cluster services status:   "OFFLINE" ("ST_INIT")\n'
    '         Remote communications:     "UP"\n'
    '         Cluster-Aware AIX status:  "UP"\n'
)


@pytest.fixture
def stable(lab: Lab) -> list[Node]:
    nodes = configured(lab, 2)
    lab.ok(nodes[0], ONLINE_CMD)
    lab.advance(100)
    return nodes


def test_the_parser_reads_the_emulator_and_the_public_samples_alike(
    lab: Lab, stable: list[Node]
) -> None:
    a = stable[0]
    lssrc = lab.world.clusters.subsystem_status(a, "clstrmgrES") or ""
    assert clstrmgr_state(lssrc) == clstrmgr_state(README_LSSRC) == "ST_STABLE"
    ours = clmgr_attributes(lab.ok(a, "clmgr query cluster"))
    sample = clmgr_attributes(README_QUERY)
    assert {k: ours[k] for k in sample} == sample
    rows = rginfo_rows(lab.ok(a, "clRGinfo -s"))
    assert rows[0] == rginfo_rows(README_RGINFO_S)[0] == GroupRow("rg1", "ONLINE", "ha1")


def test_clshowsrv_follows_ibms_sample(lab: Lab) -> None:
    a, _ = configured(lab, 2)
    a.fs.write_text("/etc/hosts", "10.10.0.11 ha1.aus.example.com ha1\n", append=True)
    ours = lab.ok(a, "clshowsrv -v").splitlines()
    sample = README_CLSHOWSRV.splitlines()
    assert ours[0].startswith('Local node: "ha1" ("ha1.')
    assert ours[1] == sample[1]  # OFFLINE ("ST_INIT")
    assert ours[2] == sample[2]
    assert ours[3] == '         Cluster-Aware AIX status:  "DOWN"'  # CAA not created yet


def test_status_before_services_start(lab: Lab) -> None:
    a, _ = configured(lab, 2)
    result = lab.run(a, "clRGinfo")
    assert result.status == 1
    assert "ST_INIT" in result.err
    assert lab.run(a, "lscluster -m").status == 1
    assert lab.run(a, "clstat -o").status == 1
    assert lab.run(a, "cldump").status == 1
    assert lab.run(a, "clcmd lssrc -ls clstrmgrES").status == 1
    assert lab.run(a, "lscluster -z").status == 2
    status = lab.world.clusters.subsystem_status(a, "clstrmgrES") or ""
    assert status.startswith("Current state: ST_INIT\n")
    lone = lab.node("ha9", "10.10.0.19")
    assert clstrmgr_state(lab.world.clusters.subsystem_status(lone, "clstrmgrES") or "") == (
        "NOT_CONFIGURED"
    )
    assert lab.world.clusters.subsystem_status(a, "clcomd") is None


def test_status_of_a_stable_cluster(lab: Lab, stable: list[Node]) -> None:
    a, b = stable
    table = lab.ok(b, "clRGinfo")
    assert "Group Name" in table
    assert "Group State" in table
    assert "rg1" in table
    assert "ONLINE" in table
    members = lab.ok(a, "lscluster -m")
    assert "Node query number of nodes examined: 2" in members
    assert "State of node:  UP  NODE_LOCAL" in members
    disks = lab.ok(a, "lscluster -d")
    assert "Number of nodes reporting = 2" in disks
    assert "Type : REPDISK" in disks
    assert "Number of nodes in cluster = 2" in lab.ok(a, "lscluster -c")
    assert "IPv4 ADDRESS: 10.10.0.12" in lab.ok(a, "lscluster -i")
    clstat = lab.ok(a, "clstat -o")
    assert "Cluster: hacl" in clstat
    assert "State: UP" in clstat
    assert "SubState: STABLE" in clstat
    assert "Resource Group: rg1" in clstat
    assert "State: online" in clstat
    dump = lab.ok(a, "cldump")
    assert "Cluster State: UP" in dump
    assert "Cluster Substate: STABLE" in dump
    assert "Node Name: ha2" in dump
    assert '"ONLINE" ("ST_STABLE")' in lab.ok(b, "clshowsrv -v")


def test_clcmd_runs_on_every_node(lab: Lab, stable: list[Node]) -> None:
    a, b = stable
    out = lab.ok(a, "clcmd clshowsrv -v")
    assert out.index("NODE ha1") < out.index('Local node: "ha1"') < out.index("NODE ha2")
    assert out.index("NODE ha2") < out.index('Local node: "ha2"')
    lab.world.set_state(b, "down")
    partial = lab.run(a, "clcmd clshowsrv -v")
    assert partial.status == 1
    assert "ha2" in partial.err
