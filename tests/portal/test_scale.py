"""Portals at scale: two `powerbridge portal --workers 2` processes on one PostgreSQL store.

20 clusters submitted through the API (half to each portal) are built exactly once each,
proven by what the emulator holds (its servers by name, its volumes by cluster); one portal
is SIGKILLed mid-build and the other takes the build over once its lease expires and finishes
it with exactly the planned servers and volumes. A portal stopped (SIGTERM) mid-failover hands
the job back and, started again, finishes it: the group moved once, to the node the first run
chose.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import partial

import pytest

from powerbridge.jobs import Job, JobStatus, JobStore
from tests.emulator.aix.ssh_support import add_behaviour, remove_behaviour
from tests.portal.scale_support import (
    Portal,
    ScaleLab,
    cluster_spec,
    finished,
    running_step_of,
    scale_lab,
    wait_for,
)
from tests.portal.test_build import sse as sse_messages

pytestmark = pytest.mark.acceptance

CLUSTERS = 20
NODES = 2
VOLUMES = 2  # the example's CAA repository and one shared data disk
KILL_TRIES = 3  # the build ends between the look and the kill: start it again, kill again
MOVE_HELD_SECONDS = 5.0  # long enough to stop the portal with the command under way


@pytest.fixture(scope="module", name="scale")
def scale_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaleLab]:
    with scale_lab(tmp_path_factory.mktemp("scale")) as lab:
        yield lab


def kill_mid_build(scale: ScaleLab, victim: Portal) -> tuple[Job, Portal]:
    """SIGKILL `victim` while it builds a cluster (its deploy step done); the job it left
    running, and the portal started again if a try missed (the build ended first)."""
    store = scale.store()
    try:
        for _ in range(KILL_TRIES):
            job = wait_for(partial(running_step_of, store, victim), "a build mid-way", 120)
            victim.kill()
            left = store.job(job.id)
            if left.status is JobStatus.RUNNING:
                return left, victim
            victim = scale.start_portal()
        raise AssertionError(f"no build was caught mid-way in {KILL_TRIES} tries")
    finally:
        store.close()


def test_two_portals_build_each_cluster_once_and_take_over_a_killed_ones_build(
    scale: ScaleLab,
) -> None:
    first, second = scale.start_portal(), scale.start_portal()
    names = [f"sc{n}" for n in range(1, CLUSTERS + 1)]
    ids = [(first, second)[n % 2].submit(cluster_spec(name))["id"] for n, name in enumerate(names)]
    killed, _ = kill_mid_build(scale, first)

    store = scale.store()
    try:
        jobs = wait_for(lambda: finished(store, ids), "every build to end", 600)
        taken = store.job(killed.id)
        messages = [e.message for e in store.events(killed.id)]
    finally:
        store.close()

    assert {job.status for job in jobs} == {JobStatus.SUCCEEDED}, [
        (job.target, job.status, job.summary) for job in jobs if job.status.value != "succeeded"
    ]
    planned = {f"{name}-node{i}": 1 for name in names for i in range(1, NODES + 1)}
    assert scale.servers() == Counter(planned)  # every node once, none twice
    assert scale.volumes() == Counter(dict.fromkeys(names, VOLUMES))
    holders = Counter(job.lease_owner.rsplit("/", 1)[0] for job in jobs if job.lease_owner)
    assert len(holders) >= 2  # both portals built clusters
    assert taken.epoch == killed.epoch + 1
    assert second.holds(taken)
    assert any(m.startswith("continued by worker") for m in messages)
    assert "deploy: skipped: done by an earlier run" in messages


def group_node(portal: Portal, cluster: str) -> str:
    """Where the cluster's resource group is online, read from the nodes by the portal."""
    with portal.client() as http:
        answer = http.get(f"/api/v1/clusters/{cluster}")
    assert answer.status_code == 200, answer.text
    online: list[str] = answer.json()["cluster"]["groups"][0]["online_on"]
    assert len(online) == 1, online
    return online[0]


