"""`ha status NAME --watch`: read the cluster again and again, show what changes.

On a terminal a rich Live panel is redrawn after each read (the status line, the reasons,
when it was read); without one (a pipe, CI) a line is printed per change, so a log holds
only the transitions (`[18:50:02] appha: Active / Warning, appha_rg on appha-node2 ...`).
Ctrl-C stops it cleanly (the caller catches KeyboardInterrupt); `count` stops after that
many reads (scripts, tests).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TextIO

from powerbridge.cli.ha_status_view import status_text

if TYPE_CHECKING:
    from rich.live import Live
    from rich.text import Text

    from powerbridge.ha.cluster_view import ClusterView

__all__ = ["watch_cluster"]


async def watch_cluster(
    read: Callable[[], Awaitable[ClusterView]],
    stream: TextIO,
    *,
    interval: float = 5.0,
    live: bool | None = None,
    count: int | None = None,
) -> ClusterView:
    """Read with `read()` every `interval` seconds until cancelled or `count` reads; the
    last view read."""
    use_live = stream.isatty() if live is None else live
    panel = _open_live(stream) if use_live else None
    shown: str | None = None
    reads = 0
    try:
        while True:
            view = await read()
            reads += 1
            text = status_text(view)
            if panel is not None:
                panel.update(_renderable(text), refresh=True)
            elif text != shown:
                stamp = time.strftime("%H:%M:%S")
                stream.write("".join(f"[{stamp}] {line}\n" for line in text.splitlines()))
                stream.flush()
            shown = text
            if count is not None and reads >= count:
                return view
            await asyncio.sleep(interval)
    finally:
        if panel is not None:
            panel.__exit__(None, None, None)


def _open_live(stream: TextIO) -> Live:
    from rich.console import Console
    from rich.live import Live

    panel = Live(_renderable("reading the cluster..."), console=Console(file=stream))
    panel.__enter__()
    return panel


def _renderable(text: str) -> Text:
    from rich.text import Text

    return Text(f"{text}\n(read at {time.strftime('%H:%M:%S')}; Ctrl-C to stop)")
