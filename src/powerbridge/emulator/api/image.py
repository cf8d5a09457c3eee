"""Glance v2 over HTTP: version discovery, images (list, show, create, JSON-patch update,
delete), image data, tags, deactivate/reactivate, members and the JSON schemas.

Payloads follow glance exactly: images are flat objects (custom properties at the top level,
unset core attributes as `null`), `self`/`file`/`schema` and the list's `first`/`next` are
paths relative to the service root, timestamps are `2026-11-23T19:14:05Z`. Glance has no
microversions. Errors use glance's webob JSON body (see `envelopes.py`).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from powerbridge.emulator.api.envelopes import error_body
from powerbridge.emulator.api.routing import Call, Reply, RouteTable, ServiceInfo
from powerbridge.emulator.backend.image import (
    CONTAINER_FORMATS,
    DISK_FORMATS,
    MEMBER_STATUSES,
    SORT_KEYS,
    TIME_FILTERS,
    UUID_PATTERN,
    VISIBILITIES,
    WRITABLE_CORE,
    Change,
    Image,
    ImageBackend,
    ImageMember,
    ImagePage,
    ImageQuery,
    check_core_value,
    check_property,
    check_settable,
    isotime,
    parse_time_filter,
    schema_error,
)
from powerbridge.emulator.errors import ApiError, bad_request

SERVICE = ServiceInfo("image", "glance-api", "glance.api.v2.images")
routes = RouteTable(SERVICE, trailing_slash=False)

CURRENT_MINOR = 9  # v2.9 is current, v2.0 to v2.8 are supported
PATCH_DRAFTS = {
    "application/openstack-images-v2.0-json-patch": 4,
    "application/openstack-images-v2.1-json-patch": 10,
}
PATCH_OPERATIONS = ("add", "remove", "replace")
DEFAULT_LIMIT = 25  # glance's limit_param_default
MAX_LIMIT = 1000  # glance's api_limit_max
LIST_PARAMS = (
    "limit",
    "marker",
    "sort",
    "sort_key",
    "sort_dir",
    "member_status",
    "tag",
    "visibility",
    "os_hidden",
    "size_min",
    "size_max",
)
OCTET_STREAM = "application/octet-stream"


def _images(call: Call) -> ImageBackend:
    return call.emulator.images


# -- version discovery ------------------------------------------------------------------
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


@routes.get("/", public=True)
def versions(call: Call) -> Reply:
    return Reply(_versions(call), status=300)


@routes.get("/versions", public=True)
def versions_explicit(call: Call) -> Reply:
    return Reply(_versions(call))


# -- wire shapes ------------------------------------------------------------------------
def image_body(image: Image) -> dict[str, Any]:
    body: dict[str, Any] = dict(image.properties)
    href = f"/v2/images/{image.id}"
    body.update(
        {
            "name": image.name,
            "disk_format": image.disk_format,
            "container_format": image.container_format,
            "visibility": image.visibility,
            "size": image.size,
            "virtual_size": image.virtual_size,
            "status": image.status,
            "checksum": image.checksum,
            "protected": image.protected,
            "min_ram": image.min_ram,
            "min_disk": image.min_disk,
            "owner": image.owner,
            "os_hidden": image.os_hidden,
            "os_hash_algo": image.os_hash_algo,
            "os_hash_value": image.os_hash_value,
            "id": image.id,
            "created_at": isotime(image.created_at),
            "updated_at": isotime(image.updated_at),
            "tags": list(image.tags),
            "self": href,
            "file": f"{href}/file",
            "schema": "/v2/schemas/image",
        }
    )
    return body


def member_body(member: ImageMember) -> dict[str, Any]:
    return {
        "member_id": member.member_id,
        "image_id": member.image_id,
        "status": member.status,
        "created_at": isotime(member.created_at),
        "updated_at": isotime(member.updated_at),
        "schema": "/v2/schemas/member",
    }


# -- listing ----------------------------------------------------------------------------
@routes.get("/v2/images")
def list_images(call: Call) -> Reply:
    return _list(call, "/v2/images")


@routes.get("/v2/images/detail")  # PowerVC's scripts call it; registered before /{image_id}
def list_images_detail(call: Call) -> Reply:
    return _list(call, "/v2/images/detail")


def _list(call: Call, path: str) -> Reply:
    page = _images(call).list_images(call.auth, list_query(call.query))
    body: dict[str, Any] = {"images": [image_body(i) for i in page.images]}
    body.update(_page_links(call, path, page))
    body["schema"] = "/v2/schemas/images"
    return Reply(body)


def _page_links(call: Call, path: str, page: ImagePage) -> dict[str, str]:
    """`first` repeats the query without the marker; `next` adds the last image as marker."""
    pairs = [(k, v) for k, v in call.query.multi_items() if k != "marker"]
    links = {"first": f"{path}?{urlencode(pairs)}" if pairs else path}
    if page.has_more and page.images:
        links["next"] = f"{path}?{urlencode([*pairs, ('marker', page.images[-1].id)])}"
    return links


def list_query(params: Any) -> ImageQuery:
    """Translate glance's list parameters (with its error texts) into an `ImageQuery`."""
    if "changes-since" in params:
        raise bad_request('The "changes-since" filter is no longer available on v2.')
    visibility = params.get("visibility")
    if visibility is not None and visibility not in (*VISIBILITIES, "all"):
        raise bad_request(f"Invalid visibility value: {visibility}")
    member_status = params.get("member_status", "accepted")
    if member_status not in (*MEMBER_STATUSES, "all"):
        raise bad_request(f"Invalid status: {member_status}")
    return ImageQuery(
        filters=_filters(params),
        tags=tuple(tag.strip() for tag in params.getlist("tag")),
        visibility=visibility,
        member_status=member_status,
        os_hidden=_flag(params, "os_hidden", "false") == "true",
        size_min=_size(params, "size_min"),
        size_max=_size(params, "size_max"),
        sort=_sorting(params),
        limit=_limit(params),
        marker=params.get("marker"),
    )


