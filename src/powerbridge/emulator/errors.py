"""Errors as data: backends raise `ApiError`, the HTTP edge renders the service's envelope.

`kind` is one of the keys below; each service renders it in its own wire format (nova and
cinder `{"itemNotFound": {"code", "message"}}`, keystone `{"error": {...}}`, neutron
`{"NeutronError": {...}}`, glance's plain JSON) in `api/envelopes.py`.
"""

from __future__ import annotations

from typing import Final

STATUS: Final[dict[str, int]] = {
    "badRequest": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "itemNotFound": 404,
    "notAllowed": 405,
    "notAcceptable": 406,
    "conflict": 409,
    "requestEntityTooLarge": 413,
    "overLimit": 413,
    "unsupportedMediaType": 415,
    "serviceUnavailable": 503,
    "computeFault": 500,
}


class ApiError(Exception):
    """A failure to report to the API caller, with an OpenStack fault kind and message."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        neutron_type: str | None = None,
    ) -> None:
        super().__init__(message)
        if kind not in STATUS and status is None:
            raise ValueError(f"unknown fault kind {kind!r}")
        self.kind = kind
        self.message = message
        self.status = status if status is not None else STATUS[kind]
        # neutron names the exception class in its envelope (e.g. IpAddressAlreadyAllocated)
        self.neutron_type = neutron_type

    def __repr__(self) -> str:
        return f"ApiError({self.kind!r}, {self.message!r}, status={self.status})"


def bad_request(message: str) -> ApiError:
    return ApiError("badRequest", message)


def not_found(message: str) -> ApiError:
    return ApiError("itemNotFound", message)


def forbidden(message: str) -> ApiError:
    return ApiError("forbidden", message)


def conflict(message: str) -> ApiError:
    return ApiError("conflict", message)
