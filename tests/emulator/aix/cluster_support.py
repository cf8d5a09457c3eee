"""The PowerHA cluster an admin builds by hand over real SSH (issue 14): servers deployed
through nova with a key pair, shared volumes attached, the admin's shell scripts, and an
`Admin` that runs them on the nodes with asyncssh or OpenSSH's `ssh`."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from powerbridge.ha.parse import rginfo_rows
from tests.emulator.aix.ssh_support import (
    ClientKey,
    Lab,
    advance_until,
    lab,
    lab_config,
    ssh_run,
)

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


def shared_volume(
    aix: Lab, name: str, size_gb: int, wait: Callable[[], None] | None = None
) -> dict[str, Any]:
    """A multi-attach volume, once available; `wait` lets a manual clock get it there."""
    url = volume_url(aix)
    types = aix.http.get(f"{url}/types").json()["volume_types"]
    if not any(t["name"] == SHARED_TYPE for t in types):
        spec = {"name": SHARED_TYPE, "extra_specs": {"multiattach": "<is> True"}}
        assert aix.http.post(f"{url}/types", json={"volume_type": spec}).status_code == 200
    body = {"volume": {"name": name, "size": size_gb, "volume_type": SHARED_TYPE}}
    reply = aix.http.post(f"{url}/volumes", json=body)
    assert reply.status_code == 202, reply.text
    if wait is not None:
        wait()
    return wait_volume(aix, reply.json()["volume"]["id"], "available")


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
    done = await ssh_run(aix, host, key, "ksh", stdin=script)
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


def assert_online_on(admin: Admin, cluster: Cluster, home: str) -> None:
    assert admin.states(home) == dict.fromkeys(cluster.names, "ST_STABLE")
    group = admin.group(home)
    assert group[home] == "ONLINE"
    assert all(group[name] == "OFFLINE" for name in cluster.names if name != home)
    assert admin.run(home, "cat /tmp/app.state") == f"started on {home}\n"
    assert cluster.service_ip in admin.run(home, "ifconfig -a")
    assert "datavg" in admin.run(home, "lsvg -o")


def manual_cluster(aix: Lab, key: ClientKey) -> Cluster:
    """The two-node deploy on the manual clock: tick until ACTIVE and booted."""
    assert aix.create_keypair("halab", key.public).status_code in (200, 201)
    ids = {}
    for name in ("hanode1", "hanode2"):
        reply = aix.create_server(name, key_name="halab", image="PowerHA72")
        assert reply.status_code == 202, reply.text
        ids[name] = reply.json()["server"]["id"]
    for server_id in ids.values():
        advance_until(aix, server_id, "ACTIVE")
    aix.advance(aix.running.emulator.aix.timing("aix_boot", 30))
    servers = {name: aix.server(server_id) for name, server_id in ids.items()}
    volumes = []
    for name, size in (("hademo-repository", 1), ("hademo-data", 2)):
        volumes.append(shared_volume(aix, name, size, wait=lambda: aix.advance(10)))
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


@contextmanager
def manual_built_cluster(
    logs: Path, key: ClientKey, fallback: str = "NFB"
) -> Iterator[tuple[Lab, Cluster, Admin]]:
    """A lab on the manual clock with `manual_cluster`'s two nodes, the cluster built by
    `Admin` and given 300 seconds to come online."""
    with lab(lab_config(None, logs, clock="manual")) as aix:
        cluster = manual_cluster(aix, key)
        admin = Admin(aix, key)
        admin.build(cluster, fallback)
        aix.advance(300)
        yield aix, cluster, admin


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
