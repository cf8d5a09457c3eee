"""`client.signin.Keystone`: the portal's sign-in calls (their success paths run against the
emulator in tests/portal); here, what a person is told when Keystone cannot be reached."""

from __future__ import annotations

import asyncio
import socket

import pytest

from powerbridge.client import CloudConfig
from powerbridge.client.errors import TransportError
from powerbridge.client.signin import Keystone


def test_an_unreachable_keystone_is_a_transport_error_with_a_hint() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = CloudConfig(auth_url=f"http://127.0.0.1:{port}/v3", timeout=5.0)

    async def sign_in() -> None:
        async with Keystone(config) as keystone:
            await keystone.password("root", "pw")

    with pytest.raises(TransportError) as caught:
        asyncio.run(sign_in())
    assert str(caught.value).startswith(f"identity POST http://127.0.0.1:{port}/v3/auth/tokens: ")
    assert caught.value.hint == "check the cloud's auth URL and that PowerVC is up"
