"""Neutron's list engine: a filter per attribute (repeated values OR'ed), `fields=`,
`sort_key`/`sort_dir`, `limit`/`marker`/`page_reverse` with `<collection>_links`, and the tag
filters `tags`, `tags-any`, `not-tags`, `not-tags-any`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from powerbridge.emulator.api.network.common import http_bad_request
from powerbridge.emulator.api.network.resources import Resource
from powerbridge.emulator.api.network.validators import boolean, integer
from powerbridge.emulator.api.paging import page_query
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.ipam import invalid_input, neutron_error
from powerbridge.emulator.backend.network_records import Record

QUERY_CONTROLS = frozenset(
    {"fields", "limit", "marker", "page_reverse", "sort_key", "sort_dir"}
    | {"tags", "tags-any", "not-tags", "not-tags-any"}
)
Row = tuple[Record, dict[str, Any]]


def list_reply(call: Call, resource: Resource) -> Reply:
    caller = call.auth
    query = call.query
    records = resource.records(call.emulator.networks, caller)
    rows: list[Row] = [(record, resource.view(record)) for record in records]
    matchers = _filters(query, resource)
    rows = [row for row in rows if all(match(row[1]) for match in matchers)]
    rows = [row for row in rows if _tags_match(query, row[0].tags)]
    limit, marker, reverse = _page_params(query)
    sorts = _sorts(query, resource)
    if limit and "id" not in (key for key, _ in sorts):
        sorts.append(("id", True))  # neutron pages in a total order, by id last
    if sorts:

        def by_sorts(a: Row, b: Row) -> int:
            return _compare(a[1], b[1], sorts)

        rows.sort(key=functools.cmp_to_key(by_sorts))
    links: list[dict[str, str]] = []
    if limit:
        rows = _page(rows, records, resource, sorts, limit, marker, reverse)
        links = _links(call, resource, [row[1] for row in rows], limit, reverse)
    wanted = fields(query)
    body: dict[str, Any] = {
        resource.collection: [resource.shape(row[1], caller, wanted) for row in rows]
    }
    if links:
        body[f"{resource.collection}_links"] = links
    return Reply(body)


def fields(query: Any) -> list[str]:
    return [f for f in query.getlist("fields") if f]


def _filters(query: Any, resource: Resource) -> list[Callable[[Mapping[str, Any]], bool]]:
    matchers = []
    for key in dict.fromkeys(query.keys()):
        if key in QUERY_CONTROLS:
            continue
        values = [v for v in query.getlist(key) if v]
        spec = resource.attrs.get(key)
        if spec is None or spec.filter is None:
            raise http_bad_request(f"[{key}] is invalid attribute for filtering")
        if values:
            matchers.append(_matcher(key, spec.filter, values))
    return matchers


def _matcher(key: str, kind: str, values: list[str]) -> Callable[[Mapping[str, Any]], bool]:
    if kind == "fixed_ips":
        wanted = _kvp(values)
        return lambda row: any(_fixed_ip_matches(f, wanted) for f in row[key])
    if kind == "list":
        return lambda row: any(v in row[key] for v in values)
    converted: set[Any] = set(values)
    if kind == "bool":
        converted = {boolean(key, v) for v in values}
    elif kind == "int":
        converted = {integer(key, v) for v in values}
    return lambda row: row[key] in converted


def _kvp(values: list[str]) -> dict[str, set[str]]:
    """neutron's convert_kvp_list_to_dict: ['ip_address=10.0.0.3'] -> {'ip_address': {...}}."""
    wanted: dict[str, set[str]] = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise invalid_input(f"'{value}' is not of the form <key>=[value]")
        wanted.setdefault(key, set()).add(item)
    return wanted


def _fixed_ip_matches(fixed: Mapping[str, str], wanted: Mapping[str, set[str]]) -> bool:
    for key, accepted in wanted.items():
        if key == "ip_address_substr":
            if not any(part in fixed["ip_address"] for part in accepted):
                return False
        elif fixed.get(key) not in accepted:
            return False
    return True


