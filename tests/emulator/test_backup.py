"""`powerbridge emulator backup|restore` as PowerVC's powervc-backup and powervc-restore: real
processes, a detached emulator serving while the backup is taken through its control socket,
a restore bringing back deleted servers, volumes and a node's files, and bad archives refused
with the state untouched."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import running_emulator
from tests.emulator.aix.ssh_support import ClientKey, client_key
from tests.support.cli_process import run_cli
from tests.support.clirun import Shell

COMPUTE = "/powervc/openstack/compute/v2.1"
VOLUME = "/powervc/openstack/volume/v3"
WAIT = 60.0


class Cloud:
    """The detached emulator of `data`, reached as clients reach it (its emulator.json)."""

    def __init__(self, data: Path) -> None:
        self.data = data
        info = json.loads((data / "emulator.json").read_text())
        self.http = httpx.Client(base_url=info["base_url"], timeout=30, trust_env=False)
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": "root",
                            "domain": {"name": "Default"},
                            "password": "passw0rd",
                        }
                    },
                },
                "scope": {"project": {"name": "ibm-default", "domain": {"name": "Default"}}},
            }
        }
        token = self.http.post("/powervc/openstack/identity/v3/auth/tokens", json=body)
        assert token.status_code == 201, token.text
        self.http.headers["X-Auth-Token"] = token.headers["x-subject-token"]
        self.project = token.json()["token"]["project"]["id"]

    def url(self, service: str, path: str) -> str:
        return f"{service}/{self.project}{path}"

    def deploy(self, name: str, key_name: str | None = None) -> str:
        image = self.http.get("/powervc/openstack/image/v2/images?name=PowerHA72").json()
        flavors = self.http.get(self.url(COMPUTE, "/flavors")).json()["flavors"]
        network = self.http.get("/powervc/openstack/network/v2.0/networks?name=cmbnet1").json()
        server: dict[str, Any] = {
            "name": name,
            "imageRef": image["images"][0]["id"],
            "flavorRef": next(f["id"] for f in flavors if f["name"] == "powervm.tiny"),
            "networks": [{"uuid": network["networks"][0]["id"]}],
        }
        if key_name:
            server["key_name"] = key_name
        reply = self.http.post(self.url(COMPUTE, "/servers"), json={"server": server})
        assert reply.status_code == 202, reply.text
        return str(reply.json()["server"]["id"])

    def servers(self) -> dict[str, str]:
        reply = self.http.get(self.url(COMPUTE, "/servers/detail"))
        return {s["id"]: s["status"] for s in reply.json()["servers"]}

    def wait_active(self, server_id: str) -> None:
        deadline = time.monotonic() + WAIT
        while self.servers().get(server_id) != "ACTIVE":
            assert time.monotonic() < deadline, f"{server_id} never became ACTIVE"
            time.sleep(0.05)


def start(data: Path) -> Cloud:
    started = run_cli(
        "emulator", "start", "--detach", "--port", "0", "--ssh-ports", "0-0", "--data", str(data)
    )
    assert started.returncode == 0, started.stderr
    return Cloud(data)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("backup")
    try:
        yield path
    finally:
        for data in path.iterdir():
            run_cli("emulator", "stop", "--data", str(data))


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> ClientKey:
    return client_key(tmp_path_factory.mktemp("keys"))


async def on_node(cloud: Cloud, host: str, key: ClientKey, command: str) -> str:
    """`command` on node `host` over SSH (with the data dir's ssh/config), once it answers."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            async with asyncssh.connect(
                host,
                config=[str(cloud.data / "ssh" / "config")],
                client_keys=[key.key],
                agent_path=None,
            ) as connection:
                result = await connection.run(command, check=True)
                return str(result.stdout)
        except (OSError, asyncssh.Error):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


def test_restore_brings_back_deleted_servers_volumes_and_node_files(
    root: Path, key: ClientKey
) -> None:
    cloud = start(root / "live")
    reply = cloud.http.post(
        cloud.url(COMPUTE, "/os-keypairs"),
        json={"keypair": {"name": "k", "public_key": key.public}},
    )
    assert reply.status_code in (200, 201), reply.text
    server_id = cloud.deploy("keeper", key_name="k")
    cloud.wait_active(server_id)
    volume = cloud.http.post(
        cloud.url(VOLUME, "/volumes"), json={"volume": {"size": 1, "name": "v1"}}
    )
    assert volume.status_code == 202, volume.text
    volume_id = volume.json()["volume"]["id"]
    asyncio.run(on_node(cloud, "keeper", key, "echo kept > /tmp/marker"))

    backup = run_cli("emulator", "backup", "--noprompt", "--data", str(cloud.data))
    assert backup.returncode == 0, backup.stderr
    archive = Path(backup.stdout.split("Backup archive: ")[1].strip())
    assert archive.name == "powervc_backup.tgz"
    assert archive.parent.parent == cloud.data / "backups"

    assert cloud.http.delete(cloud.url(COMPUTE, f"/servers/{server_id}")).status_code == 204
    assert cloud.http.delete(cloud.url(VOLUME, f"/volumes/{volume_id}")).status_code == 202
    assert server_id not in cloud.servers()

    restored = run_cli("emulator", "restore", "--noprompt", "--data", str(cloud.data))
    assert restored.returncode == 0, restored.stderr
    assert f"Restored {archive} into {cloud.data}." in restored.stdout
    assert "Stopped PowerVC's services and the emulator" in restored.stdout
    again = Cloud(cloud.data)
    assert again.servers()[server_id] == "ACTIVE"
    shown = again.http.get(again.url(VOLUME, f"/volumes/{volume_id}"))
    assert shown.status_code == 200
    assert shown.json()["volume"]["name"] == "v1"
    assert asyncio.run(on_node(again, "keeper", key, "cat /tmp/marker")) == "kept\n"