def _filters(params: Any) -> dict[str, str]:
    filters = {k: v for k, v in params.multi_items() if k not in LIST_PARAMS}
    if "protected" in filters:
        filters["protected"] = _flag(params, "protected", "false")
    for key in TIME_FILTERS:
        if key in filters:
            parse_time_filter(key, filters[key])
    return filters


def _flag(params: Any, name: str, default: str) -> str:
    value = str(params.get(name, default))
    if name == "os_hidden":
        value = value.lower()
    if value not in ("true", "false"):
        raise bad_request(
            f"Invalid value '{value}' for '{name}' filter. Valid values are 'true' or 'false'."
        )
    return value


def _size(params: Any, name: str) -> int | None:
    text = params.get(name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise bad_request("Unable to filter using the specified range.") from None


def _limit(params: Any) -> int:
    text = params.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError:
        raise bad_request("limit param must be an integer") from None
    if limit < 0:
        raise bad_request("limit param must be positive")
    return min(limit, MAX_LIMIT)


def _sorting(params: Any) -> tuple[tuple[str, str], ...]:
    """Both of glance's syntaxes: `sort=name:asc,size:desc` or repeated sort_key/sort_dir."""
    if "sort" in params:
        if "sort_key" in params or "sort_dir" in params:
            raise bad_request("Old and new sorting syntax cannot be combined")
        pairs = []
        for part in str(params["sort"]).strip().split(","):
            key, _, direction = part.partition(":")
            pairs.append((_sort_key(key.strip()), _sort_dir(direction.strip() or "desc")))
        return tuple(pairs)
    keys = [_sort_key(k.strip()) for k in params.getlist("sort_key")]
    directions = [_sort_dir(d.strip()) for d in params.getlist("sort_dir")]
    if len(directions) > 1 and len(directions) != len(keys):
        raise bad_request("Number of sort dirs does not match the number of sort keys")
    keys = keys or ["created_at"]
    if len(directions) <= 1:
        directions = (directions or ["desc"]) * len(keys)
    return tuple(zip(keys, directions, strict=True))


def _sort_key(key: str) -> str:
    if key not in SORT_KEYS:
        raise bad_request(
            f"Invalid sort key: {key}. It must be one of the following: {', '.join(SORT_KEYS)}."
        )
    return key


def _sort_dir(direction: str) -> str:
    if direction not in ("asc", "desc"):
        raise bad_request(f"Invalid sort direction: {direction}")
    return direction


# -- one image --------------------------------------------------------------------------
@routes.post("/v2/images")
def create_image(call: Call) -> Reply:
    body = call.body
    if body is None:
        raise bad_request("Body expected in request.")
    if not isinstance(body, dict):
        raise schema_error(f"{body!r} is not of type 'object'")
    image = _images(call).create(call.auth, body, call.log_context())
    location = f"{call.base_url()}/v2/images/{image.id}"
    return Reply(image_body(image), status=201, headers={"Location": location})


@routes.get("/v2/images/{image_id}")
def show_image(call: Call) -> Reply:
    return Reply(image_body(_images(call).get(call.params["image_id"], call.auth)))


@routes.patch("/v2/images/{image_id}", raw_body=True)
def update_image(call: Call) -> Reply:
    content_type = call.request.headers.get("content-type", "").split(";")[0].strip().lower()
    draft = PATCH_DRAFTS.get(content_type)
    if draft is None:
        return _unsupported_patch_type(content_type)
    changes = parse_patch(call.raw_body, draft)
    image = _images(call).update(call.auth, call.params["image_id"], changes, call.log_context())
    return Reply(image_body(image))


def _unsupported_patch_type(content_type: str) -> Reply:
    error = ApiError(
        "unsupportedMediaType",
        f"The request media type {content_type or None} is not supported by this server.",
    )
    return Reply(
        error_body(SERVICE.name, error),
        status=error.status,
        headers={"Accept-Patch": ", ".join(sorted(PATCH_DRAFTS))},
    )


def parse_patch(raw: bytes, draft: int) -> list[Change]:
    """A JSON-patch document (draft 10 `{"op", "path", "value"}` or draft 4
    `{"replace": path, "value"}`) as changes, checked as glance's deserializer checks them."""
    if not raw:
        raise bad_request("Body expected in request.")
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Malformed JSON in request body.") from None
    if not isinstance(document, list):
        raise bad_request("Request body must be a JSON array of operation objects.")
    return [_change(raw_change, draft) for raw_change in document]


def _change(raw_change: Any, draft: int) -> Change:
    if not isinstance(raw_change, dict):
        raise bad_request("Operations must be JSON objects.")
    op, pointer = _operation(raw_change) if draft == 10 else _operation_draft4(raw_change)
    path = _decode_pointer(pointer)
    if len(path) != 1:
        raise bad_request(f"Invalid JSON pointer for this resource: '/{'/'.join(path)}'")
    key = path[0]
    value = None
    if op != "remove":
        if "value" not in raw_change:
            raise bad_request(f'Operation "{op}" requires a member named "value".')
        value = raw_change["value"]
    check_settable(key, creating=False)
    if op != "remove":
        if key in WRITABLE_CORE:
            check_core_value(key, value)
        else:
            check_property(key, value)
    return Change(op, key, value)


def _operation(raw_change: dict[str, Any]) -> tuple[str, Any]:
    available = ", ".join(PATCH_OPERATIONS)
    op = raw_change.get("op")
    if op is None:
        raise bad_request(
            f"Unable to find `op` in JSON Schema change. It must be one of the following: "
            f"{available}."
        )
    if op not in PATCH_OPERATIONS:
        raise bad_request(
            f"Invalid operation: `{op}`. It must be one of the following: {available}."
        )
    if "path" not in raw_change:
        raise bad_request("Unable to find 'path' in JSON Schema change")
    return str(op), raw_change["path"]


def _operation_draft4(raw_change: dict[str, Any]) -> tuple[str, Any]:
    present = [op for op in PATCH_OPERATIONS if op in raw_change]
    if len(present) > 1:
        raise bad_request(
            'Operation objects must contain only one member named "add", "remove", or "replace".'
        )
    if not present:
        raise bad_request(
            'Operation objects must contain exactly one member named "add", "remove", or "replace".'
        )
    return present[0], raw_change[present[0]]


def _decode_pointer(pointer: Any) -> list[str]:
    """A JSON pointer's tokens, accepting only the forms glance accepts."""
    text = pointer if isinstance(pointer, str) else json.dumps(pointer)
    if not text.startswith("/"):
        raise bad_request(f'Pointer `{text}` does not start with "/".')
    if re.search(r"/\s*?/", text[1:]):
        raise bad_request(f'Pointer `{text}` contains adjacent "/".')
    if len(text) > 1 and text.endswith("/"):
        raise bad_request(f'Pointer `{text}` end with "/".')
    if text[1:].strip() == "/":
        raise bad_request(f"Pointer `{text}` does not contains valid token.")
    if re.search("~[^01]", text) or text.endswith("~"):
        raise bad_request(
            f'Pointer `{text}` contains "~" not part of a recognized escape sequence.'
        )
    return [part.replace("~1", "/").replace("~0", "~").strip() for part in text[1:].split("/")]


@routes.delete("/v2/images/{image_id}")
def delete_image(call: Call) -> Reply:
    _images(call).delete(call.auth, call.params["image_id"], call.log_context())
    return Reply(status=204)


# -- image data -------------------------------------------------------------------------
@routes.put("/v2/images/{image_id}/file", raw_body=True)
def upload_data(call: Call) -> Reply:
    content_type = call.request.headers.get("content-type")
    if content_type is None or content_type.split(";")[0].strip().lower() != OCTET_STREAM:
        raise ApiError("unsupportedMediaType", f"Invalid content type {content_type}")
    _images(call).upload(call.auth, call.params["image_id"], call.raw_body, call.log_context())
    return Reply(status=204)


@routes.get("/v2/images/{image_id}/file")
def download_data(call: Call) -> Reply:
    image, data = _images(call).download(call.auth, call.params["image_id"])
    if data is None:
        return Reply(status=204)
    headers = {"Content-MD5": image.checksum} if image.checksum else {}
    return Reply(raw=data, content_type=OCTET_STREAM, headers=headers)


# -- tags and actions -------------------------------------------------------------------
@routes.put("/v2/images/{image_id}/tags/{tag}")
def add_tag(call: Call) -> Reply:
    _images(call).add_tag(call.auth, call.params["image_id"], call.params["tag"])
    return Reply(status=204)


@routes.delete("/v2/images/{image_id}/tags/{tag}")
def remove_tag(call: Call) -> Reply:
    _images(call).remove_tag(call.auth, call.params["image_id"], call.params["tag"])
    return Reply(status=204)


@routes.post("/v2/images/{image_id}/actions/deactivate")
def deactivate(call: Call) -> Reply:
    _images(call).deactivate(call.auth, call.params["image_id"], call.log_context())
    return Reply(status=204)


@routes.post("/v2/images/{image_id}/actions/reactivate")
def reactivate(call: Call) -> Reply:
    _images(call).reactivate(call.auth, call.params["image_id"], call.log_context())
    return Reply(status=204)


# -- members ----------------------------------------------------------------------------
MEMBERS = "/v2/images/{image_id}/members"


@routes.get(MEMBERS)
def list_members(call: Call) -> Reply:
    members = _images(call).list_members(call.auth, call.params["image_id"])
    return Reply({"members": [member_body(m) for m in members], "schema": "/v2/schemas/members"})


@routes.post(MEMBERS)
def add_member(call: Call) -> Reply:
    body = call.body
    if body is None:
        raise bad_request("Body expected in request.")
    if not isinstance(body, dict) or "member" not in body:
        raise bad_request("Member to be added not specified")
    if not body["member"]:
        raise bad_request("Member can't be empty")
    member = _images(call).add_member(call.auth, call.params["image_id"], str(body["member"]))
    return Reply(member_body(member))


@routes.get(MEMBERS + "/{member_id}")
def show_member(call: Call) -> Reply:
    p = call.params
    return Reply(member_body(_images(call).member(call.auth, p["image_id"], p["member_id"])))


@routes.put(MEMBERS + "/{member_id}")
def update_member(call: Call) -> Reply:
    body = call.body
    if body is None:
        raise bad_request("Body expected in request.")
    if not isinstance(body, dict) or "status" not in body:
        raise bad_request("Status not specified")
    p = call.params
    member = _images(call).update_member(call.auth, p["image_id"], p["member_id"], body["status"])
    return Reply(member_body(member))


@routes.delete(MEMBERS + "/{member_id}")
def remove_member(call: Call) -> Reply:
    _images(call).remove_member(call.auth, call.params["image_id"], call.params["member_id"])
    return Reply(status=204)


# -- schemas ----------------------------------------------------------------------------
def _nullable_string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": ["null", "string"], "description": description, **extra}


def _read_only(kind: Any, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "readOnly": True, "description": description, **extra}


def _base_properties() -> dict[str, Any]:
    """Glance's `get_base_properties()`."""
    return {
        "id": {
            "type": "string",
            "description": "An identifier for the image",
            "pattern": UUID_PATTERN,
        },
        "name": _nullable_string("Descriptive name for the image", maxLength=255),
        "status": _read_only(
            "string",
            "Status of the image",
            enum=[
                "queued",
                "saving",
                "active",
                "killed",
                "deleted",
                "uploading",
                "importing",
                "pending_delete",
                "deactivated",
            ],
        ),
        "visibility": {
            "type": "string",
            "description": "Scope of image accessibility",
            "enum": list(VISIBILITIES),
        },
        "protected": {"type": "boolean", "description": "If true, image will not be deletable."},
        "os_hidden": {
            "type": "boolean",
            "description": "If true, image will not appear in default image list response.",
        },
        "checksum": _read_only(["null", "string"], "md5 hash of image contents.", maxLength=32),
        "os_hash_algo": _read_only(
            ["null", "string"], "Algorithm to calculate the os_hash_value", maxLength=64
        ),
        "os_hash_value": _read_only(
            ["null", "string"],
            "Hexdigest of the image contents using the algorithm specified by the os_hash_algo",
            maxLength=128,
        ),
        "owner": _nullable_string("Owner of the image", maxLength=255),
        "size": _read_only(["null", "integer"], "Size of image file in bytes"),
        "virtual_size": _read_only(["null", "integer"], "Virtual size of image in bytes"),
        "container_format": _nullable_string(
            "Format of the container", enum=[None, *CONTAINER_FORMATS]
        ),
        "disk_format": _nullable_string("Format of the disk", enum=[None, *DISK_FORMATS]),
        "created_at": _read_only("string", "Date and time of image registration"),
        "updated_at": _read_only("string", "Date and time of the last image modification"),
        "tags": {
            "type": "array",
            "description": "List of strings related to the image",
            "items": {"type": "string", "maxLength": 255},
        },
        "direct_url": _read_only("string", "URL to access the image file kept in external store"),
        "min_ram": {
            "type": "integer",
            "description": "Amount of ram (in MB) required to boot image.",
        },
        "min_disk": {
            "type": "integer",
            "description": "Amount of disk space (in GB) required to boot image.",
        },
        "self": _read_only("string", "An image self url"),
        "file": _read_only("string", "An image file url"),
        "stores": _read_only(
            "string",
            "Store in which image data resides.  Only present when the operator has enabled "
            "multiple stores.  May be a comma-separated list of store identifiers.",
        ),
        "schema": _read_only("string", "An image schema url"),
        "locations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "maxLength": 255},
                    "metadata": {"type": "object"},
                },
                "required": ["url", "metadata"],
            },
            "description": "A set of URLs to access the image file kept in external store",
        },
    }


