"""The parsed form of a command line: what the interpreter walks."""

from __future__ import annotations

from dataclasses import dataclass, field

from powerbridge.emulator.aix.shell.lexer import HereDoc


@dataclass
class Redirect:
    fd: int  # the descriptor redirected: 0 for `<`, 1 for `>`, 2 for `2>`
    op: str  # one of < > >> >| >& <& << <<-
    target: str = ""  # the raw word (a path, or a descriptor number for >&)
    heredoc: HereDoc | None = None


@dataclass
class Simple:
    assignments: list[tuple[str, str]] = field(default_factory=list)  # NAME, raw value
    words: list[str] = field(default_factory=list)  # raw words
    redirects: list[Redirect] = field(default_factory=list)
    line: int = 1


@dataclass
class Pipeline:
    commands: list[Command]
    negate: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)  # ("&&"|"||", pipeline)


@dataclass
class Sequence:
    items: list[AndOr] = field(default_factory=list)


@dataclass
class If:
    clauses: list[tuple[Sequence, Sequence]]  # (condition, body) for if and each elif
    otherwise: Sequence | None = None


@dataclass
class For:
    name: str
    words: list[str] | None  # None: `for X; do` iterates over "$@"
    body: Sequence


@dataclass
class While:
    condition: Sequence
    body: Sequence
    until: bool = False


@dataclass
class Case:
    subject: str
    arms: list[tuple[list[str], Sequence]]


@dataclass
class Group:
    body: Sequence
    subshell: bool = False  # `( ... )`: variables and cd do not leak out


@dataclass
class FunctionDef:
    name: str
    body: Command


@dataclass
class Redirected:
    """A compound command with redirections after it (`done < file`, `fi > out`)."""

    command: Command
    redirects: list[Redirect]


Command = Simple | If | For | While | Case | Group | FunctionDef | Redirected