def test_a_backup_while_deploys_run_restores_into_a_fresh_data_dir(root: Path) -> None:
    cloud = start(root / "busy")
    created: list[str] = []
    deploying = threading.Thread(
        target=lambda: created.extend(cloud.deploy(f"vm{n}") for n in range(20))
    )
    deploying.start()
    time.sleep(0.05)
    backup = run_cli("emulator", "backup", "--noprompt", "--data", str(cloud.data))
    deploying.join()
    assert backup.returncode == 0, backup.stderr
    fresh = root / "fresh"
    restored = run_cli(
        "emulator",
        "restore",
        "--noprompt",
        "--targetdir",
        str(cloud.data / "backups"),
        "--data",
        str(fresh),
    )
    assert restored.returncode == 0, restored.stderr
    assert "is not running; start it with" in restored.stdout
    copy = start(fresh)
    servers = copy.servers()
    assert set(servers) <= set(created)
    # one moment: every server the copy has is whole (its port is there too)
    for server_id in servers:
        ports = copy.http.get(f"/powervc/openstack/network/v2.0/ports?device_id={server_id}")
        assert len(ports.json()["ports"]) == 1, server_id


def tree(data: Path) -> dict[str, str]:
    return {
        str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data.rglob("*"))
        if p.is_file()
    }


def repack(archive: Path, target: Path, change: dict[str, Any] | None, drop: str = "") -> None:
    """`archive` again at `target/powervc_backup.tgz`, its manifest changed or a file left out."""
    target.mkdir(parents=True)
    with tarfile.open(archive) as source, tarfile.open(target / archive.name, "w:gz") as out:
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == drop:
                continue
            if member.name == "manifest.json" and change is not None:
                data = json.dumps({**json.loads(data), **change}).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))


def test_bad_archives_are_refused_with_the_state_untouched(root: Path) -> None:
    data = root / "live"  # made (and restored) by the first test; stopped here
    run_cli("emulator", "stop", "--data", str(data))
    good = next((data / "backups").glob("*/powervc_backup.tgz"))
    bad = root / "bad"
    (bad / "corrupt").mkdir(parents=True)
    (bad / "corrupt" / good.name).write_bytes(b"\x1f\x8b not really gzip" * 40)
    (bad / "truncated").mkdir()
    (bad / "truncated" / good.name).write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    repack(good, bad / "foreign", {"format": "someone-elses-backup"})
    repack(good, bad / "newer", {"powerbridge_version": "99.0.0"})
    repack(good, bad / "incomplete", None, drop="data/emulator.sqlite")
    before = tree(data)
    reasons = {
        "corrupt": "is corrupt: not a gzip-compressed tar archive",
        "truncated": "is truncated",
        "foreign": "is not a powerbridge emulator backup",
        "newer": "was made by powerbridge 99.0.0, newer than this one",
        "incomplete": "is truncated: data/emulator.sqlite is missing",
    }
    for case, reason in reasons.items():
        refused = run_cli(
            "emulator", "restore", "--noprompt", "--targetdir", str(bad / case), "--data", str(data)
        )
        assert refused.returncode == 1, (case, refused.stdout)
        lines = [line for line in refused.stderr.splitlines() if line.startswith("error: ")]
        assert len(lines) == 1, (case, refused.stderr)
        assert reason in lines[0], case
        assert "nothing was restored" in lines[0], case
        assert tree(data) == before, case


def test_without_noprompt_and_no_terminal_restore_refuses_in_one_line(root: Path) -> None:
    data = root / "live"
    refused = run_cli("emulator", "restore", "--data", str(data))
    assert refused.returncode == 2
    first = refused.stderr.splitlines()[0]
    assert first.startswith(f"error: Restore {data / 'backups'}")
    assert first.endswith("needs an answer and there is no terminal to ask on")
    nothing = run_cli("emulator", "backup", "--noprompt", "--data", str(root / "nobody"))
    assert nothing.returncode == 1
    assert "no emulator answers for" in nothing.stderr


def test_restore_refuses_an_emulator_a_program_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`running_emulator` writes no pid file: restore cannot stop it, so it swaps nothing."""
    data = tmp_path / "data"
    with running_emulator(EmulatorConfig(port=0, data_dir=data)):
        shell = Shell(monkeypatch, capsys)
        made = shell.ok("emulator", "backup", "--noprompt", "--data", str(data))
        assert made.out.startswith(f"Backup archive: {data / 'backups'}")
        before = tree(data / "etc")
        refused = shell("emulator", "restore", "--noprompt", "--data", str(data))
        assert refused.code == 1
        assert refused.error_lines[0].endswith(
            "has no pid file to stop it by; nothing was restored"
        )
        assert tree(data / "etc") == before
        assert not list(data.glob(".restore-*"))
