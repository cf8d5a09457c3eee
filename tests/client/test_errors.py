"""raise_for_response: every OpenStack error envelope, the request id, one printable line."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from powerbridge.client import errors
from powerbridge.client.errors import (
    AmbiguousName,
    AuthenticationFailed,
    BadRequest,
    ClientError,
    ConfigError,
    Conflict,
    EndpointNotFound,
    Forbidden,
    HttpError,
    NotFound,
    OverLimit,
    ServerError,
    ServiceUnavailable,
    TransportError,
    UnsupportedVersion,
    WaitTimeout,
    raise_for_response,
)

URL = "https://pvc.example.com/powervc/openstack/volume/v3/7f3c/volumes"
REQ = "req-5b6e0c7a-1f2d-4e8f-9a0b-1c2d3e4f5a6b"


def response(
    status: int,
    *,
    json: Any = None,
    text: str | None = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    url: str = URL,
) -> httpx.Response:
    request = httpx.Request(method, url)
    if json is not None:
        return httpx.Response(status, json=json, headers=headers, request=request)
    return httpx.Response(status, text=text or "", headers=headers, request=request)


def error_for(resp: httpx.Response, service: str = "volume") -> HttpError:
    with pytest.raises(HttpError) as caught:
        raise_for_response(resp, service)
    return caught.value


# -- envelopes ------------------------------------------------------------------------------
def test_nova_and_cinder_fault_envelope() -> None:
    body = {
        "itemNotFound": {
            "code": 404,
            "message": "Volume type with name xiv9O base template could not be found.",
        }
    }
    error = error_for(response(404, json=body, headers={"x-openstack-request-id": REQ}))
    assert isinstance(error, NotFound)
    assert str(error) == (
        f"volume POST {URL}: 404 Not Found: Volume type with name xiv9O base template "
        f"could not be found. (request {REQ})"
    )


@pytest.mark.parametrize("key", ["badRequest", "computeFault", "conflictingRequest", "anything"])
def test_any_single_key_whose_value_has_a_message(key: str) -> None:
    error = error_for(response(400, json={key: {"code": 400, "message": "bad thing"}}))
    assert error.message == "bad thing"


def test_keystone_envelope() -> None:
    body = {
        "error": {
            "code": 401,
            "message": "The request you have made requires authentication.",
            "title": "Unauthorized",
        }
    }
    error = error_for(response(401, json=body), service="identity")
    assert isinstance(error, AuthenticationFailed)
    assert error.message == "The request you have made requires authentication."


def test_keystone_envelope_without_message_uses_title() -> None:
    error = error_for(response(403, json={"error": {"code": 403, "title": "Policy refused"}}))
    assert error.message == "Policy refused"


def test_neutron_envelope() -> None:
    body = {
        "NeutronError": {
            "type": "NetworkNotFound",
            "message": "Network 42 could not be found.",
            "detail": "",
        }
    }
    error = error_for(response(404, json=body), service="network")
    assert error.message == "Network 42 could not be found."


def test_glance_webob_envelope() -> None:
    body = {
        "code": "404 Not Found",
        "title": "Not Found",
        "message": "No image found with ID 42<br /><br />\n\n\n   ",
    }
    error = error_for(response(404, json=body), service="image")
    assert error.message == "No image found with ID 42"


def test_webob_message_repeating_the_status_is_trimmed() -> None:
    body = {"message": "409 Conflict\n\nImage is in use.\n   "}
    assert error_for(response(409, json=body)).message == "Image is in use."


def test_title_only_equal_to_the_reason_gives_no_message() -> None:
    error = error_for(response(404, json={"code": "404 Not Found", "title": "Not Found"}))
    assert error.message == ""
    assert str(error) == f"volume POST {URL}: 404 Not Found"


def test_bare_message_envelope() -> None:
    assert error_for(response(400, json={"message": "Invalid input"})).message == "Invalid input"


def test_unknown_json_falls_back_to_text() -> None:
    error = error_for(response(500, json={"weird": [1, 2]}))
    assert error.message == '{"weird":[1,2]}'


# -- plain text and HTML ----------------------------------------------------------------------
def test_plain_text_body() -> None:
    error = error_for(response(502, text="upstream   connect error\nor disconnect"))
    assert isinstance(error, ServerError)
    assert error.message == "upstream connect error or disconnect"


def test_html_body_is_stripped_of_tags_head_and_entities() -> None:
    page = (
        "<html><head><title>503 Service Unavailable</title><style>p {}</style></head>"
        "<body><h1>503 Service Unavailable</h1><p>No server is available &amp; "
        "the request was dropped.</p></body></html>"
    )
    error = error_for(response(503, text=page, headers={"content-type": "text/html"}))
    assert isinstance(error, ServiceUnavailable)
    assert error.message == "No server is available & the request was dropped."


def test_long_body_is_truncated() -> None:
    error = error_for(response(500, text="x" * 5000))
    assert len(error.message) == errors.MAX_MESSAGE
    assert error.message.endswith("...")
    assert error.body == "x" * 5000  # the whole body stays available


def test_empty_body() -> None:
    error = error_for(response(500, text=""))
    assert error.message == ""
    assert str(error) == f"volume POST {URL}: 500 Internal Server Error"


def test_str_is_one_line_even_for_multiline_messages() -> None:
    body = {"badRequest": {"code": 400, "message": "line one\nline two\r\n\tline three"}}
    line = str(error_for(response(400, json=body)))
    assert "\n" not in line
    assert line.endswith(": line one line two line three")


# -- request id ---------------------------------------------------------------------------
def test_request_id_from_openstack_header() -> None:
    error = error_for(response(404, text="x", headers={"x-openstack-request-id": REQ}))
    assert error.request_id == REQ


def test_request_id_from_nova_header() -> None:
    error = error_for(response(404, text="x", headers={"x-compute-request-id": "req-nova"}))
    assert error.request_id == "req-nova"
    assert str(error).endswith("(request req-nova)")


def test_no_request_id() -> None:
    error = error_for(response(404, text="gone"))
    assert error.request_id is None
    assert "(request" not in str(error)


# -- status mapping -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequest),
        (401, AuthenticationFailed),
        (403, Forbidden),
        (404, NotFound),
        (409, Conflict),
        (413, OverLimit),
        (429, OverLimit),
        (500, ServerError),
        (502, ServerError),
        (503, ServiceUnavailable),
        (504, ServerError),
        (405, HttpError),
        (418, HttpError),
    ],
)
def test_status_maps_to_class(status: int, kind: type[HttpError]) -> None:
    error = error_for(response(status, text="x"))
    assert type(error) is kind
    assert error.status == status


@pytest.mark.parametrize("status", [200, 201, 202, 204, 300, 304])
def test_success_and_redirects_do_not_raise(status: int) -> None:
    raise_for_response(response(status, text=""), "compute")


def test_error_carries_everything() -> None:
    resp = response(
        409,
        json={"conflictingRequest": {"code": 409, "message": "busy"}},
        headers={"x-openstack-request-id": REQ},
        method="DELETE",
        url="https://h:8774/v2.1/t/servers/1",
    )
    error = error_for(resp, service="compute")
    assert (error.service, error.method, error.url, error.status) == (
        "compute",
        "DELETE",
        "https://h:8774/v2.1/t/servers/1",
        409,
    )
    assert (error.request_id, error.message, error.reason) == (REQ, "busy", "Conflict")
    assert '"conflictingRequest"' in error.body


def test_hint_is_kept_apart_from_the_line() -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        raise_for_response(response(401, text=""), "identity", hint="check OS_PASSWORD")
    assert caught.value.hint == "check OS_PASSWORD"
    assert "OS_PASSWORD" not in str(caught.value)


def test_response_without_request() -> None:
    error = errors.http_error(httpx.Response(500, text="boom"), "compute")
    assert str(error) == "compute ? ?: 500 Internal Server Error: boom"


# -- the tree -----------------------------------------------------------------------------
def test_tree() -> None:
    for kind in (ConfigError, TransportError, HttpError, UnsupportedVersion, WaitTimeout):
        assert issubclass(kind, ClientError)
    assert issubclass(AmbiguousName, ClientError)
    assert issubclass(EndpointNotFound, ConfigError)
    for kind in (BadRequest, AuthenticationFailed, Forbidden, NotFound, Conflict, OverLimit):
        assert issubclass(kind, HttpError)
    assert issubclass(ServiceUnavailable, ServerError)
    assert issubclass(ServerError, HttpError)


def test_tree_is_drawn_in_the_docstring() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__dict__:
        value = getattr(errors, name)
        if isinstance(value, type) and issubclass(value, ClientError):
            assert re.search(rf"(^|[\s─]){name}\s", doc, re.MULTILINE), name


def test_ambiguous_name_lists_ids() -> None:
    error = AmbiguousName("network", "vlan100", ["id-1", "id-2"])
    assert str(error) == "2 networks are named 'vlan100': id-1, id-2"
    assert error.ids == ("id-1", "id-2")
    assert error.hint == "use the network's id instead of its name"


def test_transport_error_line() -> None:
    error = TransportError(
        "cannot connect: refused", service="compute", method="GET", url="https://h/x"
    )
    assert str(error) == "compute GET https://h/x: cannot connect: refused"


def test_unread_streamed_response() -> None:
    request = httpx.Request("GET", "https://h/v2/images/1/file")
    streamed = httpx.Response(500, stream=httpx.ByteStream(b"boom"), request=request)
    error = error_for(streamed, service="image")
    assert (error.message, error.body) == ("", "")
    assert str(error) == "image GET https://h/v2/images/1/file: 500 Internal Server Error"
