"""The emulator under uvicorn over real HTTP(S): free ports, catalog URLs, the ports style,
TLS, restarts on the same data dir, and start-up failures."""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, StartError, running_emulator
from tests.support.emulator_http import password_auth


def http(verify: ssl.SSLContext | bool = True) -> httpx.Client:
    return httpx.Client(timeout=10.0, verify=verify, trust_env=False)


def issue_token(client: httpx.Client, running: RunningEmulator) -> httpx.Response:
    response = client.post(f"{running.auth_url}/auth/tokens", json=password_auth())
    assert response.status_code == 201, response.text
    return response


def catalog_url(token: httpx.Response, service_type: str) -> str:
    for entry in token.json()["token"]["catalog"]:
        if entry["type"] == service_type:
            public = [e for e in entry["endpoints"] if e["interface"] == "public"]
            return str(public[0]["url"])
    raise AssertionError(f"no {service_type} in the catalog")


def port_of(url: str) -> int | None:
    return urlsplit(url).port


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(log_dir=tmp_path / "logs")) as instance:
        yield instance


class TestProxied:
    def test_starts_on_a_free_port_and_health_answers(self, running: RunningEmulator) -> None:
        port = running.config.port
        assert port > 0
        assert running.ports == dict.fromkeys(running.ports, port)
        assert running.base_url == f"http://127.0.0.1:{port}"
        with http() as client:
            response = client.get(running.health_url)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"

    def test_token_at_the_auth_url_and_catalog_on_the_real_port(
        self, running: RunningEmulator
    ) -> None:
        assert running.auth_url == f"{running.base_url}/powervc/openstack/identity/v3"
        with http() as client:
            token = issue_token(client, running)
            compute = catalog_url(token, "compute")
            assert compute.startswith(f"{running.base_url}/powervc/openstack/compute/v2.1/")
            for entry in token.json()["token"]["catalog"]:
                for endpoint in entry["endpoints"]:
                    assert port_of(endpoint["url"]) == running.config.port
            flavors = client.get(
                f"{compute}/flavors", headers={"X-Auth-Token": token.headers["x-subject-token"]}
            )
        assert flavors.status_code == 200
        assert flavors.json()["flavors"]

    def test_env_is_what_openstack_clients_read(self, running: RunningEmulator) -> None:
        assert running.env() == {
            "OS_AUTH_URL": running.auth_url,
            "OS_USERNAME": "root",
            "OS_PASSWORD": "passw0rd",
            "OS_PROJECT_NAME": "ibm-default",
            "OS_USER_DOMAIN_NAME": "Default",
            "OS_PROJECT_DOMAIN_NAME": "Default",
            "OS_REGION_NAME": "RegionOne",
            "OS_IDENTITY_API_VERSION": "3",
            "OS_INTERFACE": "public",
        }

    def test_describe_is_plain_json(self, running: RunningEmulator, tmp_path: Path) -> None:
        described = json.loads(json.dumps(running.describe()))
        assert described["auth_url"] == running.auth_url
        assert described["data_dir"] is None
        assert described["log_dir"] == str(tmp_path / "logs")
        assert described["env"]["OS_AUTH_URL"] == running.auth_url
        assert described["tls"] is False
        assert described["ca_path"] is None

    def test_the_callers_config_is_not_changed(self, tmp_path: Path) -> None:
        config = EmulatorConfig(log_dir=tmp_path / "logs")
        with running_emulator(config) as instance:
            assert instance.config is not config
            assert instance.config.port != 5000
        assert config.port == 5000

    def test_stopping_releases_the_port(self, tmp_path: Path) -> None:
        with running_emulator(EmulatorConfig(log_dir=tmp_path / "logs")) as instance:
            health = instance.health_url
        with http() as client, pytest.raises(httpx.ConnectError):
            client.get(health)


class TestPortsStyle:
    def test_services_on_their_own_ports_and_the_catalog_says_so(self, tmp_path: Path) -> None:
        config = EmulatorConfig(log_dir=tmp_path / "logs", url_style="ports")
        with running_emulator(config) as instance, http() as client:
            ports = instance.ports
            assert len(set(ports.values())) == 5  # identity, compute, image, network, volume
            assert port_of(instance.auth_url) == ports["identity"]
            assert instance.auth_url == f"http://127.0.0.1:{ports['identity']}/v3"
            token = issue_token(client, instance)
            compute = catalog_url(token, "compute")
            assert port_of(compute) == ports["compute"]
            assert port_of(catalog_url(token, "image")) == ports["image"]
            assert port_of(catalog_url(token, "network")) == ports["network"]
            assert port_of(catalog_url(token, "volumev3")) == ports["volume"]
            headers = {"X-Auth-Token": token.headers["x-subject-token"]}
            flavors = client.get(f"{compute}/flavors", headers=headers)
            assert flavors.status_code == 200
            assert flavors.json()["flavors"]
            # the emulator's own API lives on the main (identity) port
            assert client.get(instance.health_url).status_code == 200
            assert port_of(instance.health_url) == ports["identity"]


