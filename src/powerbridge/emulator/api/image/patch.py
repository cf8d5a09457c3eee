"""`PATCH /v2/images/<id>`: glance's JSON-patch update (both media types), checked as its
deserializer checks them."""

from __future__ import annotations

import json
import re
from typing import Any

from powerbridge.emulator.api.envelopes import error_body
from powerbridge.emulator.api.image.common import SERVICE, backend, image_body
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.image_records import WRITABLE_CORE, Change
from powerbridge.emulator.backend.image_schema import (
    check_core_value,
    check_property,
    check_settable,
)
from powerbridge.emulator.errors import ApiError, bad_request

PATCH_DRAFTS = {
    "application/openstack-images-v2.0-json-patch": 4,
    "application/openstack-images-v2.1-json-patch": 10,
}
PATCH_OPERATIONS = ("add", "remove", "replace")


def update_image(call: Call) -> Reply:
    content_type = call.request.headers.get("content-type", "").split(";")[0].strip().lower()
    draft = PATCH_DRAFTS.get(content_type)
    if draft is None:
        return _unsupported_patch_type(content_type)
    changes = parse_patch(call.raw_body, draft)
    image = backend(call).update(call.auth, call.params["image_id"], changes, call.log_context())
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