def _custom_properties() -> dict[str, Any]:
    """Glance's shipped `schema-image.json`, merged with `is_base: false`."""
    distro_doc = "https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html"
    kernel = "ID of image stored in Glance that should be used as the {} when booting an "
    return {
        "kernel_id": _nullable_string(
            kernel.format("kernel") + "AMI-style image.", pattern=UUID_PATTERN, is_base=False
        ),
        "ramdisk_id": _nullable_string(
            kernel.format("ramdisk") + "AMI-style image.", pattern=UUID_PATTERN, is_base=False
        ),
        "instance_uuid": {
            "type": "string",
            "description": "Metadata which can be used to record which instance this image is "
            "associated with. (Informational only, does not create an instance snapshot.)",
            "is_base": False,
        },
        "architecture": {
            "description": f"Operating system architecture as specified in {distro_doc}",
            "type": "string",
            "is_base": False,
        },
        "os_distro": {
            "description": "Common name of operating system distribution as specified in "
            + distro_doc,
            "type": "string",
            "is_base": False,
        },
        "os_version": {
            "description": "Operating system version as specified by the distributor.",
            "type": "string",
            "is_base": False,
        },
        "description": {
            "description": "A human-readable string describing this image.",
            "type": "string",
            "is_base": False,
        },
    }


