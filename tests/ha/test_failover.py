"""`ha failover`: the group moves where asked (read back over SSH with clRGinfo), to the next
node up by default, and bad requests are refused before anything runs."""

from __future__ import annotations

import pytest

from powerbridge.ha.errors import ClusterBusy, HAError, NotACluster
from powerbridge.ha.failover import failover, next_node
from powerbridge.ha.journal import CLUSTER
from powerbridge.jobs import JobStatus
from tests.ha.ops_support import OpsCluster, ops_cluster_fixture  # noqa: F401
from tests.support.clirun import Shell

NODE1, NODE2 = "appha-node1", "appha-node2"
GROUP = "appha_rg"


def online_on(cluster: OpsCluster, asked: str) -> list[str]:
    """Where `clRGinfo -s` on node `asked` says the group is ONLINE."""
    rows = [line.split(":") for line in cluster.ssh(asked, "clRGinfo -s").splitlines()]
    return [row[2] for row in rows if len(row) > 2 and row[0] == GROUP and row[1] == "ONLINE"]


def test_failover_to_node2_moves_the_group_and_back(ops_cluster: OpsCluster) -> None:
    assert online_on(ops_cluster, NODE2) == [NODE1]
    job = ops_cluster.call(failover, to_node=NODE2)
    assert job.status is JobStatus.SUCCEEDED
    assert job.summary["from"] == NODE1
    assert job.summary["to"] == NODE2
    assert online_on(ops_cluster, NODE1) == [NODE2]
    assert online_on(ops_cluster, NODE2) == [NODE2]
    commands = [
        item.details["command"]
        for item in ops_cluster.lab.store.items(job.id)
        if item.kind == "command" and item.name.startswith("move/")
    ]
    assert commands == [f"clmgr move resource_group {GROUP} NODE={NODE2}"]
    back = ops_cluster.call(failover)  # the next node up after node2: node1
    assert back.summary["to"] == NODE1
    assert online_on(ops_cluster, NODE2) == [NODE1]


def test_failover_where_the_group_already_is_changes_nothing(ops_cluster: OpsCluster) -> None:
    job = ops_cluster.call(failover, to_node=NODE1)
    assert job.status is JobStatus.SUCCEEDED
    assert not any(
        item.kind == "command" and item.name.startswith("move/")
        for item in ops_cluster.lab.store.items(job.id)
    )
    assert online_on(ops_cluster, NODE1) == [NODE1]


def test_failover_to_an_unknown_node_is_refused_by_name(ops_cluster: OpsCluster) -> None:
    before = len(ops_cluster.lab.store.jobs(ops_cluster.name, kind=CLUSTER))
    with pytest.raises(HAError, match="appha-node9 is not a node of cluster appha") as raised:
        ops_cluster.call(failover, to_node="appha-node9")
    assert raised.value.hint is not None
    assert len(ops_cluster.lab.store.jobs(ops_cluster.name, kind=CLUSTER)) == before


def test_an_operation_on_a_name_that_is_no_cluster(ops_cluster: OpsCluster) -> None:
    with pytest.raises(NotACluster, match="nosuch is not a cluster"):
        ops_cluster.call(failover, name="nosuch")


def test_a_second_operation_while_one_runs_is_busy(ops_cluster: OpsCluster) -> None:
    store = ops_cluster.lab.store
    running = store.create_job(CLUSTER, ops_cluster.name, action="stop")
    try:
        with pytest.raises(ClusterBusy, match=f"job {running.id} \\(stop"):
            ops_cluster.call(failover, to_node=NODE2)
    finally:
        store.finish(running.id, JobStatus.SUCCEEDED)
    assert online_on(ops_cluster, NODE1) == [NODE1]


def test_next_node_follows_priority_and_wraps() -> None:
    order = ("a", "b", "c")
    assert next_node(order, "a", ["a", "b", "c"]) == "b"
    assert next_node(order, "b", ["a", "c"]) == "c"
    assert next_node(order, "c", ["a", "b", "c"]) == "a"
    assert next_node(order, "a", ["a", "c"]) == "c"
    assert next_node(order, "a", ["a"]) is None
    assert next_node(order, None, ["b"]) == "b"


def test_the_cli_moves_the_group_and_names_a_bad_node(
    ops_cluster: OpsCluster, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sh = Shell(monkeypatch, capsys, ops_cluster.cli_env())
    options = ops_cluster.cli_options()
    moved = sh.ok("ha", "failover", ops_cluster.name, "--to", NODE2, *options)
    assert f"cluster appha: {GROUP} online on {NODE2} (was {NODE1})" in moved.out
    assert "move" in moved.err  # the progress lines
    assert online_on(ops_cluster, NODE1) == [NODE2]
    sh.ok("ha", "failover", ops_cluster.name, *options)
    assert online_on(ops_cluster, NODE1) == [NODE1]
    bad = sh("ha", "failover", ops_cluster.name, "--to", "nodeX", *options)
    assert bad.code == 1
    assert bad.error_lines == [
        "error: nodeX is not a node of cluster appha (its nodes: appha-node1, appha-node2);"
        " nothing was moved"
    ]
    missing = sh("ha", "stop", "nosuch", *options)
    assert missing.code == 1
    assert "nosuch is not a cluster" in missing.err
