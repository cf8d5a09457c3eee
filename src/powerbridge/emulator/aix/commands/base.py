"""What a simulated command receives and returns.

A command is a plain function `run(inv) -> exit status` (or a coroutine function, for the few
that wait on the emulator clock): it reads `inv.argv` (argv[0] is the
name it was called by), `inv.stdin`, `inv.env` and `inv.cwd`, writes to `inv.out` and
`inv.err`, and reaches its node and the shared model through `inv.node` and `inv.world`.
It never raises for bad input: it prints what AIX prints and returns a non-zero status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from powerbridge.emulator.aix.node import Node
    from powerbridge.emulator.aix.world import AixWorld


@dataclass
class Output:
    """A command's stdout or stderr, collected as text."""

    parts: list[str] = field(default_factory=list)

    def write(self, text: str) -> None:
        self.parts.append(text)

    def line(self, text: str = "") -> None:
        self.parts.append(text + "\n")

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class Invocation:
    argv: list[str]
    node: Node
    world: AixWorld
    stdin: str = ""
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "/"
    out: Output = field(default_factory=Output)
    err: Output = field(default_factory=Output)

    @property
    def name(self) -> str:
        return self.argv[0]

    @property
    def args(self) -> list[str]:
        return self.argv[1:]


# most commands answer at once; a few wait on the emulator clock (sleep) and are coroutines
Command = Callable[[Invocation], int | Awaitable[int]]


def merge_tables(*tables: Mapping[str, Command]) -> dict[str, Command]:
    """One table from each command module's `COMMANDS`; a name defined twice is a bug."""
    merged: dict[str, Command] = {}
    for table in tables:
        for name, command in table.items():
            if name in merged:
                raise ValueError(f"the command {name!r} is defined twice")
            merged[name] = command
    return merged
