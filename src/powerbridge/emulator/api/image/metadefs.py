"""glance's `/v2/metadefs`: namespaces, their objects, properties, tags and resource type
associations, and the resource types (glance's api/v2/metadef_*.py controllers)."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Handler, Reply
from powerbridge.emulator.backend.image_metadefs import RESOURCE_TYPES, MetadefBackend, Namespace
from powerbridge.emulator.backend.image_records import isotime
from powerbridge.emulator.errors import bad_request

_NOUN = {"objects": "object", "properties": "property", "tags": "tag"}


def _backend(call: Call) -> MetadefBackend:
    return call.emulator.metadefs


def _spec(call: Call, required: str) -> dict[str, Any]:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get(required), str):
        raise bad_request(f"Provided object does not match schema: '{required}' is required.")
    return body


def _named(item: Any) -> bool:
    """An object with a string name (a tag, a resource type association)."""
    return isinstance(item, dict) and isinstance(item.get("name"), str)


def _stamped(item: dict[str, Any]) -> dict[str, Any]:
    body = dict(item)
    for key in ("created_at", "updated_at"):
        if isinstance(body.get(key), float):
            body[key] = isotime(body[key])
    return body


def namespace_body(namespace: Namespace, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "namespace": namespace.namespace,
        "display_name": namespace.display_name,
        "description": namespace.description,
        "visibility": namespace.visibility,
        "protected": namespace.protected,
        "owner": namespace.owner,
        "created_at": isotime(namespace.created_at),
        "updated_at": isotime(namespace.updated_at),
        "schema": "/v2/schemas/metadefs/namespace",
        "self": f"/v2/metadefs/namespaces/{namespace.namespace}",
    }
    body = {k: v for k, v in body.items() if v is not None}
    if namespace.resource_types:
        body["resource_type_associations"] = [_stamped(a) for a in namespace.resource_types]
    if full:
        if namespace.properties:
            body["properties"] = {
                name: _property_body(p) for name, p in namespace.properties.items()
            }
        if namespace.objects:
            body["objects"] = [
                _item_body(namespace, "objects", o) for o in namespace.objects.values()
            ]
        if namespace.tags:
            body["tags"] = [{"name": name} for name in namespace.tags]
    return body


def _property_body(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("created_at", "updated_at")}


def _item_body(namespace: Namespace, kind: str, item: dict[str, Any]) -> dict[str, Any]:
    if kind == "properties":
        return _property_body(item)
    body = _stamped(item)
    if kind == "objects":
        body.setdefault("required", [])
        body.setdefault("properties", {})
        body["schema"] = "/v2/schemas/metadefs/object"
        body["self"] = f"/v2/metadefs/namespaces/{namespace.namespace}/objects/{item['name']}"
    return body


# -- namespaces ---------------------------------------------------------------------------
def list_namespaces(call: Call) -> Reply:
    rows = [namespace_body(n) for n in _backend(call).visible(call.auth)]
    return Reply(
        {
            "namespaces": rows,
            "first": "/v2/metadefs/namespaces",
            "schema": "/v2/schemas/metadefs/namespaces",
        }
    )


def create_namespace(call: Call) -> Reply:
    spec = _spec(call, "namespace")
    associations = spec.get("resource_type_associations") or []
    if not isinstance(associations, list) or not all(_named(a) for a in associations):
        raise bad_request(
            "Provided object does not match schema: give resource_type_associations as "
            '[{"name": ...}].'
        )
    namespace = _backend(call).create(call.auth, spec)
    return Reply(namespace_body(namespace), status=201)


def show_namespace(call: Call) -> Reply:
    namespace = _backend(call).get(call.params["namespace"], call.auth)
    return Reply(namespace_body(namespace, full=True))


def update_namespace(call: Call) -> Reply:
    spec = _spec(call, "namespace")
    namespace = _backend(call).update(call.auth, call.params["namespace"], spec)
    return Reply(namespace_body(namespace))


def delete_namespace(call: Call) -> Reply:
    _backend(call).delete(call.auth, call.params["namespace"])
    return Reply(status=204)


# -- objects, properties, tags ------------------------------------------------------------
def _list(kind: str) -> Handler:
    def handler(call: Call) -> Reply:
        namespace = _backend(call).get(call.params["namespace"], call.auth)
        items = namespace.items(kind)
        if kind == "properties":
            return Reply({"properties": {n: _property_body(p) for n, p in items.items()}})
        rows = [_item_body(namespace, kind, item) for item in items.values()]
        body: dict[str, Any] = {kind: rows}
        if kind == "objects":
            body["schema"] = "v2/schemas/metadefs/objects"
        return Reply(body)

    return handler


def _create(kind: str) -> Handler:
    def handler(call: Call) -> Reply:
        backend = _backend(call)
        item = backend.put_item(
            call.auth, call.params["namespace"], kind, _spec(call, "name"), old=None
        )
        namespace = backend.get(call.params["namespace"], call.auth)
        return Reply(_item_body(namespace, kind, item), status=201)

    return handler


def _show(kind: str) -> Handler:
    def handler(call: Call) -> Reply:
        backend = _backend(call)
        item = backend.item(call.auth, call.params["namespace"], kind, call.params["name"])
        namespace = backend.get(call.params["namespace"], call.auth)
        return Reply(_item_body(namespace, kind, item))

    return handler


def _update(kind: str) -> Handler:
    def handler(call: Call) -> Reply:
        backend = _backend(call)
        item = backend.put_item(
            call.auth, call.params["namespace"], kind, _spec(call, "name"), old=call.params["name"]
        )
        namespace = backend.get(call.params["namespace"], call.auth)
        return Reply(_item_body(namespace, kind, item))

    return handler


def _delete(kind: str) -> Handler:
    def handler(call: Call) -> Reply:
        _backend(call).delete_item(call.auth, call.params["namespace"], kind, call.params["name"])
        return Reply(status=204)

    return handler


list_objects, create_object, show_object = _list("objects"), _create("objects"), _show("objects")
update_object, delete_object = _update("objects"), _delete("objects")
list_properties, create_property = _list("properties"), _create("properties")
show_property, update_property = _show("properties"), _update("properties")
delete_property = _delete("properties")
list_tags, show_tag, update_tag, delete_tag = (
    _list("tags"),
    _show("tags"),
    _update("tags"),
    _delete("tags"),
)


def create_tag(call: Call) -> Reply:
    backend = _backend(call)
    body = {"name": call.params["name"]}
    item = backend.put_item(call.auth, call.params["namespace"], "tags", body, old=None)
    return Reply(_stamped(item), status=201)


def create_tags(call: Call) -> Reply:
    """POST .../tags {"tags": [{"name": ...}]}: replaces the namespace's tags."""
    tags = call.body.get("tags") if isinstance(call.body, dict) else None
    if not isinstance(tags, list) or not all(_named(t) for t in tags):
        raise bad_request('Provided object does not match schema: give {"tags": [{"name": ...}]}.')
    backend = _backend(call)
    backend.delete_item(
        call.auth, call.params["namespace"], "tags", None, action="add_metadef_tags"
    )
    for tag in tags:
        backend.put_item(
            call.auth, call.params["namespace"], "tags", {"name": tag["name"]}, old=None
        )
    return Reply({"tags": [{"name": t["name"]} for t in tags]}, status=201)


def delete_tags(call: Call) -> Reply:
    _backend(call).delete_item(call.auth, call.params["namespace"], "tags", None)
    return Reply(status=204)


# -- resource types -----------------------------------------------------------------------
def list_resource_types(call: Call) -> Reply:
    created = isotime(_backend(call).created_at)
    rows = [{"name": n, "created_at": created, "updated_at": created} for n in RESOURCE_TYPES]
    return Reply({"resource_types": rows})


def list_associations(call: Call) -> Reply:
    namespace = _backend(call).get(call.params["namespace"], call.auth)
    return Reply({"resource_type_associations": [_stamped(a) for a in namespace.resource_types]})


def create_association(call: Call) -> Reply:
    association = _backend(call).associate(call.auth, call.params["namespace"], _spec(call, "name"))
    return Reply(_stamped(association), status=201)


def delete_association(call: Call) -> Reply:
    _backend(call).dissociate(call.auth, call.params["namespace"], call.params["name"])
    return Reply(status=204)
