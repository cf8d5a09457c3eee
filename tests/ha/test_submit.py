"""Cluster creates through a worker: submitted, claimed, built over real HTTP and SSH; a
failed one queued again continues where it stopped."""

from __future__ import annotations

import asyncio
from importlib import resources

import pytest
import yaml

from powerbridge.client import Cloud
from powerbridge.deploy.errors import SpecErrors
from powerbridge.ha.errors import ClusterBusy, ClusterInterrupted
from powerbridge.ha.journal import CLUSTER, start_job
from powerbridge.ha.submit import cluster_runner, submit_create
from powerbridge.jobs import JobStatus
from powerbridge.jobs.worker import Worker
from tests.emulator.aix.ssh_support import add_behaviour, remove_behaviour
from tests.ha.cluster_lab import ClusterLab, cluster_lab_fixture  # noqa: F401


def spec_text(lab: ClusterLab) -> str:
    """The shipped 2-node example with this lab's key, as a portal would submit it."""
    text = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
    data = yaml.safe_load(text)
    data["ssh"]["private_key"] = str(lab.key.path)
    return yaml.safe_dump(data, sort_keys=False)


def work_once(lab: ClusterLab) -> None:
    """One worker claims the next job and runs it to its end."""
    runner = cluster_runner(
        lambda: Cloud.connect(environ=lab.aix.running.env()), None, lab.options()
    )
    worker = Worker(lab.store, {CLUSTER: runner}, lease_seconds=30)
    assert asyncio.run(worker.run_next()) is not None


def cluster_servers(lab: ClusterLab) -> list[str]:
    async def names(cloud: Cloud) -> list[str]:
        servers = await cloud.compute.servers()
        return sorted(s.name for s in servers if s.metadata.get("powerbridge:cluster") == "appha")

    return lab.run(names)


def test_a_worker_builds_a_submitted_cluster(cluster_lab: ClusterLab) -> None:
    queued = submit_create(cluster_lab.store, spec_text(cluster_lab), owner="admin")
    assert queued.status is JobStatus.QUEUED
    assert queued.owner == "admin"

    work_once(cluster_lab)

    done = cluster_lab.store.job(queued.id)
    assert done.status is JobStatus.SUCCEEDED, done.summary
    assert done.summary["nodes"] == ["appha-node1", "appha-node2"]
    assert cluster_servers(cluster_lab) == ["appha-node1", "appha-node2"]


def test_a_queued_create_is_not_started_twice(cluster_lab: ClusterLab) -> None:
    text = spec_text(cluster_lab)
    queued = submit_create(cluster_lab.store, text)

    with pytest.raises(ClusterBusy, match=f"job {queued.id} waits for a worker"):
        submit_create(cluster_lab.store, text)
    with pytest.raises(ClusterBusy):
        start_job(cluster_lab.store, "appha", resume=False, source=None, spec={})
    assert [j.id for j in cluster_lab.store.jobs("appha", kind=CLUSTER)] == [queued.id]


def test_a_failed_create_queued_again_continues_it(cluster_lab: ClusterLab) -> None:
    rule = add_behaviour(
        cluster_lab.aix,
        {
            "kind": "node",
            "mode": "fail_command",
            "name_regex": "appha-node1",
            "command_regex": "clmgr sync",
            "message": "ERROR: the cluster could not be synchronised",
        },
    )
    queued = submit_create(cluster_lab.store, spec_text(cluster_lab))
    work_once(cluster_lab)
    failed = cluster_lab.store.job(queued.id)
    assert failed.status is JobStatus.FAILED
    assert failed.summary["failed_step"] == "sync"
    assert failed.summary["node"] == "appha-node1"

    with pytest.raises(ClusterInterrupted, match="stopped") as refused:
        submit_create(cluster_lab.store, spec_text(cluster_lab))
    assert refused.value.hint is not None
    assert "resume=True" in refused.value.hint
    remove_behaviour(cluster_lab.aix, rule)
    again = submit_create(cluster_lab.store, spec_text(cluster_lab), resume=True)
    assert (again.id, again.status) == (queued.id, JobStatus.QUEUED)
    work_once(cluster_lab)

    assert cluster_lab.store.job(queued.id).status is JobStatus.SUCCEEDED
    assert cluster_servers(cluster_lab) == ["appha-node1", "appha-node2"]


def test_a_malformed_spec_queues_nothing(cluster_lab: ClusterLab) -> None:
    with pytest.raises(SpecErrors, match="nodes"):
        submit_create(cluster_lab.store, "name: appha\nnodes: lots\n")
    assert cluster_lab.store.targets(CLUSTER) == []


def test_no_create_starts_while_an_operation_runs(cluster_lab: ClusterLab) -> None:
    done = cluster_lab.store.create_job(CLUSTER, "appha", action="create")
    cluster_lab.store.finish(done.id, JobStatus.SUCCEEDED)
    running = cluster_lab.store.create_job(CLUSTER, "appha", action="failover")  # held here

    with pytest.raises(ClusterBusy, match=f"job {running.id} \\(failover"):
        start_job(cluster_lab.store, "appha", resume=True, source=None, spec={})
    with pytest.raises(ClusterBusy, match="failover"):
        submit_create(cluster_lab.store, spec_text(cluster_lab), resume=True)
    assert [j.id for j in cluster_lab.store.jobs("appha", kind=CLUSTER)] == [running.id, done.id]
