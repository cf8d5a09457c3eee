"""Cinder's version documents: `/` (300 Multiple Choices), `/v2` and `/v3`."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.microversions import VOLUME_V3
from powerbridge.emulator.api.routing import Call, Reply

DESCRIBED_BY = {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}


def _version_doc(call: Call, major: int) -> dict[str, Any]:
    current = major == 3
    return {
        "id": f"v{major}.0",
        "status": "CURRENT" if current else "DEPRECATED",
        "version": str(VOLUME_V3.maximum) if current else "",
        "min_version": str(VOLUME_V3.minimum) if current else "",
        "updated": "2016-02-08T12:20:21Z" if current else "2017-02-25T12:00:00Z",
        "links": [DESCRIBED_BY, {"rel": "self", "href": f"{call.base_url()}/v{major}/"}],
        "media-types": [
            {
                "base": "application/json",
                "type": f"application/vnd.openstack.volume+json;version={major}",
            }
        ],
    }


def versions(call: Call) -> Reply:
    return Reply({"versions": [_version_doc(call, 2), _version_doc(call, 3)]}, status=300)


def version_v3(call: Call) -> Reply:
    return Reply({"versions": [_version_doc(call, 3)]})


def version_v2(call: Call) -> Reply:
    return Reply({"versions": [_version_doc(call, 2)]})
