"""Session: auth, catalog, URLs, token renewal, retries, TLS, microversions, tracing.

The first part drives a `Session` through `httpx.MockTransport` (a fake keystone and services,
an injected clock, sleep and jitter). The last part talks real HTTP to a running emulator.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import certifi
import httpx
import pytest

from powerbridge.client import (
    AuthenticationFailed,
    CloudConfig,
    ConfigError,
    EndpointNotFound,
    HttpError,
    NotFound,
    RetryPolicy,
    ServiceUnavailable,
    Session,
    TransportError,
    UnsupportedVersion,
    load_config,
)
from powerbridge.client import session as session_module
from powerbridge.client.session import TrustOnDemand, auth_body, join_url, tokens_url
from powerbridge.client.trace import REDACTED, redact, redact_headers
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from tests.support.fake_cloud import (
    AUTH_URL,
    CONFIG,
    FLAVORS,
    HOST,
    PROJECT,
    PROXIED,
    START,
    TTL,
    Harness,
    get,
    ok,
    ports_catalog,
    proxied_catalog,
    run,
    service,
    unauthorized,
)

T = TypeVar("T")


def test_password_auth_by_names() -> None:
    assert auth_body(CONFIG) == {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "root", "domain": {"name": "Default"}, "password": "passw0rd"}
                },
            },
            "scope": {"project": {"name": "ibm-default", "domain": {"name": "Default"}}},
        }
    }


def test_password_auth_by_ids() -> None:
    config = CloudConfig(auth_url=AUTH_URL, user_id="u1", password="pw", project_id="p1")
    body = auth_body(config)["auth"]
    assert body["identity"]["password"]["user"] == {"id": "u1", "password": "pw"}
    assert body["scope"] == {"project": {"id": "p1"}}


def test_names_without_domains_use_the_default_domain() -> None:
    config = CloudConfig(auth_url=AUTH_URL, username="u", password="pw", project_name="p")
    body = auth_body(config)["auth"]
    assert body["identity"]["password"]["user"]["domain"] == {"id": "default"}
    assert body["scope"]["project"]["domain"] == {"id": "default"}


def test_domain_ids_win_over_names() -> None:
    config = replace(CONFIG, user_domain_id="d1", project_domain_id="d2")
    body = auth_body(config)["auth"]
    assert body["identity"]["password"]["user"]["domain"] == {"id": "d1"}
    assert body["scope"]["project"]["domain"] == {"id": "d2"}


def test_application_credential_by_id() -> None:
    config = CloudConfig(
        auth_url=AUTH_URL,
        auth_type="v3applicationcredential",
        application_credential_id="c1",
        application_credential_secret="s",
    )
    assert auth_body(config) == {
        "auth": {
            "identity": {
                "methods": ["application_credential"],
                "application_credential": {"id": "c1", "secret": "s"},
            }
        }
    }


def test_application_credential_by_name_names_its_user() -> None:
    config = CloudConfig(
        auth_url=AUTH_URL,
        auth_type="v3applicationcredential",
        application_credential_name="ci",
        application_credential_secret="s",
        username="root",
        user_domain_name="Default",
    )
    credential = auth_body(config)["auth"]["identity"]["application_credential"]
    assert credential == {
        "name": "ci",
        "secret": "s",
        "user": {"name": "root", "domain": {"name": "Default"}},
    }


def test_a_users_token_is_rescoped_to_its_project() -> None:
    config = CloudConfig(auth_url=AUTH_URL, auth_type="v3token", token="t1", project_id="p1")
    assert auth_body(config) == {
        "auth": {
            "identity": {"methods": ["token"], "token": {"id": "t1"}},
            "scope": {"project": {"id": "p1"}},
        }
    }
    assert "t1" not in repr(config)
    lacking = CloudConfig(auth_url=AUTH_URL, auth_type="v3token")
    assert lacking.missing() == [("token",), ("project_name", "project_id")]


@pytest.mark.parametrize(
    ("auth_url", "tokens"),
    [
        ("https://h:5000/v3", "https://h:5000/v3/auth/tokens"),
        ("https://h:5000/v3/", "https://h:5000/v3/auth/tokens"),
        ("https://h:5000", "https://h:5000/v3/auth/tokens"),
        ("https://h:5000/", "https://h:5000/v3/auth/tokens"),
        (AUTH_URL, f"{AUTH_URL}/auth/tokens"),
        (f"{AUTH_URL}/", f"{AUTH_URL}/auth/tokens"),
        (f"{PROXIED}/identity", f"{AUTH_URL}/auth/tokens"),
    ],
)
def test_tokens_url_with_or_without_v3(auth_url: str, tokens: str) -> None:
    assert tokens_url(auth_url) == tokens


def test_keystone_v2_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="Keystone v2"):
        tokens_url("https://h:5000/v2.0")


def test_password_auth_sent_to_keystone() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok())
    harness.run(get("compute", "/flavors"))
    (request,) = harness.cloud.auth_requests
    assert str(request.url) == f"{AUTH_URL}/auth/tokens"
    assert json.loads(request.content) == auth_body(CONFIG)


def test_application_credential_sent_to_keystone() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok())
    config = CloudConfig(
        auth_url="https://pvc.example.com:5000",
        auth_type="v3applicationcredential",
        application_credential_id="c1",
        application_credential_secret="s",
    )
    harness.run(get("compute", "/flavors"), config)
    (request,) = harness.cloud.auth_requests
    assert str(request.url) == "https://pvc.example.com:5000/v3/auth/tokens"
    assert json.loads(request.content)["auth"]["identity"]["methods"] == ["application_credential"]


def test_token_record() -> None:
    harness = Harness()

    async def use(session: Session) -> Any:
        return await session.authenticate()

    token = harness.run(use)
    assert (token.user_id, token.user_name) == ("u1", "root")
    assert (token.project_id, token.project_name) == (PROJECT, "ibm-default")
    assert token.roles == ("admin", "member")
    assert token.expires_at - token.issued_at == timedelta(seconds=TTL)
    assert "tok-1" not in repr(token)


def test_requests_carry_the_token_and_a_user_agent() -> None:
    harness = Harness()
    harness.cloud.route("GET", f"{PROXIED}/compute/v2.1/{PROJECT}/flavors", ok())
    harness.run(get("compute", "/flavors"))
    (call,) = harness.cloud.calls
    assert call.headers["x-auth-token"] == "tok-1"
    assert call.headers["user-agent"].startswith("powerbridge/")
    assert call.headers["accept"] == "application/json"


def test_incomplete_config_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^the cloud configuration lacks password$"):
        Session(replace(CONFIG, password=None))


def test_auth_url_needs_a_scheme() -> None:
    with pytest.raises(ConfigError, match="must start with https://"):
        Session(replace(CONFIG, auth_url="pvc.example.com:5000/v3"))


# -- catalog ------------------------------------------------------------------------------------
def endpoint_of(harness: Harness, service_type: str, config: CloudConfig = CONFIG) -> str:
    async def use(session: Session) -> str:
        return await session.endpoint(service_type)

    return harness.run(use, config)


def test_endpoint_by_interface() -> None:
    harness = Harness()
    assert endpoint_of(harness, "image") == f"{PROXIED}/image"
    internal = replace(CONFIG, interface="internal")
    assert endpoint_of(harness, "image", internal) == (
        "https://internal.pvc.example.com/powervc/openstack/image"
    )


def test_old_interface_spelling_on_a_hand_built_config() -> None:
    internal = replace(CONFIG, interface="internalURL")
    assert endpoint_of(Harness(), "network", internal) == (
        "https://internal.pvc.example.com/powervc/openstack/network"
    )


def test_endpoint_by_region() -> None:
    catalog = [
        service("compute", "https://east/v2.1", region="East"),
        service("compute", "https://west/v2.1", region="West"),
    ]
    harness = Harness(catalog)
    assert endpoint_of(harness, "compute", replace(CONFIG, region_name="West")) == (
        "https://west/v2.1"
    )
    assert endpoint_of(harness, "compute", replace(CONFIG, region_name=None)) == (
        "https://east/v2.1"
    )


@pytest.mark.parametrize(
    ("asked", "version"),
    [("volume", "v3"), ("volumev3", "v3"), ("block-storage", "v3"), ("volumev2", "v2")],
)
def test_volume_aliases_prefer_v3(asked: str, version: str) -> None:
    assert endpoint_of(Harness(), asked) == f"{PROXIED}/volume/{version}/{PROJECT}"


@pytest.mark.parametrize("listed", ["volume", "volumev2", "block-storage"])
def test_volume_found_under_any_alias(listed: str) -> None:
    harness = Harness([service(listed, "https://cinder/vX")])
    assert endpoint_of(harness, "volume") == "https://cinder/vX"


def test_missing_endpoint_lists_the_catalog() -> None:
    harness = Harness([service("compute", "https://nova/v2.1"), service("image", "https://g")])
    with pytest.raises(EndpointNotFound) as caught:
        endpoint_of(harness, "network")
    assert str(caught.value) == (
        "no network endpoint (interface public, region RegionOne) in the service catalog, "
        "which has: compute, image (regions: RegionOne)"
    )
    assert "OS_REGION_NAME" in (caught.value.hint or "")


def test_missing_region() -> None:
    with pytest.raises(EndpointNotFound, match=r"region Mars\) in the service catalog"):
        endpoint_of(Harness(), "compute", replace(CONFIG, region_name="Mars"))


@pytest.mark.parametrize("template", ["%(tenant_id)s", "$(tenant_id)s", "%(project_id)s"])
def test_tenant_substitution(template: str) -> None:
    harness = Harness([service("compute", f"https://h:8774/v2.1/{template}")])
    assert endpoint_of(harness, "compute") == f"https://h:8774/v2.1/{PROJECT}"


# -- URL joining -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("catalog", "url"),
    [
        (proxied_catalog(), f"{PROXIED}/compute/v2.1/{PROJECT}/flavors/detail"),
        (ports_catalog(), f"{HOST}:8774/v2.1/{PROJECT}/flavors/detail"),
    ],
)
@pytest.mark.parametrize("path", ["/flavors/detail", "flavors/detail"])
def test_both_powervc_url_forms(catalog: list[dict[str, Any]], url: str, path: str) -> None:
    harness = Harness(catalog)
    harness.cloud.route("GET", url, ok({"flavors": []}))
    assert harness.run(get("compute", path)).json() == {"flavors": []}


def test_image_root_with_a_trailing_slash() -> None:
    harness = Harness(ports_catalog())
    harness.cloud.route("GET", f"{HOST}:9292/v2/images", ok({"images": []}))
    assert harness.run(get("image", "/v2/images")).status_code == 200


def test_absolute_urls_pass_through() -> None:
    harness = Harness()
    url = f"{PROXIED}/image/v2/images?marker=abc"
    harness.cloud.route("GET", url, ok({"images": []}))
    assert harness.run(get("image", url)).status_code == 200


def test_params_become_the_query() -> None:
    harness = Harness()
    url = f"{PROXIED}/compute/v2.1/{PROJECT}/servers/detail?status=ERROR&limit=5"
    harness.cloud.route("GET", url, ok({"servers": []}))
    harness.run(get("compute", "/servers/detail", params={"status": "ERROR", "limit": 5}))
    assert harness.cloud.urls() == [url]


def test_join_url() -> None:
    assert join_url("https://h/v2.1/t/", "/servers") == "https://h/v2.1/t/servers"
    assert join_url("https://h/v2.1/t", "servers") == "https://h/v2.1/t/servers"
    assert join_url("https://h/v2.1/t", "") == "https://h/v2.1/t"


# -- token renewal -------------------------------------------------------------------------------


def calls_at(harness: Harness, offsets: list[float]) -> None:
    """One GET at each clock offset (seconds after START) in one session."""

    async def use(session: Session) -> None:
        for offset in offsets:
            harness.clock.now = START + offset
            await session.request("compute", "GET", "/flavors")

    harness.run(use)


def test_token_renewed_five_minutes_before_expiry() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok())
    calls_at(harness, [0, TTL - 301])
    assert len(harness.cloud.auth_requests) == 1
    calls_at(harness, [0, TTL - 299])
    assert len(harness.cloud.auth_requests) == 3  # 1 + this session's first and its renewal


def test_short_token_renewed_with_ten_percent_left() -> None:
    harness = Harness(ttl=100)
    harness.cloud.route("GET", FLAVORS, ok())
    calls_at(harness, [0, 89])
    assert len(harness.cloud.auth_requests) == 1
    calls_at(harness, [0, 91])
    assert len(harness.cloud.auth_requests) == 3


def test_renewed_token_is_used() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok())
    calls_at(harness, [0, TTL])
    assert [c.headers["x-auth-token"] for c in harness.cloud.calls] == ["tok-1", "tok-2"]


def test_401_renews_the_token_once_and_retries() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok({"flavors": []}))

    async def use(session: Session) -> httpx.Response:
        await session.request("compute", "GET", "/flavors")
        harness.cloud.valid.clear()  # keystone revoked every token
        return await session.request("compute", "GET", "/flavors")

    assert harness.run(use).json() == {"flavors": []}
    assert len(harness.cloud.auth_requests) == 2
    assert [c.headers["x-auth-token"] for c in harness.cloud.calls] == ["tok-1", "tok-1", "tok-2"]


def test_401_is_not_renewed_a_second_time() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, httpx.Response(401, json=unauthorized()))
    with pytest.raises(AuthenticationFailed) as caught:
        harness.run(get("compute", "/flavors"))
    assert len(harness.cloud.auth_requests) == 2
    assert len(harness.cloud.calls) == 2
    assert caught.value.service == "compute"


def test_concurrent_401s_share_one_renewal() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok())

    async def use(session: Session) -> None:
        await session.authenticate()
        harness.cloud.valid.clear()
        await asyncio.gather(*(session.request("compute", "GET", "/flavors") for _ in range(5)))

    harness.run(use)
    assert len(harness.cloud.auth_requests) == 2


def test_wrong_password() -> None:
    harness = Harness()
    harness.cloud.auth_error = None

    def refuse(request: httpx.Request) -> httpx.Response:
        harness.cloud.auth_requests.append(request)
        headers = {"x-openstack-request-id": "req-auth-1"}
        return httpx.Response(401, json=unauthorized(), headers=headers, request=request)

    harness.cloud.issue = refuse  # type: ignore[method-assign]
    with pytest.raises(AuthenticationFailed) as caught:
        harness.run(get("compute", "/flavors"))
    assert str(caught.value) == (
        f"identity POST {AUTH_URL}/auth/tokens: 401 Unauthorized: The request you have made "
        "requires authentication. (request req-auth-1)"
    )
    assert "OS_PASSWORD" in (caught.value.hint or "")
    assert len(harness.cloud.auth_requests) == 1  # a 401 on auth is not retried


# -- retries -----------------------------------------------------------------------------------
def test_get_retried_on_503() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok(status=503), ok(status=503), ok({"flavors": []}))
    assert harness.run(get("compute", "/flavors")).json() == {"flavors": []}
    assert len(harness.cloud.calls) == 3
    assert harness.sleeps.delays == [0.2, 0.4]


def test_get_gives_up_after_four_attempts() -> None:
    harness = Harness()
    body = {"serviceUnavailable": {"code": 503, "message": "nova-api is restarting"}}
    harness.cloud.route("GET", FLAVORS, ok(body, status=503, **{"x-openstack-request-id": "r5"}))
    with pytest.raises(ServiceUnavailable) as caught:
        harness.run(get("compute", "/flavors"))
    assert len(harness.cloud.calls) == 4
    assert harness.sleeps.delays == [0.2, 0.4, 0.8]
    assert str(caught.value).endswith(
        "503 Service Unavailable: nova-api is restarting (request r5)"
    )


@pytest.mark.parametrize("status", [429, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_idempotent_methods_retried(status: int, method: str) -> None:
    harness = Harness()
    harness.cloud.route(method, FLAVORS, ok(status=status), ok(status=204))

    async def use(session: Session) -> httpx.Response:
        return await session.request("compute", method, "/flavors")

    assert harness.run(use).status_code == 204
    assert len(harness.cloud.calls) == 2


@pytest.mark.parametrize("status", [500, 501, 400, 409])
def test_other_errors_not_retried(status: int) -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok(status=status))
    with pytest.raises(HttpError):
        harness.run(get("compute", "/flavors"))
    assert len(harness.cloud.calls) == 1


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_creates_never_retried(method: str) -> None:
    harness = Harness()
    harness.cloud.route(method, FLAVORS, ok(status=503), ok(status=202))

    async def use(session: Session) -> httpx.Response:
        return await session.request("compute", method, "/flavors", json={"flavor": {}})

    with pytest.raises(ServiceUnavailable):
        harness.run(use)
    assert len(harness.cloud.calls) == 1
    assert harness.sleeps.delays == []


def test_post_retried_when_declared_idempotent() -> None:
    harness = Harness()
    url = f"{PROXIED}/compute/v2.1/{PROJECT}/servers/1/action"
    harness.cloud.route("POST", url, ok(status=503), ok(status=202))

    async def use(session: Session) -> httpx.Response:
        body = {"os-stop": None}
        return await session.request(
            "compute", "POST", "/servers/1/action", json=body, idempotent=True
        )

    assert harness.run(use).status_code == 202
    assert [c.content for c in harness.cloud.calls] == [b'{"os-stop":null}'] * 2


def test_get_not_retried_when_declared_not_idempotent() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok(status=503), ok())
    with pytest.raises(ServiceUnavailable):
        harness.run(get("compute", "/flavors", idempotent=False))
    assert len(harness.cloud.calls) == 1


def test_connection_errors_retried_for_get() -> None:
    harness = Harness()
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    harness.cloud.route("GET", FLAVORS, refused, httpx.ReadError("reset"), ok())
    assert harness.run(get("compute", "/flavors")).status_code == 200
    assert len(harness.cloud.calls) == 3


def test_connection_error_on_post_is_one_transport_error() -> None:
    harness = Harness()
    harness.cloud.route("POST", FLAVORS, httpx.ConnectError("[Errno 111] Connection refused"))

    async def use(session: Session) -> httpx.Response:
        return await session.request("compute", "POST", "/flavors", json={})

    with pytest.raises(TransportError) as caught:
        harness.run(use)
    assert str(caught.value) == (
        f"compute POST {FLAVORS}: cannot connect: [Errno 111] Connection refused"
    )
    assert "running and reachable" in (caught.value.hint or "")
    assert len(harness.cloud.calls) == 1


def test_timeout_after_all_attempts() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, httpx.ReadTimeout(""))
    with pytest.raises(TransportError) as caught:
        harness.run(get("compute", "/flavors"))
    assert str(caught.value) == f"compute GET {FLAVORS}: timed out (ReadTimeout)"
    assert len(harness.cloud.calls) == 4


def test_full_jitter() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok(status=503), ok(status=503), ok())

    async def use(session: Session) -> None:
        await session.request("compute", "GET", "/flavors")

    asyncio.run(_with(harness.session(uniform=0.5), use))
    assert harness.sleeps.delays == [0.1, 0.2]


async def _with(session: Session, use: Callable[[Session], Awaitable[None]]) -> None:
    async with session:
        await use(session)


def test_backoff_is_capped() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n, 1.0) for n in range(8)] == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
    assert policy.delay(3, 0.0) == 0.0


def test_keystone_retried_on_503() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok())
    issue = harness.cloud.issue
    answers = iter([ok(status=503)])

    def flaky(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or issue(request)

    harness.cloud.issue = flaky  # type: ignore[method-assign]
    assert harness.run(get("compute", "/flavors")).status_code == 200
    assert harness.sleeps.delays == [0.2]


# -- expected statuses -----------------------------------------------------------------------
def test_expected_error_status_is_returned() -> None:
    harness = Harness()
    response = harness.run(get("compute", "/flavors/nope", expected=(200, 404)))
    assert response.status_code == 404


def test_unexpected_success_is_an_error() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok())
    with pytest.raises(HttpError) as caught:
        harness.run(get("compute", "/flavors", expected=(202,)))
    assert caught.value.status == 200


def test_service_error_names_the_service_and_url() -> None:
    harness = Harness()
    with pytest.raises(NotFound) as caught:
        harness.run(get("compute", "/flavors/nope"))
    assert str(caught.value) == (
        f"compute GET {FLAVORS}/nope: 404 Not Found: no such route (request req-404)"
    )


# -- TLS ----------------------------------------------------------------------------------------
def test_insecure_warns_on_every_session(caplog: pytest.LogCaptureFixture) -> None:
    async def two_sessions() -> None:
        for _ in range(2):
            async with Session(replace(CONFIG, verify=False)):
                pass

    with caplog.at_level(logging.WARNING, logger="powerbridge.client"):
        asyncio.run(two_sessions())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert warnings[0].startswith(
        "TLS verification is disabled: the certificate of pvc.example.com is not checked"
    )
    assert "--os-cacert" in warnings[0]


def test_verified_session_does_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="powerbridge.client"):
        run(Session(CONFIG).aclose())
    assert caplog.records == []


def test_missing_ca_bundle(tmp_path: Path) -> None:
    missing = tmp_path / "powervc.crt"
    with pytest.raises(ConfigError) as caught:
        Session(replace(CONFIG, cacert=str(missing)))
    assert str(caught.value) == (
        f"cannot use the CA bundle {missing} (--os-cacert): No such file or directory"
    )


def test_tls_verification_failure_has_a_hint() -> None:
    harness = Harness()
    harness.cloud.auth_error = httpx.ConnectError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "self-signed certificate (_ssl.c:1006)"
    )
    with pytest.raises(TransportError) as caught:
        harness.run(get("compute", "/flavors"))
    assert str(caught.value) == (
        f"identity POST {AUTH_URL}/auth/tokens: TLS verification failed: "
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    )
    assert "--os-cacert" in (caught.value.hint or "")


def test_trust_store_read_only_for_the_first_https_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without --os-cacert the system trust store is read when an https:// URL is first
    used, never for plain http:// (40-80 ms of a short command against the emulator)."""
    loads: list[str | None] = []

    def counting(cafile: str | None = None) -> ssl.SSLContext:
        loads.append(cafile)
        return real_default_context(cafile=cafile)

    real_default_context = ssl.create_default_context
    monkeypatch.setattr(session_module.ssl, "create_default_context", counting)
    for proxy in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    session = Session(replace(CONFIG, auth_url="http://pvc.example.com:5000/v3"))
    transport = session._client._transport
    assert isinstance(transport, TrustOnDemand)
    assert transport._transport("http") is transport._transport("http")
    assert loads == []
    secure = transport._transport("https")
    assert loads == [None]
    assert transport._transport("https") is secure
    assert loads == [None]
    run(session.aclose())


