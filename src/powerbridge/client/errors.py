"""The client's exception tree, and the one place a response becomes an error.

```
ClientError                     everything the client raises on purpose
├── ConfigError                 no usable settings: names what is missing and how to fix it
│   └── EndpointNotFound        the catalog has no endpoint for a service/interface/region
├── TransportError              no HTTP answer: refused, reset, TLS verification, timeout
├── HttpError                   the service answered with an error status
│   ├── BadRequest              400
│   ├── AuthenticationFailed    401
│   ├── Forbidden               403
│   ├── NotFound                404
│   ├── Conflict                409
│   ├── OverLimit               413, 429
│   └── ServerError             5xx
│       └── ServiceUnavailable  503
├── UnsupportedVersion          a microversion outside what the service offers
├── WaitTimeout                 a waiter gave up before the resources settled
├── AmbiguousName               a name matches several resources
├── NameNotFound                no resource has the name asked for (when no 404 says so)
├── InvalidTemplate             a compute template breaks PowerVM rules (checked before sending)
└── ProvisionFailed             a create was refused; what was made for it was removed again
```

`str(error)` is one line a CLI can print; `error.hint` (or None) says what to do about it and
is meant for a line of its own. An `HttpError` carries the service, method, URL, status, the
request id (`x-openstack-request-id`, or nova's `x-compute-request-id`) and the server's
message, parsed by `raise_for_response` from whichever envelope the service uses.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import httpx

from powerbridge.powervc_roles import powervc_roles_for, refused_action

MAX_MESSAGE = 300
REQUEST_ID_HEADERS = ("x-openstack-request-id", "x-compute-request-id")


class ClientError(Exception):
    """Base of every error the client raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def amend(self, note: str) -> None:
        """Append `note` to the one-line message (`str(error)`), e.g. what was done about it."""
        line = f"{self.args[0]}; {note}" if self.args else note
        self.args = (line, *self.args[1:])


class ConfigError(ClientError):
    """The settings (clouds.yaml, OS_* variables, arguments) cannot make a session."""


class EndpointNotFound(ConfigError):
    """The service catalog has no endpoint for the service type, interface and region asked."""


class TransportError(ClientError):
    """The request got no HTTP answer: connection refused or reset, TLS failure, timeout.

    `sent` is false when no connection was made (refused, connect timeout, TLS failure): the
    service never saw the request. `tls_failure` is true when the server's certificate was
    rejected: sending again cannot help.
    """

    def __init__(
        self,
        message: str,
        *,
        service: str,
        method: str,
        url: str,
        hint: str | None = None,
        sent: bool = True,
        tls_failure: bool = False,
    ) -> None:
        super().__init__(f"{service} {method} {url}: {message}", hint=hint)
        self.service = service
        self.method = method
        self.url = url
        self.reason = message
        self.sent = sent
        self.tls_failure = tls_failure


class HttpError(ClientError):
    """The service answered with an error status."""

    def __init__(
        self,
        *,
        service: str,
        method: str,
        url: str,
        status: int,
        request_id: str | None = None,
        message: str = "",
        body: str = "",
        hint: str | None = None,
    ) -> None:
        self.service = service
        self.method = method
        self.url = url
        self.status = status
        self.request_id = request_id
        self.message = message
        self.body = body
        super().__init__(self._line(), hint=hint)

    @property
    def reason(self) -> str:
        return _phrase(self.status)

    def _line(self) -> str:
        line = f"{self.service} {self.method} {self.url}: {self.status} {self.reason}"
        if self.message:
            line += f": {self.message}"
        if self.request_id:
            line += f" (request {self.request_id})"
        return line


class BadRequest(HttpError):
    """400: the request is malformed or names something invalid."""


class AuthenticationFailed(HttpError):
    """401: wrong credentials, or a token the service no longer accepts."""


class Forbidden(HttpError):
    """403: authenticated, but not allowed (role, policy, quota of a kind)."""


class NotFound(HttpError):
    """404: no such resource (or URL)."""


class Conflict(HttpError):
    """409: the resource is in a state that does not allow the request."""


class OverLimit(HttpError):
    """413 or 429: a quota or rate limit."""


class ServerError(HttpError):
    """5xx: the service failed."""


class ServiceUnavailable(ServerError):
    """503: the service is down or overloaded (retried for idempotent calls).

    PowerVC's Apache proxy answers a stopped service's URLs with its own HTML page, not an
    OpenStack envelope: that one is the single line "PowerVC's compute service is
    unavailable (HTTP 503)", with a hint naming `powervc-services`."""

    def __init__(self, **fields: Any) -> None:
        if _is_html(fields.get("body", "")) and fields.get("hint") is None:
            fields["hint"] = (
                "PowerVC's web server answered for it: the service is stopped or starting; "
                "an administrator checks it with `powervc-services status` on the PowerVC host"
            )
        super().__init__(**fields)

    def _line(self) -> str:
        if _is_html(self.body):
            return f"PowerVC's {self.service} service is unavailable (HTTP {self.status})"
        return super()._line()


def _is_html(body: str) -> bool:
    """Whether a body is a web server's page rather than a service's answer."""
    return body.lstrip()[:1] == "<"


class UnsupportedVersion(ClientError):
    """The service does not offer the API (micro)version asked for."""


class WaitTimeout(ClientError):
    """A waiter gave up before the resources reached a final state."""


class AmbiguousName(ClientError):
    """A name matches several resources; the message lists their ids."""

    def __init__(self, kind: str, name: str, ids: Sequence[str]) -> None:
        super().__init__(
            f"{len(ids)} {kind}s are named {name!r}: {', '.join(ids)}",
            hint=f"use the {kind}'s id instead of its name",
        )
        self.kind = kind
        self.name = name
        self.ids = tuple(ids)


