"""`ha show` reads the cluster now, from PowerVC and the nodes, over the emulator's real HTTP
and SSH: right after create, with a node's cluster services stopped by hand, with a node
refusing SSH, with a changed host key (refused, then re-pinned)."""

from __future__ import annotations

import pytest
import yaml

from powerbridge.client import Cloud
from powerbridge.ha.access import cluster_inventory, trust_host_key
from powerbridge.ha.create import create_cluster
from powerbridge.ha.errors import NotACluster, StepFailed
from powerbridge.ha.journal import StepEvent
from powerbridge.ha.status import list_clusters, read_cluster
from powerbridge.jobs import Job, JobStatus
from tests.emulator.aix.ssh_support import add_behaviour, remove_behaviour
from tests.ha.cluster_lab import (  # noqa: F401
    BuiltCluster,
    ClusterLab,
    built_cluster_fixture,
    cluster_lab_fixture,
)
from tests.ha.show_support import on_node, read_options, servers, show, volumes

HOME, OTHER = "appha-node1", "appha-node2"


def test_after_create_the_cluster_is_active_normal_on_its_home_node(
    built_cluster: BuiltCluster,
) -> None:
    view = show(built_cluster.lab)
    assert (view.state, view.status, view.reasons) == ("Active", "Normal", ())
    assert view.home_node == view.group_node == HOME
    group = view.groups[0]
    assert (group.name, group.online_on, group.nodes) == ("appha_rg", (HOME,), (HOME, OTHER))
    assert group.states == {HOME: "ONLINE", OTHER: "OFFLINE"}
    assert [(s.label, s.node) for s in view.service_ips] == [("appha-svc", HOME)]
    assert view.job["status"] == "succeeded"
    assert any("EVENT COMPLETED: node_up appha-node1" in event for event in view.events)
    assert view.events[-1].endswith("EVENT COMPLETED: rg_move_complete appha-node1 appha_rg 0")


def test_nodes_show_the_hosts_and_addresses_powervc_reports(built_cluster: BuiltCluster) -> None:
    view = show(built_cluster.lab)
    listed = servers(built_cluster.lab)
    for node in view.nodes:
        server = listed[node.name]
        assert node.server_id == server["id"]
        assert node.host == server["OS-EXT-SRV-ATTR:host"]
        assert node.addresses == tuple(a["addr"] for a in server["addresses"]["cmbnet1"])
        assert (node.server_status, node.clstrmgr_state, node.caa_state) == (
            "ACTIVE",
            "ST_STABLE",
            "UP",
        )
    assert view.nodes[0].host != view.nodes[1].host  # the example's hard anti-affinity


def test_disks_are_matched_on_every_node_by_wwn(built_cluster: BuiltCluster) -> None:
    lab = built_cluster.lab
    view = show(lab)
    cloud_volumes = volumes(lab)
    assert [d.role for d in view.disks] == ["repository", "data"]
    for disk in view.disks:
        assert disk.wwn == cloud_volumes[disk.volume_name]["metadata"]["volume_wwn"]
        assert set(disk.on_nodes) == {HOME, OTHER}
        for node, seen in disk.on_nodes.items():
            line = on_node(lab, node, f"lspv -u | grep -i {disk.wwn}")
            assert line.split()[:2] == [seen.hdisk, seen.pvid]
    assert {seen.volume_group for seen in view.disks[0].on_nodes.values()} == {"caavg_private"}
    assert {seen.volume_group for seen in view.disks[1].on_nodes.values()} == {"appvg"}


def test_services_stopped_by_hand_on_a_node_show_as_warning(built_cluster: BuiltCluster) -> None:
    lab = built_cluster.lab
    on_node(lab, OTHER, f"clmgr offline node {OTHER} WHEN=now MANAGE=offline")
    try:
        view = show(lab)
        assert (view.state, view.status) == ("Active", "Warning")
        assert view.node(OTHER).clstrmgr_state == "ST_INIT"
        assert f"cluster services are stopped on {OTHER} (ST_INIT)" in view.reasons
        assert view.group_node == HOME
    finally:
        on_node(lab, OTHER, f"clmgr online node {OTHER} WHEN=now MANAGE=auto")
    assert (show(lab).state, show(lab).status) == ("Active", "Normal")


