"""The `powerbridge` command line.

Command modules import their heavy dependencies (httpx, starlette, yaml, ...) inside the
command functions, so that `powerbridge --help` stays fast.

A command's process ends right after its command, and the interpreter's teardown would then
run full garbage collections over every object typer, httpx and asyncio left alive (40-100 ms
on the machines we measured, a third of a short command). At exit the heap is frozen instead
(`gc.freeze`): those collections skip it and the operating system reclaims the memory.
Objects are still released by reference counting, files are still flushed and closed;
only cyclic garbage is left to the OS, as it would be after `os._exit`.
"""

from __future__ import annotations

import atexit
import gc

atexit.register(gc.freeze)

# Start-up allocates a few hundred thousand long-lived objects (typer, httpx, asyncio, their
# modules); at CPython's default gen-0 threshold (700) that triggers some 150 collections
# which free nothing. A command is short-lived: collect less often (cycles are still
# collected, every 20,000 net allocations instead of 700). About 25 ms of a list command.
gc.set_threshold(20_000, *gc.get_threshold()[1:])
