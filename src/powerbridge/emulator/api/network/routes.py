"""Neutron's route table: discovery and extensions, then the same eleven rows for each of
networks, subnets and ports (`resource_rows`), each handler bound to its resource."""

from __future__ import annotations

from functools import partial

from powerbridge.emulator.api.network import agents, discovery, extensions, records, tags
from powerbridge.emulator.api.network.common import SERVICE
from powerbridge.emulator.api.network.resources import RESOURCES, Resource
from powerbridge.emulator.api.routing import Endpoint, RouteTable


def resource_rows(resource: Resource) -> list[Endpoint]:
    collection = f"/v2.0/{resource.collection}"
    member = f"{collection}/{{resource_id}}"
    tag_list = f"{member}/tags"
    tag = f"{tag_list}/{{tag}}"
    return [
        Endpoint("GET", collection, partial(records.list_records, resource=resource)),
        Endpoint("POST", collection, partial(records.create_records, resource=resource)),
        Endpoint("GET", member, partial(records.show_record, resource=resource)),
        Endpoint("PUT", member, partial(records.update_record, resource=resource)),
        Endpoint("DELETE", member, partial(records.delete_record, resource=resource)),
        Endpoint("GET", tag_list, partial(tags.list_tags, resource=resource)),
        Endpoint("PUT", tag_list, partial(tags.replace_tags, resource=resource)),
        Endpoint("DELETE", tag_list, partial(tags.clear_tags, resource=resource)),
        Endpoint("GET", tag, partial(tags.check_tag, resource=resource)),
        Endpoint("PUT", tag, partial(tags.add_tag, resource=resource)),
        Endpoint("DELETE", tag, partial(tags.remove_tag, resource=resource)),
    ]


routes = RouteTable(
    SERVICE,
    endpoints=[
        Endpoint("GET", "/", discovery.versions, public=True),
        Endpoint("GET", "/v2.0", discovery.list_resources),
        Endpoint("GET", "/v2.0/extensions", extensions.list_extensions),
        Endpoint("GET", "/v2.0/extensions/{alias}", extensions.show_extension),
        Endpoint("GET", "/v2.0/agents", agents.list_agents),
        Endpoint("GET", "/v2.0/agents/{agent_id}", agents.show_agent),
        *(row for resource in RESOURCES for row in resource_rows(resource)),
    ],
)
