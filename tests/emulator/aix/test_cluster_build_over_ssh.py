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
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from tests.emulator.aix.ssh_support import ClientKey, Lab, client_key, lab, lab_config
from tests.support.powerha_parse import clmgr_attributes, rginfo_rows

SHARED_TYPE = "shared"
ONLINE = "clmgr online cluster WHEN=now MANAGE=auto START_CAA=yes"


@dataclass
class Cluster:
    """What a test built: node names, server ids and addresses, the volumes' WWNs."""

    names: list[str]
    server_ids: dict[str, str]
    addresses: dict[str, str]
    service_ip: str
    repository_wwn: str
    data_wwn: str


# -- PowerVC side: volumes, ports, servers, attachments ---------------------------------------
def volume_url(aix: Lab) -> str:
    token = aix.http.post(f"{aix.running.auth_url}/auth/tokens", json=_auth()).json()
    project = token["token"]["project"]["id"]
    return f"{aix.running.service_urls['volume']}/v3/{project}"


def _auth() -> dict[str, Any]:
    from tests.support.emulator_http import password_auth

    return password_auth()


def shared_volume(aix: Lab, name: str, size_gb: int) -> dict[str, Any]:
    url = volume_url(aix)
    types = aix.http.get(f"{url}/types").json()["volume_types"]
    if not any(t["name"] == SHARED_TYPE for t in types):
        spec = {"name": SHARED_TYPE, "extra_specs": {"multiattach": "<is> True"}}
        assert aix.http.post(f"{url}/types", json={"volume_type": spec}).status_code == 200
    body = {"volume": {"name": name, "size": size_gb, "volume_type": SHARED_TYPE}}
    reply = aix.http.post(f"{url}/volumes", json=body)
    assert reply.status_code == 202, reply.text
    volume_id = reply.json()["volume"]["id"]
    return wait_volume(aix, volume_id, "available")


def wait_volume(aix: Lab, volume_id: str, status: str) -> dict[str, Any]:
    url = volume_url(aix)
    deadline = time.monotonic() + 10
    while True:
        volume: dict[str, Any] = aix.http.get(f"{url}/volumes/{volume_id}").json()["volume"]
        if volume["status"] == status:
            return volume
        assert time.monotonic() < deadline, f"volume {volume_id} stays {volume['status']}"
        time.sleep(0.02)


def attach(aix: Lab, server_id: str, volume_id: str) -> None:
    body = {"volumeAttachment": {"volumeId": volume_id}}
    url = f"{aix.compute}/servers/{server_id}/os-volume_attachments"
    reply = aix.http.post(url, json=body, headers={"OpenStack-API-Version": "compute 2.60"})
    assert reply.status_code == 200, reply.text


def reserved_address(aix: Lab, name: str) -> str:
    """A Neutron port holds the service address, so no deploy can take it."""
    body = {"port": {"network_id": aix.ids["network"], "name": name}}
    reply = aix.http.post(f"{aix.running.service_urls['network']}/v2.0/ports", json=body)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["port"]["fixed_ips"][0]["ip_address"])


def deploy_cluster_servers(aix: Lab, key: ClientKey, names: list[str]) -> Cluster:
    assert aix.create_keypair("halab", key.public).status_code in (200, 201)
    servers = {name: aix.deploy(name, key_name="halab", image="PowerHA72") for name in names}
    repository = shared_volume(aix, "hademo-repository", 1)
    data = shared_volume(aix, "hademo-data", 2)
    for server in servers.values():
        aix.wait_node(str(server["id"]))
        for volume in (repository, data):
            attach(aix, str(server["id"]), volume["id"])
    for volume in (repository, data):
        wait_volume(aix, volume["id"], "in-use")
    return Cluster(
        names=names,
        server_ids={name: str(s["id"]) for name, s in servers.items()},
        addresses={name: aix.address(s) for name, s in servers.items()},
        service_ip=reserved_address(aix, "hasvc"),
        repository_wwn=repository["metadata"]["volume_wwn"],
        data_wwn=data["metadata"]["volume_wwn"],
    )


