"""PowerVC's services through real HTTP: a stopped nova answers Apache's 503 and holds the
deploy in flight until it starts; httpd stopped drops every connection until `emulator
services httpd start`; db stopped fails every service; the state survives a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from powerbridge.client import Cloud, ServiceUnavailable
from powerbridge.client.session import RetryPolicy
from powerbridge.emulator import control
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from tests.acceptance.test_restart import COMPUTE, login
from tests.emulator.aix.ssh_support import client_key, deploy_node, lab, lab_config, ssh_run
from tests.support.clirun import Shell

pytestmark = pytest.mark.acceptance
APACHE_TEXT = "The server is temporarily unable to service your"
HEALTH = "/powervc/emulator/v1/health"


@pytest.fixture
def manual(tmp_path: Path) -> Iterator[RunningEmulator]:
    config = EmulatorConfig(port=0, data_dir=tmp_path / "data", clock="manual")
    with running_emulator(config) as running:
        yield running


def services(cloud: RunningEmulator, operation: str, *names: str) -> dict[str, bool]:
    assert cloud.control_socket is not None
    answer = control.request(cloud.control_socket, operation, list(names))
    return {record["name"]: record["active"] for record in answer["services"]}


def deploy(client: httpx.Client, name: str) -> str:
    images = client.get("/powervc/openstack/image/v2/images?name=AIX72").json()["images"]
    flavors = client.get(f"{COMPUTE}/flavors").json()["flavors"]
    networks = client.get("/powervc/openstack/network/v2.0/networks?name=cmbnet1").json()
    body = {
        "server": {
            "name": name,
            "imageRef": images[0]["id"],
            "flavorRef": next(f["id"] for f in flavors if f["name"] == "powervm.tiny"),
            "networks": [{"uuid": networks["networks"][0]["id"]}],
        }
    }
    response = client.post(f"{COMPUTE}/servers", json=body)
    assert response.status_code == 202, response.text
    return str(response.json()["server"]["id"])


def server(client: httpx.Client, server_id: str) -> dict[str, Any]:
    response = client.get(f"{COMPUTE}/servers/{server_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()["server"]
    return body


def advance(client: httpx.Client, seconds: float) -> None:
    response = client.post("/powervc/emulator/v1/clock", json={"advance": seconds})
    assert response.status_code == 200, response.text


def sdk_server_error(cloud: RunningEmulator, server_id: str) -> ServiceUnavailable:
    async def main() -> ServiceUnavailable:
        connected = Cloud.connect(environ=cloud.env(), retry=RetryPolicy(attempts=1))
        async with connected:
            with pytest.raises(ServiceUnavailable) as caught:
                await connected.compute.server(server_id)
            return caught.value

    return asyncio.run(main())


def test_stopped_nova_answers_503_and_holds_the_deploy_until_started(
    manual: RunningEmulator,
) -> None:
    client = login(manual)
    server_id = deploy(client, "held")
    before = server(client, server_id)
    assert before["status"] == "BUILD"

    assert services(manual, "stop", "nova") == {"nova": False}
    response = client.get(f"{COMPUTE}/servers/{server_id}")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert APACHE_TEXT in response.text.replace("\n", " ")
    error = sdk_server_error(manual, server_id)
    assert str(error) == "PowerVC's compute service is unavailable (HTTP 503)"
    assert error.hint is not None
    assert "powervc-services" in error.hint
    # the other services still answer, and an hour passes without the deploy moving
    assert client.get("/powervc/openstack/image/v2/images").status_code == 200
    advance(client, 3600)
    health = client.get(HEALTH).json()
    assert health["stopped_services"] == ["nova"]
    assert health["held_steps"] >= 1

    assert services(manual, "start", "nova") == {"nova": True}
    after_start = server(client, server_id)
    assert after_start["status"] == "BUILD"  # it waited: one step on, not finished
    advance(client, 3600)
    assert server(client, server_id)["status"] == "ACTIVE"


def test_db_stopped_fails_every_service_and_the_state_survives_a_restart(
    tmp_path: Path,
) -> None:
    config = EmulatorConfig(port=0, data_dir=tmp_path / "data")
    with running_emulator(config) as first:
        assert services(first, "stop", "db") == {"db": False}
    with running_emulator(config) as second:
        assert services(second, "status", "db", "nova") == {"db": False, "nova": True}
        with httpx.Client(base_url=second.base_url) as client:
            tokens = client.post("/powervc/openstack/identity/v3/auth/tokens", json={})
            assert tokens.status_code == 503
            assert client.get("/powervc/openstack/volume/").status_code == 503
            assert client.get(HEALTH).status_code == 200  # the emulator's own API
        services(second, "start")
        assert login(second).get(f"{COMPUTE}/servers").status_code == 200


def test_httpd_stopped_and_started_through_the_services_command(
    manual: RunningEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shell = Shell(monkeypatch, capsys)
    data = str(manual.data_dir)
    client = login(manual)  # a keep-alive connection, open before httpd stops

    stopped = shell.ok("emulator", "services", "httpd", "stop", "--data", data)
    assert stopped.out.splitlines()[0] == "Service: httpd"
    assert stopped.out.splitlines()[1].startswith("Active: inactive (dead) since ")
    with pytest.raises(httpx.TransportError):
        client.get(f"{COMPUTE}/servers")
    with pytest.raises(httpx.TransportError):
        httpx.get(manual.health_url, timeout=5)
    status = shell.ok("emulator", "services", "status", "--data", data).out
    active = [line for line in status.splitlines() if line.startswith("Active")]
    assert len(active) == 22
    assert sum("inactive" in line for line in active) == 1

    shell.ok("emulator", "services", "httpd", "start", "--data", data)
    assert httpx.get(manual.health_url, timeout=5).status_code == 200
    assert login(manual).get(f"{COMPUTE}/servers").status_code == 200
    records = shell.ok("emulator", "services", "httpd", "nova", "status", "--json", "--data", data)
    assert [(r["name"], r["state"]) for r in records.json()["services"]] == [
        ("httpd", "active (running)"),
        ("nova", "active (running)"),
    ]


def test_services_command_names_a_bad_service_or_operation(
    manual: RunningEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shell = Shell(monkeypatch, capsys)
    data = str(manual.data_dir)
    unknown = shell("emulator", "services", "novaa", "stop", "--data", data)
    assert unknown.code == 2
    assert unknown.error_lines[0].startswith("error: unknown service 'novaa'; the valid values")
    wrong = shell("emulator", "services", "nova", "--data", data)
    assert wrong.code == 2
    assert "the last argument must be the operation" in wrong.error_lines[0]
    nobody = shell("emulator", "services", "status", "--data", str(Path(data).parent / "none"))
    assert nobody.code == 1
    assert nobody.error_lines[0].startswith("error: no emulator answers for")


def test_running_lpars_answer_ssh_whatever_is_stopped(tmp_path: Path) -> None:
    key = client_key(tmp_path)
    with lab(lab_config(tmp_path / "data", tmp_path / "logs")) as aix:
        server = deploy_node(aix, key)
        stopped = services(aix.running, "stop", "nova", "db", "httpd")
        assert stopped == {"db": False, "httpd": False, "nova": False}
        result = asyncio.run(ssh_run(aix, str(server["name"]), key, "hostname"))
        assert result.exit_status == 0
        assert str(result.stdout).strip() == server["name"]
        services(aix.running, "start")


def test_an_emulator_with_httpd_stopped_still_counts_as_running(manual: RunningEmulator) -> None:
    """`emulator status` and `start --detach` probe the health URL; with httpd stopped they
    ask the control socket instead."""
    from powerbridge.cli.emulator import _healthy

    info = manual.describe()
    assert _healthy(info)
    services(manual, "stop", "httpd")
    assert _healthy(info)
    assert not _healthy({**info, "control_socket": None})
    services(manual, "start", "httpd")
