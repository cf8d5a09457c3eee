"""`/v2.0/<collection>/<id>/tags[/<tag>]`: neutron's tag API on networks, subnets and ports."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.network.common import MAX_LEN, http_bad_request
from powerbridge.emulator.api.network.records import lookup
from powerbridge.emulator.api.network.resources import Resource
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.network_records import tag_not_found


def list_tags(call: Call, resource: Resource) -> Reply:
    return Reply({"tags": list(lookup(call, resource, call.params["resource_id"]).tags)})


def replace_tags(call: Call, resource: Resource) -> Reply:
    body = call.body
    if not isinstance(body, dict) or "tags" not in body:
        raise http_bad_request("Invalid tags body")
    tags = _tag_list(body["tags"])
    collection = resource.collection
    rid = call.params["resource_id"]
    backend = call.emulator.networks
    result = backend.replace_tags(collection, rid, call.auth, tags, f"update_{collection}_tags")
    return Reply({"tags": result})


def clear_tags(call: Call, resource: Resource) -> Reply:
    collection = resource.collection
    rid = call.params["resource_id"]
    call.emulator.networks.replace_tags(collection, rid, call.auth, [], f"delete_{collection}_tags")
    return Reply(status=204)


def check_tag(call: Call, resource: Resource) -> Reply:
    record = lookup(call, resource, call.params["resource_id"])
    if call.params["tag"] not in record.tags:
        raise tag_not_found(call.params["tag"], resource.collection, record.id)
    return Reply(status=204)


def add_tag(call: Call, resource: Resource) -> Reply:
    tag = _tag_list([call.params["tag"]])[0]
    rid = call.params["resource_id"]
    call.emulator.networks.add_tag(resource.collection, rid, call.auth, tag)
    return Reply(status=201)


def remove_tag(call: Call, resource: Resource) -> Reply:
    rid = call.params["resource_id"]
    call.emulator.networks.remove_tag(resource.collection, rid, call.auth, call.params["tag"])
    return Reply(status=204)


def _tag_list(value: Any) -> list[str]:
    """neutron's tag validation: a list of unique strings of at most 255 characters."""
    if not isinstance(value, list):
        raise http_bad_request(f"'{value}' is not a list")
    for tag in value:
        if not isinstance(tag, str):
            raise http_bad_request(f"'{tag}' is not a valid string")
        if len(tag) > MAX_LEN:
            raise http_bad_request(f"'{tag}' exceeds maximum length of {MAX_LEN}")
    duplicates = sorted({t for t in value if value.count(t) > 1})
    if duplicates:
        raise http_bad_request(f"Duplicate items in the list: '{', '.join(duplicates)}'")
    return list(value)
