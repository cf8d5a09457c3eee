"""The state and status table of docs/ha.md, case by case."""

from __future__ import annotations

import pytest

from powerbridge.ha.health import (
    ClusterObservation,
    GroupObservation,
    Health,
    NodeObservation,
    assess,
    cluster_observation,
)


def node(name: str, state: str | None = "ST_STABLE", **extra: object) -> NodeObservation:
    return NodeObservation(name, "ACTIVE", clstrmgr_state=state, caa_state="UP", **extra)  # type: ignore[arg-type]


def group(**rows: str) -> GroupObservation:
    return GroupObservation("rg1", rows)


def observe(*nodes: NodeObservation, rows: GroupObservation | None = None, **flags: bool) -> Health:
    groups = (rows or group(a="ONLINE", b="OFFLINE"),)
    return assess(ClusterObservation(nodes, groups, "a", **flags))


CASES = [
    ("normal", observe(node("a"), node("b")), ("Active", "Normal", "a")),
    (
        "home node shut off, group moved",
        observe(
            NodeObservation("a", "SHUTOFF", reachable=False),
            node("b"),
            rows=group(a="OFFLINE", b="ONLINE"),
        ),
        ("Active", "Warning", "b"),
    ),
    ("unsynced", observe(node("a"), node("b"), unsynced=True), ("Active", "Warning", "a")),
    ("a node joining", observe(node("a"), node("b", "ST_JOINING")), ("Active", "Warning", "a")),
    (
        "services stopped on one",
        observe(node("a"), node("b", "ST_INIT")),
        ("Active", "Warning", "a"),
    ),
    (
        "group in error",
        observe(node("a"), node("b"), rows=group(a="ERROR", b="OFFLINE")),
        ("Active", "Error", None),
    ),
    (
        "group online nowhere",
        observe(node("a"), node("b"), rows=group(a="OFFLINE", b="OFFLINE")),
        ("Active", "Error", None),
    ),
    ("unstable", observe(node("a", "ST_UNSTABLE"), node("b")), ("Active", "Error", "a")),
    (
        "stopped everywhere",
        observe(node("a", "ST_INIT"), node("b", "ST_INIT"), rows=group(a="OFFLINE", b="OFFLINE")),
        ("Offline", "Normal", None),
    ),
    (
        "every node down",
        observe(NodeObservation("a", "SHUTOFF"), NodeObservation("b", "ERROR"), rows=group()),
        ("Offline", "Warning", None),
    ),
    ("deploying", observe(deploying=True), ("Deploying", "Normal", "a")),
    ("failed", observe(node("a"), failed=True), ("Failed", "Error", "a")),
    ("create stopped midway", observe(interrupted=True), ("Deploying", "Warning", "a")),
    (
        "failed beats stopped midway",
        observe(failed=True, interrupted=True),
        ("Failed", "Error", "a"),
    ),
]


@pytest.mark.parametrize(("health", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_state_and_status(health: Health, expected: tuple[str, str, str | None]) -> None:
    assert (health.state, health.status, health.group_node) == expected
    assert bool(health.reasons) == (expected[:2] != ("Active", "Normal"))


def test_with_every_node_down_nothing_is_claimed_stopped() -> None:
    health = observe(
        NodeObservation("a", "ACTIVE", reachable=False, reason="refused"), rows=group()
    )
    assert health.reasons == ("no node is up to ask", "node a cannot be reached: refused")
    stopped = observe(node("a", "ST_INIT"), NodeObservation("b", "SHUTOFF"), rows=group())
    assert stopped.reasons[0] == "cluster services are stopped on every node"


def test_reasons_name_the_node_and_the_group() -> None:
    health = observe(
        NodeObservation("a", "SHUTOFF", reachable=False),
        node("b"),
        rows=group(a="OFFLINE", b="ONLINE"),
    )
    assert health.reasons == (
        "node a is down (server SHUTOFF)",
        "resource group rg1 is on b, not its home node a",
    )


def test_observation_from_verify_outputs_and_an_unreachable_node() -> None:
    output = (
        "=== lssrc -ls clstrmgrES\nCurrent state: ST_STABLE\n"
        "=== lscluster -m\n  Node name: b.example.com\n  State of node:  UP  NODE_LOCAL\n"
        "=== clRGinfo -s\nrg1:OFFLINE:a:x\nrg1:ONLINE:b:x\n"
        '=== clmgr query cluster\nUNSYNCED_CHANGES="true"\n'
    )
    observed = cluster_observation(
        "a", {"a": None, "b": output}, unreachable={"a": "connection refused"}
    )
    assert observed.nodes[1].caa_state == "UP"  # CAA's FQDN read as the node's short name
    health = assess(observed)
    assert (health.state, health.status, health.group_node) == ("Active", "Warning", "b")
    assert health.reasons == (
        "node a cannot be reached: connection refused",
        "resource group rg1 is on b, not its home node a",
        "the configuration has changes not synchronised (clmgr sync cluster)",
    )
