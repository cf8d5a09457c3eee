"""`ha stop` then `ha start`: Offline on every node, then back to Active / Normal with the
group on its home node, as the nodes themselves report it over SSH."""

from __future__ import annotations

import pytest

from powerbridge.ha.errors import StepFailed
from powerbridge.ha.failover import failover
from powerbridge.ha.services import start_cluster, stop_cluster
from powerbridge.jobs import JobStatus
from tests.ha.ops_support import OpsCluster, ops_cluster_fixture  # noqa: F401

NODES = ("appha-node1", "appha-node2")


def manager_state(cluster: OpsCluster, node: str) -> str:
    out = cluster.ssh(node, "lssrc -ls clstrmgrES")
    return next(
        line.split(":", 1)[1].strip() for line in out.splitlines() if "Current state" in line
    )


def test_stop_then_start_returns_to_active_normal(ops_cluster: OpsCluster) -> None:
    stopped = ops_cluster.call(stop_cluster)
    assert stopped.status is JobStatus.SUCCEEDED
    assert stopped.summary["state"] == "Offline"
    assert [manager_state(ops_cluster, node) for node in NODES] == ["ST_INIT", "ST_INIT"]
    group = ops_cluster.ssh(NODES[0], "clmgr -a STATE query resource_group appha_rg")
    assert group.strip() == 'STATE="OFFLINE"'

    again = ops_cluster.call(stop_cluster)  # already stopped: nothing to run
    commands = [i for i in ops_cluster.lab.store.items(again.id) if i.name.startswith("stop/")]
    assert all("offline" not in str(i.details.get("command")) for i in commands)

    started = ops_cluster.call(start_cluster)
    assert started.status is JobStatus.SUCCEEDED
    assert (started.summary["state"], started.summary["status"]) == ("Active", "Normal")
    assert [manager_state(ops_cluster, node) for node in NODES] == ["ST_STABLE", "ST_STABLE"]
    assert f"appha_rg:ONLINE:{NODES[0]}" in ops_cluster.ssh(NODES[1], "clRGinfo -s")


def test_start_on_a_running_cluster_changes_nothing(ops_cluster: OpsCluster) -> None:
    job = ops_cluster.call(start_cluster)
    assert job.status is JobStatus.SUCCEEDED
    start = [i for i in ops_cluster.lab.store.items(job.id) if i.name.startswith("start/")]
    assert "already run on every node" in start[0].details["stdout"]


def test_failover_of_a_stopped_cluster_says_to_start_it(ops_cluster: OpsCluster) -> None:
    ops_cluster.call(stop_cluster)
    try:
        with pytest.raises(StepFailed, match="no node runs stable cluster services") as raised:
            ops_cluster.call(failover)
        assert "`powerbridge ha start appha`" in str(raised.value)
    finally:
        ops_cluster.call(start_cluster)
    assert f"appha_rg:ONLINE:{NODES[0]}" in ops_cluster.ssh(NODES[1], "clRGinfo -s")
