"""SIGTERM taken as Ctrl-C by the commands that must stop cleanly (`deploy apply`, `deploy
destroy`, `server create --wait`).

A service manager, `timeout` or `kill` sends SIGTERM, whose default ends the process at once:
an apply's job would then look killed and its user would get no resume command. Inside
`sigterm_as_ctrl_c()` a SIGTERM goes through the same path as a Ctrl-C (asyncio's own SIGINT
handler cancels the running work, which records what it did), and `Stop.exit_code` is then
143 (128 + SIGTERM) instead of 130 (128 + SIGINT).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

__all__ = ["EXIT_INTERRUPTED", "EXIT_TERMINATED", "Stop", "sigterm_as_ctrl_c"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


@dataclass
class Stop:
    """Which signal stopped the command, once one did."""

    signal: int | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_TERMINATED if self.signal == signal.SIGTERM else EXIT_INTERRUPTED

    @property
    def how(self) -> str:
        return "Terminated (SIGTERM)" if self.signal == signal.SIGTERM else "Interrupted"


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[Stop]:
    """While inside, SIGTERM does what SIGINT does (a KeyboardInterrupt where the command
    catches Ctrl-C); the previous SIGTERM handler is put back on leaving."""
    stop = Stop()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stop.signal = signum
        # the SIGINT handler of the moment: asyncio.run's (cancel the main task) while async
        # work runs, Python's default (raise KeyboardInterrupt) otherwise
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)