def test_a_ca_bundle_or_a_proxy_builds_the_usual_transport(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text(Path(certifi.where()).read_text())
    with_ca = Session(replace(CONFIG, cacert=str(bundle)))
    assert not isinstance(with_ca._client._transport, TrustOnDemand)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    proxied = Session(CONFIG)
    assert not isinstance(proxied._client._transport, TrustOnDemand)
    run(with_ca.aclose())
    run(proxied.aclose())


# -- microversions --------------------------------------------------------------------------
NOVA_VERSION = {
    "version": {
        "id": "v2.1",
        "status": "CURRENT",
        "version": "2.96",
        "min_version": "2.1",
        "links": [],
    }
}
CINDER_VERSIONS = {
    "versions": [
        {"id": "v2.0", "status": "DEPRECATED", "version": "", "min_version": ""},
        {"id": "v3.0", "status": "CURRENT", "version": "3.70", "min_version": "3.0"},
    ]
}


def negotiate(harness: Harness, *asks: tuple[str, str]) -> list[str]:
    async def use(session: Session) -> list[str]:
        return [await session.negotiate(service_type, wanted) for service_type, wanted in asks]

    return harness.run(use)


def test_negotiate_reads_the_version_document_once() -> None:
    harness = Harness()
    harness.cloud.route("GET", f"{PROXIED}/compute/v2.1", ok(NOVA_VERSION))
    asks = [("compute", "2.60"), ("compute", "2.100"), ("compute", "latest"), ("compute", "2.1")]
    assert negotiate(harness, *asks) == ["2.60", "2.96", "2.96", "2.1"]
    assert harness.cloud.urls() == [f"{PROXIED}/compute/v2.1"]


def test_negotiate_falls_back_to_the_service_root() -> None:
    harness = Harness()
    harness.cloud.route("GET", f"{PROXIED}/volume", ok(CINDER_VERSIONS, status=300))
    assert negotiate(harness, ("volume", "3.80"), ("volumev3", "3.59")) == ["3.70", "3.59"]
    assert harness.cloud.urls() == [f"{PROXIED}/volume/v3", f"{PROXIED}/volume"]


def test_negotiate_below_the_minimum() -> None:
    harness = Harness()
    harness.cloud.route("GET", f"{PROXIED}/compute/v2.1", ok(NOVA_VERSION))
    with pytest.raises(UnsupportedVersion, match=r"2\.0 is below the minimum .*\(2\.1 to 2\.96\)"):
        negotiate(harness, ("compute", "2.0"))


def test_negotiate_without_microversions() -> None:
    harness = Harness()
    doc = {"version": {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": ""}}
    harness.cloud.route("GET", f"{PROXIED}/compute/v2.1", ok(doc))
    with pytest.raises(UnsupportedVersion, match="compute does not support microversions"):
        negotiate(harness, ("compute", "2.60"))


def test_compute_microversion_headers() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok())
    harness.run(get("compute", "/flavors", microversion="2.60"))
    (call,) = harness.cloud.calls
    assert call.headers["openstack-api-version"] == "compute 2.60"
    assert call.headers["x-openstack-nova-api-version"] == "2.60"


def test_volume_microversion_header() -> None:
    harness = Harness()
    url = f"{PROXIED}/volume/v3/{PROJECT}/volumes"
    harness.cloud.route("GET", url, ok())
    harness.run(get("volumev3", "/volumes", microversion="3.59"))
    (call,) = harness.cloud.calls
    assert call.headers["openstack-api-version"] == "volume 3.59"
    assert "x-openstack-nova-api-version" not in call.headers


def test_no_microversion_no_header() -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok())
    harness.run(get("compute", "/flavors"))
    assert "openstack-api-version" not in harness.cloud.calls[0].headers


# -- tracing ----------------------------------------------------------------------------------
def test_redact_nested_json() -> None:
    body = {
        "auth": {
            "identity": {
                "methods": ["password", "application_credential"],
                "password": {"user": {"name": "root", "password": "pw"}},
                "application_credential": {"id": "c1", "secret": "s"},
            }
        },
        "server": {"name": "vm1", "adminPass": "x", "user_data": "ZWNobw=="},
        "keypair": {"name": "k", "private_key": "-----BEGIN", "public_key": "ssh-rsa"},
        "list": [{"token": "abc"}, {"token": {"expires_at": "2030", "roles": []}}],
        "user": {"password_expires_at": "2030-01-01", "id": "u1"},
        "application_credential": {"secret": None},
    }
    assert redact(body) == {
        "auth": {
            "identity": {
                "methods": ["password", "application_credential"],
                "password": REDACTED,
                "application_credential": {"id": "c1", "secret": REDACTED},
            }
        },
        "server": {"name": "vm1", "adminPass": REDACTED, "user_data": REDACTED},
        "keypair": {"name": "k", "private_key": REDACTED, "public_key": "ssh-rsa"},
        "list": [{"token": REDACTED}, {"token": {"expires_at": "2030", "roles": []}}],
        "user": {"password_expires_at": "2030-01-01", "id": "u1"},
        "application_credential": {"secret": None},
    }
    assert body["auth"]["identity"]["password"] == {"user": {"name": "root", "password": "pw"}}


def test_redact_headers() -> None:
    headers = {"X-Auth-Token": "t", "x-subject-token": "s", "Content-Type": "application/json"}
    assert redact_headers(headers) == {
        "X-Auth-Token": REDACTED,
        "x-subject-token": REDACTED,
        "Content-Type": "application/json",
    }


def test_trace_info_line(caplog: pytest.LogCaptureFixture) -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok(status=503), ok(**{"x-openstack-request-id": "req-7"}))
    with caplog.at_level(logging.INFO, logger="powerbridge.client.http"):
        harness.run(get("compute", "/flavors"))
    lines = [r.getMessage() for r in caplog.records if r.name == "powerbridge.client.http"]
    assert lines[0].startswith(f"identity POST {AUTH_URL}/auth/tokens -> 201 Created (req-auth, ")
    assert lines[1].startswith(f"compute GET {FLAVORS} -> 503 Service Unavailable (no request id")
    assert (
        lines[2]
        == f"retrying GET {FLAVORS} after 503 Service Unavailable (attempt 2 of 4 in 0.20 s)"
    )
    assert lines[3].startswith(f"compute GET {FLAVORS} -> 200 OK (req-7, ")
    assert lines[3].endswith(" ms)")
    assert not any(r.levelno == logging.DEBUG for r in caplog.records)