class NameNotFound(ClientError):
    """No resource of a kind has the name (or id) asked for; the hint names what exists."""

    def __init__(self, kind: str, name: str, *, hint: str | None = None) -> None:
        super().__init__(f"no {kind} is named {name!r}", hint=hint)
        self.kind = kind
        self.name = name


class InvalidTemplate(ClientError):
    """A compute template (with its overrides) breaks PowerVM rules; nothing was sent.

    `violations` are `powerbridge.powervm.RuleViolation`s: each names the field at fault and
    the limit it breaks."""

    def __init__(
        self, template: str, violations: Sequence[Any], *, hint: str | None = None
    ) -> None:
        details = "; ".join(f"{v.field}: {v.message}" for v in violations)
        super().__init__(
            f"compute template {template!r} breaks PowerVM rules: {details}",
            hint=hint
            or "fix the values, or skip this check (validate=False, --no-validate) "
            "to let PowerVC judge",
        )
        self.template = template
        self.violations = tuple(violations)


class ProvisionFailed(ClientError):
    """A create was refused part-way; `cause` is why, `cleaned_up` what was removed again and
    `left_behind` what could not be (each a `(kind, id)` pair)."""

    def __init__(
        self,
        cause: ClientError,
        *,
        cleaned_up: Sequence[tuple[str, str]] = (),
        left_behind: Sequence[tuple[str, str]] = (),
    ) -> None:
        message = str(cause)
        if cleaned_up:
            message += f" (removed again: {_things(cleaned_up)})"
        if left_behind:
            message += f" (could not remove: {_things(left_behind)})"
        super().__init__(message, hint=cause.hint)
        self.cause = cause
        self.cleaned_up = tuple(cleaned_up)
        self.left_behind = tuple(left_behind)


def _things(items: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{kind} {item_id}" for kind, item_id in items)


_BY_STATUS: dict[int, type[HttpError]] = {
    400: BadRequest,
    401: AuthenticationFailed,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: OverLimit,
    429: OverLimit,
    503: ServiceUnavailable,
}


def error_class(status: int) -> type[HttpError]:
    """The `HttpError` subclass for an HTTP status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else HttpError


def raise_for_response(response: httpx.Response, service: str, *, hint: str | None = None) -> None:
    """Raise the `HttpError` subclass for `response` if its status is 400 or more."""
    if response.status_code < 400:
        return
    raise http_error(response, service, hint=hint)


def http_error(response: httpx.Response, service: str, *, hint: str | None = None) -> HttpError:
    """The `HttpError` for `response` (whatever its status), with the server's message."""
    try:
        method, url = response.request.method, str(response.request.url)
    except RuntimeError:  # a Response built by hand has no request
        method, url = "?", "?"
    message = server_message(response) if _is_read(response) else ""
    if hint is None and response.status_code == 403:
        hint = roles_hint(message)
    return error_class(response.status_code)(
        service=service,
        method=method,
        url=url,
        status=response.status_code,
        request_id=request_id(response),
        message=message,
        body=response.text if _is_read(response) else "",
        hint=hint,
    )


def roles_hint(message: str) -> str | None:
    """For a policy refusal: the PowerVC roles that would allow it (the service names only
    the policy action; IBM's role table says who may do it)."""
    action = refused_action(message)
    roles = powervc_roles_for(action) if action else None
    if not roles:
        return None
    return (
        f"{action} needs one of PowerVC's roles {', '.join(roles)} on the project: "
        "ask an administrator to assign one (Configuration > Users and Groups)"
    )


def _is_read(response: httpx.Response) -> bool:
    """False for a streamed response nobody read: its body is not available here."""
    try:
        response.content  # noqa: B018
    except httpx.ResponseNotRead:
        return False
    return True


def request_id(response: httpx.Response) -> str | None:
    for header in REQUEST_ID_HEADERS:
        value = response.headers.get(header)
        if value:
            return str(value)
    return None


def server_message(response: httpx.Response) -> str:
    """The server's message from any OpenStack error envelope, or the cleaned-up text."""
    text = response.text
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    message = _envelope_message(body) if body is not None else None
    if message is None:
        message = text
    return _truncate(_strip_status(_plain(message), response.status_code))


def _envelope_message(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    for key in ("NeutronError", "error"):  # neutron; keystone and keystonemiddleware
        inner = body.get(key)
        if isinstance(inner, dict) and (text := _text(inner, "message", "title")):
            return text
    if text := _text(body, "message", "faultstring", "detail", "title", "error"):  # glance/webob
        return text
    for inner in body.values():  # nova/cinder: {"itemNotFound": {"code": 404, "message": ...}}
        if isinstance(inner, dict) and (text := _text(inner, "message")):
            return text
    return None


def _text(mapping: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


_DROPPED_ELEMENTS = re.compile(r"<(head|script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def _plain(text: str) -> str:
    """Text without HTML tags, entities or runs of whitespace."""
    text = _TAG.sub(" ", _DROPPED_ELEMENTS.sub(" ", text))
    return _SPACE.sub(" ", html.unescape(text)).strip()


def _strip_status(text: str, status: int) -> str:
    """Drop a leading "404 Not Found" (webob pages repeat it): the line already says it."""
    prefix = f"{status} {_phrase(status)}"
    while text.lower().startswith(prefix.lower()):
        text = text[len(prefix) :].lstrip(" :.-")
    return "" if text.lower() == _phrase(status).lower() else text


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3].rstrip() + "..."


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