def image_schema() -> dict[str, Any]:
    return {
        "name": "image",
        "properties": {**_base_properties(), **_custom_properties()},
        "additionalProperties": {"type": "string"},
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


def member_schema() -> dict[str, Any]:
    return {
        "name": "member",
        "properties": {
            "member_id": {
                "type": "string",
                "description": "An identifier for the image member (tenantId)",
            },
            "image_id": {
                "type": "string",
                "description": "An identifier for the image",
                "pattern": UUID_PATTERN,
            },
            "created_at": {
                "type": "string",
                "description": "Date and time of image member creation",
            },
            "updated_at": {
                "type": "string",
                "description": "Date and time of last modification of image member",
            },
            "status": {
                "type": "string",
                "description": "The status of this image member",
                "enum": list(MEMBER_STATUSES),
            },
            "schema": {"readOnly": True, "type": "string"},
        },
        "additionalProperties": False,
    }


def collection_schema(name: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            name: {"type": "array", "items": item},
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


@routes.get("/v2/schemas/image")
def show_image_schema(call: Call) -> Reply:
    return Reply(image_schema())


@routes.get("/v2/schemas/images")
def show_images_schema(call: Call) -> Reply:
    return Reply(collection_schema("images", image_schema()))


@routes.get("/v2/schemas/member")
def show_member_schema(call: Call) -> Reply:
    return Reply(member_schema())


@routes.get("/v2/schemas/members")
def show_members_schema(call: Call) -> Reply:
    return Reply(collection_schema("members", member_schema()))