# -- the admin's scripts ----------------------------------------------------------------------
def prepare_script(cluster: Cluster) -> str:
    hosts = "\n".join(f"{ip} {name}.example.com {name}" for name, ip in cluster.addresses.items())
    rhosts = " ".join(cluster.addresses.values())
    return f"""
cat > /etc/hosts <<EOF
127.0.0.1 loopback localhost
{hosts}
{cluster.service_ip} hasvc.example.com hasvc
EOF
printf "%s\\n" {rhosts} > /etc/cluster/rhosts
chmod 600 /etc/cluster/rhosts
refresh -s clcomd
cfgmgr
mkdir -p /opt/app
cat > /opt/app/start.sh <<'EOF'
#!/bin/ksh
echo started on $(hostname) > /tmp/app.state
EOF
cat > /opt/app/stop.sh <<'EOF'
#!/bin/ksh
echo stopped > /tmp/app.state
EOF
chmod 755 /opt/app/start.sh /opt/app/stop.sh
"""


def disk_by_wwn(variable: str, wwn: str) -> str:
    return f"{variable}=$(lspv -u | grep -i {wwn} | awk '{{print $1}}')"


def pvid_script() -> str:
    return """
for disk in $(lspv | awk '$2=="none"{print $1}'); do
    chdev -l $disk -a pv=yes || exit 1
done
"""


def no_reserve_script(cluster: Cluster) -> str:
    return f"""
cfgmgr
{disk_by_wwn("REPO", cluster.repository_wwn)}
{disk_by_wwn("DATA", cluster.data_wwn)}
for disk in $REPO $DATA; do
    chdev -l $disk -a reserve_policy=no_reserve || exit 1
done
lspv | grep $REPO | awk '$2=="none"{{print "no PVID on " $1; exit 1}}'
"""


def clmgr_script(cluster: Cluster, fallback: str = "NFB") -> str:
    nodes = ",".join(cluster.names)
    return f"""
{disk_by_wwn("REPO", cluster.repository_wwn)}
{disk_by_wwn("DATA", cluster.data_wwn)}
clmgr add cluster hademo NODES={nodes} REPOSITORIES=$REPO TYPE=NSC HEARTBEAT_TYPE=unicast &&
clmgr add service_ip hasvc NETWORK=net_ether_01 &&
clmgr add application_controller app1 STARTSCRIPT=/opt/app/start.sh \\
    STOPSCRIPT=/opt/app/stop.sh &&
clmgr add volume_group datavg NODES={nodes} PHYSICAL_VOLUMES=$DATA &&
clmgr add resource_group rg1 NODES={nodes} STARTUP=OHN FALLOVER=FNPN FALLBACK={fallback} \\
    SERVICE_LABEL=hasvc APPLICATIONS=app1 VOLUME_GROUP=datavg &&
clmgr sync cluster &&
{ONLINE}
"""


# -- running scripts over SSH -----------------------------------------------------------------
async def asyncssh_script(aix: Lab, host: str, key: ClientKey, script: str) -> tuple[int, str]:
    assert aix.running.ssh_config is not None
    async with asyncssh.connect(
        host,
        config=[str(aix.running.ssh_config)],
        client_keys=[key.key],
        agent_path=None,
        login_timeout=10,
    ) as connection:
        done = await connection.run("ksh", input=script)
    return int(done.exit_status or 0), f"{done.stdout}{done.stderr}"


def openssh_script(aix: Lab, host: str, key: ClientKey, script: str) -> tuple[int, str]:
    command = ["ssh", "-F", str(aix.running.ssh_config), "-i", str(key.path)]
    command += ["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", host, "ksh"]
    done = subprocess.run(command, input=script, capture_output=True, text=True, timeout=30)
    return done.returncode, done.stdout + done.stderr


@dataclass
class Admin:
    """Runs scripts on nodes with one SSH client, failing the test with the node's output."""

    aix: Lab
    key: ClientKey
    openssh: bool = False

    def run(self, host: str, script: str) -> str:
        if self.openssh:
            status, output = openssh_script(self.aix, host, self.key, script)
        else:
            status, output = asyncio.run(asyncssh_script(self.aix, host, self.key, script))
        assert status == 0, f"{host}: exit {status}\n{output}"
        return output

    def build(self, cluster: Cluster, fallback: str = "NFB") -> None:
        first = cluster.names[0]
        for name in cluster.names:
            self.run(name, prepare_script(cluster))
        self.run(first, pvid_script())
        for name in cluster.names:
            self.run(name, no_reserve_script(cluster))
        self.run(first, clmgr_script(cluster, fallback))

    def states(self, host: str) -> dict[str, str]:
        """Each node's clstrmgrES state, read with clcmd as automation does."""
        output = self.run(host, "clcmd lssrc -ls clstrmgrES")
        states: dict[str, str] = {}
        node = ""
        for line in output.splitlines():
            if line.startswith("NODE "):
                node = line.split()[1].split(".")[0]
            elif line.strip().startswith("Current state:"):
                states[node] = line.split(":", 1)[1].strip()
        return states

    def group(self, host: str) -> dict[str, str]:
        """rg1's state by node, from `clRGinfo -s`."""
        rows = rginfo_rows(self.run(host, "clRGinfo -s"))
        return {row.node: row.state for row in rows if row.group == "rg1"}


