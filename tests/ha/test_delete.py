"""`ha delete`: a snapshot kept in the job, then nothing the cluster created is left but its
data volumes (none with --delete-data); what lacks the tag, or that no job of the cluster
made, is kept; a cluster already partly gone is still deleted."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from powerbridge.client import Cloud
from powerbridge.client.volume import VolumeCreate
from powerbridge.ha.delete import delete_cluster, snapshot_name
from powerbridge.ha.model import CLUSTER_TAG
from powerbridge.jobs import JobStatus
from tests.emulator.aix.ssh_support import add_behaviour
from tests.ha.ops_support import OpsCluster, fresh_cluster_fixture  # noqa: F401
from tests.support.clirun import Shell

CLUSTER = "appha"


@dataclass(frozen=True)
class Cloudscape:
    """What PowerVC holds, by name."""

    servers: dict[str, dict[str, str]]  # name -> metadata
    volumes: dict[str, dict[str, str]]
    rules: list[str]
    ports: list[str]
    key_pairs: list[str]


def cloudscape(cluster: OpsCluster) -> Cloudscape:
    async def work(cloud: Cloud) -> Cloudscape:
        return Cloudscape(
            {s.name: dict(s.metadata) for s in await cloud.compute.servers()},
            {v.name: dict(v.metadata) for v in await cloud.volume.volumes()},
            [r.name for r in await cloud.powervc.collocation_rules()],
            [p.name for p in await cloud.network.ports() if p.name],
            [k.name for k in await cloud.compute.keypairs()],
        )

    return cluster.lab.run(work)


def tagged(resources: dict[str, dict[str, str]]) -> list[str]:
    return sorted(name for name, meta in resources.items() if meta.get(CLUSTER_TAG) == CLUSTER)


def add_bystanders(cluster: OpsCluster) -> None:
    """A server and a volume without the tag, and a volume with the tag no job made."""
    cluster.lab.aix.deploy("bystander")

    async def work(cloud: Cloud) -> None:
        for name, meta in (
            ("appha-data-7", {}),  # named like a data volume, untagged
            ("appha-repository-old", {CLUSTER_TAG: CLUSTER}),  # tagged by hand, role-less
            ("appha-data-8", {CLUSTER_TAG: CLUSTER}),  # tagged by hand: no job made it
        ):
            await cloud.volume.create_volume(VolumeCreate(size=1, name=name, metadata=meta))

    cluster.lab.run(work)


def test_delete_keeps_the_data_volumes_and_what_was_not_its_own(
    fresh_cluster: OpsCluster,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sh = Shell(monkeypatch, capsys, fresh_cluster.cli_env())
    options = fresh_cluster.cli_options()
    refused = sh("ha", "delete", CLUSTER, *options)  # no --yes, and no terminal to ask on
    assert refused.code == 2
    assert "needs confirmation, but there is no terminal" in refused.err
    assert tagged(cloudscape(fresh_cluster).servers) == ["appha-node1", "appha-node2"]

    add_bystanders(fresh_cluster)
    before = cloudscape(fresh_cluster)
    done = sh.ok("ha", "delete", CLUSTER, "--yes", *options)
    assert "deleted  server appha-node1" in done.out
    assert "kept     volume appha-data-1 (data; --delete-data deletes it)" in done.out
    after = cloudscape(fresh_cluster)
    assert tagged(after.servers) == []
    assert "bystander" in after.servers
    assert tagged(after.volumes) == ["appha-data-1", "appha-data-8", "appha-repository-old"]
    assert "appha-data-7" in after.volumes
    assert "appha-anti-affinity" in before.rules
    assert "appha-anti-affinity" not in after.rules
    assert "appha-service-ip" in before.ports
    assert "appha-service-ip" not in after.ports
    assert "appha-key" in before.key_pairs
    assert "appha-key" not in after.key_pairs

    store = fresh_cluster.lab.store
    job = store.jobs(CLUSTER, action="delete", limit=1)[0]
    assert job.status is JobStatus.SUCCEEDED
    assert sorted(job.summary["deleted"]) == [
        "collocation_rule appha-anti-affinity",
        "keypair appha-key",
        "port appha-service-ip",
        "server appha-node1",
        "server appha-node2",
        "volume appha-repository",
    ]
    kept = job.summary["kept"]
    assert any(k.startswith("volume appha-data-8: tagged, but no job") for k in kept)
    snapshot = next(i for i in store.items(job.id) if i.kind == "snapshot")
    assert snapshot.name == snapshot_name(CLUSTER)
    assert 'CLUSTER_NAME="appha"' in snapshot.details["text"]
    assert "appha_rg" in snapshot.details["text"]

    again = sh("ha", "delete", CLUSTER, "--yes", *options)
    assert again.code == 1
    assert "cluster appha was deleted by job" in again.err


def test_unreachable_nodes_are_skipped_and_delete_data_deletes_every_volume(
    fresh_cluster: OpsCluster,
) -> None:
    add_behaviour(
        fresh_cluster.lab.aix, {"kind": "node", "mode": "refuse_ssh", "name_regex": "^appha-"}
    )
    job = fresh_cluster.call(delete_cluster, delete_data=True, connect_wait_seconds=0.5)
    assert job.status is JobStatus.SUCCEEDED
    notes = job.summary["notes"]
    assert sum("is unreachable" in note for note in notes) == 2
    assert job.summary["snapshot"] is None
    after = cloudscape(fresh_cluster)
    assert tagged(after.servers) == []
    assert tagged(after.volumes) == []


def test_a_partly_gone_cluster_is_still_deleted(fresh_cluster: OpsCluster) -> None:
    async def drop_node2(cloud: Cloud) -> None:
        server = await cloud.compute.find_server("appha-node2")
        await cloud.compute.delete_server(server.id)

    fresh_cluster.lab.run(drop_node2)
    job = fresh_cluster.call(delete_cluster)
    assert job.status is JobStatus.SUCCEEDED
    assert any("appha-node2" in note for note in job.summary["notes"])
    assert job.summary["snapshot"] == snapshot_name(CLUSTER)  # taken on node1
    after = cloudscape(fresh_cluster)
    assert tagged(after.servers) == []
    assert tagged(after.volumes) == ["appha-data-1"]