def test_trace_debug_redacts_secrets(caplog: pytest.LogCaptureFixture) -> None:
    harness = Harness()
    harness.cloud.route("GET", FLAVORS, ok({"flavors": [{"name": "small"}]}))
    with caplog.at_level(logging.DEBUG, logger="powerbridge.client.http"):
        harness.run(get("compute", "/flavors"))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "passw0rd" not in text
    assert "tok-1" not in text
    assert '"password": "<redacted>"' in text
    assert "'x-subject-token': '<redacted>'" in text
    assert '"name": "small"' in text


# -- real HTTP against a running emulator -------------------------------------------------------
acceptance = [pytest.mark.acceptance]


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


def real(cloud: RunningEmulator, use: Callable[[Session], Awaitable[T]], **overrides: Any) -> T:
    config = load_config(environ=cloud.env(), overrides=overrides, search_path=[])

    async def main() -> T:
        async with Session(config) as session:
            return await use(session)

    return asyncio.run(main())


@pytest.mark.acceptance
def test_emulator_flavors_and_images(cloud: RunningEmulator) -> None:
    async def use(session: Session) -> tuple[Any, Any]:
        flavors = await session.request("compute", "GET", "/flavors")
        images = await session.request("image", "GET", "/v2/images")
        return flavors.json(), images.json()

    flavors, images = real(cloud, use)
    assert flavors["flavors"]
    assert images["images"]


