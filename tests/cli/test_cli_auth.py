"""How the CLI reaches a cloud: OS_* variables, clouds.yaml, --os-* options, application
credentials, TLS with --os-cacert, a token expiring mid-command, wrong credentials."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from powerbridge.client import Session, load_config
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from tests.support.clirun import Shell

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Shell:
    """A shell with no OS_* variables at all."""
    return Shell(monkeypatch, capsys)


def clouds_yaml(tmp_path: Path, env: dict[str, str], name: str = "emu") -> Path:
    entry: dict[str, Any] = {
        "auth": {
            "auth_url": env["OS_AUTH_URL"],
            "username": env["OS_USERNAME"],
            "project_name": env["OS_PROJECT_NAME"],
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "region_name": env["OS_REGION_NAME"],
        "identity_api_version": 3,
    }
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {name: entry}}))
    secure = {"clouds": {name: {"auth": {"password": env["OS_PASSWORD"]}}}}
    (tmp_path / "secure.yaml").write_text(yaml.safe_dump(secure))
    return path


def test_os_variables(bare: Shell, cloud: RunningEmulator) -> None:
    bare.set(cloud.env())
    assert "AIX72" in bare.ok("image", "list").out


def test_clouds_yaml_with_os_cloud_option_and_variable(
    bare: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    path = clouds_yaml(tmp_path, cloud.env())
    bare.set(
        {
            "OS_CLIENT_CONFIG_FILE": str(path),
            "OS_CLIENT_SECURE_FILE": str(tmp_path / "secure.yaml"),
        }
    )
    assert "AIX72" in bare.ok("image", "list", "--os-cloud", "emu").out
    bare.set({"OS_CLOUD": "emu"})
    assert "cmbnet1" in bare.ok("network", "list").out
    unknown = bare("image", "list", "--os-cloud", "nope")
    assert unknown.code == 1
    assert "no cloud named 'nope'" in unknown.err
    assert "emu" in unknown.err


def test_os_options_alone(bare: Shell, cloud: RunningEmulator) -> None:
    env = cloud.env()
    result = bare.ok(
        "image", "list",
        "--os-auth-url", env["OS_AUTH_URL"], "--os-username", env["OS_USERNAME"],
        "--os-password", env["OS_PASSWORD"], "--os-project-name", env["OS_PROJECT_NAME"],
        "--os-user-domain-name", "Default", "--os-project-domain-name", "Default",
    )  # fmt: skip
    assert "AIX72" in result.out


def test_application_credential(bare: Shell, cloud: RunningEmulator) -> None:
    async def create() -> dict[str, Any]:
        async with Session(load_config(environ=cloud.env(), search_path=[])) as session:
            token = await session.authenticate()
            body = {"application_credential": {"name": "cli-test"}}
            response = await session.request(
                "identity", "POST", f"/users/{token.user_id}/application_credentials", json=body
            )
            return dict(response.json()["application_credential"])

    credential = asyncio.run(create())
    bare.set(
        {
            "OS_AUTH_URL": cloud.auth_url,
            "OS_AUTH_TYPE": "v3applicationcredential",
            "OS_APPLICATION_CREDENTIAL_ID": credential["id"],
            "OS_APPLICATION_CREDENTIAL_SECRET": credential["secret"],
        }
    )
    assert "powervm.small" in {t["name"] for t in bare.json("template", "list")}
    bare.set({"OS_APPLICATION_CREDENTIAL_SECRET": "wrong"})
    refused = bare("template", "list")
    assert refused.code == 1
    assert "application credential" in refused.err


def test_wrong_password_is_one_clear_line(bare: Shell, cloud: RunningEmulator) -> None:
    bare.set({**cloud.env(), "OS_PASSWORD": "not-the-password"})
    result = bare("server", "list")
    assert result.code == 1
    [line] = result.error_lines
    assert "401 Unauthorized" in line
    assert "req-" in line
    assert "hint: check the user name, password" in result.err
    assert "Traceback" not in result.err
    assert "not-the-password" not in result.err


def test_no_configuration_says_what_to_set(bare: Shell) -> None:
    result = bare("image", "list")
    assert result.code == 1
    assert "OS_AUTH_URL" in result.err
    assert "--os-cloud" in result.err


def test_debug_shows_the_traceback(bare: Shell, cloud: RunningEmulator) -> None:
    bare.set({**cloud.env(), "OS_PASSWORD": "wrong"})
    result = bare("--debug", "image", "list")
    assert result.code == 1
    assert "Traceback" in result.err


def test_verbose_traces_each_call_with_secrets_redacted(
    bare: Shell, cloud: RunningEmulator
) -> None:
    bare.set(cloud.env())
    result = bare.ok("-vv", "image", "list")
    assert "image GET" in result.err
    assert "-> 200 OK (req-" in result.err
    assert cloud.env()["OS_PASSWORD"] not in result.err
    assert "<redacted>" in result.err
    quiet = bare.ok("image", "list")
    assert "image GET" not in quiet.err


# -- TLS --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def secure() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None, tls=True)) as running:
        yield running


def test_tls_with_os_cacert(bare: Shell, secure: RunningEmulator) -> None:
    env = secure.env()
    ca = env.pop("OS_CACERT")
    bare.set(env)
    assert "AIX72" in bare.ok("image", "list", "--os-cacert", ca).out
    unverified = bare("image", "list")
    assert unverified.code == 1
    assert "TLS verification failed" in unverified.err
    assert "--os-cacert" in unverified.err
    insecure = bare.ok("image", "list", "--insecure")
    assert "AIX72" in insecure.out
    assert "TLS verification is disabled" in insecure.err
    bare.set({"OS_CACERT": ca})
    assert "AIX72" in bare.ok("image", "list").out


# -- token expiry -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def short_tokens() -> Iterator[RunningEmulator]:
    config = EmulatorConfig(port=0, data_dir=None, token_ttl=1.5, clock="real", speed=4.0)
    with running_emulator(config) as running:
        yield running


def test_token_expiry_mid_command_is_renewed(bare: Shell, short_tokens: RunningEmulator) -> None:
    """A deploy waited for takes about 2.5 s; tokens live 1.5 s: the session renews."""
    bare.set(short_tokens.env())
    result = bare(
        "-v", "server", "create", "slow", "--image", "AIX72", "--template", "powervm.tiny",
        "--network", "cmbnet1", "--wait", "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json()["status"] == "ACTIVE"
    tokens = [line for line in result.err.splitlines() if "POST" in line and "auth/tokens" in line]
    assert len(tokens) >= 2
    assert " 401 " not in result.err  # renewed before expiry, not after a refusal
