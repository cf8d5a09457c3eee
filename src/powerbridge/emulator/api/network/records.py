"""List, create, show, update and delete of networks, subnets and ports: one handler per verb,
bound to a resource in the route table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from powerbridge.emulator.api.network.bodies import create_items, update_changes
from powerbridge.emulator.api.network.listing import fields, list_reply
from powerbridge.emulator.api.network.resources import NETWORKS, SUBNETS, Resource
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.network_records import Record


def lookup(call: Call, resource: Resource, resource_id: str) -> Record:
    return call.emulator.networks.record(resource.collection, resource_id, call.auth)


def _creator(call: Call, resource: Resource) -> Callable[[Mapping[str, Any]], Record]:
    backend = call.emulator.networks
    context = call.log_context()
    if resource is NETWORKS:
        return lambda attrs: backend.create_network(call.auth, attrs)
    if resource is SUBNETS:
        return lambda attrs: backend.create_subnet(call.auth, attrs)
    return lambda attrs: backend.create_port(call.auth, attrs, context)


def _updater(call: Call, resource: Resource) -> Callable[[str, Mapping[str, Any]], Record]:
    backend = call.emulator.networks
    if resource is NETWORKS:
        return lambda rid, changes: backend.update_network(rid, call.auth, changes)
    if resource is SUBNETS:
        return lambda rid, changes: backend.update_subnet(rid, call.auth, changes)
    return lambda rid, changes: backend.update_port(rid, call.auth, changes, call.log_context())


def _delete(call: Call, resource: Resource, resource_id: str) -> None:
    backend = call.emulator.networks
    if resource is NETWORKS:
        backend.delete_network(resource_id, call.auth, call.log_context())
    elif resource is SUBNETS:
        backend.delete_subnet(resource_id, call.auth)
    else:
        backend.delete_port(resource_id, call.auth, call.log_context())


def list_records(call: Call, resource: Resource) -> Reply:
    return list_reply(call, resource)


def create_records(call: Call, resource: Resource) -> Reply:
    items, bulk = create_items(call, resource)
    backend = call.emulator.networks
    created = backend.create_many(_creator(call, resource), items)
    views = [resource.shape(resource.view(r), call.auth, ()) for r in created]
    if bulk:
        return Reply({resource.collection: views}, status=201)
    return Reply({resource.name: views[0]}, status=201)


def show_record(call: Call, resource: Resource) -> Reply:
    record = lookup(call, resource, call.params["resource_id"])
    row = resource.shape(resource.view(record), call.auth, fields(call.query))
    return Reply({resource.name: row})


def update_record(call: Call, resource: Resource) -> Reply:
    changes = update_changes(call, resource)
    record = _updater(call, resource)(call.params["resource_id"], changes)
    return Reply({resource.name: resource.shape(resource.view(record), call.auth, ())})


def delete_record(call: Call, resource: Resource) -> Reply:
    _delete(call, resource, call.params["resource_id"])
    return Reply(status=204)
