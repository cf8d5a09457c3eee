"""`create_cluster` builds the shipped examples for real (emulator HTTP and SSH): Active /
Normal, the group on its home node, the nodes' files right, the nodes on distinct hosts, and
every step and remote command in the job's record."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from powerbridge.ha.command_result import MASK
from powerbridge.ha.model import ApplicationCommandSpec
from powerbridge.ha.parse import rginfo_rows
from powerbridge.ha.workflow import STEPS
from powerbridge.jobs import ItemState, JobStatus
from tests.emulator.aix.ssh_support import add_behaviour
from tests.ha.cluster_lab import (  # noqa: F401
    BuiltCluster,
    ClusterLab,
    built_cluster_fixture,
    cluster_lab_fixture,
    open_lab,
)
from tests.ha.create_support import (
    cli_create,
    hosts_lines,
    items,
    on_node,
    planned_volumes,
    spec_text,
    tagged,
)
from tests.support.clirun import Shell


@pytest.fixture(scope="module", name="three_nodes")
def three_nodes_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltCluster]:
    """ha-3node, whose application command signs in with the PowerVC password (a secret the
    record must not keep)."""
    for lab in open_lab(tmp_path_factory.mktemp("three")):
        password = lab.aix.running.env()["OS_PASSWORD"]
        spec = lab.spec("ha-3node.yaml")
        assert spec.application_command is not None
        command = f"print 'login admin {password}'; {spec.application_command.command}"
        spec = replace(spec, application_command=ApplicationCommandSpec(command))
        yield BuiltCluster(lab, spec, lab.create(spec))


@pytest.fixture(params=["two", "three"])
def built(
    request: pytest.FixtureRequest, built_cluster: BuiltCluster, three_nodes: BuiltCluster
) -> BuiltCluster:
    return built_cluster if request.param == "two" else three_nodes


def test_the_job_succeeds_with_every_step_done(built: BuiltCluster) -> None:
    assert built.job.status is JobStatus.SUCCEEDED
    steps = items(built.lab, built.job, "step")
    assert {name: step.state for name, step in steps.items()} == dict.fromkeys(
        STEPS, ItemState.DONE
    )
    for step in steps.values():
        assert step.details["ended"] >= step.details["started"]


def test_the_cluster_is_stable_with_the_group_on_its_home_node(built: BuiltCluster) -> None:
    spec = built.spec
    for node in spec.node_names:
        state = on_node(built.lab, node, "lssrc -ls clstrmgrES")
        assert "ST_STABLE" in state
        rows = rginfo_rows(on_node(built.lab, node, "clRGinfo -s"))
        online = [row.node for row in rows if row.state == "ONLINE"]
        assert online == [spec.home_node]
        assert {row.group for row in rows} == {spec.resource_group.name}


def test_every_node_knows_every_node(built: BuiltCluster) -> None:
    topology = tagged(built.lab, built.spec.name)
    assert sorted(topology.servers) == sorted(built.spec.node_names)
    nodes = items(built.lab, built.job, "node")
    addresses = {name: node.details["address"] for name, node in nodes.items()}
    assert sorted(addresses) == sorted(built.spec.node_names)
    for node in built.spec.node_names:
        hosts = on_node(built.lab, node, "cat /etc/hosts")
        for name, address in addresses.items():
            assert [line.split()[0] for line in hosts_lines(hosts, name)] == [address]
        assert len(hosts_lines(hosts, built.spec.service_ip.label)) == 1
        rhosts = on_node(built.lab, node, "cat /etc/cluster/rhosts").split()
        assert sorted(rhosts) == sorted(addresses.values())


def test_the_nodes_are_on_distinct_hosts_in_their_rule(built: BuiltCluster) -> None:
    found = tagged(built.lab, built.spec.name)
    hosts = list(found.servers.values())
    assert None not in hosts
    assert len(set(hosts)) == len(hosts) == len(built.spec.nodes)
    assert found.rules == [built.spec.rule_name]
    assert len(found.volumes) == planned_volumes(built.spec)


def test_every_remote_command_is_recorded_with_its_output(built: BuiltCluster) -> None:
    commands = items(built.lab, built.job, "command")
    steps_with_commands = {name.split("/")[0] for name in commands}
    assert steps_with_commands >= {"prepare", "disks", "cluster", "resources", "sync", "online"}
    assert {name.split("/")[1] for name in commands} == set(built.spec.node_names)
    for name, item in commands.items():
        record = item.details
        assert record["exit_status"] == 0, name
        assert {"command", "stdout", "stderr", "started_at", "ended_at"} <= set(record)
    prepare = [c.details for n, c in commands.items() if n.startswith("prepare/")]
    assert any("+ " in record["stdout"] for record in prepare)  # what the script changed


def test_the_application_command_output_is_kept(built: BuiltCluster) -> None:
    commands = items(built.lab, built.job, "command")
    home = built.spec.home_node
    [kept] = [c.details for n, c in commands.items() if n.startswith(f"application/{home}/")]
    assert "CREATE DATABASE" in kept["stdout"]
    assert kept["exit_status"] == 0


def test_the_powervc_password_never_reaches_the_record(three_nodes: BuiltCluster) -> None:
    password = three_nodes.lab.aix.running.env()["OS_PASSWORD"]
    commands = items(three_nodes.lab, three_nodes.job, "command")
    home = three_nodes.spec.home_node
    [kept] = [c.details for n, c in commands.items() if n.startswith(f"application/{home}/")]
    assert f"login admin {MASK}" in kept["stdout"]
    for item in three_nodes.lab.store.items(three_nodes.job.id):
        assert password not in repr(item.details)
    for event in three_nodes.lab.store.events(three_nodes.job.id):
        assert password not in repr(event)


def test_ha_create_shows_steps_nodes_and_elapsed_time_as_plain_lines(
    cluster_lab: ClusterLab,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    spec = tmp_path / "cluster.yaml"
    spec.write_text(spec_text(cluster_lab))
    result = cli_create(Shell(monkeypatch, capsys), cluster_lab, spec)
    assert result.code == 0, result.err
    assert "cluster appha: created by job" in result.out
    lines = result.err.splitlines()
    progress = [line for line in lines if re.match(r"^\[ *\d+\.\ds\] ", line)]
    steps = {line.split("] ", 1)[1].split(":")[0].split()[0] for line in progress}
    assert steps >= set(STEPS)
    for node in ("appha-node1", "appha-node2"):
        assert any(f"] ssh {node}: up" in line for line in progress)
        for step in ("prepare", "disks"):  # each node's part, with what it changed
            assert any(re.search(rf"\] {step} {node}: done: \d+ changes", x) for x in progress)
    assert any(re.search(r"\] verify: done", line) for line in progress)
    assert "\x1b[" not in result.err  # no terminal: no live table, no escape codes


def test_ha_create_failure_is_one_line_naming_node_command_and_error(
    cluster_lab: ClusterLab,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    message = "ERROR: the cluster definition could not be synchronised to appha-node2."
    rule = {
        "kind": "node",
        "mode": "fail_command",
        "name_regex": "^appha-node1$",
        "command_regex": "^clmgr sync cluster",
        "message": message,
    }
    add_behaviour(cluster_lab.aix, rule)
    spec = tmp_path / "cluster.yaml"
    spec.write_text(spec_text(cluster_lab))
    result = cli_create(Shell(monkeypatch, capsys), cluster_lab, spec)
    assert result.code == 1
    [line] = result.error_lines
    assert line == f"error: step sync failed on node appha-node1: clmgr sync cluster: {message}"
    assert "--resume" in result.err
    assert "ha show" in result.err
