"""The PowerHA output readers on the formats the nodes print and on odd input (blank, banners,
messages instead of tables): they return what they know and never raise."""

from __future__ import annotations

import pytest

from powerbridge.ha import parse

LSPV_U = """\
hdisk0          00f9c1b7a1b2c3d4                    rootvg          active              33213600507681080002F7800000000010A4D04214503IBMfcp                 7e1f7a52-aa4e-3b6b-8f3c-3d1a1b9c2e11
hdisk1          none                                None                                33213600507681080002F7800000000010A4E04214503IBMfcp                 1b2c3d4e-aaaa-bbbb-cccc-0123456789ab
hdisk2          00f9c1b7deadbeef                    caavg_private   active              3321360050768 1080002F7800000000010A4F04214503IBMfcp
"""  # noqa: E501
LSCLUSTER_M = """\
Calling node query for all nodes...
Node query number of nodes examined: 2

        Node name: hanode1
        Cluster shorthand id for node: 1
        State of node:  UP  NODE_LOCAL
        Reason:  NONE

        Node name: hanode2
        State of node:  DOWN
"""
CLCMD = """\
-------------------------------
NODE hanode1.example.com
-------------------------------
Current state: ST_STABLE

-------------------------------
NODE hanode2
-------------------------------
Current state: ST_INIT
"""


def test_lspv_rows_with_a_blank_state_and_a_blank_in_the_udid() -> None:
    rows = parse.lspv_rows(f"banner line\n\n{LSPV_U}")
    assert [r.name for r in rows] == ["hdisk0", "hdisk1", "hdisk2"]
    assert (rows[1].pvid, rows[1].volume_group, rows[1].state) == (None, None, "")
    assert rows[1].uuid == "1b2c3d4e-aaaa-bbbb-cccc-0123456789ab"
    assert rows[2].udid == "3321360050768 1080002F7800000000010A4F04214503IBMfcp"
    assert (rows[2].volume_group, rows[2].uuid) == ("caavg_private", "")
    found = parse.disk_by_wwn(rows, "600507681080002f7800000000010a4e")
    assert found is not None
    assert found.name == "hdisk1"
    assert parse.disk_by_wwn(rows, "60050768FFFF") is None
    assert parse.disk_by_wwn(rows, " ") is None


def test_lscluster_and_clcmd() -> None:
    assert parse.lscluster_nodes(LSCLUSTER_M) == {"hanode1": "UP", "hanode2": "DOWN"}
    assert parse.lscluster_nodes("lscluster: Cluster services are not active on this node.\n") == {}
    sections = parse.clcmd_sections(CLCMD)
    assert {n: parse.clstrmgr_state(t) for n, t in sections.items()} == {
        "hanode1": "ST_STABLE",
        "hanode2": "ST_INIT",
    }


def test_clmgr_cluster_and_attributes() -> None:
    text = 'CLUSTER_NAME="hademo"\nSTATE="STABLE"\nNODES="a b"\nREPOSITORIES="hdisk1"\n'
    query = parse.clmgr_cluster(f'{text}UNSYNCED_CHANGES="true"\nnoise\n')
    assert (query.name, query.state, query.nodes) == ("hademo", "STABLE", ("a", "b"))
    assert (query.repositories, query.unsynced_changes) == (("hdisk1",), True)
    empty = parse.clmgr_cluster('ERROR: no cluster is defined on node "a".\n')
    assert (empty.name, empty.state, empty.nodes, empty.unsynced_changes) == (None, None, (), None)


def test_rginfo_rows_skip_messages_and_keep_two_word_states() -> None:
    text = (
        "Cluster IPC error: The cluster manager on node a is in ST_INIT state.\n"
        "#Group:State:Node\n"
        "rg1:TEMPORARY ERROR:a:non-concurrent:OHN:FNPN:NFB:ignore::::\n"
        "rg1:ONLINE:b\n"
        "::\n"
    )
    rows = parse.rginfo_rows(text)
    assert [(r.group, r.state, r.node) for r in rows] == [
        ("rg1", "TEMPORARY ERROR", "a"),
        ("rg1", "ONLINE", "b"),
    ]


def test_script_output_markers() -> None:
    stderr = "ERROR: the volume group x\npowerbridge: exit 1 on hanode1: clmgr add vg x\n"
    failure = parse.script_failure(stderr)
    assert failure == parse.ScriptFailure(
        "hanode1", "clmgr add vg x", 1, "ERROR: the volume group x"
    )
    assert parse.script_failure("") == parse.ScriptFailure(None, None, None, None)
    assert parse.changes("+ chdev -l hdisk1 -a pv=yes\nhdisk1 changed\n") == [
        "chdev -l hdisk1 -a pv=yes"
    ]
    assert parse.sections("=== a\n1\n=== b\n") == {"a": "1\n", "b": ""}


@pytest.mark.parametrize("text", ["", "\n\n", "garbage", ":::\n", "Current state:", "x" * 5000])
def test_odd_input_gives_empty_answers(text: str) -> None:
    assert parse.lspv_rows(text) == []
    assert parse.lscluster_nodes(text) == {}
    assert parse.rginfo_rows(text) == []
    assert parse.clstrmgr_state(text) is None
    assert parse.clmgr_attributes(text) == {}
    assert parse.error_lines(text) == []
