"""The node-side steps over real SSH against emulator nodes: they build the cluster, a second
run changes nothing, failures name the node and PowerHA's ERROR line."""

from __future__ import annotations

from pathlib import Path

from powerbridge.ha import health, node_commands, parse
from powerbridge.ha.model import ApplicationSpec, RepositorySpec, ScriptSpec, SplitMergeSpec
from powerbridge.ha.topology import SharedDisk
from tests.emulator.aix.cluster_support import attach, deploy_cluster_servers, shared_volume
from tests.emulator.aix.ssh_support import (
    add_behaviour,
    client_key,
    lab,
    lab_config,
    remove_behaviour,
)
from tests.ha.node_support import cluster_spec, phases, run_all, run_ok, shell, topology_of

NAMES = ["hanode1", "hanode2"]
GHOST_WWN = "600507681080002F78000000DEADBEEF"


def test_the_steps_build_the_cluster_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    key = client_key(tmp_path)
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        cluster = deploy_cluster_servers(aix, key, NAMES)
        spec, topology = cluster_spec(NAMES), topology_of(cluster, domain="example.com")
        for phase in phases(spec, topology):
            run_ok(aix, key, phase)
        outputs = {
            c.node: r.out
            for c in node_commands.verify_commands(spec, topology)
            for r in run_ok(aix, key, [c])
        }
        verdict = health.assess(health.cluster_observation("hanode1", outputs))
        assert (verdict.state, verdict.status, verdict.group_node) == (
            "Active",
            "Normal",
            "hanode1",
        )
        assert verdict.reasons == ()
        hosts = {name: shell(aix, key, name, "cat /etc/hosts") for name in NAMES}

        again = [ran for phase in phases(spec, topology) for ran in run_ok(aix, key, phase)]
        assert [parse.changes(ran.out) for ran in again] == [[]] * len(again)
        for name in NAMES:
            assert shell(aix, key, name, "cat /etc/hosts") == hosts[name]
            lines = hosts[name].splitlines()
            for node in NAMES:
                address = cluster.addresses[node]
                assert lines.count(f"{address} {node}.example.com {node}") == 1
                assert sum(node in line.split() for line in lines) == 1
            rhosts = shell(aix, key, name, "cat /etc/cluster/rhosts; ls -l /etc/cluster/rhosts")
            assert rhosts.startswith("".join(f"{cluster.addresses[n]}\n" for n in NAMES))
            assert "-rw-------" in rhosts
        assert shell(aix, key, "hanode1", "clmgr query resource_group") == "rg1\n"
        assert shell(aix, key, "hanode1", "clmgr query file_system") == "/data\n"

        application = node_commands.application(spec, topology)
        assert application is not None
        assert run_ok(aix, key, [application])[0].out == "deployed on hanode1\n"
        pv = parse.disk_by_wwn(
            parse.lspv_rows(shell(aix, key, "hanode2", "lspv -u")), cluster.repository_wwn.lower()
        )
        assert pv is not None
        assert (pv.volume_group, pv.state) == ("caavg_private", "active")


def test_a_disk_missing_on_a_node_fails_naming_node_volume_and_wwn(tmp_path: Path) -> None:
    key = client_key(tmp_path)
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        cluster = deploy_cluster_servers(aix, key, NAMES)
        ghost = SharedDisk("data", "hademo-ghost", GHOST_WWN)
        spec, topology = cluster_spec(NAMES), topology_of(cluster, ghost)
        run_ok(aix, key, node_commands.prepare(spec, topology))
        first = run_all(aix, key, node_commands.disks(spec, topology)[0])[0]
        assert first.status == 3
        assert first.err == (
            "ERROR: node hanode1: data disk 2 (volume hademo-ghost) (WWN"
            f" {GHOST_WWN}) is not on this node: lspv -u shows no disk with that WWN; attach"
            " the volume to this node's server and run cfgmgr\n"
        )
        assert parse.script_failure(first.err).error == first.err.strip()
        blank = topology_of(cluster, SharedDisk("data", "hademo-blank", ""))
        unnamed = run_all(aix, key, node_commands.disks(spec, blank)[0])[0]
        assert (unnamed.status, unnamed.err) == (
            3,
            "ERROR: node hanode1: data disk 2 (volume hademo-blank) has no WWN: set its"
            " variable at the top of the script\n",
        )


