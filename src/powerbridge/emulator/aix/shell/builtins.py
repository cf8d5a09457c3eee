"""The commands that change the shell itself (cd, export, set, exit, read, `.`, ksh FILE...):
they reach the session, which a node command (`commands.COMMANDS`) never does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from powerbridge.emulator.aix.shell.streams import (
    ExitShell,
    InputStream,
    LoopControl,
    ReturnFromFunction,
    Streams,
)
from powerbridge.emulator.aix.vfs import VirtualFS

if TYPE_CHECKING:
    from powerbridge.emulator.aix.shell.session import Session


@dataclass
class BuiltinCall:
    session: Session
    argv: list[str]
    streams: Streams
    assignments: dict[str, str]

    @property
    def args(self) -> list[str]:
        return self.argv[1:]

    def error(self, message: str, status: int = 1) -> int:
        self.streams.err.line(f"{self.session.prefix()}: {message}")
        return status


Builtin = Callable[[BuiltinCall], int | Awaitable[int]]


def _number(call: BuiltinCall, default: int) -> int | None:
    if not call.args:
        return default
    text = call.args[0]
    if not text.lstrip("-").isdecimal():
        call.error(f"{text}: 0403-009 The specified number is not valid for this command.")
        return None
    return int(text)


def cd(call: BuiltinCall) -> int:
    session = call.session
    target = call.args[0] if call.args else session.env.get("HOME", "/")
    if target == "-":
        target = session.env.get("OLDPWD", session.cwd)
    where = VirtualFS.normalize(target, session.cwd)
    fs = session.node.fs
    if not fs.exists(where):
        return call.error(f"{target}:  not found.")
    if not fs.is_dir(where):
        return call.error(f"{target}: 0403-037 The specified path name is not a directory.")
    session.env["OLDPWD"], session.cwd = session.cwd, where
    session.env["PWD"] = where
    return 0


def pwd(call: BuiltinCall) -> int:
    call.streams.out.line(call.session.cwd)
    return 0


def export(call: BuiltinCall) -> int:
    env = call.session.env
    if not call.args or call.args == ["-p"]:
        for name in sorted(env):
            call.streams.out.line(f"{name}={env[name]}")
        return 0
    for arg in call.args:
        name, equals, value = arg.partition("=")
        if name.startswith("-"):
            continue
        if equals:
            env[name] = value
        else:
            env.setdefault(name, "")
    return 0


def unset(call: BuiltinCall) -> int:
    for name in call.args:
        if not name.startswith("-"):
            call.session.env.pop(name, None)
            call.session.functions.pop(name, None)
    return 0


def set_(call: BuiltinCall) -> int:
    session, args = call.session, call.args
    if not args:
        for name in sorted(session.env):
            call.streams.out.line(f"{name}={session.env[name]}")
        return 0
    while args and args[0][:1] in "-+" and args[0] != "--":
        flag, letters = args[0][0], args[0][1:]
        if letters == "o" and len(args) > 1:
            if args[1] == "errexit":
                session.errexit = flag == "-"
            args = args[2:]
            continue
        if "e" in letters:
            session.errexit = flag == "-"
        args = args[1:]
    if args and args[0] == "--":
        args = args[1:]
    if args or call.args[-1:] == ["--"]:
        session.positional = [session.positional[0], *args]
    return 0


def exit_(call: BuiltinCall) -> int:
    status = _number(call, call.session.last_status)
    raise ExitShell(1 if status is None else status & 0xFF)


def return_(call: BuiltinCall) -> int:
    status = _number(call, call.session.last_status)
    raise ReturnFromFunction(1 if status is None else status & 0xFF)


def break_(call: BuiltinCall) -> int:
    levels = _number(call, 1)
    raise LoopControl(max(levels or 1, 1), again=False)


def continue_(call: BuiltinCall) -> int:
    levels = _number(call, 1)
    raise LoopControl(max(levels or 1, 1), again=True)


def shift(call: BuiltinCall) -> int:
    count = _number(call, 1)
    positional = call.session.positional
    if count is None or count < 0 or count > len(positional) - 1:
        return call.error("shift: 0403-030 The shift count is not valid.")
    call.session.positional = [positional[0], *positional[1 + count :]]
    return 0


def read(call: BuiltinCall) -> int:
    args = call.args
    raw = bool(args) and args[0] == "-r"
    names = [name for name in args if not name.startswith("-")] or ["REPLY"]
    line = call.streams.stdin.readline()
    if line is None:
        for name in names:
            call.session.env[name] = ""
        return 1
    if not raw:
        line = line.replace("\\", "")
    fields = line.split(None, len(names) - 1) if line.strip() else []
    for index, name in enumerate(names):
        call.session.env[name] = fields[index].strip() if index < len(fields) else ""
    return 0


def typeset(call: BuiltinCall) -> int:
    for arg in call.args:
        if arg.startswith(("-", "+")):
            continue
        name, equals, value = arg.partition("=")
        call.session.env[name] = value if equals else call.session.env.get(name, "")
    return 0


def constant(status: int) -> Builtin:
    return lambda _call: status


def umask(call: BuiltinCall) -> int:
    if not call.args:
        call.streams.out.line("022")
    return 0


async def eval_(call: BuiltinCall) -> int:
    from powerbridge.emulator.aix.shell.interpreter import Interpreter

    return await Interpreter(call.session).run_text(" ".join(call.args), call.streams)


async def source(call: BuiltinCall) -> int:
    """`. FILE`: the file's lines run in this shell (variables and cd stay)."""
    from powerbridge.emulator.aix.shell.interpreter import Interpreter

    if not call.args:
        return 0
    session = call.session
    path = VirtualFS.normalize(call.args[0], session.cwd)
    if not session.node.fs.is_file(path):
        return call.error(f"{call.args[0]}:  not found.")
    return await Interpreter(session).run_text(session.node.fs.read_text(path), call.streams)


