"""Paging pieces every service's list shares: the page size asked for, the records after a
marker, and the query string of another page. Each service passes its own wording for a
marker it cannot find."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlencode

from powerbridge.emulator.api.routing import Call
from powerbridge.emulator.errors import ApiError, bad_request

Item = TypeVar("Item")


def page_limit(text: str | None, default: int, maximum: int) -> int:
    """A `limit` query parameter as glance and cinder read it: absent is `default`, more
    than `maximum` is `maximum`, anything but a whole number >= 0 is a 400."""
    if text is None:
        return default
    try:
        limit = int(text)
    except ValueError:
        raise bad_request("limit param must be an integer") from None
    if limit < 0:
        raise bad_request("limit param must be positive")
    return min(limit, maximum)


def after_marker(
    items: Sequence[Item],
    marker: str,
    id_of: Callable[[Item], str],
    not_found: Callable[[str], ApiError],
) -> list[Item]:
    """The items after the one whose id is `marker`; `not_found(marker)` when none has it."""
    ids = [id_of(item) for item in items]
    if marker not in ids:
        raise not_found(marker)
    return list(items[ids.index(marker) + 1 :])


def page_query(
    call: Call,
    marker: str | None,
    *,
    drop: tuple[str, ...] = ("marker",),
    extra: Sequence[tuple[str, str]] = (),
) -> str:
    """The request's query string for another page: the `drop`ped parameters removed, then
    `marker` (when given) and `extra` appended, URL-encoded."""
    params = [(key, value) for key, value in call.query.multi_items() if key not in drop]
    if marker is not None:
        params.append(("marker", marker))
    params.extend(extra)
    return urlencode(params)
