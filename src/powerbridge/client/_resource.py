"""What every resource module does alike: read JSON, follow pages, find by name or id.

- `get_json` sends a GET through the session (so it is retried) and returns the JSON object.
- `list_all` follows a collection's pages, whichever way the service links them: nova, cinder
  and neutron put a `rel=next` link in `<collection>_links`, glance a `next` path. Only the
  query of the next link is reused, on the path asked for, so a PowerVC behind a proxy that
  writes its internal host name into links still works.
- `find` resolves a name or an id the way openstacksdk does: GET by id first; on 404, list and
  match the name exactly. Several matches are `AmbiguousName` (listing the ids); none is the
  service's own 404 (its message and request id), with a hint naming what does exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, quote, urlsplit

from powerbridge.client.errors import AmbiguousName, ClientError, NameNotFound, NotFound
from powerbridge.client.session import Session
from powerbridge.names import closest

MAX_PAGES = 1000  # a guard against a service whose next link never ends


class Named(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


async def get_json(
    session: Session,
    service: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    microversion: str | None = None,
) -> dict[str, Any]:
    response = await session.request(service, "GET", path, params=params, microversion=microversion)
    return json_object(response.json() if response.content else {}, service, path)


def json_object(body: Any, service: str, path: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ClientError(f"{service} GET {path}: the answer is not a JSON object")
    return body


async def list_all(
    session: Session,
    service: str,
    path: str,
    key: str,
    *,
    params: Mapping[str, Any] | None = None,
    microversion: str | None = None,
    on_page: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Every item of a collection, following its pages. `on_page` is called per request."""
    items: list[dict[str, Any]] = []
    query: dict[str, Any] = dict(params or {})
    seen_markers: set[str] = set()
    for _ in range(MAX_PAGES):
        body = await get_json(session, service, path, params=query, microversion=microversion)
        if on_page is not None:
            on_page()
        page = body.get(key)
        if not isinstance(page, list):
            raise ClientError(f"{service} GET {path}: the answer has no {key!r} list")
        items.extend(item for item in page if isinstance(item, dict))
        following = next_query(body, key)
        if following is None or not page:
            return items
        marker = str(following.get("marker", ""))
        if marker in seen_markers:
            return items
        seen_markers.add(marker)
        query = {**query, **following}
    return items


def next_query(body: Mapping[str, Any], key: str) -> dict[str, str] | None:
    """The query of the next page's link, or None on the last page."""
    href: Any = None
    links = body.get(f"{key}_links")
    if isinstance(links, list):
        href = next(
            (
                link.get("href")
                for link in links
                if isinstance(link, dict) and link.get("rel") == "next"
            ),
            None,
        )
    if href is None and isinstance(body.get("next"), str):
        href = body["next"]  # glance
    if not isinstance(href, str) or not href:
        return None
    return dict(parse_qsl(urlsplit(href).query, keep_blank_values=True))


def item_path(collection: str, item_id: str) -> str:
    return f"{collection.rstrip('/')}/{quote(item_id, safe='')}"


async def find(
    kind: str,
    name_or_id: str,
    get: Callable[[str], Awaitable[T]],
    candidates: Callable[[str], Awaitable[Sequence[T]]],
    *,
    complete: bool = False,
    everything: Callable[[], Awaitable[Sequence[T]]] | None = None,
) -> T:
    """The one resource with that id, else the one with that name.

    `get(id)` fetches by id (raising `NotFound`); `candidates(name)` lists what may carry the
    name: a list the service filtered by name, or everything (`complete`: the not-found hint
    then names what exists and the closest name). When a filtered list finds nothing,
    `everything()` (if given) lists them all, once, so the error can suggest the closest."""
    if not name_or_id.strip():
        raise ClientError(f"an empty {kind} name or id")
    try:
        return await get(name_or_id)
    except NotFound as missing:
        not_found = missing
    found = await candidates(name_or_id)
    if not found and not complete and everything is not None:
        found, complete = await everything(), True
    return pick(kind, name_or_id, found, not_found, complete=complete)


def pick(
    kind: str,
    name_or_id: str,
    found: Sequence[T],
    not_found: NotFound | None = None,
    *,
    complete: bool = True,
) -> T:
    """The one of `found` named (or with id) `name_or_id`; `AmbiguousName` or `NotFound`."""
    by_id = [item for item in found if item.id == name_or_id]
    if by_id:
        return by_id[0]
    named = [item for item in found if item.name == name_or_id]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise AmbiguousName(kind, name_or_id, [item.id for item in named])
    names = sorted({item.name for item in found if item.name})
    if not complete:
        hint = f"no {kind} has that name or id"
    elif names:
        close = closest(name_or_id, names)
        if close:
            hint = f"no {kind} has that name or id; did you mean {close!r}?"
        else:
            more = f" and {len(names) - 20} more" if len(names) > 20 else ""
            hint = f"no {kind} has that name or id; {kind}s: {', '.join(names[:20])}{more}"
    else:
        hint = f"there are no {kind}s"
    if not_found is not None:
        not_found.hint = not_found.hint or hint
        raise not_found
    raise NameNotFound(kind, name_or_id, hint=hint)
