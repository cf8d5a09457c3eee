"""A refusal a person can act on (issue 17's roles), against a started emulator over real HTTP:
a user whose PowerVC role does not allow a command gets one error line with the service's
policy message and a hint naming the roles that would (IBM's "Managing roles" table)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from powerbridge.client import Session, load_config
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from tests.support.clirun import Shell

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


def grant(cloud: RunningEmulator, user: str, password: str, role: str) -> None:
    """`user` with `role` on ibm-default, made through keystone's API as the admin."""
    identity = cloud.auth_url.rstrip("/")

    async def run() -> None:
        async with Session(load_config(environ=cloud.env(), search_path=[])) as session:
            body = {"user": {"name": user, "password": password}}
            made = await session.request("identity", "POST", f"{identity}/users", json=body)
            user_id = made.json()["user"]["id"]
            roles = await session.request("identity", "GET", f"{identity}/roles?name={role}")
            role_id = roles.json()["roles"][0]["id"]
            projects = await session.request("identity", "GET", f"{identity}/projects")
            project = next(p for p in projects.json()["projects"] if p["name"] == "ibm-default")
            where = f"{identity}/projects/{project['id']}/users/{user_id}/roles/{role_id}"
            await session.request("identity", "PUT", where)

    asyncio.run(run())


@pytest.fixture
def viewer(
    cloud: RunningEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Shell:
    grant(cloud, "cli-viewer", "cli-viewer-pw", "viewer")
    env = {**cloud.env(), "OS_USERNAME": "cli-viewer", "OS_PASSWORD": "cli-viewer-pw"}
    return Shell(monkeypatch, capsys, env)


def test_a_refused_command_names_the_roles_that_would_do_it(viewer: Shell) -> None:
    listed = viewer("volume", "list")
    assert listed.code == 0, listed.err  # a viewer reads
    result = viewer("volume", "create", "not-for-viewers", "--size", "1")
    assert result.code == 1
    [line] = result.error_lines
    assert "403 Forbidden: Policy doesn't allow volume:create to be performed." in line
    assert "volume:create needs one of PowerVC's roles admin, admin_assist, storage_manager" in (
        result.err
    )
    assert "Traceback" not in result.err
