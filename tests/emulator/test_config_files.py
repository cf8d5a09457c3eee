"""PowerVC's configuration files in the data dir, through a running emulator: written at first
start, edited with crudini as PowerVC's docs do, read when nova restarts (new LPARs on that host
get the new name, over HTTP and over SSH), and a malformed file keeps nova down with the file
and line named in `services status` and nova's log."""

from __future__ import annotations

import asyncio
import configparser
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from powerbridge.emulator import control
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import running_emulator
from tests.acceptance.test_restart import COMPUTE, login
from tests.emulator.aix.ssh_support import ClientKey, Lab, client_key, lab, lab_config, ssh_run
from tests.support.clirun import Shell

HOST1, HOST2 = "8286-42A_215A0BV", "8286-42A_215A0CV"
HOST1_FILE = f"etc/nova/nova-{HOST1}.conf"
SHORT_UUID = "%(display_name)s-%(uuid).2s"
CRUDINI = str(Path(sys.executable).parent / "crudini")


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> ClientKey:
    return client_key(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def aix(tmp_path_factory: pytest.TempPathFactory, key: ClientKey) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("config")
    with lab(lab_config(root / "data", root / "logs")) as instance:
        assert instance.create_keypair("lab", key.public).status_code in (200, 201)
        yield instance


def data_dir(aix: Lab) -> Path:
    assert aix.running.data_dir is not None
    return aix.running.data_dir


def parse(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    return parser


def on_host(aix: Lab, name: str, host: str) -> dict[str, str]:
    server = aix.deploy(name, key_name="lab", availability_zone=f":{host}")
    assert server["OS-EXT-SRV-ATTR:host"] == host
    return server


def test_the_files_are_written_at_first_start_as_powervc_lays_them_out(aix: Lab) -> None:
    etc = data_dir(aix) / "etc"
    assert sorted(p.name for p in (etc / "nova").iterdir()) == [
        f"nova-{HOST1}.conf",
        f"nova-{HOST2}.conf",
        "nova-9009-42A_7838F0W.conf",
        "nova.conf",
    ]
    assert sorted(p.name for p in (etc / "cinder").iterdir()) == [
        "cinder-10.30.0.1.conf",
        "cinder-10.30.0.2.conf",
        "cinder.conf",
        "fabrics.conf",
    ]
    template = parse(etc / "nova" / "nova.conf")
    assert (
        template["DEFAULT"]["instance_name_template"] == "%(display_name).33s-%(uuid).8s-%(seq)08d"
    )
    assert parse(etc / "nova" / f"nova-{HOST1}.conf")["DEFAULT"]["host"] == HOST1
    provider = parse(etc / "cinder" / "cinder-10.30.0.1.conf")["DEFAULT"]
    assert (provider["volume_backend_name"], provider["san_ip"]) == ("xiv90", "10.30.0.1")
    assert parse(etc / "cinder" / "cinder.conf")["DEFAULT"]["enabled_backends"] == "xiv90,svc82"


def test_a_hosts_template_names_new_lpars_after_nova_restart(
    aix: Lab, key: ClientKey, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = on_host(aix, "before", HOST1)
    subprocess.run(
        [
            CRUDINI,
            "--set",
            str(data_dir(aix) / HOST1_FILE),
            "DEFAULT",
            "instance_name_template",
            SHORT_UUID,
        ],
        check=True,
    )
    not_yet = on_host(aix, "notyet", HOST1)
    assert not_yet["OS-EXT-SRV-ATTR:instance_name"].startswith(f"notyet-{not_yet['id'][:8]}-")

    shell = Shell(monkeypatch, capsys)
    restarted = shell.ok("emulator", "services", "nova", "restart", "--data", str(data_dir(aix)))
    assert restarted.out.splitlines()[1].startswith("Active: active (running) since ")

    after = on_host(aix, "after", HOST1)
    assert after["OS-EXT-SRV-ATTR:instance_name"] == f"after-{after['id'][:2]}"
    elsewhere = on_host(aix, "elsewhere", HOST2)
    assert elsewhere["OS-EXT-SRV-ATTR:instance_name"].startswith(
        f"elsewhere-{elsewhere['id'][:8]}-"
    )
    assert (
        aix.server(before["id"])["OS-EXT-SRV-ATTR:instance_name"]
        == (before["OS-EXT-SRV-ATTR:instance_name"])
    )
    # the partition's name on the host, as AIX reports it, is the new one; the host name is not
    aix.wait_node(after["id"])
    lpar = asyncio.run(ssh_run(aix, "after", key, "uname -L; hostname"))
    number, name, hostname = str(lpar.stdout).split()
    assert (name, hostname) == (f"after-{after['id'][:2]}", "after")
    assert number.isdigit()


def test_a_malformed_file_keeps_nova_down_naming_file_and_line(
    aix: Lab, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shell = Shell(monkeypatch, capsys)
    data = str(data_dir(aix))
    nova_conf = data_dir(aix) / "etc" / "nova" / "nova.conf"
    good = nova_conf.read_text()
    nova_conf.write_text(good + "this line has no equals sign\n")
    line = len(good.splitlines()) + 1
    try:
        failed = shell("emulator", "services", "nova", "restart", "--data", data)
        assert failed.code == 1
        assert failed.error_lines == [
            f"error: nova did not start: etc/nova/nova.conf, line {line}: not a key = value "
            "line: 'this line has no equals sign'"
        ]
        status = shell.ok("emulator", "services", "nova", "status", "--data", data).out.splitlines()
        assert status[1].startswith("Active: failed (Result: exit-code) since ")
        assert status[2] == (
            f"Error: etc/nova/nova.conf, line {line}: not a key = value line: "
            "'this line has no equals sign'"
        )
        assert aix.http.get(f"{aix.compute}/servers").status_code == 503
        log = (aix.running.log_dir / "nova" / "nova-api.log").read_text().splitlines()
        assert (
            f"CRITICAL nova [-] nova did not start: failed to parse etc/nova/nova.conf, line {line}"
            in log[-1]
        )
    finally:
        nova_conf.write_text(good)
    shell.ok("emulator", "services", "nova", "start", "--data", data)
    assert aix.http.get(f"{aix.compute}/servers").status_code == 200


def test_an_unknown_template_key_names_the_hosts_file(
    aix: Lab, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shell = Shell(monkeypatch, capsys)
    path = data_dir(aix) / f"etc/nova/nova-{HOST2}.conf"
    good = path.read_text()
    path.write_text(good + "instance_name_template = %(hostname)s\n")
    try:
        failed = shell("emulator", "services", "nova", "restart", "--data", str(data_dir(aix)))
        assert failed.code == 1
        line = len(good.splitlines()) + 1
        assert failed.error_lines[0].startswith(
            f"error: nova did not start: etc/nova/nova-{HOST2}.conf, line {line}: "
            "[DEFAULT] instance_name_template: '%(hostname)s' names the unknown key 'hostname'"
        )
        compute_log = aix.running.log_dir / "nova" / f"nova-compute-{HOST2}.log"
        assert "failed to parse etc/nova/nova-" in compute_log.read_text().splitlines()[-1]
    finally:
        path.write_text(good)
    shell.ok("emulator", "services", "nova", "start", "--data", str(data_dir(aix)))


def test_an_emulator_started_with_a_broken_cinder_file_serves_without_cinder(
    tmp_path: Path,
) -> None:
    config = EmulatorConfig(port=0, data_dir=tmp_path / "data")
    with running_emulator(config):
        pass
    provider = tmp_path / "data" / "etc" / "cinder" / "cinder-10.30.0.2.conf"
    provider.write_text("[DEFAULT]\nsan_ip = 10.30.0.2\nsan_ip = 10.30.0.9\n")
    with running_emulator(config) as running:
        assert running.control_socket is not None
        answer = control.request(running.control_socket, "status", ["cinder", "nova"])
        cinder, nova = answer["services"]
        assert (cinder["state"], nova["state"]) == (
            "failed (Result: exit-code)",
            "active (running)",
        )
        assert cinder["error"] == (
            "etc/cinder/cinder-10.30.0.2.conf, line 3: 'san_ip' is set twice in [DEFAULT]"
        )
        client = login(running)
        assert client.get("/powervc/openstack/volume/").status_code == 503
        assert client.get(f"{COMPUTE}/servers").status_code == 200
        volume_log = running.log_dir / "cinder" / "volume-10.30.0.2.log"
        assert "cinder-10.30.0.2.conf, line 3" in volume_log.read_text()
        health = httpx.get(running.health_url).json()
        assert health["stopped_services"] == ["cinder"]
