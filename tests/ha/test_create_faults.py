"""A create meeting faults through the emulator's behaviours API: a failing `clmgr sync
cluster` (one line naming the node, the command and PowerHA's ERROR; resumed once cleared),
an SSH reset mid-step (retried), a changed host key on resume (refused)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from powerbridge.client import Cloud
from powerbridge.emulator.server import RunningEmulator
from powerbridge.ha.errors import StepFailed
from powerbridge.jobs import JobStatus
from tests.emulator.aix.ssh_support import add_behaviour, client_key, remove_behaviour
from tests.ha.cluster_lab import (  # noqa: F401
    BuiltCluster,
    ClusterLab,
    built_cluster_fixture,
    cluster_lab_fixture,
)
from tests.ha.create_support import hosts_lines, items, on_node, planned_volumes, tagged
from tests.ha.kill_support import killing
from tests.ha.plan_support import cloud_fixture, small_cloud_fixture, use  # noqa: F401
from tests.support.clirun import Result, Shell

SYNC_ERROR = (
    "ERROR: Comm error found on node: appha-node2. Check that clcomd is running and that"
    " /etc/cluster/rhosts lists every node."
)


def node_rule(node: str, mode: str, **fields: object) -> dict[str, object]:
    return {"kind": "node", "mode": mode, "name_regex": f"^{node}$", **fields}


def test_a_failing_sync_names_node_command_and_error_then_resume_completes(
    cluster_lab: ClusterLab,
) -> None:
    spec = cluster_lab.spec()
    home = spec.home_node
    rule = add_behaviour(
        cluster_lab.aix,
        node_rule(home, "fail_command", command_regex="^clmgr sync cluster", message=SYNC_ERROR),
    )
    with pytest.raises(StepFailed) as failed:
        cluster_lab.create(spec)
    line = str(failed.value)
    assert "\n" not in line
    assert line.startswith(f"step sync failed on node {home}: clmgr sync cluster: ERROR:")
    assert SYNC_ERROR in line
    job = cluster_lab.store.latest(spec.name, kind="cluster")
    assert job is not None
    assert job.status is JobStatus.FAILED
    assert job.summary["failed_step"] == "sync"
    assert job.summary["node"] == home
    [record] = [c.details for n, c in items(cluster_lab, job, "command").items() if "sync" in n]
    assert record["exit_status"] != 0
    assert SYNC_ERROR in record["stderr"]

    remove_behaviour(cluster_lab.aix, rule)
    done = cluster_lab.create(spec, resume=True)
    assert done.id == job.id
    assert done.status is JobStatus.SUCCEEDED
    assert "ST_STABLE" in on_node(cluster_lab, home, "lssrc -ls clstrmgrES")
    assert len(tagged(cluster_lab, spec.name).volumes) == planned_volumes(spec)


def test_an_ssh_reset_mid_step_is_retried_and_the_create_completes(
    cluster_lab: ClusterLab,
) -> None:
    spec = cluster_lab.spec()
    other = spec.node_names[1]
    add_behaviour(cluster_lab.aix, node_rule(other, "reset_ssh", times=1))
    job = cluster_lab.create(spec)
    assert job.status is JobStatus.SUCCEEDED
    retried = [c for c in items(cluster_lab, job, "command").values() if c.details["retried"]]
    assert [c.details["node"] for c in retried] == [other]
    hosts = on_node(cluster_lab, other, "cat /etc/hosts")
    assert all(len(hosts_lines(hosts, name)) == 1 for name in spec.node_names)


def test_a_changed_host_key_on_resume_is_refused_as_a_possible_intercept(
    cluster_lab: ClusterLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = cluster_lab.spec()
    with (
        killing(
            monkeypatch, "step", 1, spared={"validate", "key_pair", "service_ip", "deploy", "ssh"}
        ),
        pytest.raises(asyncio.CancelledError),
    ):
        cluster_lab.create(spec)  # stopped as prepare begins: the keys are pinned
    victim = spec.node_names[1]
    add_behaviour(cluster_lab.aix, node_rule(victim, "changed_host_key"))
    with pytest.raises(StepFailed) as refused:
        cluster_lab.create(spec, resume=True)
    message = str(refused.value)
    assert refused.value.step == "ssh"
    assert refused.value.node == victim
    assert "man in the middle" in message
    assert "nothing was sent" in message
    assert f"powerbridge ha trust-host-key {spec.name} {victim}" in message
    job = cluster_lab.store.latest(spec.name, kind="cluster")
    assert job is not None
    assert job.status is JobStatus.FAILED
    assert items(cluster_lab, job, "step")["prepare"].state.value == "pending"


# -- refused under `ha create --yes`, through the CLI: nothing created -------------------------
def counts_of(env: dict[str, str]) -> tuple[int, ...]:
    """Servers, volumes, collocation rules, ports and key pairs the cloud has."""

    async def work(cloud: Cloud) -> tuple[int, ...]:
        return (
            len(await cloud.compute.servers()),
            len(await cloud.volume.volumes()),
            len(await cloud.powervc.collocation_rules()),
            len(await cloud.network.ports()),
            len(await cloud.compute.keypairs()),
        )

    async def main() -> tuple[int, ...]:
        async with Cloud.connect(environ=env) as cloud:
            return await work(cloud)

    return asyncio.run(main())


def spec_file(directory: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    text = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
    data: dict[str, Any] = yaml.safe_load(text)
    change(data)
    path = directory / "cluster.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def refused_create(
    sh: Shell, env: dict[str, str], directory: Path, change: Callable[[dict[str, Any]], None]
) -> Result:
    key = client_key(directory)
    before = counts_of(env)
    path = spec_file(directory, change)
    store = str(directory / "jobs.db")
    result = sh("ha", "create", str(path), "--yes", "--ssh-key", str(key.path), "--store", store)
    assert result.code == 1, result
    assert len(result.error_lines) == 1
    assert "nothing was created" in result.error_lines[0]
    assert "Traceback" not in result.err
    assert counts_of(env) == before
    return result


def too_small_repository(data: dict[str, Any]) -> None:
    data["repository"]["size_gb"] = 0


def service_ip_outside_the_subnet(data: dict[str, Any]) -> None:
    data["service_ip"]["address"] = "10.20.30.40"


def three_nodes_on_two_hosts(data: dict[str, Any]) -> None:
    data["nodes"]["count"] = 3
    data.pop("placement")  # the small estate has no SCG


def unicast_on_powerha_712(data: dict[str, Any]) -> None:
    data["image"] = "PowerHA712"
    data.pop("placement")
    data.pop("split_merge")  # 7.2.1's: the heartbeat is the refusal looked for here


@pytest.fixture
def sh(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Shell:
    return Shell(monkeypatch, capsys)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (too_small_repository, "repository.size_gb"),
        (service_ip_outside_the_subnet, "10.20.30.40"),
    ],
)
def test_create_yes_refuses_a_bad_spec_on_the_default_estate(
    cloud: RunningEmulator,
    sh: Shell,
    tmp_path: Path,
    change: Callable[[dict[str, Any]], None],
    words: str,
) -> None:
    sh.set(cloud.env())
    result = refused_create(sh, cloud.env(), tmp_path, change)
    assert words in result.err


@pytest.mark.parametrize(
    ("change", "words"),
    [(three_nodes_on_two_hosts, "host"), (unicast_on_powerha_712, "unicast")],
)
def test_create_yes_refuses_what_the_small_estate_cannot_do(
    small_cloud: RunningEmulator,
    sh: Shell,
    tmp_path: Path,
    change: Callable[[dict[str, Any]], None],
    words: str,
) -> None:
    sh.set(small_cloud.env())
    result = refused_create(sh, small_cloud.env(), tmp_path, change)
    assert words in result.error_lines[0]


def test_create_yes_refuses_a_key_pair_of_another_key(
    cloud: RunningEmulator, sh: Shell, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    other = client_key(tmp_path / "other")

    async def pair(c: Cloud) -> None:
        await c.compute.create_keypair("mismatch-key", other.public)

    use(cloud, pair)
    sh.set(cloud.env())

    def change(data: dict[str, Any]) -> None:
        data["name"] = "mismatch"
        data["ssh"]["key_pair"] = "mismatch-key"

    result = refused_create(sh, cloud.env(), tmp_path, change)
    assert "fingerprint" in result.error_lines[0]


def test_deploy_destroy_refuses_a_clusters_name(built_cluster: BuiltCluster, sh: Shell) -> None:
    env = built_cluster.lab.aix.running.env()
    sh.set(env)
    before = counts_of(env)
    store = str(built_cluster.lab.store.engine.url.database)
    result = sh("deploy", "destroy", built_cluster.spec.name, "--yes", "--store", store)
    assert result.code != 0
    assert len(result.error_lines) == 1
    assert built_cluster.spec.name in result.error_lines[0]
    assert counts_of(env) == before
    assert sorted(tagged(built_cluster.lab, built_cluster.spec.name).servers) == sorted(
        built_cluster.spec.node_names
    )
