"""Glance's image schema: which attributes a request may set, and which values it may give."""

from __future__ import annotations

import re
from typing import Any

from powerbridge.emulator.backend.image_records import (
    CONTAINER_FORMATS,
    DISALLOWED,
    DISK_FORMATS,
    MAX_INT,
    READ_ONLY,
    RESERVED,
    RESERVED_NAMESPACE,
    UUID_PATTERN,
    VISIBILITIES,
    Image,
    schema_error,
)
from powerbridge.emulator.errors import bad_request, forbidden


def check_settable(key: str, *, creating: bool) -> None:
    if key in DISALLOWED or (key in READ_ONLY and not (creating and key == "id")):
        raise forbidden(f"Attribute '{key}' is read-only.")
    if key in RESERVED or key.startswith(RESERVED_NAMESPACE):
        raise forbidden(f"Attribute '{key}' is reserved.")


def check_property(key: str, value: Any) -> None:
    """A custom property: a string named by at most 255 characters."""
    if len(key) > 255:
        raise bad_request("Custom property should not be greater than 255 characters.")
    if not isinstance(value, str):
        raise schema_error(f"{value!r} is not of type 'string'")


def check_core_value(key: str, value: Any) -> None:
    """A core attribute's value, judged as glance's schema and domain rules judge it."""
    if key in ("name", "owner"):
        _check_type(value, (str, type(None)), "'null', 'string'")
        if value is not None and len(value) > 255:
            raise schema_error(f"{value!r} is too long")
    elif key == "id":
        _check_type(value, (str,), "'string'")
        if not re.match(UUID_PATTERN, value):
            raise schema_error(f"{value!r} does not match '{UUID_PATTERN}'")
    elif key == "visibility":
        _check_enum(value, list(VISIBILITIES))
    elif key in ("protected", "os_hidden"):
        _check_type(value, (bool,), "'boolean'")
    elif key in ("min_ram", "min_disk"):
        _check_count(key, value)
    elif key == "disk_format":
        _check_enum(value, [None, *DISK_FORMATS])
    elif key == "container_format":
        _check_enum(value, [None, *CONTAINER_FORMATS])
    elif key == "tags":
        _check_type(value, (list,), "'array'")
        for tag in value:
            _check_type(tag, (str,), "'string'")
            if len(tag) > 255:
                raise schema_error(f"{tag!r} is too long")


def _check_type(value: Any, types: tuple[type, ...], names: str) -> None:
    # bool is an int in Python but never a JSON integer or string
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise schema_error(f"{value!r} is not of type {names}")


def _check_enum(value: Any, allowed: list[str | None]) -> None:
    if value not in allowed or isinstance(value, bool):
        raise schema_error(f"{value!r} is not one of {allowed!r}")


def _check_count(key: str, value: Any) -> None:
    _check_type(value, (int,), "'integer'")
    if value < 0:
        raise bad_request(
            f"Invalid value '{value}' for parameter '{key}': Cannot be a negative value."
        )
    if value > MAX_INT:
        raise bad_request(f"'{key}' value out of range, must not exceed {MAX_INT}.")


def set_core(image: Image, key: str, value: Any) -> None:
    if key == "tags":
        image.tags = list(dict.fromkeys(value))
    else:
        setattr(image, key, value)
