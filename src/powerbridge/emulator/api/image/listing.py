"""`GET /v2/images[/detail]`: glance's filters, both sort syntaxes, limit/marker and the
`first`/`next` links."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.image.common import backend, image_body
from powerbridge.emulator.api.paging import page_limit, page_query
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.image_queries import parse_time_filter
from powerbridge.emulator.backend.image_records import (
    MEMBER_STATUSES,
    SORT_KEYS,
    TIME_FILTERS,
    VISIBILITIES,
    ImagePage,
    ImageQuery,
)
from powerbridge.emulator.errors import bad_request

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


def list_images(call: Call) -> Reply:
    return _list(call, "/v2/images")


def list_images_detail(call: Call) -> Reply:
    return _list(call, "/v2/images/detail")


def _list(call: Call, path: str) -> Reply:
    page = backend(call).list_images(call.auth, list_query(call.query))
    body: dict[str, Any] = {"images": [image_body(i) for i in page.images]}
    body.update(_page_links(call, path, page))
    body["schema"] = "/v2/schemas/images"
    return Reply(body)


def _page_links(call: Call, path: str, page: ImagePage) -> dict[str, str]:
    """`first` repeats the query without the marker; `next` adds the last image as marker."""
    first = page_query(call, None)
    links = {"first": f"{path}?{first}" if first else path}
    if page.has_more and page.images:
        links["next"] = f"{path}?{page_query(call, page.images[-1].id)}"
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
        limit=page_limit(params.get("limit"), DEFAULT_LIMIT, MAX_LIMIT),
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
