"""One image: create, show, delete, its data (upload, download), tags, deactivate and reactivate."""

from __future__ import annotations

from powerbridge.emulator.api.image.common import backend, image_body
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.image_records import schema_error
from powerbridge.emulator.errors import ApiError, bad_request

OCTET_STREAM = "application/octet-stream"


def create_image(call: Call) -> Reply:
    body = call.body
    if body is None:
        raise bad_request("Body expected in request.")
    if not isinstance(body, dict):
        raise schema_error(f"{body!r} is not of type 'object'")
    image = backend(call).create(call.auth, body, call.log_context())
    location = f"{call.base_url()}/v2/images/{image.id}"
    return Reply(image_body(image), status=201, headers={"Location": location})


def show_image(call: Call) -> Reply:
    return Reply(image_body(backend(call).get(call.params["image_id"], call.auth)))


def delete_image(call: Call) -> Reply:
    backend(call).delete(call.auth, call.params["image_id"], call.log_context())
    return Reply(status=204)


def upload_data(call: Call) -> Reply:
    content_type = call.request.headers.get("content-type")
    if content_type is None or content_type.split(";")[0].strip().lower() != OCTET_STREAM:
        raise ApiError("unsupportedMediaType", f"Invalid content type {content_type}")
    backend(call).upload(call.auth, call.params["image_id"], call.raw_body, call.log_context())
    return Reply(status=204)


def download_data(call: Call) -> Reply:
    image, data = backend(call).download(call.auth, call.params["image_id"])
    if data is None:
        return Reply(status=204)
    headers = {"Content-MD5": image.checksum} if image.checksum else {}
    return Reply(raw=data, content_type=OCTET_STREAM, headers=headers)


def add_tag(call: Call) -> Reply:
    backend(call).add_tag(call.auth, call.params["image_id"], call.params["tag"])
    return Reply(status=204)


def remove_tag(call: Call) -> Reply:
    backend(call).remove_tag(call.auth, call.params["image_id"], call.params["tag"])
    return Reply(status=204)


def deactivate(call: Call) -> Reply:
    backend(call).deactivate(call.auth, call.params["image_id"], call.log_context())
    return Reply(status=204)


def reactivate(call: Call) -> Reply:
    backend(call).reactivate(call.auth, call.params["image_id"], call.log_context())
    return Reply(status=204)
