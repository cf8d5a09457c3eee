"""cinder's JSON-schema checks of request bodies, hand-written with its
`Invalid input for field/attribute` wording."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from powerbridge.emulator.api.volume.common import TRUE_STRINGS
from powerbridge.emulator.errors import ApiError, bad_request

DB_MAX_INT = 0x7FFFFFFF
BOOLEAN_ENUM: list[bool | str] = [
    True,
    "True",
    "TRUE",
    "true",
    "1",
    "ON",
    "On",
    "on",
    "YES",
    "Yes",
    "yes",
    False,
    "False",
    "FALSE",
    "false",
    "0",
    "OFF",
    "Off",
    "off",
    "NO",
    "No",
    "no",
]
KEY_PATTERN = re.compile(r"^[a-zA-Z0-9-_:. /]{1,255}$")


def _show(value: Any) -> str:
    return str(value)


def field_error(name: str, value: Any, reason: str) -> ApiError:
    return bad_request(f"Invalid input for field/attribute {name}. Value: {_show(value)}. {reason}")


def required(container: str | None, value: Any, key: str) -> ApiError:
    reason = f"'{key}' is a required property"
    return bad_request(reason) if container is None else field_error(container, value, reason)


def body_object(body: Any, key: str) -> dict[str, Any]:
    """`body[key]`, which must be a JSON object."""
    if not isinstance(body, dict):
        raise bad_request(f"{body!r} is not of type 'object'")
    if key not in body:
        raise required(None, body, key)
    value = body[key]
    if not isinstance(value, dict):
        raise field_error(key, value, f"{value!r} is not of type 'object'")
    return value


def no_extra_keys(name: str, value: dict[str, Any], allowed: Any) -> None:
    extra = sorted(k for k in value if k not in allowed)
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        verb = "were" if len(extra) > 1 else "was"
        raise field_error(
            name, value, f"Additional properties are not allowed ({listed} {verb} unexpected)"
        )


def optional_string(spec: Mapping[str, Any], key: str, max_length: int = 255) -> str | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise field_error(key, value, f"{value!r} is not of type 'string', 'null'")
    if len(value) > max_length:
        raise field_error(key, value, f"{value!r} is too long")
    return value


def renamed_string(spec: Mapping[str, Any], key: str, legacy: str) -> str | None:
    """`name`/`description`, or the v1 `display_name`/`display_description`: the new key wins."""
    return optional_string(spec, key) if key in spec else optional_string(spec, legacy)


def volume_size(value: Any, name: str = "size") -> int:
    """cinder's `volume_size`: an integer, or a string of digits, of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise field_error(name, value, f"{value!r} is not of type 'integer', 'string'")
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]+", value):
            raise field_error(name, value, f"{value!r} does not match '^[0-9]+$'")
        return int(value)
    if value < 1:
        raise field_error(name, value, f"{value} is less than the minimum of 1")
    if value > DB_MAX_INT:
        raise field_error(name, value, f"{value} is greater than the maximum of {DB_MAX_INT}")
    return value


def boolean(value: Any, name: str, *, allow_null: bool = False) -> bool:
    if value is None and allow_null:
        return False
    if value not in BOOLEAN_ENUM or not isinstance(value, bool | str):
        raise field_error(name, value, f"{value!r} is not one of {BOOLEAN_ENUM!r}")
    return value is True or (isinstance(value, str) and value.lower() in TRUE_STRINGS)


def string_map(value: Any, name: str, *, allow_null: bool = False) -> dict[str, str]:
    """Metadata and extra specs: keys of 1-255 safe characters, string values up to 255."""
    if value is None and allow_null:
        return {}
    if not isinstance(value, dict):
        kinds = "'object', 'null'" if allow_null else "'object'"
        raise field_error(name, value, f"{value!r} is not of type {kinds}")
    bad_keys = [k for k in value if not KEY_PATTERN.match(k)]
    if bad_keys:
        no_extra_keys(name, value, set(value) - set(bad_keys))
    for key, item in value.items():
        if not isinstance(item, str):
            raise field_error(key, item, f"{item!r} is not of type 'string'")
        if len(item) > 255:
            raise field_error(key, item, f"{item!r} is too long")
    return dict(value)


def type_update(spec: dict[str, Any], key: str) -> dict[str, Any]:
    """The changes a volume or group type's update asks (`key`: "volume_type" or
    "group_type"), refused in cinder's wording."""
    what = key.replace("_", " ")
    no_extra_keys(key, spec, ("name", "description", "is_public"))
    if not spec:
        raise bad_request(f"Specify {what} name, description, is_public or a combination thereof.")
    changes: dict[str, Any] = {}
    if spec.get("name") is not None:
        name = optional_string(spec, "name") or ""
        if not name.strip():
            raise bad_request(f"{what.capitalize()} name can not be empty.")
        changes["name"] = name.strip()
    if "description" in spec:
        changes["description"] = optional_string(spec, "description")
    if spec.get("is_public") is not None:
        changes["is_public"] = boolean(spec["is_public"], "is_public")
    return changes


def one_spec(body: Any, key: str, name: str) -> dict[str, str]:
    """The body of a `PUT .../<name>/{key}`: exactly `{key: value}`, refused in cinder's
    wording."""
    if not isinstance(body, dict):
        raise bad_request(f"{body!r} is not of type 'object'")
    if key not in body:
        raise bad_request("Request body and URI mismatch")
    if len(body) > 1:
        raise bad_request("Request body contains too many items")
    return string_map(body, name)
