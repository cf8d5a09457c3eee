"""A create meeting faults through the emulator's behaviours API: a failing `clmgr sync
cluster` (one line naming the node, the command and PowerHA's ERROR; resumed once cleared),
an SSH reset mid-step (retried), a changed host key on resume (refused)."""

from __future__ import annotations

import asyncio

import pytest

from powerbridge.ha.errors import StepFailed
from powerbridge.jobs import JobStatus
from tests.emulator.aix.ssh_support import add_behaviour, remove_behaviour
from tests.ha.cluster_lab import ClusterLab, cluster_lab_fixture  # noqa: F401
from tests.ha.create_support import hosts_lines, items, on_node, planned_volumes, tagged
from tests.ha.kill_support import killing

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
    assert job is not None and job.status is JobStatus.FAILED
    assert job.summary["failed_step"] == "sync" and job.summary["node"] == home
    [record] = [c.details for n, c in items(cluster_lab, job, "command").items() if "sync" in n]
    assert record["exit_status"] != 0 and SYNC_ERROR in record["stderr"]  # `ha show` has it

    remove_behaviour(cluster_lab.aix, rule)
    done = cluster_lab.create(spec, resume=True)
    assert done.id == job.id and done.status is JobStatus.SUCCEEDED
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
    with killing(monkeypatch, "step", 1, spared={"validate", "key_pair", "service_ip", "deploy", "ssh"}):
        with pytest.raises(asyncio.CancelledError):
            cluster_lab.create(spec)  # stopped as prepare begins: the keys are pinned
    victim = spec.node_names[1]
    add_behaviour(cluster_lab.aix, node_rule(victim, "changed_host_key"))
    with pytest.raises(StepFailed) as refused:
        cluster_lab.create(spec, resume=True)
    message = str(refused.value)
    assert refused.value.step == "ssh" and refused.value.node == victim
    assert "man in the middle" in message and "nothing was sent" in message
    assert f"powerbridge ha trust-host-key {spec.name} {victim}" in message
    job = cluster_lab.store.latest(spec.name, kind="cluster")
    assert job is not None and job.status is JobStatus.FAILED
    assert items(cluster_lab, job, "step")["prepare"].state.value == "pending"
