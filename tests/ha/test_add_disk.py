"""`ha add-disk`: a new multiattach volume, tagged and named after the cluster, ends up in the
volume group on every node (lspv on each node shows it with the VG, found by its WWN); a retry
after a failure continues with the same volume."""

from __future__ import annotations

import pytest

from powerbridge.client import Cloud
from powerbridge.client.volume import Volume
from powerbridge.ha.add_disk import add_disk, next_data_name
from powerbridge.ha.errors import HAError, StepFailed
from powerbridge.ha.model import CLUSTER_TAG
from powerbridge.ha.parse import disk_by_wwn, lspv_rows
from powerbridge.jobs import JobStatus
from tests.emulator.aix.ssh_support import add_behaviour, remove_behaviour, ssh_run
from tests.ha.ops_support import OpsCluster, ops_cluster_fixture  # noqa: F401

NODES = ("appha-node1", "appha-node2")


def cluster_volumes(cluster: OpsCluster) -> dict[str, Volume]:
    async def work(cloud: Cloud) -> dict[str, Volume]:
        return {
            v.name: v
            for v in await cloud.volume.volumes()
            if v.metadata.get(CLUSTER_TAG) == cluster.name
        }

    return cluster.lab.run(work)


def vg_of(cluster: OpsCluster, node: str, wwn: str) -> str | None:
    row = disk_by_wwn(lspv_rows(cluster.ssh(node, "lspv -u")), wwn)
    return None if row is None else row.volume_group


def test_add_disk_puts_a_new_disk_in_the_vg_on_every_node(ops_cluster: OpsCluster) -> None:
    job = ops_cluster.call(add_disk, size_gb=5)
    assert job.status is JobStatus.SUCCEEDED
    volume = cluster_volumes(ops_cluster)["appha-data-2"]
    assert volume.multiattach
    assert volume.size == 5
    assert len(volume.server_ids) == 2
    wwn = volume.metadata["volume_wwn"]
    assert [vg_of(ops_cluster, node, wwn) for node in NODES] == ["appvg", "appvg"]
    assert job.summary["volume"] == "appha-data-2"
    synced = ops_cluster.ssh(NODES[0], "clmgr -a UNSYNCED_CHANGES query cluster")
    assert synced.strip() == 'UNSYNCED_CHANGES="false"'


def test_a_failed_add_disk_is_continued_with_the_same_volume(ops_cluster: OpsCluster) -> None:
    rule = add_behaviour(
        ops_cluster.lab.aix,
        {
            "kind": "node",
            "mode": "fail_command",
            "command_regex": "^clmgr modify volume_group",
            "message": "ERROR: injected C-SPOC failure",
        },
    )
    try:
        with pytest.raises(
            StepFailed, match=r"step extend failed on node appha-node1.*injected"
        ) as e:
            ops_cluster.call(add_disk, size_gb=3)
        assert "`powerbridge ha add-disk appha` again" in str(e.value.hint)
    finally:
        remove_behaviour(ops_cluster.lab.aix, rule)
    before = set(cluster_volumes(ops_cluster))
    assert "appha-data-3" in before
    job = ops_cluster.call(add_disk, size_gb=3)
    assert job.status is JobStatus.SUCCEEDED
    assert set(cluster_volumes(ops_cluster)) == before  # no second volume
    wwn = cluster_volumes(ops_cluster)["appha-data-3"].metadata["volume_wwn"]
    assert [vg_of(ops_cluster, node, wwn) for node in NODES] == ["appvg", "appvg"]


def test_add_disk_needs_a_size(ops_cluster: OpsCluster) -> None:
    with pytest.raises(HAError, match="needs the new disk's size"):
        ops_cluster.call(add_disk)


def test_next_data_name_counts_past_the_highest() -> None:
    names = ["c-repository", "c-data-1", "c-data-3", "other-data-9"]
    assert next_data_name("c", names) == "c-data-4"
    assert next_data_name("c", ["c-repository"]) == "c-data-1"


def test_clmgr_modify_volume_group_refuses_what_cannot_join(ops_cluster: OpsCluster) -> None:
    """The emulated C-SPOC extend: a member again, or a disk that is not there, is refused
    with PowerHA's ERROR line and changes nothing."""
    rows = lspv_rows(ops_cluster.ssh("appha-node1", "lspv -u"))
    member = next(row.name for row in rows if row.volume_group == "appvg")

    async def clmgr(_: Cloud, words: str) -> tuple[int, str]:
        done = await ssh_run(ops_cluster.lab.aix, "appha-node1", ops_cluster.lab.key, words)
        return int(done.exit_status or 0), str(done.stderr)

    again = ops_cluster.lab.run(lambda c: clmgr(c, f"clmgr modify volume_group appvg ADD={member}"))
    assert again == (1, f'ERROR: "{member}" is already a member of volume group "appvg".\n')
    absent = ops_cluster.lab.run(lambda c: clmgr(c, "clmgr modify volume_group appvg ADD=hdisk99"))
    assert absent[0] == 1
    assert 'ERROR: "hdisk99" is not a valid physical volume on "appha-node1".' in absent[1]
    assert lspv_rows(ops_cluster.ssh("appha-node1", "lspv -u")) == rows
