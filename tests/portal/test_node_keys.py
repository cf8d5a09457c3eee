"""The portal's key on the nodes, over the emulator's real HTTP and SSH: a cluster the portal
builds with its user's own key pair gets the portal's public key as cloud-config user data,
so both keys log in; a cluster `ha create` built from the CLI with another key is shown with
what PowerVC tells of it, and says why the nodes' side is missing."""

from __future__ import annotations

import asyncio
import base64
import html
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from powerbridge.ha.executor import SSH_CONFIG_VARIABLE
from powerbridge.ha.identity import Identity
from tests.emulator.aix.ssh_support import ClientKey, client_key, ssh_run
from tests.portal.portal_lab import PortalLab, portal_fixture  # noqa: F401
from tests.portal.test_build import sse

EXAMPLE = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
NOVA_2_3 = {"OpenStack-API-Version": "compute 2.3"}  # an admin sees the user data from 2.3


def spec_of(name: str, key_pair: str, private_key: Path | None = None) -> str:
    """The shipped example as cluster `name` deployed with `key_pair` (its service IP given
    by Neutron: the example's address is one per network)."""
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.replace("appha", name))
    data["ssh"] = {"key_pair": key_pair}
    if private_key is not None:
        data["ssh"]["private_key"] = str(private_key)
    data["service_ip"] = {"label": f"{name}-svc", "allocate": True}
    return yaml.safe_dump(data)


def servers_of(portal: PortalLab, cluster: str) -> dict[str, dict[str, Any]]:
    url = f"{portal.aix.compute}/servers/detail"
    listed = portal.aix.http.get(url, headers=NOVA_2_3).json()["servers"]
    return {s["name"]: s for s in listed if s["name"].startswith(f"{cluster}-node")}


def user_data_keys(server: dict[str, Any]) -> list[str]:
    text = base64.b64decode(server["OS-EXT-SRV-ATTR:user_data"]).decode()
    assert text.startswith("#cloud-config\n")
    keys: list[str] = yaml.safe_load(text)["ssh_authorized_keys"]
    return keys


def logs_in(portal: PortalLab, node: str, key: ClientKey) -> str:
    """`hostname` on `node` over real SSH with `key`; its output."""
    done = asyncio.run(ssh_run(portal.aix, node, key, "hostname"))
    assert done.exit_status == 0, done.stderr
    return str(done.stdout).strip()


def held(identity: Identity) -> ClientKey:
    """The portal's key as the SSH helper takes a key (no file: it lives in the store)."""
    return ClientKey(identity.client_keys[0], Path("/nonexistent"))


@pytest.fixture(scope="module", name="otto_key")
def otto_key_fixture(portal: PortalLab, tmp_path_factory: pytest.TempPathFactory) -> ClientKey:
    """otto's own key, uploaded as his nova key pair `otto-key` (the portal's key is not it)."""
    key = client_key(tmp_path_factory.mktemp("otto"))
    headers = {"X-Auth-Token": portal.keystone_token("otto")}
    body = {"keypair": {"name": "otto-key", "public_key": key.public}}
    made = portal.aix.http.post(f"{portal.aix.compute}/os-keypairs", json=body, headers=headers)
    assert made.status_code in (200, 201), made.text
    return key


@pytest.fixture(scope="module", name="built")
def built_fixture(portal: PortalLab, otto_key: ClientKey) -> dict[str, Any]:
    """`keyha` submitted by otto through the API with his key pair, followed to the end."""
    with portal.signed_in("otto") as browser:
        headers = {"Content-Type": "application/yaml", "X-CSRF-Token": portal.csrf(browser)}
        spec = spec_of("keyha", "otto-key")
        answer = browser.post("/api/v1/clusters", content=spec, headers=headers)
        assert answer.status_code == 202, answer.text
        job = answer.json()["job"]
        with browser.stream("GET", f"/api/v1/jobs/{job['id']}/events", timeout=120) as stream:
            messages = list(sse(stream))
    assert messages[-1][2]["status"] == "succeeded", messages[-6:]
    return {"job": job, "messages": messages}


@dataclass(frozen=True)
class CliCluster:
    name: str
    key: ClientKey  # the key `ha create` logged in with (its key pair's)


