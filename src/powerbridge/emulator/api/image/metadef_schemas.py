"""glance's `/v2/schemas/metadefs/*`: the JSON schemas of the metadata definitions API
(glance's metadef_namespaces.py, metadef_objects.py, metadef_properties.py,
metadef_resource_types.py and metadef_tags.py `get_schema`/`get_collection_schema`)."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.errors import not_found

_STAMPS = {
    "created_at": {
        "type": "string",
        "readOnly": True,
        "description": "Date and time of the creation",
        "format": "date-time",
    },
    "updated_at": {
        "type": "string",
        "readOnly": True,
        "description": "Date and time of the last modification",
        "format": "date-time",
    },
}
_PROPERTY_TYPES = ["array", "boolean", "integer", "number", "object", "string", None]
_PROPERTY = {
    "name": {"type": "string", "maxLength": 255},
    "title": {"type": "string"},
    "description": {"type": "string"},
    "operators": {"type": "array", "items": {"type": "string"}},
    "type": {"type": ["string", "null"], "enum": _PROPERTY_TYPES},
    "required": {"type": "array", "items": {"type": "string"}},
    "minimum": {"type": "number"},
    "maximum": {"type": "number"},
    "maxLength": {"type": "integer", "minimum": 0},
    "minLength": {"type": "integer", "minimum": 0},
    "pattern": {"type": "string", "format": "regex"},
    "enum": {"type": "array"},
    "readonly": {"type": "boolean"},
    "default": {},
    "items": {"type": "object"},
    "maxItems": {"type": "integer", "minimum": 0},
    "minItems": {"type": "integer", "minimum": 0},
    "uniqueItems": {"type": "boolean", "default": False},
    "additionalItems": {"type": "boolean"},
}
_ASSOCIATION = {
    "name": {"type": "string", "maxLength": 80},
    "prefix": {"type": "string", "maxLength": 80},
    "properties_target": {"type": "string", "maxLength": 80},
    **_STAMPS,
}
_OBJECT = {
    "name": {"type": "string", "maxLength": 80},
    "description": {"type": "string"},
    "required": {"type": "array", "items": {"type": "string"}},
    "properties": {"$ref": "#/definitions/property"},
    "schema": {"readOnly": True, "type": "string"},
    "self": {"readOnly": True, "type": "string"},
    **_STAMPS,
}
_NAMESPACE = {
    "namespace": {
        "type": "string",
        "maxLength": 80,
        "description": "The unique namespace text.",
    },
    "display_name": {"type": "string", "maxLength": 80},
    "description": {"type": "string", "maxLength": 500},
    "visibility": {"type": "string", "enum": ["public", "private"]},
    "protected": {"type": "boolean"},
    "owner": {"type": "string", "maxLength": 255},
    "resource_type_associations": {
        "type": "array",
        "items": {"type": "object", "properties": _ASSOCIATION},
    },
    "properties": {"$ref": "#/definitions/property"},
    "objects": {"type": "array", "items": {"type": "object", "properties": _OBJECT}},
    "tags": {
        "type": "array",
        "items": {"type": "object", "properties": {"name": {"type": "string"}}},
    },
    "schema": {"readOnly": True, "type": "string"},
    "self": {"readOnly": True, "type": "string"},
    **_STAMPS,
}
_DEFINITIONS = {
    "positiveInteger": {"type": "integer", "minimum": 0},
    "stringArray": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    "property": {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "required": ["title", "type"],
            "properties": _PROPERTY,
        },
    },
}


def _item(name: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "definitions": _DEFINITIONS,
    }


def _collection(name: str, member: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            member: {"type": "array", "items": item},
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


_TAG = _item("tag", {"name": {"type": "string", "maxLength": 255}, **_STAMPS}, ["name"])
_SCHEMAS: dict[str, dict[str, Any]] = {
    "namespace": _item("namespace", _NAMESPACE, ["namespace"]),
    "object": _item("object", _OBJECT, ["name"]),
    "property": _item("property", _PROPERTY, ["name", "title", "type"]),
    "resource_type": _item("resource_type_association", _ASSOCIATION, ["name"]),
    "tag": _TAG,
}
_SCHEMAS.update(
    {
        "namespaces": _collection("namespaces", "namespaces", _SCHEMAS["namespace"]),
        "objects": _collection("objects", "objects", _SCHEMAS["object"]),
        "properties": _collection("properties", "properties", _SCHEMAS["property"]),
        "resource_types": _collection(
            "resource_type_associations", "resource_type_associations", _SCHEMAS["resource_type"]
        ),
        "tags": _collection("tags", "tags", _TAG),
    }
)


def show_schema(call: Call) -> Reply:
    schema = _SCHEMAS.get(call.params["kind"])
    if schema is None:
        raise not_found("The resource could not be found.")
    return Reply(schema)
