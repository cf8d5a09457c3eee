"""Issue 14's acceptance: PowerHA clusters built by hand over real SSH, the way an admin does it.

Servers are deployed through nova with a key pair, shared volumes attached through nova, and
then every step is a shell script sent over SSH (asyncssh for one cluster, OpenSSH's `ssh` for
the other): /etc/hosts, rhosts and clcomd, cfgmgr and PVIDs, reserve policies, disks found by
the WWN PowerVC shows in the volume's metadata, clmgr, sync, online. Nothing reaches into the
emulator's objects: what is checked is what the nodes print.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from powerbridge.ha.parse import clmgr_attributes
from tests.emulator.aix.cluster_support import (
    Admin,
    assert_online_on,
    asyncssh_script,
    clmgr_script,
    deploy_cluster_servers,
    manual_built_cluster,
    no_reserve_script,
    openstack,
    prepare_script,
    pvid_script,
    service_label_reaches,
)
from tests.emulator.aix.ssh_support import ClientKey, Lab, advance_until


# -- the acceptance ---------------------------------------------------------------------------
def test_two_nodes_built_by_hand_over_asyncssh(aix: Lab, key: ClientKey) -> None:
    cluster = deploy_cluster_servers(aix, key, ["hanode1", "hanode2"])
    admin = Admin(aix, key)
    admin.build(cluster)
    assert_online_on(admin, cluster, "hanode1")
    query = clmgr_attributes(admin.run("hanode2", "clmgr query cluster"))
    assert (query["CLUSTER_NAME"], query["STATE"]) == ("hademo", "STABLE")
    repository = admin.run("hanode2", f"lspv -u | grep -i {cluster.repository_wwn}")
    assert "caavg_private" in repository


@pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH's ssh client is not installed")
def test_three_nodes_built_by_hand_over_openssh(aix: Lab, key: ClientKey) -> None:
    cluster = deploy_cluster_servers(aix, key, ["hanode1", "hanode2", "hanode3"])
    admin = Admin(aix, key, openssh=True)
    admin.build(cluster)
    assert_online_on(admin, cluster, "hanode1")
    by_address = admin.run(cluster.addresses["hanode3"], "clRGinfo -s")
    assert "rg1:ONLINE:hanode1" in by_address


def test_a_missing_rhosts_entry_fails_the_create_and_changes_nothing(
    aix: Lab, key: ClientKey
) -> None:
    cluster = deploy_cluster_servers(aix, key, ["hanode1", "hanode2"])
    admin = Admin(aix, key)
    for name in cluster.names:
        admin.run(name, prepare_script(cluster))
    only_itself = f"echo {cluster.addresses['hanode2']} > /etc/cluster/rhosts; refresh -s clcomd"
    admin.run("hanode2", only_itself)
    admin.run("hanode1", pvid_script())
    for name in cluster.names:
        admin.run(name, no_reserve_script(cluster))
    status, output = asyncio.run(asyncssh_script(aix, "hanode1", key, clmgr_script(cluster)))
    assert status != 0
    assert "ERROR:Comm error found on node:hanode2" in output
    status, output = asyncio.run(asyncssh_script(aix, "hanode1", key, "clmgr query cluster"))
    assert status != 0  # no cluster was left behind


@pytest.mark.skipif(shutil.which("openstack") is None, reason="the openstack CLI is not installed")
def test_fallover_when_the_home_node_stops_and_fallback_when_it_returns(
    tmp_path: Path, key: ClientKey
) -> None:
    with manual_built_cluster(tmp_path / "logs", key, fallback="FBHPN") as (
        aix,
        cluster,
        admin,
    ):
        world = aix.running.emulator.aix
        assert_online_on(admin, cluster, "hanode1")
        service_label_reaches(admin, "hanode1")

        openstack(aix, "server", "stop", cluster.server_ids["hanode1"])
        advance_until(aix, cluster.server_ids["hanode1"], "SHUTOFF")
        aix.advance(world.timing("failure_detection", 20) / 2)
        assert admin.group("hanode2")["hanode2"] != "ONLINE"  # the event is still being detected
        aix.advance(world.timing("failure_detection", 20) + world.timing("rg_acquire", 10))
        assert admin.group("hanode2")["hanode2"] == "ONLINE"
        assert admin.run("hanode2", "cat /tmp/app.state") == "started on hanode2\n"
        service_label_reaches(admin, "hanode2")

        openstack(aix, "server", "start", cluster.server_ids["hanode1"])
        advance_until(aix, cluster.server_ids["hanode1"], "ACTIVE")
        aix.advance(world.timing("aix_boot", 30))
        aix.wait_node(cluster.server_ids["hanode1"])
        assert admin.group("hanode2")["hanode2"] == "ONLINE"  # services not started at boot
        admin.run("hanode1", "clmgr online node hanode1 WHEN=now MANAGE=auto")
        aix.advance(300)
        assert admin.group("hanode1")["hanode1"] == "ONLINE"  # FBHPN: back to the home node
        service_label_reaches(admin, "hanode1")
        assert admin.states("hanode1") == dict.fromkeys(cluster.names, "ST_STABLE")
