"""What the node commands are made of, without a node: their shape, the values at their top,
what changes with the spec."""

from __future__ import annotations

from powerbridge.ha import node_commands
from powerbridge.ha.ksh import write_file
from powerbridge.ha.model import SharedStorageSpec
from powerbridge.ha.topology import NodeFacts, SharedDisk, Topology
from tests.ha.node_support import cluster_spec

NAMES = ["hanode1", "hanode2"]
TOPOLOGY = Topology(
    nodes=(NodeFacts("hanode1", "10.0.0.1"), NodeFacts("hanode2", "10.0.0.2")),
    service_address="10.0.0.9",
    disks=(SharedDisk("repository", "r", "60050768AAAA"), SharedDisk("data", "d", "60050768BBBB")),
)


def test_scripts_are_fed_to_ksh_with_the_values_at_their_top() -> None:
    commands = node_commands.prepare(cluster_spec(NAMES), TOPOLOGY)
    assert [(c.node, c.step, c.command) for c in commands] == [
        ("hanode1", "prepare", "ksh"),
        ("hanode2", "prepare", "ksh"),
    ]
    script = commands[1].stdin
    assert script is not None
    assert "THIS_NODE=hanode2\n" in script
    assert "NODE1_IP=10.0.0.1  # hanode1's address\n" in script
    assert "DATA1_WWN=60050768AAAA" not in script
    assert "DATA1_WWN=60050768BBBB  # WWN of data disk 1 (volume d)\n" in script


def test_disks_run_in_two_phases_home_first() -> None:
    first, second = node_commands.disks(cluster_spec(NAMES), TOPOLOGY)
    assert [c.node for c in first] == ["hanode1"]
    assert "pv=yes" in first[0].script
    assert [c.node for c in second] == NAMES
    assert "cfgmgr ||" not in second[0].script  # the home node read its disks in phase 1
    assert "cfgmgr ||" in second[1].script


def test_without_data_disks_no_volume_group_is_made() -> None:
    spec = cluster_spec(NAMES, shared_storage=SharedStorageSpec(count=0))
    topology = Topology(TOPOLOGY.nodes, TOPOLOGY.service_address, TOPOLOGY.disks[:1])
    script = node_commands.resources(spec, topology).script
    assert "volume_group" not in script
    assert "clmgr add resource_group rg1" in script


def test_a_file_is_written_literally_whatever_its_content() -> None:
    content = "echo $HOME `date`\nPOWERBRIDGE_EOF\n"
    fragment = write_file("/opt/app/start.sh", content, "755")
    assert "<<'POWERBRIDGE_EOF_1'\n" in fragment
    assert f"{content}POWERBRIDGE_EOF_1\n" in fragment
    assert fragment.endswith("pb_install /opt/app/start.sh.powerbridge /opt/app/start.sh 755\n")


def test_the_verify_command_is_read_only() -> None:
    commands = node_commands.verify_commands(cluster_spec(NAMES), TOPOLOGY)
    assert [c.node for c in commands] == NAMES
    assert all(c.step == "verify" and "clmgr add" not in c.script for c in commands)
