"""openstacksdk against a started emulator: clouds.yaml, application credentials, TLS."""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
import yaml
from keystoneauth1 import exceptions as ksa_exceptions

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator

pytestmark = pytest.mark.acceptance


def connect(
    tmp_path: Path, cloud: RunningEmulator, auth: dict[str, Any] | None = None, **extra: Any
) -> openstack.connection.Connection:
    """A Connection built from a clouds.yaml entry, as users configure openstacksdk."""
    env = cloud.env()
    entry: dict[str, Any] = {
        "auth": auth
        or {
            "auth_url": env["OS_AUTH_URL"],
            "username": env["OS_USERNAME"],
            "password": env["OS_PASSWORD"],
            "project_name": env["OS_PROJECT_NAME"],
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "region_name": "RegionOne",
        "identity_api_version": 3,
        "interface": "public",
        **extra,
    }
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {"emulator": entry}}))
    config = openstack.config.OpenStackConfig(config_files=[str(path)])
    return openstack.connection.Connection(config=config.get_one("emulator"))


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


@pytest.fixture(scope="module")
def clouds_yaml(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A detached emulator, and the clouds.yaml that `powerbridge emulator env` prints for it."""
    data = tmp_path_factory.mktemp("detached")
    cli = [sys.executable, "-m", "powerbridge", "emulator"]
    run = functools.partial(
        subprocess.run,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    started = run([*cli, "start", "--detach", "--port", "0", "--data", str(data)])
    assert started.returncode == 0, started.stderr
    try:
        printed = run(
            [*cli, "env", "--data", str(data), "--format", "clouds-yaml", "--cloud-name", "pvc"]
        )
        assert printed.returncode == 0, printed.stderr
        path = data / "clouds.yaml"
        path.write_text(printed.stdout)
        yield path
    finally:
        run([*cli, "stop", "--data", str(data)])


def test_sdk_flow(clouds_yaml: Path) -> None:
    config = openstack.config.OpenStackConfig(config_files=[str(clouds_yaml)])
    conn = openstack.connection.Connection(config=config.get_one("pvc"))
    image = conn.image.find_image("PowerHA713")
    flavor = conn.compute.find_flavor("powervm.small")
    network = conn.network.find_network("cmbnet1")
    assert image is not None
    assert flavor is not None
    assert network is not None
    volume = conn.block_storage.create_volume(
        size=1, name="sdk-vol", volume_type="xiv90 base template"
    )
    volume = conn.block_storage.wait_for_status(volume, status="available", wait=30)
    server = conn.compute.create_server(
        name="sdk-vm", image_id=image.id, flavor_id=flavor.id, networks=[{"uuid": network.id}]
    )
    server = conn.compute.wait_for_server(server, wait=30)
    assert server.status == "ACTIVE"
    conn.compute.create_volume_attachment(server, volume_id=volume.id)
    volume = conn.block_storage.wait_for_status(volume, status="in-use", wait=30)
    assert volume.attachments[0]["server_id"] == server.id
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, wait=30)
    conn.block_storage.wait_for_status(volume, status="available", wait=30)
    conn.block_storage.delete_volume(volume)


def test_application_credential_auth(tmp_path: Path, cloud: RunningEmulator) -> None:
    conn = connect(tmp_path, cloud)
    user_id = conn.current_user_id
    credential = conn.identity.create_application_credential(user_id, name="automation")
    auth = {
        "auth_url": cloud.auth_url,
        "application_credential_id": credential.id,
        "application_credential_secret": credential.secret,
    }
    app_conn = connect(tmp_path, cloud, auth=auth, auth_type="v3applicationcredential")
    names = {f.name for f in app_conn.compute.flavors()}
    assert "powervm.small" in names


def test_tls_with_the_printed_ca(tmp_path: Path) -> None:
    with running_emulator(EmulatorConfig(port=0, data_dir=tmp_path / "tls", tls=True)) as tls:
        assert tls.auth_url.startswith("https://")
        assert tls.ca_path is not None
        trusted = connect(tmp_path, tls, cacert=str(tls.ca_path))
        assert trusted.compute.find_flavor("powervm.tiny") is not None
        untrusted = connect(tmp_path, tls)
        with pytest.raises(ksa_exceptions.ClientException) as refused:
            untrusted.compute.find_flavor("powervm.tiny")
        assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