def _tags_match(query: Any, tags: Sequence[str]) -> bool:
    def wanted(param: str) -> set[str]:
        return {t for value in query.getlist(param) for t in value.split(",") if t}

    present = set(tags)
    all_of, any_of = wanted("tags"), wanted("tags-any")
    none_of_all, none_of_any = wanted("not-tags"), wanted("not-tags-any")
    if all_of and not all_of <= present:
        return False
    if any_of and not any_of & present:
        return False
    if none_of_all and none_of_all <= present:
        return False
    return not (none_of_any and none_of_any & present)


def _page_params(query: Any) -> tuple[int, str | None, bool]:
    raw = query.get("limit", "0")
    try:
        limit = int(raw)
    except ValueError:
        limit = -1
    if limit < 0:
        raise neutron_error(
            400,
            "BadRequest",
            f"Bad limit request: Limit must be an integer 0 or greater and not '{raw}'.",
        )
    reverse = query.get("page_reverse", "False").lower() == "true"
    return limit, query.get("marker") if limit else None, reverse


def _sorts(query: Any, resource: Resource) -> list[tuple[str, bool]]:
    keys = [k for k in query.getlist("sort_key") if k]
    directions = [d for d in query.getlist("sort_dir") if d]
    if len(keys) != len(directions):
        raise http_bad_request("The number of sort_keys and sort_dirs must be same")
    absent = [k for k in keys if k not in resource.attrs]
    if absent:
        raise http_bad_request(f"{absent} is invalid attribute for sort_keys")
    invalid = [d for d in directions if d not in ("asc", "desc")]
    if invalid:
        raise http_bad_request(
            f"{invalid} is invalid value for sort_dirs, valid value is 'asc' and 'desc'"
        )
    return [(key, direction == "asc") for key, direction in zip(keys, directions, strict=True)]


def _compare(a: Mapping[str, Any], b: Mapping[str, Any], sorts: Sequence[tuple[str, bool]]) -> int:
    """neutron's emulated sorting: None first, then natural order, per key and direction."""
    for key, ascending in sorts:
        left, right = _sortable(a.get(key)), _sortable(b.get(key))
        if left is None and right is None:
            result = 0
        elif left is None:
            result = -1
        elif right is None:
            result = 1
        else:
            result = (left > right) - (left < right)
        if result:
            return result if ascending else -result
    return 0


def _sortable(value: Any) -> Any:
    return str(value) if isinstance(value, dict | list) else value


def _page(
    rows: list[Row],
    records: Sequence[Record],
    resource: Resource,
    sorts: Sequence[tuple[str, bool]],
    limit: int,
    marker: str | None,
    reverse: bool,
) -> list[Row]:
    """neutron's native pagination: the rows after (or before) the marker in sort order."""
    if marker is not None:
        anchor = next((r for r in records if r.id == marker), None)
        if anchor is None:
            raise resource.not_found(marker)
        anchor_row = resource.view(anchor)
        if reverse:
            rows = [row for row in rows if _compare(row[1], anchor_row, sorts) < 0]
        else:
            rows = [row for row in rows if _compare(row[1], anchor_row, sorts) > 0]
    return rows[-limit:] if reverse else rows[:limit]


def _links(
    call: Call, resource: Resource, items: list[dict[str, Any]], limit: int, reverse: bool
) -> list[dict[str, str]]:
    """neutron's get_pagination_links: `next` unless a short forward page, `previous` unless
    a short reverse page, each carrying the query with a new marker."""
    links = []
    if not (len(items) < limit and not reverse):
        links.append({"rel": "next", "href": _page_href(call, resource, items, last=True)})
    if not (len(items) < limit and reverse):
        links.append({"rel": "previous", "href": _page_href(call, resource, items, last=False)})
    return links


def _page_href(call: Call, resource: Resource, items: list[dict[str, Any]], *, last: bool) -> str:
    marker = items[-1 if last else 0]["id"] if items else None
    extra = [] if last else [("page_reverse", "True")]
    query = page_query(call, marker, drop=("marker", "page_reverse"), extra=extra)
    return f"{call.base_url()}/v2.0/{resource.collection}?{query}"
