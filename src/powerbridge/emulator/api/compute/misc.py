"""Version discovery and limits."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.microversions import COMPUTE
from powerbridge.emulator.api.routing import Call, Reply

MEDIA_TYPES = [
    {"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}
]


def _versions(call: Call) -> list[dict[str, Any]]:
    root = call.base_url()
    return [
        {
            "id": "v2.0",
            "status": "SUPPORTED",
            "version": "",
            "min_version": "",
            "updated": "2011-01-21T11:33:21Z",
            "links": [{"rel": "self", "href": f"{root}/v2/"}],
        },
        {
            "id": "v2.1",
            "status": "CURRENT",
            "version": str(COMPUTE.maximum),
            "min_version": str(COMPUTE.minimum),
            "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": f"{root}/v2.1/"}],
        },
    ]


def versions(call: Call) -> Reply:
    return Reply({"versions": _versions(call)})


def version_v2(call: Call) -> Reply:
    """nova's legacy v2 endpoint (the v2.1 code without microversions), still documented."""
    return _version(call, 0)


def version_v21(call: Call) -> Reply:
    return _version(call, 1)


def _version(call: Call, index: int) -> Reply:
    version = _versions(call)[index]
    version["links"] = [
        *version["links"],
        {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
    ]
    return Reply({"version": {**version, "media-types": MEDIA_TYPES}})


def limits(call: Call) -> Reply:
    project_id = call.auth.project_id or ""
    usage = call.emulator.compute.usage(project_id)
    quota = call.emulator.quotas.limits(project_id)
    absolute: dict[str, int] = {
        "maxTotalInstances": quota["instances"],
        "maxTotalCores": quota["cores"],
        "maxTotalRAMSize": quota["ram"],
        "maxServerMeta": quota["metadata_items"],
        "maxImageMeta": quota["metadata_items"],
        "maxPersonality": quota["injected_files"],
        "maxPersonalitySize": quota["injected_file_content_bytes"],
        "maxTotalKeypairs": quota["key_pairs"],
        "maxServerGroups": quota["server_groups"],
        "maxServerGroupMembers": quota["server_group_members"],
        "totalInstancesUsed": usage["instances"],
        "totalCoresUsed": usage["cores"],
        "totalRAMUsed": usage["ram"],
        "totalServerGroupsUsed": 0,
    }
    if not call.at_least("2.36"):
        absolute.update(
            {
                "maxSecurityGroups": quota["security_groups"],
                "maxSecurityGroupRules": quota["security_group_rules"],
                "maxTotalFloatingIps": quota["floating_ips"],
                "totalFloatingIpsUsed": 0,
                "totalSecurityGroupsUsed": 0,
            }
        )
    if call.at_least("2.57"):
        for key in ("maxPersonality", "maxPersonalitySize"):
            absolute.pop(key)
    return Reply({"limits": {"rate": [], "absolute": absolute}})
