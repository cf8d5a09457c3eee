"""Glance's version discovery: `/` (300 Multiple Choices) and `/versions`."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply

CURRENT_MINOR = 9  # v2.9 is current, v2.0 to v2.8 are supported


def _versions(call: Call) -> dict[str, Any]:
    href = f"{call.base_url()}/v2/"
    return {
        "versions": [
            {
                "id": f"v2.{minor}",
                "status": "CURRENT" if minor == CURRENT_MINOR else "SUPPORTED",
                "links": [{"rel": "self", "href": href}],
            }
            for minor in range(CURRENT_MINOR, -1, -1)
        ]
    }


def versions(call: Call) -> Reply:
    return Reply(_versions(call), status=300)


def versions_explicit(call: Call) -> Reply:
    return Reply(_versions(call))