@dataclass
class _ShellInput:
    text: str  # the script
    name: str  # its $0
    args: list[str]  # $1...
    script: str | None  # the file named in messages (`FILE[LINE]: ...`), None for -c and stdin
    stdin: InputStream  # what the script's commands read


def _shell_input(call: BuiltinCall, args: list[str]) -> _ShellInput | int:
    session, stdin = call.session, call.streams.stdin
    if args[:1] == ["-c"]:
        if len(args) < 2:
            return call.error("-c: 0403-040 An argument is required.", 2)
        return _ShellInput(args[1], (args[2:3] or [call.argv[0]])[0], args[3:], None, stdin)
    if not args or args[0] in ("-s", "-"):
        text = stdin.rest()
        stdin.pos = len(stdin.text)  # the shell read it all: nothing is left for its commands
        return _ShellInput(text, call.argv[0], args[1:], None, InputStream())
    path = VirtualFS.normalize(args[0], session.cwd)
    if not session.node.fs.is_file(path):
        return call.error(f"{args[0]}: 0403-016 Cannot find or open the file.", 127)
    return _ShellInput(session.node.fs.read_text(path), args[0], args[1:], args[0], stdin)


async def ksh(call: BuiltinCall) -> int:
    """`ksh FILE [ARGS]`, `ksh -c 'LINE' [NAME ARGS]`, `ksh` or `ksh -s` (the script on stdin),
    in a child shell: its variables, directory and `exit` stay inside."""
    from powerbridge.emulator.aix.shell.interpreter import Interpreter

    session, args = call.session, list(call.args)
    errexit = False
    while args and args[0].startswith("-") and args[0] not in ("-c", "-s", "-"):
        errexit = errexit or "e" in args[0]
        args.pop(0)
    source = _shell_input(call, args)
    if isinstance(source, int):
        return source
    interpreter = Interpreter(session)

    async def body() -> int:
        session.positional = [source.name, *source.args]
        session.errexit = errexit
        if source.script is not None:
            session.script = source.script
        streams = Streams(source.stdin, call.streams.out, call.streams.err)
        return await interpreter.run_text(source.text, streams)

    return await interpreter.subshell(body)


def whence(call: BuiltinCall) -> int:
    """`whence [-v] NAME`, `type NAME`, `which NAME`, `command -v|-V NAME`."""
    from powerbridge.emulator.aix.shell.lookup import describe, locate

    args = list(call.args)
    verbose = call.argv[0] == "type" or "-V" in args or (call.argv[0] == "whence" and "-v" in args)
    names = [arg for arg in args if not arg.startswith("-")]
    status = 0
    for name in names:
        found = locate(call.session, name)
        if found is None:
            status = 1
            if verbose or call.argv[0] == "which":
                call.streams.err.line(f"{name} not found")
            continue
        shown = describe(call.session, name) if verbose else None
        call.streams.out.line(shown or found[1])
    return status


async def command(call: BuiltinCall) -> int:
    """`command -v NAME` tells where NAME is; `command NAME ARGS` runs it, functions aside."""
    from powerbridge.emulator.aix.shell.interpreter import Interpreter

    if call.args[:1] in (["-v"], ["-V"]):
        return whence(call)
    if not call.args:
        return 0
    saved = call.session.functions
    call.session.functions = {}
    try:
        return await Interpreter(call.session).dispatch(
            list(call.args), call.assignments, call.streams
        )
    finally:
        call.session.functions = saved


BUILTINS: dict[str, Builtin] = {
    "cd": cd,
    "pwd": pwd,
    "export": export,
    "unset": unset,
    "set": set_,
    "exit": exit_,
    "logout": exit_,
    "return": return_,
    "break": break_,
    "continue": continue_,
    "shift": shift,
    "read": read,
    "typeset": typeset,
    "readonly": typeset,
    "local": typeset,
    "true": constant(0),
    "false": constant(1),
    ":": constant(0),
    "wait": constant(0),
    "trap": constant(0),
    "umask": umask,
    "eval": eval_,
    ".": source,
    "ksh": ksh,
    "sh": ksh,
    "ksh93": ksh,
    "bsh": ksh,
    "whence": whence,
    "type": whence,
    "which": whence,
    "command": command,
}