def test_a_node_refusing_ssh_is_shown_down_and_the_rest_is_read(
    built_cluster: BuiltCluster,
) -> None:
    lab = built_cluster.lab
    rule = add_behaviour(lab.aix, {"kind": "node", "mode": "refuse_ssh", "name_regex": OTHER})
    try:
        view = show(lab)
    finally:
        remove_behaviour(lab.aix, rule)
    assert (view.state, view.status) == ("Active", "Warning")
    down = view.node(OTHER)
    assert not down.reachable
    assert down.server_status == "ACTIVE"
    assert down.reason is not None
    assert "connection refused" in down.reason
    assert view.node(HOME).clstrmgr_state == "ST_STABLE"  # read all the same
    assert view.group_node == HOME
    assert view.disks[0].on_nodes.keys() == {HOME}


def test_with_every_node_refusing_ssh_show_still_answers(built_cluster: BuiltCluster) -> None:
    lab = built_cluster.lab
    rule = add_behaviour(lab.aix, {"kind": "node", "mode": "refuse_ssh", "name_regex": "^appha"})
    try:
        view = show(lab)
    finally:
        remove_behaviour(lab.aix, rule)
    assert (view.state, view.status, view.group_node) == ("Offline", "Warning", None)
    assert view.reasons[0] == "no node is up to ask"
    assert all("connection refused" in (node.reason or "") for node in view.nodes)
    assert [node.host for node in view.nodes] == [
        s["OS-EXT-SRV-ATTR:host"] for s in (servers(lab)[HOME], servers(lab)[OTHER])
    ]  # PowerVC's side is shown all the same
    assert show(lab).status == "Normal"


def test_a_changed_host_key_is_refused_until_trusted_again(built_cluster: BuiltCluster) -> None:
    lab = built_cluster.lab
    config = lab.aix.running.ssh_config
    assert config is not None

    def trust() -> str:
        trusted = lab.run(
            lambda _: trust_host_key(lab.store, "appha", OTHER, lab.identity, ssh_configs=[config])
        )
        assert trusted.changed
        return trusted.current

    rule = add_behaviour(lab.aix, {"kind": "node", "mode": "changed_host_key", "name_regex": OTHER})
    try:
        refused = show(lab)
        assert refused.status == "Warning"
        assert not refused.node(OTHER).reachable
        assert len(refused.host_key_errors) == 1
        assert "man in the middle" in refused.host_key_errors[0]
        assert f"powerbridge ha trust-host-key appha {OTHER}" in refused.host_key_errors[0]
        new_key = trust()
        accepted = show(lab)
        assert (accepted.status, accepted.host_key_errors) == ("Normal", ())
    finally:
        remove_behaviour(lab.aix, rule)
    assert trust() != new_key  # the node's own key again: re-pinned for the other tests
    assert show(lab).status == "Normal"


def test_list_shows_the_cluster_with_its_state(built_cluster: BuiltCluster) -> None:
    lab = built_cluster.lab
    rows = lab.run(
        lambda cloud: list_clusters(
            cloud, lab.store, identity=lab.identity, options=read_options(lab)
        )
    )
    assert [(r.name, r.state, r.status, r.nodes, r.group_node) for r in rows] == [
        ("appha", "Active", "Normal", (HOME, OTHER), HOME)
    ]


def test_an_unknown_name_is_a_clear_error_naming_ha_list(built_cluster: BuiltCluster) -> None:
    lab = built_cluster.lab
    with pytest.raises(NotACluster) as raised:
        lab.run(lambda cloud: read_cluster(cloud, lab.store, "nosuch", lab.identity))
    assert "no cluster named nosuch" in str(raised.value)
    assert raised.value.hint is not None
    assert "ha list" in raised.value.hint


def test_inventory_is_yaml_with_every_node_and_the_home_node_marked(
    built_cluster: BuiltCluster,
) -> None:
    lab = built_cluster.lab
    text = lab.run(lambda cloud: cluster_inventory(cloud, lab.store, "appha"))
    group = yaml.safe_load(text)["all"]["children"]["appha"]
    listed = servers(lab)
    assert set(group["hosts"]) == {HOME, OTHER}
    for name, host in group["hosts"].items():
        assert host["ansible_host"] == listed[name]["addresses"]["cmbnet1"][0]["addr"]
        assert host["ansible_user"] == "root"
        assert "ansible_python_interpreter" not in host
        assert host["powerha_home_node"] is (name == HOME)
    assert list(group["children"]["appha_home"]["hosts"]) == [HOME]


