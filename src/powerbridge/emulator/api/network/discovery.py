"""Neutron's version document (`/`) and resource list (`/v2.0`)."""

from __future__ import annotations

from powerbridge.emulator.api.network.resources import RESOURCES
from powerbridge.emulator.api.routing import Call, Reply


def versions(call: Call) -> Reply:
    link = {"href": f"{call.base_url()}/v2.0/", "rel": "self"}
    return Reply({"versions": [{"id": "v2.0", "status": "CURRENT", "links": [link]}]})


def list_resources(call: Call) -> Reply:
    base = call.base_url()
    listing = [
        {
            "links": [{"href": f"{base}/v2.0/{r.collection}", "rel": "self"}],
            "name": r.name,
            "collection": r.collection,
        }
        for r in RESOURCES
    ]
    return Reply({"resources": listing})
