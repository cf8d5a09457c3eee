"""`powerbridge emulator start/status/env/stop` as users run them: real processes, real ports."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.cli_process import TIMEOUT, run_cli


def summary_value(stdout: str, label: str) -> str:
    for line in stdout.splitlines():
        if line.strip().startswith(f"{label}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {label!r} line in:\n{stdout}")


def _pid_in(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "emulator.pid").read_text())
    except (OSError, ValueError):
        return None


def _ensure_stopped(data_dir: Path) -> None:
    """Whatever a test did, leave no emulator behind."""
    pid = _pid_in(data_dir)
    run_cli("emulator", "stop", "--data", str(data_dir))
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data"
    try:
        yield path
    finally:
        _ensure_stopped(path)


def test_detached_lifecycle_start_status_env_stop(data_dir: Path, tmp_path: Path) -> None:
    started = run_cli("emulator", "start", "--detach", "--port", "0", "--data", str(data_dir))
    assert started.returncode == 0, started.stderr
    auth_url = summary_value(started.stdout, "Auth URL")
    assert auth_url.startswith("http://127.0.0.1:")
    assert auth_url.endswith("/powervc/openstack/identity/v3")
    assert ":0/" not in auth_url  # the real port, not the one asked for
    assert summary_value(started.stdout, "Password") == "passw0rd"
    assert summary_value(started.stdout, "Data") == str(data_dir)

    info = json.loads((data_dir / "emulator.json").read_text())
    assert info["auth_url"] == auth_url
    assert info["pid"] == _pid_in(data_dir)
    assert (data_dir / "emulator.json").stat().st_mode & 0o777 == 0o600

    status = run_cli("emulator", "status", "--data", str(data_dir), "--format", "json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["state"] == "running"
    assert json.loads(status.stdout)["auth_url"] == auth_url

    _check_sh_env(data_dir, tmp_path, auth_url)
    _check_clouds_yaml(data_dir, auth_url)

    stopped = run_cli("emulator", "stop", "--data", str(data_dir))
    assert stopped.returncode == 0, stopped.stderr
    assert "Stopped" in stopped.stdout
    assert not (data_dir / "emulator.pid").exists()
    assert not (data_dir / "emulator.json").exists()

    after = run_cli("emulator", "status", "--data", str(data_dir))
    assert after.returncode == 1
    assert "not running" in after.stdout
    again = run_cli("emulator", "stop", "--data", str(data_dir))
    assert again.returncode == 1
    assert again.stderr.strip() == f"error: no emulator is running for {data_dir}"


def _check_sh_env(data_dir: Path, tmp_path: Path, auth_url: str) -> None:
    result = run_cli("emulator", "env", "--data", str(data_dir))
    assert result.returncode == 0, result.stderr
    script = tmp_path / "powervcrc"
    script.write_text(result.stdout)
    shown = subprocess.run(
        ["sh", "-c", f'. "{script}" && env'],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        timeout=TIMEOUT,
    )
    variables = dict(
        line.split("=", 1) for line in shown.stdout.splitlines() if line.startswith("OS_")
    )
    assert variables == {
        "OS_AUTH_URL": auth_url,
        "OS_USERNAME": "root",
        "OS_PASSWORD": "passw0rd",
        "OS_PROJECT_NAME": "ibm-default",
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
        "OS_REGION_NAME": "RegionOne",
        "OS_IDENTITY_API_VERSION": "3",
        "OS_INTERFACE": "public",
    }
    _login(variables["OS_AUTH_URL"], variables["OS_USERNAME"], variables["OS_PASSWORD"])


def _check_clouds_yaml(data_dir: Path, auth_url: str) -> None:
    result = run_cli(
        "emulator", "env", "--data", str(data_dir), "--format", "clouds-yaml", "--cloud-name", "pv"
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = yaml.safe_load(result.stdout)
    cloud = document["clouds"]["pv"]
    assert cloud["auth"] == {
        "auth_url": auth_url,
        "username": "root",
        "password": "passw0rd",
        "project_name": "ibm-default",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    }
    assert cloud["region_name"] == "RegionOne"
    assert cloud["interface"] == "public"
    assert cloud["identity_api_version"] == 3
    assert "cacert" not in cloud


def _login(auth_url: str, username: str, password: str, verify: Any = True) -> None:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": username, "domain": {"name": "Default"}, "password": password}
                },
            },
            "scope": {"project": {"name": "ibm-default", "domain": {"name": "Default"}}},
        }
    }
    with httpx.Client(timeout=10.0, trust_env=False, verify=verify) as client:
        response = client.post(f"{auth_url}/auth/tokens", json=body)
    assert response.status_code == 201, response.text


def test_detached_tls_and_ports_style_with_a_custom_password(data_dir: Path) -> None:
    started = run_cli(
        "emulator",
        "start",
        "--detach",
        "--port",
        "0",
        "--data",
        str(data_dir),
        "--tls",
        "--url-style",
        "ports",
        "--admin-password",
        "s3cret pass",
    )
    assert started.returncode == 0, started.stderr
    ca_path = summary_value(started.stdout, "CA cert").split()[0]
    assert ca_path == str(data_dir / "tls" / "ca.pem")
    info = json.loads((data_dir / "emulator.json").read_text())
    assert len(set(info["ports"].values())) == 5
    # the password is handed to the background process outside its command line
    pid = _pid_in(data_dir)
    command_line = Path(f"/proc/{pid}/cmdline").read_bytes() if Path("/proc").is_dir() else b""
    assert b"s3cret" not in command_line

    result = run_cli("emulator", "env", "--data", str(data_dir), "--format", "clouds-yaml")
    cloud = yaml.safe_load(result.stdout)["clouds"]["powervc-emulator"]
    assert cloud["cacert"] == ca_path
    assert cloud["auth"]["password"] == "s3cret pass"
    _login(
        cloud["auth"]["auth_url"], "root", "s3cret pass", ssl.create_default_context(cafile=ca_path)
    )
    sh = run_cli("emulator", "env", "--data", str(data_dir)).stdout
    assert f"export OS_CACERT={ca_path}" in sh
    assert "export OS_PASSWORD='s3cret pass'" in sh


def test_a_second_start_on_a_running_data_dir_is_refused(data_dir: Path) -> None:
    started = run_cli("emulator", "start", "--detach", "--port", "0", "--data", str(data_dir))
    assert started.returncode == 0, started.stderr
    again = run_cli("emulator", "start", "--port", "0", "--data", str(data_dir))
    assert again.returncode == 1
    assert again.stderr.splitlines()[0].startswith("error: an emulator is already running for")


def test_foreground_start_stops_cleanly_on_ctrl_c(data_dir: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "powerbridge",
            "emulator",
            "start",
            "--port=0",
            f"--data={data_dir}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C to stop"):
                break
        summary = "".join(lines)
        assert "Logs:" in summary
        assert summary_value(summary, "Clock") == "instant"
        assert (data_dir / "emulator.json").exists()
        assert run_cli("emulator", "status", "--data", str(data_dir)).returncode == 0
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "Emulator stopped." in out
    assert "Traceback" not in err
    assert not (data_dir / "emulator.json").exists()
    assert (data_dir / "emulator.sqlite").exists()


def _bad_estate(tmp_path: Path) -> Path:
    estate = tmp_path / "estate.yaml"
    estate.write_text("hosts:\n  - name: p9-host\n")
    return estate


@pytest.mark.parametrize("detach", [False, True], ids=["foreground", "detach"])
def test_a_bad_estate_file_is_one_line(tmp_path: Path, data_dir: Path, detach: bool) -> None:
    estate = _bad_estate(tmp_path)
    args = ["emulator", "start", "--port", "0", "--data", str(data_dir), "--estate", str(estate)]
    result = run_cli(*args, *(["--detach"] if detach else []))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert str(estate) in lines[0]
    assert "memory_mb" in lines[0]


def test_detach_in_memory_is_refused(tmp_path: Path) -> None:
    result = run_cli("emulator", "start", "--detach", "--data", ":memory:")
    assert result.returncode in (1, 2)
    assert result.stderr.startswith("error: --detach needs a data directory")
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("emulator", "start", "--data", ":memory:", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"error: cannot listen on 127.0.0.1:{port} for the emulator: address already in use"
    )
    assert "Traceback" not in result.stderr


def test_a_port_in_use_with_detach_reports_the_childs_error(tmp_path: Path, data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            "emulator", "start", "--detach", "--data", str(data_dir), "--port", str(port)
        )
    assert result.returncode == 1
    assert "address already in use" in result.stderr.splitlines()[0]
    assert not (data_dir / "emulator.pid").exists()


def test_an_unusable_data_dir_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_cli("emulator", "start", "--port", "0", "--data", str(blocker / "data"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot use the data directory {blocker / 'data'}")
    assert "Traceback" not in result.stderr


def test_status_env_and_stop_without_an_emulator_exit_1(data_dir: Path) -> None:
    status = run_cli("emulator", "status", "--data", str(data_dir))
    assert status.returncode == 1
    assert status.stdout.strip() == f"The emulator of {data_dir} is not running."
    as_json = run_cli("emulator", "status", "--data", str(data_dir), "--format", "json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout) == {"state": "not running", "data_dir": str(data_dir)}
    env = run_cli("emulator", "env", "--data", str(data_dir))
    assert env.returncode == 1
    assert env.stderr.startswith(f"error: the emulator of {data_dir} is not running")
    assert run_cli("emulator", "stop", "--data", str(data_dir)).returncode == 1


def test_a_stale_pid_file_is_not_a_running_emulator(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (data_dir / "emulator.pid").write_text(finished.stdout)
    assert run_cli("emulator", "status", "--data", str(data_dir)).returncode == 1
    stop = run_cli("emulator", "stop", "--data", str(data_dir))
    assert stop.returncode == 1
    assert "stale pid file" in stop.stderr
    assert not (data_dir / "emulator.pid").exists()


def test_bad_option_values_are_usage_errors() -> None:
    assert run_cli("emulator", "start", "--speed", "0", "--data", ":memory:").returncode == 2
    bad_url = run_cli("emulator", "start", "--public-url", "example.com", "--data", ":memory:")
    assert bad_url.returncode == 2
    assert "--public-url" in bad_url.stderr
    assert run_cli("emulator", "start", "--port", "70000").returncode == 2
    assert run_cli("emulator", "status", "--data", ":memory:").returncode == 2


def test_the_emulator_package_is_not_imported_for_help() -> None:
    probe = (
        "import sys\n"
        "from powerbridge.cli.main import invoke\n"
        "try:\n"
        "    invoke(['--help'])\n"
        "finally:\n"
        "    heavy = [m for m in ('uvicorn', 'starlette', 'httpx', 'yaml',"
        " 'powerbridge.emulator') if m in sys.modules]\n"
        "    print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=TIMEOUT
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
