"""Shared pieces of the compute API: service info, project-scoped handlers, time and links."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from powerbridge.emulator.api.paging import after_marker
from powerbridge.emulator.api.routing import Call, Handler, Reply, ServiceInfo
from powerbridge.emulator.errors import ApiError, bad_request

SERVICE = ServiceInfo(
    "compute", "nova-api", "nova.api.openstack.requestlog", "x-compute-request-id"
)


def project_scoped(handler: Handler) -> Handler:
    """`handler` behind nova's check that a path's project is the token's (admins excepted)."""

    @functools.wraps(handler)
    def scoped(call: Call) -> Reply:
        project_id = call.params.pop("project_id", None)
        caller = call.caller
        if project_id and caller and not caller.is_admin and project_id != caller.project_id:
            raise bad_request(
                f"Malformed request URL: URL's project_id '{project_id}' doesn't match "
                f"Context's project_id '{caller.project_id}'"
            )
        return handler(call)

    return scoped


@lru_cache(maxsize=65536)  # list views format the same timestamps on every call
def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=65536)
def iso_micro(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def parse_time(text: str, field: str) -> float:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise bad_request(f"Invalid filter field: {field}.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def links(call: Call, collection: str, item_id: str) -> list[dict[str, str]]:
    root = call.base_url()
    project = call.auth.project_id or ""
    return [
        {"rel": "self", "href": f"{root}/v2.1/{project}/{collection}/{item_id}"},
        {"rel": "bookmark", "href": f"{root}/{project}/{collection}/{item_id}"},
    ]


def last_segment(ref: str) -> str:
    """`flavorRef`/`imageRef` may be an id or a URL ending in the id."""
    return ref.rstrip("/").rsplit("/", 1)[-1]


def int_param(call: Call, name: str, minimum: int = 0) -> int | None:
    raw = call.query.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(
            f"Invalid input for query parameters {name}. Value: {raw}. '{raw}' is not a 'integer'"
        ) from None
    if value < minimum:
        raise bad_request(
            f"Invalid input for query parameters {name}. Value: {raw}. "
            f"{value} is less than the minimum of {minimum}"
        )
    return value


def marker_not_found(marker: str) -> ApiError:
    return bad_request(f"marker [{marker}] not found")


def paginate(
    call: Call, items: list[Any], collection: str, key: Callable[[Any], str]
) -> tuple[list[Any], list[dict[str, str]]]:
    """limit/marker pagination with nova's `<collection>_links` next link."""
    limit = int_param(call, "limit")
    marker = call.query.get("marker")
    if marker is not None:
        items = after_marker(items, marker, key, marker_not_found)
    if limit is None or len(items) <= limit:
        return items, []
    if limit == 0:  # nova answers an empty page, with no next link
        return [], []
    page = items[:limit]
    return page, next_links(call, collection, key(page[-1]))


def next_links(call: Call, collection: str, marker: str) -> list[dict[str, str]]:
    """nova's `<collection>_links`: the query with the new marker, not URL-encoded (as nova
    echoes it)."""
    query = [f"{k}={v}" for k, v in call.query.multi_items() if k != "marker"]
    query.append(f"marker={marker}")
    project = call.auth.project_id or ""
    href = f"{call.base_url()}/v2.1/{project}/{collection}?{'&'.join(query)}"
    return [{"rel": "next", "href": href}]
