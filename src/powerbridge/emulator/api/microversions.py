"""Microversion negotiation as nova and cinder do it.

A request names its version in `OpenStack-API-Version: compute 2.60` (or the legacy
`X-OpenStack-Nova-API-Version: 2.60`, or cinder's `OpenStack-API-Version: volume 3.59`);
`latest` means the maximum; no header means the minimum. A version outside the range is 406.
The response echoes the version in the same headers, with `Vary`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from powerbridge.emulator.errors import ApiError


class Microversion(NamedTuple):
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def at_least(self, text: str) -> bool:
        return self >= parse_version(text)


@lru_cache(maxsize=256)  # views ask `at_least("2.x")` per field per server in a list
def parse_version(text: str) -> Microversion:
    major, _, minor = text.strip().partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise ValueError(text)
    return Microversion(int(major), int(minor))


@dataclass(frozen=True)
class MicroversionRange:
    service_type: str  # "compute" or "volume"
    minimum: Microversion
    maximum: Microversion
    legacy_header: str | None = None  # x-openstack-nova-api-version

    def negotiate(self, headers: Mapping[str, str]) -> Microversion:
        requested = self._requested(headers)
        if requested is None:
            return self.minimum
        if requested.strip().lower() == "latest":
            return self.maximum
        try:
            version = parse_version(requested)
        except ValueError:
            raise ApiError(
                "badRequest",
                f"API Version String {requested} is of invalid format. Must be of format "
                "MajorNum.MinorNum.",
            ) from None
        if not self.minimum <= version <= self.maximum:
            raise ApiError(
                "notAcceptable",
                f"Version {version} is not supported by the API. Minimum is {self.minimum} "
                f"and maximum is {self.maximum}.",
            )
        return version

    def _requested(self, headers: Mapping[str, str]) -> str | None:
        combined = headers.get("openstack-api-version")
        if combined:
            for part in combined.split(","):
                service, _, version = part.strip().partition(" ")
                if service.lower() == self.service_type:
                    return version
        if self.legacy_header:
            return headers.get(self.legacy_header)
        return None

    def response_headers(self, version: Microversion) -> dict[str, str]:
        headers = {
            "openstack-api-version": f"{self.service_type} {version}",
            "vary": "OpenStack-API-Version",
        }
        if self.legacy_header:
            headers[self.legacy_header] = str(version)
            headers["vary"] = f"OpenStack-API-Version, {self.legacy_header.title()}"
        return headers


COMPUTE = MicroversionRange(
    "compute", Microversion(2, 1), Microversion(2, 60), "x-openstack-nova-api-version"
)
VOLUME_V3 = MicroversionRange("volume", Microversion(3, 0), Microversion(3, 59))