@pytest.fixture
def key(tmp_path: Path) -> ClientKey:
    return client_key(tmp_path)


@pytest.fixture
def instant_lab(tmp_path: Path) -> Iterator[Lab]:
    with lab(lab_config(None, tmp_path / "logs")) as instance:
        yield instance


def assert_online_on(admin: Admin, cluster: Cluster, home: str) -> None:
    assert admin.states(home) == dict.fromkeys(cluster.names, "ST_STABLE")
    group = admin.group(home)
    assert group[home] == "ONLINE"
    assert all(group[name] == "OFFLINE" for name in cluster.names if name != home)
    assert admin.run(home, "cat /tmp/app.state") == f"started on {home}\n"
    assert cluster.service_ip in admin.run(home, "ifconfig -a")
    assert "datavg" in admin.run(home, "lsvg -o")


# -- the acceptance ---------------------------------------------------------------------------
def test_two_nodes_built_by_hand_over_asyncssh(instant_lab: Lab, key: ClientKey) -> None:
    cluster = deploy_cluster_servers(instant_lab, key, ["hanode1", "hanode2"])
    admin = Admin(instant_lab, key)
    admin.build(cluster)
    assert_online_on(admin, cluster, "hanode1")
    query = clmgr_attributes(admin.run("hanode2", "clmgr query cluster"))
    assert (query["CLUSTER_NAME"], query["STATE"]) == ("hademo", "STABLE")
    repository = admin.run("hanode2", f"lspv -u | grep -i {cluster.repository_wwn}")
    assert "caavg_private" in repository


@pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH's ssh client is not installed")
def test_three_nodes_built_by_hand_over_openssh(instant_lab: Lab, key: ClientKey) -> None:
    cluster = deploy_cluster_servers(instant_lab, key, ["hanode1", "hanode2", "hanode3"])
    admin = Admin(instant_lab, key, openssh=True)
    admin.build(cluster)
    assert_online_on(admin, cluster, "hanode1")
    by_address = admin.run(cluster.addresses["hanode3"], "clRGinfo -s")
    assert "rg1:ONLINE:hanode1" in by_address


def test_a_missing_rhosts_entry_fails_the_create_and_changes_nothing(
    instant_lab: Lab, key: ClientKey
) -> None:
    cluster = deploy_cluster_servers(instant_lab, key, ["hanode1", "hanode2"])
    admin = Admin(instant_lab, key)
    for name in cluster.names:
        admin.run(name, prepare_script(cluster))
    only_itself = f"echo {cluster.addresses['hanode2']} > /etc/cluster/rhosts; refresh -s clcomd"
    admin.run("hanode2", only_itself)
    admin.run("hanode1", pvid_script())
    for name in cluster.names:
        admin.run(name, no_reserve_script(cluster))
    status, output = asyncio.run(
        asyncssh_script(instant_lab, "hanode1", key, clmgr_script(cluster))
    )
    assert status != 0
    assert "ERROR:Comm error found on node:hanode2" in output
    status, output = asyncio.run(
        asyncssh_script(instant_lab, "hanode1", key, "clmgr query cluster")
    )
    assert status != 0  # no cluster was left behind


def advance_until_active(aix: Lab, server_id: str, status: str = "ACTIVE") -> None:
    for _ in range(600):
        server = aix.server(server_id)
        if server["status"] == status and server.get("OS-EXT-STS:task_state") is None:
            return
        aix.advance(1)
    raise AssertionError(f"{server_id} never became {status}")