def test_stopping_the_home_node_through_powervc_shows_where_the_group_went(
    cluster_lab: ClusterLab,
) -> None:
    cluster_lab.create(cluster_lab.spec())
    home = servers(cluster_lab)[HOME]
    cluster_lab.aix.action(home["id"], {"os-stop": None})
    cluster_lab.aix.wait_status(home["id"], "SHUTOFF")
    view = show(cluster_lab)
    assert (view.state, view.status, view.group_node) == ("Active", "Warning", OTHER)
    assert f"node {HOME} is down (server SHUTOFF)" in view.reasons
    assert f"resource group appha_rg is on {OTHER}, not its home node {HOME}" in view.reasons
    assert view.node(HOME).server_status == "SHUTOFF"
    assert view.node(HOME).reason == "not contacted: server SHUTOFF"
    assert not view.node(HOME).reachable
    assert [(s.label, s.node) for s in view.service_ips] == [("appha-svc", OTHER)]
    assert any(f"node_down {HOME}" in event for event in view.events)


class Stop(Exception):
    """Stands for the Ctrl-C or kill that stops a create midway."""


def test_an_interrupted_create_reads_deploying_with_the_resume_hint(
    cluster_lab: ClusterLab,
) -> None:
    spec = cluster_lab.spec()

    def stop_at_sync(event: StepEvent) -> None:
        if event.step == "sync" and event.state == "running":
            raise Stop

    async def create(cloud: Cloud) -> Job:
        options = cluster_lab.options(source="ha-2node.yaml")
        return await create_cluster(
            cloud, spec, cluster_lab.store, cluster_lab.identity, options, stop_at_sync
        )

    with pytest.raises(Stop):
        cluster_lab.run(create)
    view = show(cluster_lab)
    assert (view.state, view.status, view.job["status"]) == ("Deploying", "Warning", "interrupted")
    assert view.hint is not None
    assert "ha create ha-2node.yaml --resume" in view.hint
    cluster_lab.create(spec, resume=True)
    assert (show(cluster_lab).state, show(cluster_lab).status) == ("Active", "Normal")


def test_a_failed_create_reads_failed_with_the_resume_hint(cluster_lab: ClusterLab) -> None:
    rule = {
        "kind": "node",
        "mode": "fail_command",
        "name_regex": HOME,
        "command_regex": "^clmgr sync cluster",
        "message": "ERROR: sync failed",
    }
    add_behaviour(cluster_lab.aix, rule)
    with pytest.raises(StepFailed):
        cluster_lab.create(cluster_lab.spec())
    view = show(cluster_lab)
    assert (view.state, view.status, view.job["status"]) == ("Failed", "Error", "failed")
    assert (view.job["failed_step"], view.job["node"]) == ("sync", HOME)
    assert view.hint is not None
    assert f"failed at step sync on {HOME}: ERROR: sync failed;" in view.hint
    failed = view.failed_command
    assert (failed["node"], failed["step"], failed["error_line"]) == (
        HOME,
        "sync",
        "ERROR: sync failed",
    )
    assert "ERROR: sync failed" in failed["stderr"]
    assert view.hint is not None
    assert "--resume" in view.hint
    assert view.node(HOME).clstrmgr_state == "ST_INIT"  # read from the node all the same


def test_a_deleted_cluster_is_not_listed_and_reads_as_deleted(cluster_lab: ClusterLab) -> None:
    store = cluster_lab.store
    for action in ("create", "delete"):  # what `ha create` then `ha delete` leave in the store
        job = store.create_job("cluster", "gone", action=action)
        store.finish(job.id, JobStatus.SUCCEEDED)
    rows = cluster_lab.run(
        lambda cloud: list_clusters(
            cloud, store, identity=cluster_lab.identity, options=read_options(cluster_lab)
        )
    )
    assert rows == []
    with pytest.raises(NotACluster, match=r"^cluster gone was deleted \(job 2\)$"):
        show(cluster_lab, "gone")
