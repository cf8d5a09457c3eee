"""Searching PowerVC's logs by request id: rotated and gzipped files, related ids, context,
the failing service and cause; the same over SSH (a fake SFTP client, and a real asyncssh
server on loopback when asyncssh is installed)."""

from __future__ import annotations

import asyncio
import gzip
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from powerbridge.cli.errors import CliError, UsageProblem
from powerbridge.cli.logsearch import LocalLogs, diagnosis, request_ids_of, search
from powerbridge.cli.remote import SshLogs, Target

REQ = "req-11111111-2222-3333-4444-555555555555"
GLOBAL = "req-99999999-8888-7777-6666-555555555555"
OTHER = "req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
USER, PROJECT = "u1", "p1"


def line(when: str, level: str, module: str, request: str, message: str) -> str:
    return f"2026-01-02 {when} 4242 {level} {module} [{request} {USER} {PROJECT} - - -] {message}"


def make_logs(root: Path) -> Path:
    """nova-api.log (current), a rotated and a gzipped older conductor log, cinder's api log
    where cinder works for nova's request (both ids), and noise."""
    (root / "nova").mkdir(parents=True)
    (root / "cinder").mkdir()
    (root / "glance").mkdir()
    (root / "nova" / "nova-api.log").write_text(
        "\n".join(
            [
                line("10:00:00.000", "INFO", "nova.api", OTHER, "GET /servers"),
                line("10:00:01.000", "INFO", "nova.compute.api", REQ, "Creating server 'vm1'"),
                line("10:00:01.100", "INFO", "nova.api", REQ, '"POST /servers" status: 202'),
                line("10:00:09.000", "INFO", "nova.api", OTHER, f"GET /os-instance-actions/{REQ}"),
            ]
        )
        + "\n"
    )
    (root / "nova" / "nova-conductor.log.1").write_text(
        line("10:00:02.000", "ERROR", "nova.conductor.manager", REQ,
             "Build of instance x aborted: The 'Desired Memory' value 4096 MB is above the "
             "'Maximum Memory' value 2048 MB.") + "\n"
    )  # fmt: skip
    (root / "nova" / "nova-conductor.log.2.gz").write_bytes(
        gzip.compress((line("09:00:00.000", "INFO", "nova.conductor", REQ, "old") + "\n").encode())
    )
    (root / "cinder" / "api.log").write_text(
        line("10:00:01.500", "INFO", "cinder.volume", f"{GLOBAL} {REQ}", "Attaching") + "\n"
        + line("10:00:01.600", "INFO", "cinder.volume", GLOBAL, "Attached") + "\n"
    )  # fmt: skip
    (root / "glance" / "api.log").write_text(line("10:00:00.5", "INFO", "glance", OTHER, "x"))
    (root / "README").write_text(f"{REQ} is not a log")
    return root


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_request_ids_come_from_the_context_not_the_message() -> None:
    assert request_ids_of(line("1", "INFO", "m", f"{GLOBAL} {REQ}", f"about {OTHER}")) == {
        GLOBAL,
        REQ,
    }
    assert request_ids_of(f"free text {REQ}") == {REQ}


def test_search_reads_rotated_and_gzipped_logs_and_related_ids(tmp_path: Path) -> None:
    result = run(search(LocalLogs(make_logs(tmp_path)), [REQ], context=1))
    paths = [m.path for m in result.matches]
    assert "nova/nova-conductor.log.2.gz" in paths
    assert "nova/nova-conductor.log.1" in paths
    assert "nova/nova-api.log" in paths
    assert result.related_ids == [GLOBAL]
    assert any("Attached" in m.line.text for m in result.matches)  # found through GLOBAL
    assert not any("GET /os-instance-actions" in m.line.text for m in result.matches)
    assert all("README" not in m.path for m in result.matches)
    assert result.files_searched == 5
    times = [m.timestamp for m in result.matches]
    assert times == sorted(times)
    api = next(m for m in result.matches if "Creating server" in m.line.text)
    assert [b.number for b in api.before] == [1]
    assert [a.number for a in api.after] == [3]


def test_diagnosis_names_the_service_and_cause(tmp_path: Path) -> None:
    result = run(search(LocalLogs(make_logs(tmp_path)), [REQ]))
    found = diagnosis(result)
    assert found is not None
    assert found.service == "nova"
    assert found.process == "nova-conductor"
    assert "memory rule" in found.cause


def test_diagnosis_from_the_fault_alone(tmp_path: Path) -> None:
    empty = run(search(LocalLogs(tmp_path), [REQ]))
    found = diagnosis(empty, "No valid host was found. Insufficient memory: 1 MB")
    assert found is not None
    assert "free memory" in found.cause


def test_diagnose_request_id_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.clirun import Shell

    sh = Shell(monkeypatch, capsys)
    logs = make_logs(tmp_path / "logs")
    out = sh.ok("diagnose", "--request-id", REQ, "--logs", str(logs), "--context", "0").out
    assert f"Log lines with {REQ} and related {GLOBAL}" in out
    assert "--- nova/nova-conductor.log.1" in out
    assert "Failing service: nova (nova-conductor)" in out
    missing = sh("diagnose", "--request-id", REQ)
    assert missing.code == 2
    assert "--logs DIR" in missing.err
    both = sh("diagnose", "--request-id", REQ, "--logs", str(logs), "--ssh", "root@h")
    assert both.code == 2


