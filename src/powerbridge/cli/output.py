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
    from rich.console import Console
    from rich.table import Table

    cols = list(columns) if columns else (list(rows[0].keys()) if rows else [])
    table = Table(title=title, show_lines=False)
    for col in cols:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(col)) for col in cols))
    Console(file=out, soft_wrap=False).print(table)


def _print_record(record: Row, out: TextIO, title: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=True)
    table.add_column("Field", style="bold")
    table.add_column("Value", overflow="fold")
    for key, value in record.items():
        table.add_row(str(key), _cell(value))
    Console(file=out, soft_wrap=False).print(table)
