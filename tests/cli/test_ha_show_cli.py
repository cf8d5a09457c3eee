"""`powerbridge ha list | show | status | inventory | trust-host-key` on a built cluster, run
as a user's shell runs them: the emulator's powervcrc, its ssh_config, the job store's file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from powerbridge.ha.errors import StepFailed
from tests.emulator.aix.ssh_support import add_behaviour, remove_behaviour
from tests.ha.cluster_lab import (  # noqa: F401
    BuiltCluster,
    ClusterLab,
    built_cluster_fixture,
    cluster_lab_fixture,
)
from tests.support.clirun import Shell

OTHER = "appha-node2"


@pytest.fixture
def sh(
    built_cluster: BuiltCluster,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Shell:
    lab = built_cluster.lab
    assert lab.aix.running.ssh_config is not None
    env = {
        **lab.aix.running.env(),
        "POWERBRIDGE_SSH_CONFIG": str(lab.aix.running.ssh_config),
        "POWERBRIDGE_STORE": str(lab.store.engine.url.database),
    }
    shell = Shell(monkeypatch, capsys, env)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return shell


def key(built_cluster: BuiltCluster) -> tuple[str, str]:
    return ("--ssh-key", str(built_cluster.lab.key.path))


def test_show_prints_state_nodes_disks_and_events(sh: Shell, built_cluster: BuiltCluster) -> None:
    out = sh.ok("ha", "show", "appha", *key(built_cluster)).out
    assert out.startswith("appha: Active / Normal, appha_rg on appha-node1 (home appha-node1)\n")
    for part in ("Nodes", "appha-node1 (home)", "ST_STABLE", "Disks", "appha-repository"):
        assert part in out
    assert "Recent cluster events:" in out
    data = sh.json("ha", "show", "appha", *key(built_cluster), "--format", "json")
    assert (data["state"], data["status"], data["group_node"]) == (
        "Active",
        "Normal",
        "appha-node1",
    )
    assert (
        yaml.safe_load(sh.ok("ha", "show", "appha", *key(built_cluster), "-f", "yaml").out)["name"]
        == "appha"
    )


def test_status_and_watch_print_one_line(sh: Shell, built_cluster: BuiltCluster) -> None:
    line = "appha: Active / Normal, appha_rg on appha-node1 (home appha-node1)"
    assert sh.ok("ha", "status", "appha", *key(built_cluster)).out == line + "\n"
    watched = sh.ok(
        "ha", "status", "appha", *key(built_cluster), "--watch", "--count", "2", "--interval", "0.1"
    )
    assert watched.out.count(line) == 1  # nothing changed: one line


def test_list_and_inventory(sh: Shell, built_cluster: BuiltCluster) -> None:
    rows = sh.json("ha", "list", *key(built_cluster), "--format", "json")
    assert [(r["name"], r["state"], r["status"]) for r in rows] == [("appha", "Active", "Normal")]
    inventory = yaml.safe_load(sh.ok("ha", "inventory", "appha").out)
    assert set(inventory["all"]["children"]["appha"]["hosts"]) == {"appha-node1", OTHER}


def test_an_unknown_cluster_is_one_line_naming_ha_list(
    sh: Shell, built_cluster: BuiltCluster
) -> None:
    for command in (("show", *key(built_cluster)), ("status", *key(built_cluster)), ("inventory",)):
        result = sh("ha", command[0], "nosuch", *command[1:])
        assert result.code == 1
        assert len(result.error_lines) == 1
        assert result.error_lines[0].startswith("error: no cluster named nosuch: no ")
        assert "powerbridge:cluster=nosuch" in result.error_lines[0]
        assert "`powerbridge ha list` shows the clusters" in result.err
        assert "Traceback" not in result.err


def test_a_changed_host_key_is_refused_and_trust_host_key_accepts_it(
    sh: Shell, built_cluster: BuiltCluster
) -> None:
    lab = built_cluster.lab
    rule = add_behaviour(lab.aix, {"kind": "node", "mode": "changed_host_key", "name_regex": OTHER})
    try:
        refused = sh("ha", "show", "appha", *key(built_cluster))
        assert refused.code == 1
        assert "appha: Active / Warning" in refused.out  # what could be read is shown
        assert len(refused.error_lines) == 1
        assert "man in the middle" in refused.error_lines[0]
        trusted = sh.ok("ha", "trust-host-key", "appha", OTHER, *key(built_cluster)).out
        assert trusted.startswith(f"appha: pinned the new host key of {OTHER} at ")
        assert "(was SHA256:" in trusted
        assert "Active / Normal" in sh.ok("ha", "status", "appha", *key(built_cluster)).out
    finally:
        remove_behaviour(lab.aix, rule)
    sh.ok("ha", "trust-host-key", "appha", OTHER, *key(built_cluster))  # its own key again
    assert "Active / Normal" in sh.ok("ha", "status", "appha", *key(built_cluster)).out
    unknown = sh("ha", "trust-host-key", "appha", "nonode", *key(built_cluster))
    assert unknown.code == 1
    assert unknown.error_lines == [
        f"error: cluster appha has no node nonode (its nodes: appha-node1, {OTHER})"
    ]


def test_watch_stops_cleanly_on_ctrl_c(built_cluster: BuiltCluster) -> None:
    lab = built_cluster.lab
    assert lab.aix.running.ssh_config is not None
    env = {
        **os.environ,
        **lab.aix.running.env(),
        "PYTHONPATH": os.pathsep.join(sys.path),
        "POWERBRIDGE_SSH_CONFIG": str(lab.aix.running.ssh_config),
        "POWERBRIDGE_STORE": str(lab.store.engine.url.database),
    }
    env.pop("SSH_AUTH_SOCK", None)
    watch = ["ha", "status", "appha", "--watch", "--interval", "0.2", *key(built_cluster)]
    process = subprocess.Popen(
        [sys.executable, "-m", "powerbridge", *watch],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # the first read is shown: the loop is running
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "appha: Active / Normal" in first
    assert process.returncode == 0, err
    assert err == "stopped watching\n"
    assert "appha: Active / Normal" not in out  # nothing changed: no second line


def test_list_without_any_key_reads_no_node_and_says_so(
    sh: Shell, built_cluster: BuiltCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.ssh/id_*, no agent
    rows = sh.json("ha", "list", "--format", "json")
    assert [(r["name"], r["state"], r["nodes"]) for r in rows] == [
        ("appha", "Unknown", ["appha-node1", OTHER])
    ]
    assert "--ssh-key" in rows[0]["reason"]


def test_show_of_a_failed_create_prints_the_failing_command_in_full(
    cluster_lab: ClusterLab, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rule = {
        "kind": "node",
        "mode": "fail_command",
        "name_regex": "appha-node1",
        "command_regex": "^clmgr sync cluster",
        "message": "ERROR: sync failed",
    }
    add_behaviour(cluster_lab.aix, rule)
    with pytest.raises(StepFailed):
        cluster_lab.create(cluster_lab.spec())
    assert cluster_lab.aix.running.ssh_config is not None
    env = {
        **cluster_lab.aix.running.env(),
        "POWERBRIDGE_SSH_CONFIG": str(cluster_lab.aix.running.ssh_config),
        "POWERBRIDGE_STORE": str(cluster_lab.store.engine.url.database),
    }
    sh = Shell(monkeypatch, capsys, env)
    out = sh.ok("ha", "show", "appha", "--ssh-key", str(cluster_lab.key.path)).out
    assert out.startswith("appha: Failed / Error\n")
    assert "failed at step sync on appha-node1: ERROR: sync failed" in out
    assert "Failed command (step sync, node appha-node1, exit status 1): ksh" in out
    assert "    ERROR: sync failed\n" in out  # its stderr, in full
