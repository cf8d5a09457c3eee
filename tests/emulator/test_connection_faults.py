"""The `reset_connection` API behaviour and token behaviours, over real HTTP under uvicorn, and
what the SDK makes of them: a read retried, a create adopted (never made twice), a token
renewed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from powerbridge.client import Cloud, load_config
from powerbridge.client.session import _tls_failure
from powerbridge.client.volume import VolumeCreate
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator

pytestmark = pytest.mark.acceptance

SPEED = 60.0


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    config = EmulatorConfig(port=0, data_dir=None, clock="real", speed=SPEED)
    with running_emulator(config) as running:
        yield running


class Admin:
    """The emulator's APIs with a root token, by plain httpx."""

    def __init__(self, cloud: RunningEmulator) -> None:
        self.client = httpx.Client(timeout=10)
        self.auth_url = cloud.auth_url.rstrip("/")
        answer = self.sign_in()
        self.client.headers["X-Auth-Token"] = answer.headers["x-subject-token"]
        self.urls = {
            service["type"]: endpoint["url"]
            for service in answer.json()["token"]["catalog"]
            for endpoint in service["endpoints"]
            if endpoint["interface"] == "public"
        }
        self.behaviours = self.auth_url.split("/powervc/")[0] + "/powervc/emulator/v1/behaviours"

    def sign_in(self) -> httpx.Response:
        user = {"name": "root", "domain": {"name": "Default"}, "password": "passw0rd"}
        scope = {"project": {"name": "ibm-default", "domain": {"name": "Default"}}}
        identity = {"methods": ["password"], "password": {"user": user}}
        body = {"auth": {"identity": identity, "scope": scope}}
        answer = httpx.post(self.auth_url + "/auth/tokens", json=body, timeout=10)
        answer.raise_for_status()
        return answer

    def add(self, **rule: Any) -> httpx.Response:
        return self.client.post(self.behaviours, json={"behaviour": rule})

    def clear(self) -> None:
        self.client.delete(self.behaviours)


@pytest.fixture
def admin(cloud: RunningEmulator) -> Iterator[Admin]:
    admin = Admin(cloud)
    yield admin
    admin.clear()
    admin.client.close()


def volume_names(admin: Admin) -> list[str]:
    rows = admin.client.get(admin.urls["volumev3"] + "/volumes").json()["volumes"]
    return [row["name"] for row in rows]


def test_reset_before_the_call_runs_answers_nothing_and_does_nothing(admin: Admin) -> None:
    added = admin.add(kind="api", service="volume", method="POST", mode="reset_connection", times=1)
    assert added.status_code == 201, added.text
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        admin.client.post(
            admin.urls["volumev3"] + "/volumes", json={"volume": {"size": 1, "name": "cut-early"}}
        )
    assert "cut-early" not in volume_names(admin)


def test_reset_mid_answer_carries_the_call_out(admin: Admin) -> None:
    admin.add(
        kind="api", service="volume", method="POST", mode="reset_connection", times=1,
        after_handling=True,
    )  # fmt: skip
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        admin.client.post(
            admin.urls["volumev3"] + "/volumes", json={"volume": {"size": 1, "name": "cut-late"}}
        )
    assert volume_names(admin).count("cut-late") == 1


def test_sdk_retries_a_reset_read_and_adopts_a_reset_create(
    cloud: RunningEmulator, admin: Admin
) -> None:
    admin.add(kind="api", service="volume", method="GET", mode="reset_connection", times=1)
    admin.add(
        kind="api", service="volume", method="POST", mode="reset_connection", times=1,
        after_handling=True,
    )  # fmt: skip

    async def use() -> str:
        async with Cloud.connect(config=load_config(environ=cloud.env(), search_path=[])) as sdk:
            await sdk.volume.volumes()  # the reset GET, sent again
            volume, _ = await sdk.volume.create_volume(VolumeCreate(size=1, name="adopted"))
            return volume.id

    volume_id = asyncio.run(use())
    assert volume_names(admin).count("adopted") == 1
    assert volume_id


def test_a_token_rule_shortens_new_tokens_by_the_clock_speed(admin: Admin) -> None:
    assert admin.add(kind="token", seconds=60).status_code == 201
    token = admin.sign_in().json()["token"]
    issued, expires = (_seconds(token[key]) for key in ("issued_at", "expires_at"))
    assert expires - issued == pytest.approx(60 / SPEED, abs=0.01)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "token"}, "A token behaviour needs 'seconds'"),
        ({"kind": "token", "seconds": 5, "status": 503}, "takes 'seconds' only, not 'status'"),
        (
            {"kind": "api", "service": "compute", "mode": "reset_connection", "status": 503},
            "'reset_connection' answers nothing: drop 'status'.",
        ),
        ({"kind": "api", "service": "compute", "mode": "cut"}, "must be 'reset_connection'"),
    ],
)
def test_bad_rules_are_named(admin: Admin, rule: dict[str, Any], message: str) -> None:
    answer = admin.add(**rule)
    assert answer.status_code == 400
    assert message in answer.json()["badRequest"]["message"]


def test_a_looping_exception_chain_is_not_walked_for_ever() -> None:
    """httpcore's reset errors came back with A's context B and B's A: the client spun."""
    first, second = OSError("reset"), OSError("again")
    first.__context__, second.__context__ = second, first
    assert _tls_failure(first) is False


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
