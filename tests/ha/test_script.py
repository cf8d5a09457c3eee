"""`render_script` piped into ksh over real SSH on fresh emulator nodes reaches the cluster the
workflow's steps build; with placeholders it refuses to run."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from powerbridge.ha import parse
from powerbridge.ha.script import render_script
from tests.emulator.aix.cluster_support import Admin, deploy_cluster_servers
from tests.emulator.aix.ssh_support import client_key, lab, lab_config, ssh_run
from tests.ha.node_support import cluster_spec, shell, topology_of

NAMES = ["hanode1", "hanode2", "hanode3"]


def _ksh(aix: object, key: object, node: str, script: str) -> tuple[int, str, str]:
    done = asyncio.run(ssh_run(aix, node, key, "ksh", stdin=script))  # type: ignore[arg-type]
    return int(done.exit_status or 0), str(done.stdout), str(done.stderr)


def test_the_script_run_on_every_node_home_last_builds_the_cluster(tmp_path: Path) -> None:
    key = client_key(tmp_path)
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        cluster = deploy_cluster_servers(aix, key, NAMES)
        spec = cluster_spec(NAMES)
        before = shell(aix, key, "hanode1", "cat /etc/hosts")
        status, _, err = _ksh(aix, key, "hanode1", render_script(spec))
        assert (status, err) == (
            3,
            "ERROR: node hanode1: fill in every FILL_IN at the top of this script first\n",
        )
        assert shell(aix, key, "hanode1", "cat /etc/hosts") == before

        script = render_script(spec, topology_of(cluster))
        for node in ["hanode2", "hanode3", "hanode1"]:
            status, out, err = _ksh(aix, key, node, script)
            assert status == 0, (node, out, err)
        assert out.endswith("deployed on hanode1\n")
        admin = Admin(aix, key)
        assert admin.states("hanode1") == dict.fromkeys(NAMES, "ST_STABLE")
        assert admin.group("hanode2") == {
            "hanode1": "ONLINE",
            "hanode2": "OFFLINE",
            "hanode3": "OFFLINE",
        }
        assert shell(aix, key, "hanode1", "cat /tmp/app.state") == "started on hanode1\n"

        for node in NAMES:  # again, anywhere: nothing changes, the application is not rerun
            status, out, err = _ksh(aix, key, node, script)
            assert (status, parse.changes(out)) == (0, []), (node, out, err)


def test_the_script_run_on_a_host_outside_the_cluster_stops(tmp_path: Path) -> None:
    key = client_key(tmp_path)
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        cluster = deploy_cluster_servers(aix, key, ["hanode1", "other"])
        spec = cluster_spec(["hanode1", "hanode9"])
        topology = topology_of(cluster)
        stranger = replace(topology.nodes[1], name="hanode9")
        script = render_script(spec, replace(topology, nodes=(topology.nodes[0], stranger)))
        status, _, err = _ksh(aix, key, "other", script)
        assert status == 3
        assert err == (
            "ERROR: node other: this host (other) is none of the nodes hanode1 hanode9:"
            " set THIS_NODE\n"
        )


def test_the_home_node_run_too_early_names_the_node_then_completes(tmp_path: Path) -> None:
    key = client_key(tmp_path)
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        cluster = deploy_cluster_servers(aix, key, ["hanode1", "hanode2"])
        script = render_script(cluster_spec(["hanode1", "hanode2"]), topology_of(cluster))
        status, _, err = _ksh(aix, key, "hanode1", script)
        failure = parse.script_failure(err)
        assert (status, failure.node) == (1, "hanode1")
        assert failure.command is not None
        assert failure.command.startswith("clmgr add cluster hademo NODES=hanode1,hanode2")
        assert failure.error is not None
        assert "hanode2" in failure.error
        for node in ["hanode2", "hanode1"]:
            status, out, err = _ksh(aix, key, node, script)
            assert status == 0, (node, out, err)
        assert "every node ST_STABLE, rg1 online on hanode1" in out