def test_a_failing_clmgr_stops_with_its_error_and_a_rerun_completes(tmp_path: Path) -> None:
    key = client_key(tmp_path)
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        cluster = deploy_cluster_servers(aix, key, NAMES)
        spec, topology = cluster_spec(NAMES), topology_of(cluster)
        build = phases(spec, topology)
        for phase in build[:4]:  # prepare, disks (2 phases), cluster
            run_ok(aix, key, phase)
        rule = add_behaviour(
            aix,
            {
                "kind": "node",
                "mode": "fail_command",
                "name_regex": "^hanode1$",
                "command_regex": "^clmgr add volume_group",
                "message": "ERROR: injected VG failure",
                "exit_status": 2,
                "times": 1,
            },
        )
        failed = run_all(aix, key, build[4])[0]  # resources: stops at the VG, after the IP
        assert failed.status == 2
        failure = parse.script_failure(failed.err)
        assert failure.node == "hanode1"
        assert failure.error == "ERROR: injected VG failure"
        assert failure.command is not None
        assert failure.command.startswith("clmgr add volume_group datavg")
        assert "clmgr add service_ip hasvc NETWORK=net_ether_01" in parse.changes(failed.out)
        remove_behaviour(aix, rule)
        resumed = run_ok(aix, key, build[4])[0]  # the interrupted step again: the rest only
        assert parse.changes(resumed.out)[0].startswith("clmgr add volume_group datavg")
        assert not any("service_ip" in change for change in parse.changes(resumed.out))
        for phase in build[5:]:
            run_ok(aix, key, phase)
        assert shell(aix, key, "hanode1", "clmgr query service_ip") == "hasvc\n"

        wrong = cluster_spec(NAMES, split_merge=SplitMergeSpec("tiebreaker", "majority"))
        refused = run_all(aix, key, [node_commands.cluster(wrong, topology)])[0]
        assert refused.status == 1
        assert parse.script_failure(refused.err).error == (
            'ERROR: the merge policy "majority" cannot be used with the split policy'
            ' "tiebreaker". Valid values: tiebreaker.'
        )


def test_every_step_rerun_after_its_answer_was_lost_changes_nothing(tmp_path: Path) -> None:
    """An SSH reset after every command of every phase ran (its effects happened, its
    answer lost): the step run again finds everything done and changes nothing."""
    key = client_key(tmp_path)
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        cluster = deploy_cluster_servers(aix, key, NAMES)
        spec, topology = cluster_spec(NAMES), topology_of(cluster)
        for phase in phases(spec, topology):
            rule = add_behaviour(aix, {"kind": "node", "mode": "reset_ssh", "times": len(phase)})
            assert [ran.status for ran in run_all(aix, key, phase)] == [-1] * len(phase)
            remove_behaviour(aix, rule)
            again = run_ok(aix, key, phase)  # the cut scripts ran: nothing is left to do
            assert [parse.changes(ran.out) for ran in again] == [[]] * len(phase)
        lines = shell(aix, key, "hanode2", "cat /etc/hosts").splitlines()
        assert [line for line in lines if "hanode1" in line] == [
            f"{cluster.addresses['hanode1']} hanode1"
        ]
        assert shell(aix, key, "hanode1", "clmgr query cluster -a CLUSTER_NAME") == (
            'CLUSTER_NAME="hademo"\n'
        )


def test_three_nodes_with_a_backup_repository_and_a_split_merge_policy(tmp_path: Path) -> None:
    key = client_key(tmp_path)
    names = ["hanode1", "hanode2", "hanode3"]
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        cluster = deploy_cluster_servers(aix, key, names)
        backup = shared_volume(aix, "hademo-backup", 1)
        for server_id in cluster.server_ids.values():
            attach(aix, server_id, backup["id"])
        disk = SharedDisk("backup_repository", "hademo-backup", backup["metadata"]["volume_wwn"])
        spec = cluster_spec(
            names,
            repository=RepositorySpec(backup=True),
            split_merge=SplitMergeSpec("manual", "manual"),
            application_command=None,
        )
        topology = topology_of(cluster, disk)
        assert node_commands.application(spec, topology) is None
        for phase in phases(spec, topology):
            run_ok(aix, key, phase)
        changes = parse.changes(run_ok(aix, key, [node_commands.cluster(spec, topology)])[0].out)
        assert changes == []
        query = shell(aix, key, "hanode3", "clmgr query repository -c -a NAME,BACKUP")
        assert query.splitlines()[1:] == ["hdisk1:false", "hdisk3:true"]
        policy = shell(aix, key, "hanode1", "clmgr -a SPLIT_POLICY,MERGE_POLICY query cluster")
        assert policy == 'SPLIT_POLICY="manual"\nMERGE_POLICY="manual"\n'


def test_a_script_given_by_path_must_exist_and_be_executable(tmp_path: Path) -> None:
    key = client_key(tmp_path)
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        cluster = deploy_cluster_servers(aix, key, NAMES)
        app = ApplicationSpec("app1", ScriptSpec("/opt/db/start"), ScriptSpec("/opt/db/stop"))
        spec, topology = cluster_spec(NAMES, application=app), topology_of(cluster)
        missing = run_all(aix, key, node_commands.prepare(spec, topology))
        assert [ran.status for ran in missing] == [3, 3]
        assert missing[1].err == (
            "ERROR: node hanode2: the application start script /opt/db/start does not exist"
            " (the spec gives only its path: put it on the image or give its content)\n"
        )
        for name in NAMES:
            shell(aix, key, name, "mkdir -p /opt/db && touch /opt/db/start /opt/db/stop")
        shell(aix, key, "hanode1", "chmod 755 /opt/db/start /opt/db/stop")
        ran = run_all(aix, key, node_commands.prepare(spec, topology))
        assert [r.status for r in ran] == [0, 3]
        assert ran[1].err == (
            "ERROR: node hanode2: the application start script /opt/db/start is not"
            " executable: chmod 755 /opt/db/start\n"
        )
