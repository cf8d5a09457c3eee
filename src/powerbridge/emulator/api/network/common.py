"""Shared pieces of the network API: the service and neutron's 400 wording."""

from __future__ import annotations

from powerbridge.emulator.api.routing import ServiceInfo
from powerbridge.emulator.backend.ipam import neutron_error
from powerbridge.emulator.errors import ApiError

SERVICE = ServiceInfo("network", "neutron-server", "neutron.wsgi")
MAX_LEN = 255


def http_bad_request(message: str) -> ApiError:
    return neutron_error(400, "HTTPBadRequest", message)


def invalid_attr(attr: str, reason: str) -> ApiError:
    return http_bad_request(f"Invalid input for {attr}. Reason: {reason}.")
