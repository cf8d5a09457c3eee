"""The lab builds the shipped example for real: the job succeeds and the nodes agree."""

from __future__ import annotations

from powerbridge.jobs import JobStatus
from tests.ha.cluster_lab import BuiltCluster, built_cluster_fixture  # noqa: F401


def test_the_example_is_built_active_on_its_home_node(built_cluster: BuiltCluster) -> None:
    assert built_cluster.job.status is JobStatus.SUCCEEDED
    assert built_cluster.job.summary["nodes"] == ["appha-node1", "appha-node2"]
