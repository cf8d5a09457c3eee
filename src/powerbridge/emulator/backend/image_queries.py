"""How `GET /v2/images` filters and sorts: glance's `in:`, time operators, size bounds."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.image_records import (
    FILTERABLE_CORE,
    IN_FILTERS,
    TIME_FILTERS,
    Image,
)
from powerbridge.emulator.errors import bad_request


def owns(caller: Caller, image: Image) -> bool:
    return caller.project_id is not None and image.owner == caller.project_id


def size_in_range(image: Image, low: int | None, high: int | None) -> bool:
    if low is None and high is None:
        return True
    if image.size is None:
        return False
    return (low is None or image.size >= low) and (high is None or image.size <= high)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def matches(image: Image, key: str, expression: str) -> bool:
    if key in TIME_FILTERS:
        return _time_matches(float(getattr(image, key)), key, expression)
    core = key in FILTERABLE_CORE
    actual = _as_text(getattr(image, key)) if core else image.properties.get(key)
    if key in IN_FILTERS and expression.startswith("in:"):
        return actual in [part.strip() for part in expression[3:].split(",")]
    return actual == expression


_TIME_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
    "neq": lambda a, b: a != b,
}


def parse_time_filter(key: str, expression: str) -> tuple[str, float]:
    """`gte:2026-11-23T19:14:05Z` -> ("gte", seconds); a bare time means `eq`."""
    operator, threshold = "eq", expression
    if _parse_iso(expression) is None and ":" in expression:
        operator, _, threshold = expression.partition(":")
    if operator not in _TIME_OPERATORS:
        raise bad_request("Unable to filter using the specified operator.")
    when = _parse_iso(threshold)
    if when is None:
        raise bad_request(f"Invalid value '{threshold}' for parameter '{key}': Invalid time.")
    return operator, when


def _time_matches(actual: float, key: str, expression: str) -> bool:
    operator, threshold = parse_time_filter(key, expression)
    # glance compares whole seconds, as it stores them
    return _TIME_OPERATORS[operator](float(int(actual)), threshold)


def _parse_iso(text: str) -> float | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _sort_value(image: Image, key: str) -> tuple[int, Any]:
    value = getattr(image, key)
    return (0, 0) if value is None else (1, value)  # NULL first when ascending, as SQL does


def sorted_images(images: Iterable[Image], sort: Sequence[tuple[str, str]]) -> list[Image]:
    keys = list(sort) or [("created_at", "desc")]
    directions = {direction for _, direction in keys}
    # glance breaks ties in the one direction asked for, else descending
    last_direction = directions.pop() if len(directions) == 1 else "desc"
    for tiebreak in ("created_at", "id"):
        if tiebreak not in [key for key, _ in keys]:
            keys.append((tiebreak, last_direction))
    ordered = list(images)
    for key, direction in reversed(keys):  # stable sorts, least significant key first
        ordered.sort(key=lambda image: _sort_value(image, key), reverse=direction == "desc")
    return ordered
