"""Shared pieces of the identity API: the route table, URLs and links, and request-body field
checks worded as keystone's JSON schemas word them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from powerbridge.emulator.api.routing import Call, ServiceInfo
from powerbridge.emulator.backend.identity_records import (
    DEFAULT_DOMAIN_ID,
    DEFAULT_DOMAIN_NAME,
    require_admin,
)
from powerbridge.emulator.errors import bad_request

SERVICE = ServiceInfo("identity", "keystone", "keystone.common.wsgi")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def v3_url(call: Call) -> str:
    return call.emulator.identity_url(call.request)


def domain_ref(call: Call, domain_id: str = DEFAULT_DOMAIN_ID) -> dict[str, Any]:
    """`{"id", "name"}` of a domain, as tokens and `include_names` listings show it."""
    domain = call.emulator.identity.domains.get(domain_id)
    name = (
        domain.name if domain else (DEFAULT_DOMAIN_NAME if domain_id == DEFAULT_DOMAIN_ID else None)
    )
    return {"id": domain_id, "name": name}


def links(call: Call, path: str) -> dict[str, Any]:
    return {"self": v3_url(call) + path, "previous": None, "next": None}


def entity_of(call: Call, key: str) -> dict[str, Any]:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise bad_request(
            f"Invalid input for field '{key}': the request body must be {{\"{key}\": {{...}}}}."
        )
    entity: dict[str, Any] = body[key]
    return entity


# -- request bodies: each field checked as keystone's JSON schemas do ---------------------
Check = Callable[[Any, str], Any]


def name_of(limit: int) -> Check:
    """Keystone's name: 1 to `limit` characters, not only blanks (64 for projects)."""

    def check(value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise bad_request(
                f"Invalid input for field '{key}': a string of 1 to {limit} characters is required."
            )
        return value

    return check


def text(value: Any, key: str) -> str:
    """A nullable string; null reads as empty, which the records use for 'not set'."""
    return string_or_null(value, key) or ""


def string_or_null(value: Any, key: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise bad_request(f"Invalid input for field '{key}': {shown(value)} is not a string.")
    return value


def boolean(value: Any, key: str) -> bool:
    if not isinstance(value, bool):  # keystone refuses "no", 0 and friends
        raise bad_request(f"Invalid input for field '{key}': {shown(value)} is not a boolean.")
    return value


def shown(value: Any) -> str:
    """The offending value for an error message, cut short: bodies can be large."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def tags(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(is_tag(tag) for tag in value):
        raise bad_request(
            f"Invalid input for field '{key}': a list of strings of 1 to 255 characters "
            f"without '/' or ',' is required."
        )
    return list(value)


def is_tag(tag: Any) -> bool:
    return isinstance(tag, str) and 0 < len(tag) <= 255 and "/" not in tag and "," not in tag


def checked_fields(
    entity: dict[str, Any], checks: Mapping[str, Check], *, create: bool
) -> dict[str, Any]:
    """The known fields of a create or update body, checked; other keys are ignored, as
    keystone keeps them as extras. A create needs a name, an update at least one field."""
    if create and "name" not in entity:
        raise bad_request("Invalid input for field 'name': 'name' is a required property.")
    if not create and not entity:
        raise bad_request("Invalid input: an update needs at least one field.")
    return {key: check(entity[key], key) for key, check in checks.items() if key in entity}


def self_or_admin(call: Call, user_id: str, action: str) -> None:
    if call.auth.user_id != user_id:
        require_admin(call.auth, action)


def query_flag(call: Call, name: str) -> bool:
    """A boolean query parameter: present means true (`?include_names` alone included), but
    0/false/no/off mean false. Keystone itself only reads '0' as false; the other spellings
    are read the way clients that write them mean them."""
    value = call.query.get(name)
    return value is not None and value.strip().lower() not in ("0", "false", "no", "off")


FALSE_WORDS = ("0", "false", "f", "n", "no", "off")


def filtered(call: Call, records: Iterable[Any], keys: Iterable[str]) -> list[Any]:
    """Keystone's list filters: `?name=x` matches exactly, `?enabled=` reads as a boolean
    (0, false, no, off mean false), and a key a record lacks matches nothing."""
    kept = list(records)
    for key in keys:
        wanted = call.query.get(key)
        if wanted is None:
            continue
        if key == "enabled":
            flag = wanted.strip().lower() not in FALSE_WORDS
            kept = [r for r in kept if getattr(r, "enabled", None) is flag]
        else:
            kept = [r for r in kept if getattr(r, key, None) == wanted]
    return kept


RESERVED = ("id", "links", "options", "password_expires_at", "original_password")


def extras(entity: Mapping[str, Any], known: Mapping[str, Check]) -> dict[str, Any]:
    """The attributes keystone stores as they come and shows back (its records' `extra`):
    any key of the body that is not a field of the record."""
    return {k: v for k, v in entity.items() if k not in known and k not in RESERVED}
