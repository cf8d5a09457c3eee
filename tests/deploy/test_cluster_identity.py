"""A cluster's PowerVC resources are not a deployment's: through the CLI against the emulator,
`deploy apply` and `deploy destroy` refuse a cluster's name and delete nothing, a deployment
never takes a cluster's server name, and a spec may not set the reserved tags. The cluster is
deployed as the HA workflow deploys it: its `to_deployment` applied with `finish_job=False`
inside a job of kind "cluster"."""

from __future__ import annotations

from pathlib import Path

import pytest

from powerbridge.client import Cloud
from powerbridge.deploy.apply import ApplyOptions, apply_plan
from powerbridge.deploy.live import fetch_view
from powerbridge.deploy.model import CLUSTER_TAG
from powerbridge.deploy.planner import build_plan
from powerbridge.emulator.server import RunningEmulator
from powerbridge.ha.deployment import to_deployment
from powerbridge.jobs import JobStatus, JobStore
from tests.ha.plan_support import cluster, use
from tests.support.clirun import Shell
from tests.support.deploy_lab import (  # noqa: F401
    cloud_fixture,
    sh_fixture,
    store_path_fixture,
)

pytestmark = pytest.mark.acceptance
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGn0u1sXc4y4kWlq5R9oYbF1yVgq8bkP2b5gqXr7m3dK t"

SPEC = """\
deployment: {name}
servers:
  - name: {server}
    template: powervm.tiny
    image: AIX72
    networks: [cmbnet1]
{extra}"""


def deploy_cluster(cloud: RunningEmulator, store_path: Path, name: str) -> str:
    """The cluster's nodes, disks and rule, as the HA create's deploy step makes them."""

    async def work(c: Cloud) -> str:
        await c.compute.create_keypair(f"{name}-key", PUBLIC_KEY)  # the create's step before
        view = await fetch_view(c)
        plan = build_plan(to_deployment(cluster(name)), view)
        assert plan.ok, plan.blocks
        store = JobStore.open(str(store_path))
        try:
            job = store.create_job("cluster", name, action="create")
            report = await apply_plan(c, plan, view, store, job, ApplyOptions(finish_job=False))
            assert not report.failed
            servers = [s for s in await c.compute.servers() if s.name.startswith(f"{name}n")]
            assert {s.key_name for s in servers} == {f"{name}-key"}  # deployed with the pair
            assert store.job(job.id).status is JobStatus.RUNNING  # the host job goes on
            store.finish(job.id, JobStatus.SUCCEEDED)
        finally:
            store.close()
        return job.id

    return use(cloud, work)


def tagged(cloud: RunningEmulator, name: str) -> tuple[list[str], list[str]]:
    async def work(c: Cloud) -> tuple[list[str], list[str]]:
        servers = [s.name for s in await c.compute.servers() if s.metadata.get(CLUSTER_TAG) == name]
        volumes = [v.name for v in await c.volume.volumes() if v.metadata.get(CLUSTER_TAG) == name]
        return sorted(servers), sorted(volumes)

    return use(cloud, work)


def write(tmp_path: Path, name: str, server: str, extra: str = "") -> str:
    path = tmp_path / f"{name}-{server}.yaml"
    path.write_text(SPEC.format(name=name, server=server, extra=extra))
    return str(path)


def test_deploy_refuses_a_clusters_name_and_resources(
    sh: Shell, cloud: RunningEmulator, store_path: Path, tmp_path: Path
) -> None:
    deploy_cluster(cloud, store_path, "hac")
    before = tagged(cloud, "hac")
    assert before == (["hacn1", "hacn2"], ["hac-data-1", "hac-repository"])

    destroyed = sh("deploy", "destroy", "hac", "--yes")
    assert destroyed.code == 1
    assert "'hac' is an HA cluster" in destroyed.err
    assert "powerbridge ha delete hac" in destroyed.err

    applied = sh("deploy", "apply", write(tmp_path, "hac", "other-vm"), "--yes")
    assert applied.code == 1
    assert "powerbridge ha delete hac" in applied.err

    # another deployment may not take a cluster node's name
    clash = sh("deploy", "apply", write(tmp_path, "mine", "hacn1"), "--yes")
    assert clash.code == 1
    assert "belongs to HA cluster 'hac'" in " ".join(clash.out.split())
    assert tagged(cloud, "hac") == before


def test_a_cluster_only_the_job_store_knows_is_refused(
    sh: Shell, store_path: Path, tmp_path: Path
) -> None:
    store = JobStore.open(str(store_path))
    try:
        job = store.create_job("cluster", "planned", action="create")
        store.finish(job.id, JobStatus.FAILED)
    finally:
        store.close()
    destroyed = sh("deploy", "destroy", "planned", "--yes")
    assert destroyed.code == 1
    assert "'planned' is an HA cluster, not a deployment" in destroyed.err


def test_a_spec_may_not_set_the_cluster_tag(sh: Shell, tmp_path: Path) -> None:
    extra = f"    metadata: {{'{CLUSTER_TAG}': hac}}\n"
    result = sh("deploy", "plan", write(tmp_path, "sneaky", "sneaky-vm", extra))
    assert result.code != 0
    assert f"metadata key '{CLUSTER_TAG}' is reserved" in result.err
