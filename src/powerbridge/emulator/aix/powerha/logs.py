"""The PowerHA logs a node keeps: /var/hacmp/log/hacmp.out (event processing, written as the
events happen) and /var/hacmp/log/clutils.log (every clmgr call)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from powerbridge.emulator.aix.node import Node

LOG_DIR = "/var/hacmp/log"
HACMP_OUT = f"{LOG_DIR}/hacmp.out"
CLUTILS_LOG = f"{LOG_DIR}/clutils.log"


def stamp(now: float) -> str:
    """hacmp.out's time stamp: `Dec  4 02:10:27`."""
    return time.strftime("%b %e %H:%M:%S", time.gmtime(now))


def long_date(now: float) -> str:
    return time.strftime("%a %b %e %H:%M:%S UTC %Y", time.gmtime(now))


def _append(node: Node, path: str, text: str) -> None:
    if not node.fs.is_dir(LOG_DIR):
        node.fs.mkdir(LOG_DIR, parents=True)
    node.fs.write_text(path, text, append=True)


def event(nodes: list[Node], now: float, name: str, *args: str, status: int | None = None) -> None:
    """One EVENT START (status None) or EVENT COMPLETED line on each node's hacmp.out."""
    words = " ".join((name, *args))
    if status is None:
        line = f"{stamp(now)} EVENT START: {words}\n"
    else:
        line = f"{stamp(now)} EVENT COMPLETED: {words} {status}\n"
    for node in nodes:
        _append(node, HACMP_OUT, line)


def note(nodes: list[Node], now: float, text: str) -> None:
    for node in nodes:
        _append(node, HACMP_OUT, f"{stamp(now)} {text}\n")


def clmgr_call(node: Node, now: float, argv: list[str], status: int, errors: str) -> None:
    """clutils.log's record of one clmgr call (layout reconstructed)."""
    pid = int(now) % 90000 + 10000
    lines = [
        f"CLMGR STARTED   ({pid}) : {long_date(now)}",
        f"CLMGR USER      ({pid}) : ::root:system",
        f"CLMGR COMMAND   ({pid}) : {' '.join(argv)}",
        f"CLMGR RETURN    ({pid}) : {status}",
    ]
    lines += [f"CLMGR STDERR    ({pid}) : {line}" for line in errors.splitlines()]
    lines.append(f"CLMGR ENDED     ({pid}) : {long_date(now)}")
    _append(node, CLUTILS_LOG, "\n".join(lines) + "\n")