@pytest.mark.acceptance
def test_emulator_not_found(cloud: RunningEmulator) -> None:
    with pytest.raises(NotFound) as caught:
        real(cloud, get("compute", "/flavors/no-such-flavor"))
    error = caught.value
    assert error.request_id
    assert error.request_id.startswith("req-")
    assert error.message == "Flavor no-such-flavor could not be found."
    assert str(error).endswith(f": 404 Not Found: {error.message} (request {error.request_id})")


@pytest.mark.acceptance
def test_emulator_mistyped_storage_template(cloud: RunningEmulator) -> None:
    async def use(session: Session) -> httpx.Response:
        body = {"volume": {"size": 1, "name": "v", "volume_type": "xiv9O base template"}}
        return await session.request("volume", "POST", "/volumes", json=body)

    with pytest.raises(NotFound) as caught:
        real(cloud, use)
    line = str(caught.value)
    assert line.startswith("volume POST http://127.0.0.1:")
    assert "/volumes: 404 Not Found: Volume type with name xiv9O base template could not" in line
    assert f"(request {caught.value.request_id})" in line


@pytest.mark.acceptance
def test_emulator_wrong_password(cloud: RunningEmulator) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        real(cloud, get("compute", "/flavors"), password="wrong")
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(f"identity POST {cloud.auth_url}/auth/tokens: 401 Unauthorized: ")
    assert "(request req-" in line
    assert "OS_PASSWORD" in (caught.value.hint or "")