@pytest.fixture(scope="module", name="cli_cluster")
def cli_cluster_fixture(portal: PortalLab, tmp_path_factory: pytest.TempPathFactory) -> CliCluster:
    """`cliha`, made by `powerbridge ha create` on the portal's store with a key of its own."""
    directory = tmp_path_factory.mktemp("cli")
    key = client_key(directory)
    spec = directory / "cliha.yaml"
    spec.write_text(spec_of("cliha", "cli-key", key.path))
    running = portal.aix.running
    assert running.ssh_config is not None
    env = {**os.environ, **running.env(), SSH_CONFIG_VARIABLE: str(running.ssh_config)}
    command = [sys.executable, "-m", "powerbridge", "ha", "create", str(spec), "--yes"]
    done = subprocess.run(
        [*command, "--store", str(portal.store_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return CliCluster("cliha", key)


def test_the_nodes_get_the_portal_key_as_user_data(
    portal: PortalLab, built: dict[str, Any]
) -> None:
    servers = servers_of(portal, "keyha")
    assert set(servers) == {"keyha-node1", "keyha-node2"}
    public = portal.identity().public_key
    for server in servers.values():
        assert server["key_name"] == "otto-key"  # the user's pair, as the spec names it
        assert user_data_keys(server) == [public]


def test_no_key_pair_was_made_for_the_portal(portal: PortalLab, built: dict[str, Any]) -> None:
    otto = {"X-Auth-Token": portal.keystone_token("otto")}
    pairs = portal.aix.http.get(f"{portal.aix.compute}/os-keypairs", headers=otto).json()
    assert [p["keypair"]["name"] for p in pairs["keypairs"]] == ["otto-key"]
    messages = [data["message"] for kind, _, data in built["messages"] if kind == "progress"]
    assert any("key pair otto-key exists" in message for message in messages), messages


def test_the_portal_key_and_the_users_log_in_over_ssh(
    portal: PortalLab, built: dict[str, Any], otto_key: ClientKey
) -> None:
    portal_key = held(portal.identity())
    for node in ("keyha-node1", "keyha-node2"):
        assert logs_in(portal, node, portal_key) == node
        assert logs_in(portal, node, otto_key) == node


def test_the_portal_reads_its_cluster_from_the_nodes(
    portal: PortalLab, built: dict[str, Any]
) -> None:
    with portal.signed_in("otto") as browser:
        view = browser.get("/api/v1/clusters/keyha").json()["cluster"]
    assert (view["state"], view["status"]) == ("Active", "Normal")
    assert {node["clstrmgr_state"] for node in view["nodes"]} == {"ST_STABLE"}


def test_a_cli_cluster_without_the_portal_key_says_why(
    portal: PortalLab, cli_cluster: CliCluster
) -> None:
    with portal.signed_in("otto") as browser:
        answer = browser.get(f"/api/v1/clusters/{cli_cluster.name}")
        page = browser.get(f"/clusters/{cli_cluster.name}")
    assert answer.status_code == 200, answer.text
    view = answer.json()["cluster"]
    servers = servers_of(portal, cli_cluster.name)
    for node in view["nodes"]:  # what PowerVC tells: the server, its state and address
        server = servers[node["name"]]
        assert (node["server_id"], node["server_status"]) == (server["id"], "ACTIVE")
        assert node["addresses"] == [a["addr"] for a in server["addresses"]["cmbnet1"]]
        assert server["OS-EXT-SRV-ATTR:user_data"] is None  # `ha create` sends none
        assert not node["reachable"]
        assert node["clstrmgr_state"] is None  # what only the node can tell: missing
        assert node["reason"].startswith(f"node {node['name']} ({node['addresses'][0]})")
        assert "refused the login as root with the portal's key (job store)" in node["reason"]
    assert {d["volume_name"] for d in view["disks"]} == {"cliha-repository", "cliha-data-1"}
    public = portal.identity().public_key
    hint = view["hint"]
    assert hint.startswith("cluster cliha was created with `powerbridge ha create`, not through")
    assert hint.endswith(f"~/.ssh/authorized_keys on cliha-node1, cliha-node2: {public}")
    assert page.status_code == 200
    shown = html.unescape(page.text)
    assert f'<p class="hint">{hint}</p>' in shown
    assert "refused the login as root with the portal's key (job store)" in shown


def test_the_fix_the_hint_gives_lets_the_portal_read_the_nodes(
    portal: PortalLab, cli_cluster: CliCluster
) -> None:
    public = portal.identity().public_key
    for node in ("cliha-node1", "cliha-node2"):  # as an admin would, with the CLI's key
        added = asyncio.run(
            ssh_run(portal.aix, node, cli_cluster.key, "cat >> /.ssh/authorized_keys", public)
        )
        assert added.exit_status == 0, added.stderr
    deadline = time.monotonic() + 30  # the portal keeps a view a few seconds
    with portal.signed_in("otto") as browser:
        while True:
            view = browser.get(f"/api/v1/clusters/{cli_cluster.name}").json()["cluster"]
            if view["hint"] is None or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert (view["state"], view["status"], view["hint"]) == ("Active", "Normal", None)
    assert {node["clstrmgr_state"] for node in view["nodes"]} == {"ST_STABLE"}
