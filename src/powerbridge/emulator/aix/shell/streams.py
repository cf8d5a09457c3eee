"""What a running command reads and writes, and the shell's own control flow signals."""

from __future__ import annotations

from dataclasses import dataclass, field

from powerbridge.emulator.aix.commands.base import Output


@dataclass
class InputStream:
    """Standard input: commands see what is left; `read` takes one line at a time."""

    text: str = ""
    pos: int = 0

    def rest(self) -> str:
        return self.text[self.pos :]

    def readline(self) -> str | None:
        if self.pos >= len(self.text):
            return None
        end = self.text.find("\n", self.pos)
        end = len(self.text) if end < 0 else end
        line = self.text[self.pos : end]
        self.pos = end + 1
        return line


@dataclass
class Streams:
    stdin: InputStream = field(default_factory=InputStream)
    out: Output = field(default_factory=Output)
    err: Output = field(default_factory=Output)


class ShellSignal(Exception):
    """Control flow that unwinds the interpreter (never an error a user sees as such)."""


class ExitShell(ShellSignal):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class ReturnFromFunction(ShellSignal):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class LoopControl(ShellSignal):
    """`break N` / `continue N`: `levels` enclosing loops are left (or continued)."""

    def __init__(self, levels: int, *, again: bool) -> None:
        super().__init__(levels)
        self.levels = levels
        self.again = again


class Aborted(ShellSignal):
    """The emulator's limits stop a runaway line: the message goes to stderr, status 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