@pytest.mark.acceptance
def test_emulator_microversions(cloud: RunningEmulator) -> None:
    async def use(session: Session) -> tuple[str, str]:
        top = await session.negotiate("compute", "latest")
        wanted = await session.negotiate("compute", "2.999")
        await session.request("compute", "GET", "/servers", microversion=wanted)
        return top, wanted

    top, wanted = real(cloud, use)
    assert top == wanted


@pytest.mark.acceptance
def test_emulator_application_credential(cloud: RunningEmulator) -> None:
    async def create(session: Session) -> dict[str, Any]:
        token = await session.authenticate()
        body = {"application_credential": {"name": "sdk-test"}}
        response = await session.request(
            "identity", "POST", f"/users/{token.user_id}/application_credentials", json=body
        )
        return dict(response.json()["application_credential"])

    credential = real(cloud, create)
    env = {
        "OS_AUTH_URL": cloud.auth_url,
        "OS_AUTH_TYPE": "v3applicationcredential",
        "OS_APPLICATION_CREDENTIAL_ID": credential["id"],
        "OS_APPLICATION_CREDENTIAL_SECRET": credential["secret"],
        "OS_REGION_NAME": cloud.env()["OS_REGION_NAME"],
    }
    config = load_config(environ=env, search_path=[])

    async def use() -> int:
        async with Session(config) as session:
            return (await session.request("compute", "GET", "/flavors")).status_code

    assert asyncio.run(use()) == 200


