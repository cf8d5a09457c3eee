"""Each OpenStack service's own error body, rendered from an `ApiError`.

- nova and cinder: `{"itemNotFound": {"code": 404, "message": "..."}}`, the name chosen by
  status exactly as their `wsgi.Fault` does (409 is `conflictingRequest`, 405 `badMethod`).
- keystone (and keystonemiddleware's 401 on every service):
  `{"error": {"code": 401, "message": "...", "title": "Unauthorized"}}`.
- neutron: `{"NeutronError": {"type": "...", "message": "...", "detail": ""}}`.
- glance: webob's JSON error `{"code": "404 Not Found", "title": "Not Found", "message": ...}`.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from powerbridge.emulator.errors import ApiError

_NOVA_FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}

_NEUTRON_TYPES = {
    400: "BadRequest",
    401: "NotAuthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "NotAllowed",
    409: "Conflict",
    413: "OverQuota",
    503: "ServiceUnavailable",
}


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(service: str, error: ApiError) -> dict[str, Any]:
    status = error.status
    if service == "identity" or status == 401:
        return {"error": {"code": status, "message": error.message, "title": _title(status)}}
    if service == "network":
        kind = error.neutron_type or _NEUTRON_TYPES.get(status, "NeutronError")
        return {"NeutronError": {"type": kind, "message": error.message, "detail": ""}}
    if service == "image":
        return {
            "code": f"{status} {_title(status)}",
            "title": _title(status),
            "message": error.message,
        }
    name = _NOVA_FAULT_NAMES.get(status, "computeFault")
    return {name: {"code": status, "message": error.message}}
