"""Cinder's list engine, for volumes and snapshots alike: `all_tenants` (admins), `limit` (at
most 1000), `marker`, `offset`, `sort=key:dir,...` or `sort_key`/`sort_dir` (then `created_at`
and `id` in the first direction), filters from the parameters left over, the
`<collection>_links` next link, and from 3.45 `count` with `with_count`.

A marker is looked up among every record the caller sees, not only the ones the filters keep,
and `count` counts what the filters keep before the marker, as cinder's database query does.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from powerbridge.emulator.api.paging import after_marker, page_limit, page_query
from powerbridge.emulator.api.routing import Call
from powerbridge.emulator.api.volume.common import api_version, flag, project_of
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.volume_records import invalid_input
from powerbridge.emulator.errors import ApiError, bad_request, not_found

MAX_LIMIT = 1000


class Listed(Protocol):
    @property
    def id(self) -> str: ...


Record = TypeVar("Record", bound=Listed)


@dataclass(frozen=True)
class ListQuery:
    all_tenants: bool
    limit: int
    marker: str | None
    offset: int
    sort: list[tuple[str, str]]
    filters: dict[str, str]  # the parameters paging did not take


def list_query(call: Call, caller: Caller, sort_fields: Collection[str]) -> ListQuery:
    params = dict(call.query.items())
    all_tenants = flag(params.pop("all_tenants", None)) and caller.is_admin
    limit = page_limit(params.pop("limit", None), MAX_LIMIT, MAX_LIMIT)
    marker, offset = params.pop("marker", None), _offset(params)
    sort = _sort_params(params, sort_fields)
    params.pop("with_count", None)
    return ListQuery(all_tenants, limit, marker, offset, sort, params)


def page(
    query: ListQuery,
    records: Sequence[Record],
    sort_fields: Mapping[str, Callable[[Record], Any]],
    checks: Sequence[Callable[[Record], bool]],
) -> tuple[list[Record], int]:
    """The sorted, filtered page after the marker, and how many records the filters keep."""
    ordered = _sorted(records, query.sort, sort_fields)
    matching = [r for r in ordered if all(check(r) for check in checks)]
    remaining = matching
    if query.marker is not None:
        after = {r.id for r in after_marker(ordered, query.marker, _id, _marker_not_found)}
        remaining = [r for r in matching if r.id in after]
    return remaining[query.offset : query.offset + query.limit], len(matching)


def list_body(
    call: Call,
    collection: str,
    items: Sequence[Listed],
    views: list[dict[str, Any]],
    total: int,
    query: ListQuery,
    *,
    detail: bool,
) -> dict[str, Any]:
    body: dict[str, Any] = {collection: views}
    if items and len(items) >= query.limit:
        path = f"{collection}/detail" if detail else collection
        href = _next_link(call, path, items[-1].id)
        body[f"{collection}_links"] = [{"rel": "next", "href": href}]
    if call.at_least("3.45") and flag(call.query.get("with_count")):
        body["count"] = total
    return body


def metadata_filter(text: str) -> dict[str, str]:
    """cinder takes `metadata={'k': 'v'}` (a Python or JSON object literal)."""
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
    raise invalid_input(f"Invalid metadata filter {text}: it must be an object, e.g. {{'k': 'v'}}")


def _id(record: Listed) -> str:
    return record.id


def _marker_not_found(marker: str) -> ApiError:
    return not_found(f"Marker {marker} could not be found.")


def _next_link(call: Call, path: str, marker: str) -> str:
    project = project_of(call, call.auth)
    root = f"{call.base_url()}/{api_version(call)}/{project}/{path}"
    return f"{root}?{page_query(call, marker)}"


def _offset(params: dict[str, str]) -> int:
    text = params.pop("offset", "0")
    try:
        offset = int(text)
    except ValueError:
        raise invalid_input("offset must be an integer") from None
    if offset < 0:
        raise invalid_input("offset must be >= 0")
    return offset


def _sort_params(params: dict[str, str], sort_fields: Collection[str]) -> list[tuple[str, str]]:
    if "sort" in params and ("sort_key" in params or "sort_dir" in params):
        raise bad_request(
            "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with "
            "the 'sort' parameter."
        )
    pairs: list[tuple[str, str]] = []
    if "sort" in params:
        for item in params.pop("sort").strip().split(","):
            key, _, direction = item.partition(":")
            pairs.append((key.strip(), direction.strip() or "desc"))
    else:
        key = params.pop("sort_key", "created_at").strip()
        pairs.append((key, params.pop("sort_dir", "desc").strip()))
    for key, direction in pairs:
        if direction not in ("asc", "desc"):
            raise invalid_input("Unknown sort direction, must be 'desc' or 'asc'")
        if key not in sort_fields:
            raise invalid_input("Invalid sort key")
    first_direction = pairs[0][1]
    for default_key in ("created_at", "id"):
        if all(key != default_key for key, _ in pairs):
            pairs.append((default_key, first_direction))
    return pairs


def _sorted(
    records: Sequence[Record],
    pairs: list[tuple[str, str]],
    sort_fields: Mapping[str, Callable[[Record], Any]],
) -> list[Record]:
    ordered = list(records)
    for key, direction in reversed(pairs):
        getter = sort_fields[key]

        def sort_key(record: Record, getter: Any = getter) -> tuple[bool, Any]:
            value = getter(record)
            return (value is not None, value if value is not None else 0)

        ordered.sort(key=sort_key, reverse=direction == "desc")
    return ordered
