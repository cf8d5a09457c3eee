"""A create killed anywhere (after a node ran a command and before its result was recorded,
between steps, mid-deploy) and resumed, any number of times, builds exactly one cluster: the
planned servers and volumes, one rule and port, one /etc/hosts line per node."""

from __future__ import annotations

import asyncio
import os
import random
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from powerbridge.ha.executor import SSH_CONFIG_VARIABLE
from powerbridge.ha.journal import Journal
from powerbridge.ha.model import ClusterSpec
from powerbridge.ha.workflow import ALWAYS_RUN, STEPS
from powerbridge.jobs import ItemState, Job, JobStatus, JobStore
from tests.emulator.aix.ssh_support import add_behaviour
from tests.ha.cluster_lab import ClusterLab, cluster_lab_fixture  # noqa: F401
from tests.ha.create_support import (
    cli_create,
    hosts_lines,
    on_node,
    planned_volumes,
    spec_text,
    tagged,
)
from tests.ha.kill_support import KINDS, Killer, killing, main_task
from tests.support.clirun import Shell

SEED = 15
SEEDED_KILLS = 8
MOST_RUNS = 40  # a guard: every run gets at least as far as the one before


def killed_run(
    lab: ClusterLab,
    monkeypatch: pytest.MonkeyPatch,
    spec: ClusterSpec,
    kind: str,
    at: int = 1,
    spared: set[str] | None = None,
    remember: bool = True,
) -> Killer:
    """One create run (a resume after the first) cancelled at its `at`th `kind` point."""
    resume = lab.store.latest(spec.name, kind="cluster") is not None
    with killing(monkeypatch, kind, at, spared, remember) as killer:
        try:
            job = lab.create(spec, resume=resume)
        except asyncio.CancelledError:
            assert killer.fired
        else:  # the run ended before reaching that point
            assert not killer.fired
            assert job.status is JobStatus.SUCCEEDED
    return killer


def latest(lab: ClusterLab, spec: ClusterSpec) -> Job:
    job = lab.store.latest(spec.name, kind="cluster")
    assert job is not None
    return job


def possible_kinds(lab: ClusterLab, spec: ClusterSpec) -> list[str]:
    """Every kind of kill point while the deploy is still to do; after it, no "deploy"."""
    job = lab.store.latest(spec.name, kind="cluster")
    done = job is not None and any(
        item.kind == "step" and item.name == "deploy" and item.state is ItemState.DONE
        for item in lab.store.items(job.id)
    )
    return [kind for kind in KINDS if not (done and kind == "deploy")]


def assert_one_cluster(lab: ClusterLab, spec: ClusterSpec) -> None:
    """Never more than planned, whatever run stopped where."""
    found = tagged(lab, spec.name)
    assert len(found.servers) <= len(spec.nodes)
    assert len(found.volumes) <= planned_volumes(spec)
    assert len(found.rules) <= 1
    assert len(found.ports) <= 1
    for node in found.servers:
        hosts = on_node(lab, node, "cat /etc/hosts")
        for name in spec.node_names:
            assert len(hosts_lines(hosts, name)) <= 1


def assert_built_once(lab: ClusterLab, spec: ClusterSpec) -> None:
    job = latest(lab, spec)
    assert job.status is JobStatus.SUCCEEDED
    assert len(lab.store.jobs(spec.name, kind="cluster")) == 1  # every run continued it
    found = tagged(lab, spec.name)
    assert sorted(found.servers) == sorted(spec.node_names)
    assert len(found.volumes) == planned_volumes(spec)
    assert found.rules == [spec.rule_name]
    assert len(found.ports) == 1
    for node in spec.node_names:
        hosts = on_node(lab, node, "cat /etc/hosts")
        for name in (*spec.node_names, spec.service_ip.label):
            assert len(hosts_lines(hosts, name)) == 1
        assert "ST_STABLE" in on_node(lab, node, "lssrc -ls clstrmgrES")
        assert on_node(lab, node, "clmgr query cluster").count("CLUSTER_NAME=") == 1
    groups = on_node(lab, spec.home_node, "clmgr query resource_group").split()
    assert groups == [spec.resource_group.name]