def test_diagnose_a_request_id_no_log_line_mentions_fails_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.clirun import Shell

    sh = Shell(monkeypatch, capsys)
    logs = make_logs(tmp_path / "logs")
    result = sh("diagnose", "--request-id", "req-nonexistent", "--logs", str(logs))
    assert result.code == 1
    assert result.out == ""
    [line] = result.error_lines
    assert re.fullmatch(
        rf"error: no line in the [1-9]\d* files under {re.escape(str(logs))} "
        "mentions req-nonexistent",
        line,
    ), line
    assert "check the request id" in result.err
    assert "--ssh USER@HOST" in result.err
    as_json = sh("diagnose", "--request-id", "req-nonexistent", "--logs", str(logs), "-f", "json")
    assert as_json.code == 1


# -- SSH --------------------------------------------------------------------------------------
class FakeFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def __aenter__(self) -> FakeFile:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def read(self) -> bytes:
        return self.path.read_bytes()


class FakeSftp:
    """asyncssh's SFTPClient calls the search uses, over a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.exited = False

    def _local(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    async def listdir(self, path: str) -> list[str]:
        return [".", "..", *(p.name for p in self._local(path).iterdir())]

    async def isdir(self, path: str) -> bool:
        return self._local(path).is_dir()

    def open(self, path: str, mode: str) -> FakeFile:
        return FakeFile(self._local(path))

    def exit(self) -> None:
        self.exited = True


class FakeConnection:
    def __init__(self, sftp: FakeSftp) -> None:
        self.sftp = sftp
        self.closed = False

    async def start_sftp_client(self) -> FakeSftp:
        return self.sftp

    def close(self) -> None:
        self.closed = True

    async def wait_closed(self) -> None:
        return None


def test_ssh_logs_through_a_fake_connection(tmp_path: Path) -> None:
    make_logs(tmp_path / "var" / "log")
    sftp = FakeSftp(tmp_path)
    calls: list[tuple[str, dict[str, Any]]] = []

    async def connect(host: str, **options: Any) -> FakeConnection:
        calls.append((host, options))
        return FakeConnection(sftp)

    async def use() -> Any:
        target = Target.parse("root@powervc.example.com:2222")
        async with await SshLogs.open(
            target, known_hosts=tmp_path / "known_hosts", connect=connect
        ) as logs:
            return await search(logs, [REQ])

    result = run(use())
    assert calls == [
        (
            "powervc.example.com",
            {"port": 2222, "username": "root", "known_hosts": str(tmp_path / "known_hosts")},
        )
    ]
    assert any(m.path == "nova/nova-conductor.log.2.gz" for m in result.matches)
    assert sftp.exited


def test_unknown_host_key_says_how_to_trust_it(tmp_path: Path) -> None:
    class HostKeyNotVerifiable(Exception):
        pass

    async def connect(host: str, **options: Any) -> FakeConnection:
        raise HostKeyNotVerifiable("Host key is not trusted for host powervc")

    with pytest.raises(CliError) as caught:
        run(SshLogs.open(Target.parse("root@powervc"), connect=connect))
    assert "host key of powervc is not trusted" in caught.value.message
    assert "ssh-keyscan powervc >> ~/.ssh/known_hosts" in (caught.value.hint or "")


@pytest.mark.parametrize("text", ["", "root@", "root@host:port"])
def test_bad_ssh_targets(text: str) -> None:
    with pytest.raises(UsageProblem):
        Target.parse(text)


def test_ssh_targets() -> None:
    assert Target.parse("h") == Target(None, "h", 22)
    assert Target.parse("admin@h:2022") == Target("admin", "h", 2022)
    assert Target.parse("root@[::1]:2022") == Target("root", "::1", 2022)
    assert str(Target.parse("admin@h:2022")) == "admin@h:2022"


def test_real_asyncssh_server_known_hosts(tmp_path: Path) -> None:
    """An asyncssh SSH/SFTP server on loopback: an unknown host key is refused with the
    trust hint; once in known_hosts, the logs are read."""
    asyncssh = pytest.importorskip("asyncssh")
    logs = make_logs(tmp_path / "logs")
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode())
    known = tmp_path / "known_hosts"
    known.write_text("")

    async def scenario() -> tuple[CliError, Any]:
        server = await asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[host_key],
            authorized_client_keys=authorized,
            sftp_factory=True,
            allow_scp=False,
        )
        port = server.sockets[0].getsockname()[1]
        target = Target.parse(f"tester@127.0.0.1:{port}")

        def connect(host: str, **options: Any) -> Any:
            return asyncssh.connect(host, client_keys=[client_key], agent_path=None, **options)

        try:
            try:
                await SshLogs.open(target, known_hosts=known, connect=connect)
            except CliError as refused:
                failure = refused
            known.write_text(
                f"[127.0.0.1]:{port} {host_key.export_public_key().decode().strip()}\n"
            )
            async with await SshLogs.open(
                target, root=str(logs), known_hosts=known, connect=connect
            ) as remote:
                return failure, await search(remote, [REQ])
        finally:
            server.close()
            await server.wait_closed()

    failure, result = run(scenario())
    assert "is not trusted" in failure.message
    assert "ssh-keyscan -p" in (failure.hint or "")
    assert any(m.path == "nova/nova-conductor.log.1" for m in result.matches)


def test_ssh_without_asyncssh_is_one_line_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "asyncssh", None)  # as if not installed
    with pytest.raises(CliError) as caught:
        run(SshLogs.open(Target.parse("root@powervc.example.com")))
    assert caught.value.message == "--ssh needs the asyncssh package, which is not installed"
    assert "pip install 'powerbridge[ssh]'" in (caught.value.hint or "")
    assert "--logs DIR" in (caught.value.hint or "")