class TestTls:
    def test_https_works_with_the_ca_and_fails_without(self, tmp_path: Path) -> None:
        config = EmulatorConfig(data_dir=tmp_path / "data", tls=True)
        with running_emulator(config) as instance:
            assert instance.ca_path == tmp_path / "data" / "tls" / "ca.pem"
            assert instance.auth_url.startswith("https://127.0.0.1:")
            assert instance.env()["OS_CACERT"] == str(instance.ca_path)
            trusted = ssl.create_default_context(cafile=str(instance.ca_path))
            with http(verify=trusted) as client:
                assert client.get(instance.health_url).status_code == 200
                token = issue_token(client, instance)
                assert catalog_url(token, "compute").startswith("https://")
            with http() as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY"):
                client.get(instance.health_url)

    def test_idle_keep_alive_clients_do_not_delay_the_stop(self, tmp_path: Path) -> None:
        config = EmulatorConfig(log_dir=tmp_path / "logs", tls=True)
        with running_emulator(config) as instance:
            assert instance.ca_path is not None
            trusted = ssl.create_default_context(cafile=str(instance.ca_path))
            client = http(verify=trusted)
            assert client.get(instance.health_url).status_code == 200  # stays in the pool
            stopping = time.monotonic()
        elapsed = time.monotonic() - stopping
        client.close()
        assert elapsed < 3.0  # not the 5 s graceful timeout, nor TLS's 30 s close wait

    def test_certificates_are_reused_on_restart(self, tmp_path: Path) -> None:
        config = EmulatorConfig(data_dir=tmp_path / "data", tls=True)
        with running_emulator(config) as first:
            assert first.ca_path is not None
            ca = first.ca_path.read_bytes()
            key_mode = (first.ca_path.parent / "server-key.pem").stat().st_mode & 0o777
        with running_emulator(config) as second:
            assert second.ca_path is not None
            assert second.ca_path.read_bytes() == ca
        assert key_mode == 0o600

    def test_in_memory_tls_uses_a_temporary_dir_removed_at_stop(self, tmp_path: Path) -> None:
        config = EmulatorConfig(log_dir=tmp_path / "logs", tls=True)
        with running_emulator(config) as instance:
            assert instance.ca_path is not None
            ca_path = instance.ca_path
            assert ca_path.exists()
        assert not ca_path.exists()


class TestRestart:
    def test_data_survives_a_restart_on_the_same_data_dir(self, tmp_path: Path) -> None:
        config = EmulatorConfig(data_dir=tmp_path / "data")
        with running_emulator(config) as first, http() as client:
            headers = {"X-Auth-Token": issue_token(client, first).headers["x-subject-token"]}
            created = client.post(
                f"{first.auth_url}/projects",
                json={"project": {"name": "kept-project", "domain_id": "default"}},
                headers=headers,
            )
            assert created.status_code == 201, created.text
            project_id = created.json()["project"]["id"]
        with running_emulator(config) as second, http() as client:
            headers = {"X-Auth-Token": issue_token(client, second).headers["x-subject-token"]}
            shown = client.get(f"{second.auth_url}/projects/{project_id}", headers=headers)
        assert shown.status_code == 200, shown.text
        assert shown.json()["project"]["name"] == "kept-project"

    def test_another_admin_password_on_an_old_data_dir_is_flagged(self, tmp_path: Path) -> None:
        config = EmulatorConfig(data_dir=tmp_path / "data")
        with running_emulator(config) as first:
            assert first.admin_password_ok
        config.admin_password = "another-secret"
        with running_emulator(config) as second:
            assert not second.admin_password_ok


class TestStartFailures:
    def test_a_port_in_use_is_a_start_error(self, tmp_path: Path) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            with (
                pytest.raises(StartError, match=f"127.0.0.1:{port}.*address already in use"),
                running_emulator(EmulatorConfig(log_dir=tmp_path / "logs"), port=port),
            ):
                pass  # pragma: no cover

    def test_a_bad_estate_is_a_start_error_naming_the_file(self, tmp_path: Path) -> None:
        estate = tmp_path / "estate.yaml"
        estate.write_text("hosts: [{name: p9}]\n")
        config = EmulatorConfig(log_dir=tmp_path / "logs", estate_path=estate)
        with pytest.raises(StartError, match=str(estate)), running_emulator(config):
            pass  # pragma: no cover

    def test_an_unusable_data_dir_is_a_start_error(self, tmp_path: Path) -> None:
        blocker = tmp_path / "file"
        blocker.write_text("not a directory")
        config = EmulatorConfig(data_dir=blocker / "data")
        with (
            pytest.raises(StartError, match="cannot use the data directory"),
            running_emulator(config),
        ):
            pass  # pragma: no cover

    def test_a_failed_start_releases_its_ports(self, tmp_path: Path) -> None:
        estate = tmp_path / "estate.yaml"
        estate.write_text("nonsense: 1\n")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        config = EmulatorConfig(log_dir=tmp_path / "logs", estate_path=estate)
        with pytest.raises(StartError), running_emulator(config, port=port):
            pass  # pragma: no cover
        with running_emulator(EmulatorConfig(log_dir=tmp_path / "logs"), port=port) as instance:
            assert instance.config.port == port


def test_other_hosts_are_bracketed_and_wildcards_reach_loopback(tmp_path: Path) -> None:
    described: dict[str, Any] = {}
    with running_emulator(EmulatorConfig(host="0.0.0.0", log_dir=tmp_path / "logs")) as inst:
        described = inst.describe()
        with http() as client:
            assert client.get(inst.health_url).status_code == 200
    assert described["base_url"].startswith("http://127.0.0.1:")
    if socket.has_ipv6 and _ipv6_loopback_works():
        with running_emulator(EmulatorConfig(host="::1", log_dir=tmp_path / "logs")) as inst:
            assert inst.base_url.startswith("http://[::1]:")
            with http() as client:
                assert client.get(inst.health_url).status_code == 200


def _ipv6_loopback_works() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True