def stop_mid_failover(scale: ScaleLab, cluster: str) -> tuple[Job, str]:
    """Start a failover on a fresh portal and SIGTERM it while its move runs on the node (held
    there by a slow_command rule); the job it handed back, and where the group was before."""
    store = scale.store()
    slow = {"kind": "node", "mode": "slow_command", "command_regex": "^clmgr move"}
    rule = add_behaviour(scale.aix, {**slow, "latency": MOVE_HELD_SECONDS, "times": 1})
    try:
        portal = scale.start_portal(workers=1)
        before = group_node(portal, cluster)
        answer = portal.post(f"/api/v1/clusters/{cluster}/failover", {})
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job"]["id"]
        wait_for(lambda: step_running(store, job_id, "move"), "the move under way", 60)
        portal.stop()
        left = store.job(job_id)
        assert left.status is JobStatus.QUEUED, (left.status, left.summary)
        return left, before
    finally:
        remove_behaviour(scale.aix, rule)
        store.close()


def step_running(store: JobStore, job_id: str, step: str) -> bool:
    return any(e.message.startswith(f"{step}:") for e in store.events(job_id))


def test_a_portal_stopped_mid_failover_hands_it_over_and_it_moves_the_group_once(
    scale: ScaleLab,
) -> None:
    for portal in scale.portals:
        portal.stop()
    left, before = stop_mid_failover(scale, "sc1")
    again = scale.start_portal(workers=1)
    store = scale.store()
    try:
        ended = wait_for(lambda: finished(store, [left.id]), "the failover to end", 120)[0]
        messages = [e.message for e in store.events(left.id)]
    finally:
        store.close()
    assert ended.status is JobStatus.SUCCEEDED, ended.summary
    assert again.holds(ended)
    assert any(m.startswith("continued by worker") for m in messages)
    # the worker that took it over ran it with the job's own credential, then deleted it
    credential = ended.spec["credential"]["id"]
    assert any(
        m.startswith(f"deleted this job's application credential {credential}") for m in messages
    )
    other = {"sc1-node1": "sc1-node2", "sc1-node2": "sc1-node1"}[before]
    assert (ended.summary["from"], ended.summary["to"]) in ((before, other), (other, other))
    assert group_node(again, "sc1") == other  # moved once: not on to the node after


def test_a_portal_stopped_mid_build_hands_it_over_and_started_again_finishes_it(
    scale: ScaleLab,
) -> None:
    for portal in scale.portals:
        portal.stop()
    portal = scale.start_portal(workers=1)
    held = {"kind": "node", "mode": "slow_command", "name_regex": "^sc21-", "times": 1}
    rule = add_behaviour(  # the build's cluster step waits: the stop lands mid-build
        scale.aix, {**held, "command_regex": "^clmgr add cluster", "latency": MOVE_HELD_SECONDS}
    )
    job_id = portal.submit(cluster_spec("sc21"))["id"]
    store = scale.store()
    try:
        wait_for(partial(running_step_of, store, portal), "the build mid-way", 120)
        portal.stop()
        remove_behaviour(scale.aix, rule)
        left = store.job(job_id)
        again = scale.start_portal(workers=1)
        with again.client() as http, http.stream("GET", f"/api/v1/jobs/{job_id}/events") as sse:
            messages = list(sse_messages(sse))  # LISTEN/NOTIFY through the portal's one hub
        ended = store.job(job_id)
    finally:
        store.close()
    assert left.status is JobStatus.QUEUED  # handed back at once, not left to its lease
    assert ended.status is JobStatus.SUCCEEDED, ended.summary
    assert again.holds(ended)
    *progress, end = messages
    assert end == ("end", None, {"status": "succeeded", "job": job_id})
    seqs = [int(seq) for _, seq, _ in progress if seq is not None]
    assert seqs == list(range(1, len(seqs) + 1))  # every event once, in order
    said = [data["message"] for _, _, data in progress]
    assert "deploy: skipped: done by an earlier run" in said
    servers = scale.servers()
    assert {name: n for name, n in servers.items() if name.startswith("sc21-")} == {
        "sc21-node1": 1,
        "sc21-node2": 1,
    }
    assert scale.volumes()["sc21"] == VOLUMES
