"""Nova's image proxy (`/images`), over the image service, up to microversion 2.35.

Nova shows glance images in its own shape: `status` ACTIVE/SAVING/DELETED/ERROR/UNKNOWN with
`progress`, `minRam`/`minDisk`, extra properties as `metadata`, `server` for a snapshot, and an
`alternate` link to glance. From 2.36 the proxy is gone (404), as in nova.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from powerbridge.emulator.api.compute.common import iso, marker_not_found, next_links
from powerbridge.emulator.api.paging import after_marker
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.image import ImageBackend
from powerbridge.emulator.backend.image_records import Change, Image, ImageQuery
from powerbridge.emulator.errors import ApiError, bad_request, not_found

STATUS = {
    "active": "ACTIVE",
    "queued": "SAVING",
    "saving": "SAVING",
    "importing": "SAVING",
    "deleted": "DELETED",
    "pending_delete": "DELETED",
    "killed": "ERROR",
}
PROGRESS = {"queued": 25, "saving": 50, "importing": 50, "active": 100}
ALL = 1_000_000  # the proxy filters and pages itself


def _images(call: Call) -> ImageBackend:
    """The image service, once the microversion still has the proxy."""
    if call.at_least("2.36"):
        raise ApiError("itemNotFound", "The resource could not be found.")
    return call.emulator.images


def _links(call: Call, image_id: str) -> list[dict[str, str]]:
    root = call.base_url()
    project = call.auth.project_id or ""
    glance = call.emulator.service_url("image", call.request)
    return [
        {"rel": "self", "href": f"{root}/v2.1/{project}/images/{image_id}"},
        {"rel": "bookmark", "href": f"{root}/{project}/images/{image_id}"},
        {
            "rel": "alternate",
            "type": "application/vnd.openstack.image",
            "href": f"{glance}/images/{image_id}",
        },
    ]


def image_view(call: Call, image: Image) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": image.id,
        "name": image.name,
        "status": STATUS.get(image.status, "UNKNOWN"),
        "progress": PROGRESS.get(image.status, 0),
        "minRam": image.min_ram,
        "minDisk": image.min_disk,
        "metadata": {k: v for k, v in image.properties.items() if isinstance(v, str)},
        "created": iso(image.created_at),
        "updated": iso(image.updated_at),
        "links": _links(call, image.id),
        "OS-EXT-IMG-SIZE:size": image.size,
    }
    server_id = image.properties.get("instance_uuid")
    if isinstance(server_id, str):
        root, project = call.base_url(), call.auth.project_id or ""
        view["server"] = {
            "id": server_id,
            "links": [
                {"rel": "self", "href": f"{root}/v2.1/{project}/servers/{server_id}"},
                {"rel": "bookmark", "href": f"{root}/{project}/servers/{server_id}"},
            ],
        }
    return view


# -- listing ------------------------------------------------------------------------------
def _wanted(call: Call, image: Image) -> bool:
    query = call.query
    checks: dict[str, Callable[[str], bool]] = {
        "name": lambda v: image.name == v,
        "status": lambda v: STATUS.get(image.status, "UNKNOWN") == v.upper(),
        # nova keeps the uuid of a server reference given as a URL (its rsplit('/'))
        "server": lambda v: image.properties.get("instance_uuid") == v.rsplit("/", 1)[-1],
        "type": lambda v: image.properties.get("image_type", "base") == v,
        "minRam": lambda v: image.min_ram >= _number(v, "minRam"),
        "minDisk": lambda v: image.min_disk >= _number(v, "minDisk"),
    }
    return all(check(query[key]) for key, check in checks.items() if key in query)


def _number(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise bad_request(f"Invalid {name} filter: {text!r} is not a whole number.") from None


def _page(call: Call) -> tuple[list[Image], list[dict[str, str]]]:
    page = _images(call).list_images(call.auth, ImageQuery(limit=ALL, visibility="all"))
    images = [image for image in page.images if _wanted(call, image)]
    marker = call.query.get("marker")
    if marker is not None:
        images = after_marker(images, marker, _id, marker_not_found)
    limit_text = call.query.get("limit")
    if limit_text is None:
        return images, []
    limit = _number(limit_text, "limit")
    if limit < 0:
        raise bad_request("limit must be a positive integer")
    if len(images) <= limit:
        return images, []
    chosen = images[:limit]
    return chosen, next_links(call, "images", chosen[-1].id)


def _id(image: Image) -> str:
    return image.id


def list_images(call: Call) -> Reply:
    images, links = _page(call)
    rows = [{"id": i.id, "name": i.name, "links": _links(call, i.id)} for i in images]
    body: dict[str, Any] = {"images": rows}
    if links:
        body["images_links"] = links
    return Reply(body)


def list_images_detail(call: Call) -> Reply:
    images, links = _page(call)
    body: dict[str, Any] = {"images": [image_view(call, image) for image in images]}
    if links:
        body["images_links"] = links
    return Reply(body)


# -- one image ----------------------------------------------------------------------------
def _image(call: Call) -> Image:
    image_id = call.params["image_id"]
    try:
        return _images(call).get(image_id, call.auth)
    except ApiError as error:
        if error.status == 404:
            raise not_found("Image not found.") from None
        raise


def show_image(call: Call) -> Reply:
    return Reply({"image": image_view(call, _image(call))})


def delete_image(call: Call) -> Reply:
    image = _image(call)
    _images(call).delete(call.auth, image.id, call.log_context())
    return Reply(status=204)


# -- metadata (the image's extra properties) ----------------------------------------------
def _metadata(image: Image) -> dict[str, str]:
    return {k: v for k, v in image.properties.items() if isinstance(v, str)}


def _items(body: Any, key: str) -> dict[str, str]:
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 255 and len(v) <= 255
        for k, v in items.items()
    ):
        raise bad_request(f"Malformed request body: {key!r} must map names to strings.")
    return items


def _change(call: Call, image: Image, items: dict[str, str], removed: list[str]) -> Image:
    changes = [Change("remove", key) for key in removed]
    changes += [
        Change("replace" if key in image.properties else "add", key, value)
        for key, value in items.items()
    ]
    return _images(call).update(call.auth, image.id, changes, call.log_context())


def show_metadata(call: Call) -> Reply:
    return Reply({"metadata": _metadata(_image(call))})


def update_metadata(call: Call) -> Reply:
    image = _image(call)
    updated = _change(call, image, _items(call.body, "metadata"), [])
    return Reply({"metadata": _metadata(updated)})


def replace_metadata(call: Call) -> Reply:
    image = _image(call)
    items = _items(call.body, "metadata")
    removed = [key for key in _metadata(image) if key not in items]
    updated = _change(call, image, items, removed)
    return Reply({"metadata": _metadata(updated)})


def show_metadata_item(call: Call) -> Reply:
    key = call.params["key"]
    metadata = _metadata(_image(call))
    if key not in metadata:
        raise not_found("Image not found.")
    return Reply({"meta": {key: metadata[key]}})


def set_metadata_item(call: Call) -> Reply:
    image = _image(call)
    item = _items(call.body, "meta")
    key = call.params["key"]
    if list(item) != [key]:
        raise bad_request("Request body and URI mismatch")
    _change(call, image, item, [])
    return Reply({"meta": item})


def delete_metadata_item(call: Call) -> Reply:
    image = _image(call)
    key = call.params["key"]
    if key not in _metadata(image):
        raise not_found("Image not found.")
    _change(call, image, {}, [key])
    return Reply(status=204)
