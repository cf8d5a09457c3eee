"""Render command results as a table, JSON or YAML (`--format`)."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


Row = Mapping[str, Any]


def render(
    data: Sequence[Row] | Row,
    fmt: OutputFormat,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    stream: TextIO | None = None,
) -> None:
    """Print `data` (a list of rows, or one record) in the requested format."""
    out = stream or sys.stdout
    if fmt is OutputFormat.json:
        out.write(json.dumps(data, indent=2, default=str) + "\n")
    elif fmt is OutputFormat.yaml:
        import yaml

        out.write(yaml.safe_dump(_plain(data), sort_keys=False, allow_unicode=True))
    elif isinstance(data, Mapping):
        _print_record(data, out, title)
    else:
        _print_table(data, out, columns, title)


def _plain(data: Any) -> Any:
    """Round-trip through JSON so YAML sees only plain types."""
    return json.loads(json.dumps(data, default=str))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return str(value)


def _print_table(
    rows: Sequence[Row], out: TextIO, columns: Sequence[str] | None, title: str | None
) -> None:
    cols = list(columns) if columns else (list(rows[0].keys()) if rows else [])
    body = [[_cell(row.get(col)) for col in cols] for row in rows]
    _write_grid(out, cols, body, title)


def _print_record(record: Row, out: TextIO, title: str | None) -> None:
    body = [[str(key), _cell(value)] for key, value in record.items()]
    _write_grid(out, ["Field", "Value"], body, title)


# -- the grid ---------------------------------------------------------------------------------
# A plain ASCII table, as the openstack CLI prints: no styling library to import (rich costs
# 20-60 ms of start-up), nothing a pipe or a non-UTF-8 terminal mangles. On a terminal the
# widest columns are folded to fit its width; into a pipe or a file lines are never folded,
# so grep sees whole values.
MIN_WIDTH = 6


def _write_grid(out: TextIO, header: list[str], body: list[list[str]], title: str | None) -> None:
    if not header:
        return
    widths = [max(len(line) for line in _lines(text)) for text in header]
    for cells in body:
        widths = [
            max(w, *(len(line) for line in _lines(c))) for w, c in zip(widths, cells, strict=True)
        ]
    limit = _terminal_width(out)
    if limit is not None:
        widths = fit(widths, limit)
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    text = [title] if title else []
    text += [rule, *_grid_rows(header, widths), rule]
    for cells in body:
        text += _grid_rows(cells, widths)
    if body:
        text.append(rule)
    out.write("\n".join(text) + "\n")


def fit(widths: list[int], limit: int) -> list[int]:
    """Column widths whose table (borders and padding included) fits `limit` characters:
    the widest column gives up a character at a time, none below MIN_WIDTH."""
    widths = list(widths)
    overhead = 3 * len(widths) + 1
    while sum(widths) + overhead > limit:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= MIN_WIDTH:
            break
        widths[widest] -= 1
    return widths


def _grid_rows(cells: list[str], widths: list[int]) -> list[str]:
    folded = [fold(cell, width) for cell, width in zip(cells, widths, strict=True)]
    height = max((len(lines) for lines in folded), default=1)
    rows = []
    for index in range(height):
        parts = [
            (lines[index] if index < len(lines) else "").ljust(width)
            for lines, width in zip(folded, widths, strict=True)
        ]
        rows.append("| " + " | ".join(parts) + " |")
    return rows


def fold(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width`, broken after a space or comma where one is near."""
    lines: list[str] = []
    for line in _lines(text):
        while len(line) > width:
            cut = max(line.rfind(" ", 0, width + 1), line.rfind(",", 0, width))
            cut = cut + 1 if cut >= width // 2 else width
            lines.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        lines.append(line.rstrip())
    return lines


def _lines(text: str) -> list[str]:
    return text.splitlines() or [""]


def _terminal_width(out: TextIO) -> int | None:
    """The width to fit: the terminal's (COLUMNS wins), or None when not writing to one."""
    isatty = getattr(out, "isatty", None)
    if isatty is None or not isatty():
        return None
    import shutil

    return max(shutil.get_terminal_size().columns, 20)


def tell(fmt: OutputFormat, line: str, data: Sequence[Row] | Row) -> None:
    """What a command did: one line for people (`table`), or `data` as JSON or YAML."""
    if fmt is OutputFormat.table:
        print(line)
        return
    render(data, fmt)