@pytest.mark.acceptance
def test_emulator_clouds_yaml(cloud: RunningEmulator, tmp_path: Path) -> None:
    env = cloud.env()
    (tmp_path / "clouds.yaml").write_text(
        "clouds:\n"
        "  emu:\n"
        "    auth:\n"
        f"      auth_url: {env['OS_AUTH_URL']}\n"
        f"      username: {env['OS_USERNAME']}\n"
        f"      project_name: {env['OS_PROJECT_NAME']}\n"
        "      user_domain_name: Default\n"
        "      project_domain_name: Default\n"
        f"    region_name: {env['OS_REGION_NAME']}\n"
    )
    (tmp_path / "secure.yaml").write_text(
        f"clouds:\n  emu:\n    auth:\n      password: {env['OS_PASSWORD']}\n"
    )
    config = load_config("emu", environ={}, search_path=[tmp_path])

    async def use() -> int:
        async with Session(config) as session:
            return (await session.request("image", "GET", "/v2/images")).status_code

    assert asyncio.run(use()) == 200


@pytest.mark.acceptance
def test_emulator_per_port_url_form() -> None:
    with running_emulator(EmulatorConfig(port=0, data_dir=None, url_style="ports")) as ports:

        async def use(session: Session) -> tuple[str, int]:
            compute = await session.endpoint("compute")
            flavors = await session.request("compute", "GET", "/flavors")
            return compute, flavors.status_code

        compute, status = real(ports, use)
    assert "/powervc/" not in compute
    assert status == 200