def test_killed_at_seeded_points_then_resumed_builds_one_cluster(
    cluster_lab: ClusterLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = cluster_lab.spec()
    chance = random.Random(SEED)
    fired = []
    for _ in range(SEEDED_KILLS):
        kind, at = chance.choice(possible_kinds(cluster_lab, spec)), chance.randint(1, 4)
        killer = killed_run(cluster_lab, monkeypatch, spec, kind, at)
        if not killer.fired:
            break
        fired.append((kind, at))
        assert latest(cluster_lab, spec).status is JobStatus.INTERRUPTED
        assert_one_cluster(cluster_lab, spec)
    assert len(fired) >= 5
    if latest(cluster_lab, spec).status is not JobStatus.SUCCEEDED:
        cluster_lab.create(spec, resume=True)
    assert_built_once(cluster_lab, spec)


def test_killed_mid_deploy_then_resumed_creates_nothing_twice(
    cluster_lab: ClusterLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run is killed right after the deployer's first report of a PowerVC resource."""
    spec = cluster_lab.spec()
    spared: set[str] = set()
    while killed_run(cluster_lab, monkeypatch, spec, "deploy", 1, spared).fired:
        assert len(spared) < MOST_RUNS
        assert_one_cluster(cluster_lab, spec)
    assert len(spared) >= 2
    assert_built_once(cluster_lab, spec)


def test_killed_before_every_step_then_resumed_builds_one_cluster(
    cluster_lab: ClusterLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run is killed as the second step it would carry out begins (validate and ssh,
    run on every resume, spared): the job stops once at every step boundary."""
    spec = cluster_lab.spec()
    spared = set(ALWAYS_RUN)
    stopped = []
    while killer := killed_run(cluster_lab, monkeypatch, spec, "step", 2, spared, False).fired:
        stopped.append(killer)
        assert len(stopped) < MOST_RUNS
    assert stopped == [s for s in STEPS if s not in ALWAYS_RUN][1:]
    assert_built_once(cluster_lab, spec)


def test_killed_after_every_node_command_then_resumed(
    cluster_lab: ClusterLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run is killed right after the first node command it runs: every command of the
    create runs at least twice, the first time unrecorded."""
    spec = cluster_lab.spec()
    spared: set[str] = set()
    while killed_run(cluster_lab, monkeypatch, spec, "command", 1, spared).fired:
        assert len(spared) < MOST_RUNS
    steps = {point.split("/")[0] for point in spared}
    assert steps == {"prepare", "disks", "cluster", "resources", "sync", "online", "verify"} | {
        "application"
    }
    assert {point.split("/")[1] for point in spared} == set(spec.node_names)
    assert_built_once(cluster_lab, spec)


def test_a_fresh_create_after_a_stop_needs_resume(
    cluster_lab: ClusterLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    from powerbridge.ha.errors import ClusterInterrupted

    spec = cluster_lab.spec()
    assert killed_run(cluster_lab, monkeypatch, spec, "step", 4).fired
    with pytest.raises(ClusterInterrupted) as refused:
        cluster_lab.create(spec, resume=False)
    assert "--resume" in (refused.value.hint or "")


@pytest.mark.parametrize(("signal_number", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_leaves_the_job_interrupted_with_the_resume_command(
    cluster_lab: ClusterLab,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    signal_number: int,
    code: int,
) -> None:
    """The signal itself, sent to this process as `sync` begins: asyncio's handler cancels
    the create, which records where it stopped."""
    spec_path = tmp_path / "cluster.yaml"
    spec_path.write_text(spec_text(cluster_lab))
    begin = Journal.begin

    def signalled(journal: Journal, step: str, *args: Any) -> None:
        if step == "sync":
            signal.raise_signal(signal_number)
        begin(journal, step, *args)

    sh = Shell(monkeypatch, capsys)
    with monkeypatch.context() as patch:
        patch.setattr(Journal, "begin", signalled)
        stopped = cli_create(sh, cluster_lab, spec_path)
    assert stopped.code == code, stopped.err
    job = cluster_lab.store.latest("appha", kind="cluster")
    assert job is not None
    assert job.status is JobStatus.INTERRUPTED
    steps = {i.name: i.state for i in cluster_lab.store.items(job.id) if i.kind == "step"}
    assert steps["resources"] is ItemState.DONE
    assert steps["sync"] is not ItemState.DONE
    [hint] = [line for line in stopped.err.splitlines() if "Resume with:" in line]
    again = shlex.split(hint.split("Resume with: ", 1)[1])
    assert again[:4] == ["powerbridge", "ha", "create", str(spec_path)]
    assert "--resume" in again
    assert "--yes" in again
    resumed = cli_create(sh, cluster_lab, spec_path, "--resume")
    assert resumed.code == 0, resumed.err
    assert "sync: skipped" not in resumed.err
    assert "resources: skipped" in resumed.err
    assert_built_once(cluster_lab, cluster_lab.spec())


@pytest.mark.parametrize("kind", ["keypair", "port"])
def test_killed_between_a_create_and_its_record_the_resource_stays_the_clusters(
    cluster_lab: ClusterLab, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """The key pair or service port made, the kill lands before the job records it done:
    the resume still records it as made by this job (so `ha delete` removes it), once."""
    spec = cluster_lab.spec()
    put_item = JobStore.put_item

    def killed_at_record(
        store: JobStore, job_id: int, k: str, name: str, state: ItemState, **fields: Any
    ) -> None:
        if k == kind and state is ItemState.DONE:
            main_task().cancel()
            raise asyncio.CancelledError
        put_item(store, job_id, k, name, state, **fields)

    with monkeypatch.context() as patch:
        patch.setattr(JobStore, "put_item", killed_at_record)
        with pytest.raises(asyncio.CancelledError):
            cluster_lab.create(spec)
    job = cluster_lab.create(spec, resume=True)
    made = [i for i in cluster_lab.store.items(job.id) if i.kind == kind]
    assert [(i.state, i.created_here) for i in made] == [(ItemState.DONE, True)]
    assert len(cluster_lab.store.created_by(spec.name, kind="cluster")) >= 1
    assert_built_once(cluster_lab, spec)


def test_a_sigkilled_create_whose_server_answer_was_lost_resumes_to_one_cluster(
    cluster_lab: ClusterLab, tmp_path: Path
) -> None:
    """`ha create` in its own process; PowerVC creates the first server but its answer is
    held back (a lost answer); the process is SIGKILLed there, leaving its job `running`
    with a dead holder. The resume takes the job over and creates no second server."""
    spec_path = tmp_path / "cluster.yaml"
    spec_path.write_text(spec_text(cluster_lab))
    lost = {"kind": "api", "service": "compute", "method": "POST", "path_regex": "/servers$"}
    add_behaviour(
        cluster_lab.aix, {**lost, "latency": 5, "status": 503, "after_handling": True, "times": 1}
    )
    running = cluster_lab.aix.running
    assert running.ssh_config is not None
    env = {**os.environ, **running.env(), SSH_CONFIG_VARIABLE: str(running.ssh_config)}
    store = str(cluster_lab.store.engine.url.database)
    command = [sys.executable, "-m", "powerbridge", "ha", "create", str(spec_path), "--yes"]
    process = subprocess.Popen(
        [*command, "--store", store], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        while not tagged(cluster_lab, "appha").servers:  # created, the answer not yet sent
            assert process.poll() is None, process.communicate()[1]
            time.sleep(0.05)
    finally:
        process.kill()
        process.communicate()
    job = latest(cluster_lab, cluster_lab.spec())
    assert job.status is JobStatus.RUNNING  # nobody recorded the end: the holder died
    resumed = cluster_lab.create(cluster_lab.spec(), resume=True)
    assert resumed.id == job.id
    assert_built_once(cluster_lab, cluster_lab.spec())
