"""Request bodies as neutron's prepare_request_body checks them: single or bulk create, update."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from powerbridge.emulator.api.network.common import http_bad_request
from powerbridge.emulator.api.network.resources import Resource
from powerbridge.emulator.api.routing import Call


def create_items(call: Call, resource: Resource) -> tuple[list[dict[str, Any]], bool]:
    """The validated attributes of each resource to create, and whether it was a bulk body."""
    body = _body(call)
    if resource.collection in body:
        items = body[resource.collection]
        if not isinstance(items, list):
            raise http_bad_request("Body contains invalid data")
        if not items:
            raise http_bad_request("Resources required")
        wrapped = [
            i if isinstance(i, dict) and resource.name in i else {resource.name: i} for i in items
        ]
        return [_prepare(w, resource, create=True) for w in wrapped], True
    return [_prepare(body, resource, create=True)], False


def update_changes(call: Call, resource: Resource) -> dict[str, Any]:
    body = _body(call)
    if resource.collection in body:
        raise http_bad_request("Bulk operation not supported")
    return _prepare(body, resource, create=False)


def _body(call: Call) -> dict[str, Any]:
    if not call.body:
        raise http_bad_request("Resource body required")
    if not isinstance(call.body, dict):
        raise http_bad_request("Body contains invalid data")
    return call.body


def _prepare(body: Mapping[str, Any], resource: Resource, *, create: bool) -> dict[str, Any]:
    attrs = body.get(resource.name)
    if attrs is None:
        raise http_bad_request(f"Unable to find '{resource.name}' in request body")
    if not isinstance(attrs, dict):
        raise http_bad_request(f"Object '{resource.name}' contains invalid data")
    unknown = [key for key in attrs if key not in resource.attrs]
    if unknown:
        raise http_bad_request(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    for name, spec in resource.attrs.items():
        if create and spec.required and name not in attrs:
            raise http_bad_request(
                f"Failed to parse request. Required attribute '{name}' not specified"
            )
        if name in attrs and create and not spec.post:
            raise http_bad_request(f"Attribute '{name}' not allowed in POST")
        if name in attrs and not create and not spec.put:
            raise http_bad_request(f"Cannot update read-only attribute {name}")
    if {"tenant_id", "project_id"} <= set(attrs) and attrs["tenant_id"] != attrs["project_id"]:
        raise http_bad_request("'project_id' and 'tenant_id' do not match")
    checked = {}
    for name, value in attrs.items():
        check = resource.attrs[name].check
        checked[name] = check(name, value) if check else value
    return checked
