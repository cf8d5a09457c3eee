"""`ha status --watch` follows a built cluster as it changes: without a terminal a line per
change (none while nothing changes), on one a rich Live panel redrawn after each read."""

from __future__ import annotations

import io

from powerbridge.cli.ha_watch import watch_cluster
from powerbridge.client import Cloud
from powerbridge.ha.cluster_view import ClusterView
from powerbridge.ha.status import read_cluster
from tests.ha.cluster_lab import BuiltCluster, built_cluster_fixture  # noqa: F401
from tests.ha.show_support import read_options, run_on

OTHER = "appha-node2"


def test_without_a_terminal_a_line_is_printed_per_change(built_cluster: BuiltCluster) -> None:
    lab = built_cluster.lab
    out = io.StringIO()
    # what an admin does between two reads: nothing, stop services on a node, start them again
    between = [
        None,
        f"clmgr offline node {OTHER} WHEN=now MANAGE=offline",
        None,
        f"clmgr online node {OTHER} WHEN=now MANAGE=auto",
    ]
    reads = 0

    async def work(cloud: Cloud) -> ClusterView:
        async def read() -> ClusterView:
            nonlocal reads
            command = between[reads - 1] if reads else None
            reads += 1
            if command is not None:
                await run_on(lab, OTHER, command)
            return await read_cluster(cloud, lab.store, "appha", lab.identity, read_options(lab))

        return await watch_cluster(read, out, interval=0, live=False, count=5)

    last = lab.run(work)
    assert last.status == "Normal"
    heads = [line.split("] ", 1)[1] for line in out.getvalue().splitlines() if "] appha:" in line]
    assert heads == [
        "appha: Active / Normal, appha_rg on appha-node1 (home appha-node1)",
        "appha: Active / Warning, appha_rg on appha-node1 (home appha-node1)",
        "appha: Active / Normal, appha_rg on appha-node1 (home appha-node1)",
    ]
    assert f"cluster services are stopped on {OTHER} (ST_INIT)" in out.getvalue()


def test_on_a_terminal_a_live_panel_is_redrawn(built_cluster: BuiltCluster) -> None:
    lab = built_cluster.lab
    out = io.StringIO()

    async def work(cloud: Cloud) -> ClusterView:
        async def read() -> ClusterView:
            return await read_cluster(cloud, lab.store, "appha", lab.identity, read_options(lab))

        return await watch_cluster(read, out, interval=0, live=True, count=2)

    lab.run(work)
    assert "appha: Active / Normal" in out.getvalue()
    assert "Ctrl-C to stop" in out.getvalue()