@pytest.mark.acceptance
def test_emulator_token_expiry_mid_session() -> None:
    """With 2 s tokens: one session renews before expiry (its clock says so); one whose clock
    is frozen keeps the expired token, gets a 401 and renews once."""
    with running_emulator(EmulatorConfig(port=0, data_dir=None, token_ttl=2)) as short:
        config = load_config(environ=short.env(), search_path=[])

        async def use() -> tuple[list[str], list[str]]:
            on_time = Session(config)
            frozen = Session(config, clock=lambda: 0.0)
            async with on_time, frozen:
                sessions = (on_time, frozen)
                before = [(await s.authenticate()).value for s in sessions]
                for s in sessions:
                    await s.request("compute", "GET", "/flavors")
                await asyncio.sleep(2.5)
                for s in sessions:
                    await s.request("compute", "GET", "/flavors")
                after = [(await s.authenticate()).value for s in sessions]
            return before, after

        before, after = asyncio.run(use())
    assert before[0] != after[0]
    assert before[1] != after[1]


@pytest.mark.acceptance
def test_emulator_tls_with_cacert() -> None:
    with running_emulator(EmulatorConfig(port=0, data_dir=None, tls=True)) as secure:
        env = secure.env()
        assert env.get("OS_CACERT")
        assert real(secure, get("compute", "/flavors")).status_code == 200

        without_ca = {k: v for k, v in env.items() if k != "OS_CACERT"}
        config = load_config(environ=without_ca, search_path=[])

        async def use() -> None:
            async with Session(config) as session:
                await session.authenticate()

        with pytest.raises(TransportError) as caught:
            asyncio.run(use())
    assert "TLS verification failed" in str(caught.value)
    assert "--os-cacert" in (caught.value.hint or "")


def test_emulator_is_only_imported_by_tests() -> None:
    client = Path(__file__).parents[2] / "src" / "powerbridge" / "client"
    for module in client.glob("*.py"):
        assert "powerbridge.emulator" not in module.read_text(), module.name