def manual_cluster(aix: Lab, key: ClientKey) -> Cluster:
    """The two-node deploy on the manual clock: tick until ACTIVE and booted."""
    assert aix.create_keypair("halab", key.public).status_code in (200, 201)
    ids = {}
    for name in ("hanode1", "hanode2"):
        reply = aix.create_server(name, key_name="halab", image="PowerHA72")
        assert reply.status_code == 202, reply.text
        ids[name] = reply.json()["server"]["id"]
    for server_id in ids.values():
        advance_until_active(aix, server_id)
    aix.advance(aix.running.emulator.aix.timing("aix_boot", 30))
    servers = {name: aix.server(server_id) for name, server_id in ids.items()}
    volumes = []
    for name, size in (("hademo-repository", 1), ("hademo-data", 2)):
        volumes.append(_manual_volume(aix, name, size))
    for server_id in ids.values():
        aix.wait_node(server_id)
        for volume in volumes:
            attach(aix, server_id, volume["id"])
            aix.advance(5)
    return Cluster(
        names=list(ids),
        server_ids=ids,
        addresses={name: aix.address(server) for name, server in servers.items()},
        service_ip=reserved_address(aix, "hasvc"),
        repository_wwn=volumes[0]["metadata"]["volume_wwn"],
        data_wwn=volumes[1]["metadata"]["volume_wwn"],
    )


def _manual_volume(aix: Lab, name: str, size: int) -> dict[str, Any]:
    url = volume_url(aix)
    types = aix.http.get(f"{url}/types").json()["volume_types"]
    if not any(t["name"] == SHARED_TYPE for t in types):
        spec = {"name": SHARED_TYPE, "extra_specs": {"multiattach": "<is> True"}}
        assert aix.http.post(f"{url}/types", json={"volume_type": spec}).status_code == 200
    body = {"volume": {"name": name, "size": size, "volume_type": SHARED_TYPE}}
    reply = aix.http.post(f"{url}/volumes", json=body)
    assert reply.status_code == 202, reply.text
    aix.advance(10)
    return wait_volume(aix, reply.json()["volume"]["id"], "available")


def service_label_reaches(admin: Admin, node: str) -> None:
    """`ssh hasvc` lands on `node` (ssh/config's block for the label follows the group; the
    files are rewritten by the emulator's event loop, so give it a moment)."""
    deadline = time.monotonic() + 5
    while True:
        status, output = asyncio.run(asyncssh_script(admin.aix, "hasvc", admin.key, "hostname"))
        if status == 0 and output == f"{node}\n":
            return
        assert time.monotonic() < deadline, f"hasvc reaches {output!r}, not {node}"
        time.sleep(0.05)


def openstack(aix: Lab, *args: str) -> None:
    env = {"PATH": "/usr/bin:/bin", **aix.running.env()}
    command = [shutil.which("openstack") or "openstack", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("openstack") is None, reason="the openstack CLI is not installed")
def test_fallover_when_the_home_node_stops_and_fallback_when_it_returns(
    tmp_path: Path, key: ClientKey
) -> None:
    with lab(lab_config(None, tmp_path / "logs", clock="manual")) as aix:
        world = aix.running.emulator.aix
        cluster = manual_cluster(aix, key)
        admin = Admin(aix, key)
        admin.build(cluster, fallback="FBHPN")
        aix.advance(300)
        assert_online_on(admin, cluster, "hanode1")
        service_label_reaches(admin, "hanode1")

        openstack(aix, "server", "stop", cluster.server_ids["hanode1"])
        advance_until_active(aix, cluster.server_ids["hanode1"], "SHUTOFF")
        aix.advance(world.timing("failure_detection", 20) / 2)
        assert admin.group("hanode2")["hanode2"] != "ONLINE"  # the event is still being detected
        aix.advance(world.timing("failure_detection", 20) + world.timing("rg_acquire", 10))
        assert admin.group("hanode2")["hanode2"] == "ONLINE"
        assert admin.run("hanode2", "cat /tmp/app.state") == "started on hanode2\n"
        service_label_reaches(admin, "hanode2")

        openstack(aix, "server", "start", cluster.server_ids["hanode1"])
        advance_until_active(aix, cluster.server_ids["hanode1"])
        aix.advance(world.timing("aix_boot", 30))
        aix.wait_node(cluster.server_ids["hanode1"])
        assert admin.group("hanode2")["hanode2"] == "ONLINE"  # services not started at boot
        admin.run("hanode1", "clmgr online node hanode1 WHEN=now MANAGE=auto")
        aix.advance(300)
        assert admin.group("hanode1")["hanode1"] == "ONLINE"  # FBHPN: back to the home node
        service_label_reaches(admin, "hanode1")
        assert admin.states("hanode1") == dict.fromkeys(cluster.names, "ST_STABLE")
