"""A 2-node PowerHA cluster built by hand over real servers (image PowerHA72) and the real
disk table: shared Cinder volumes attached to both, cfgmgr, PVIDs, no_reserve, /etc/hosts and
rhosts, then clmgr, sync and online, every node-side step a command line in the node's shell.
Both nodes reach ST_STABLE, the group comes ONLINE on its home node, lspv shows the CAA
repository and the data VG as AIX does."""

from __future__ import annotations

from pathlib import Path

from powerbridge.ha.parse import clstrmgr_state, rginfo_rows
from tests.support.powerha_lab import build_lines
from tests.support.powerha_real import SERVICE_ADDRESS, RealLab, prepare_nodes

ONLINE_CMD = "clmgr online cluster WHEN=now MANAGE=auto START_CAA=yes"


def test_a_cluster_on_real_disks_comes_online(tmp_path: Path) -> None:
    lab = RealLab(tmp_path)
    try:
        home, other = nodes = lab.deploy(["ha1", "ha2"])
        repo_disk, data_disk = prepare_nodes(lab, nodes)
        for line in build_lines(nodes, repository=repo_disk, data=data_disk):
            lab.ok(home, line)
        lab.ok(home, ONLINE_CMD)
        lab.advance(100)
        for node in nodes:
            state = clstrmgr_state(lab.ok(node, "lssrc -ls clstrmgrES"))
            assert state == "ST_STABLE", (node.name, state)
        rows = rginfo_rows(lab.ok(other, "clRGinfo -s"))
        assert [(r.state, r.node) for r in rows] == [("ONLINE", "ha1"), ("OFFLINE", "ha2")]
        assert SERVICE_ADDRESS in home.record.interfaces[0].aliases

        for node in nodes:  # the CAA repository: caavg_private, active on every node
            columns = lab.ok(node, f"lspv | awk '$1==\"{repo_disk}\"{{print $3, $4}}'")
            assert columns.split() == ["caavg_private", "active"], (node.name, columns)
        # the data VG, enhanced concurrent, varied on with the group on its home node
        columns = lab.ok(home, f"lspv | awk '$1==\"{data_disk}\"{{print $3, $4}}'")
        assert columns.split() == ["datavg", "concurrent"]
    finally:
        lab.close()
