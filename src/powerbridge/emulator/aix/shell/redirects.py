"""Redirections: where a command's descriptors 0, 1 and 2 point, on the node's files only
(`/dev/null` is a sink that reads as empty)."""

from __future__ import annotations

from dataclasses import dataclass, field

from powerbridge.emulator.aix.commands.base import Output
from powerbridge.emulator.aix.shell.ast import Redirect
from powerbridge.emulator.aix.shell.expand import Context, expand_heredoc, expand_string
from powerbridge.emulator.aix.shell.streams import InputStream, Streams
from powerbridge.emulator.aix.vfs import FsError, VirtualFS

DEV_NULL = "/dev/null"


class RedirectError(Exception):
    """ksh's message for a redirection it cannot make (the command does not run)."""


@dataclass(frozen=True)
class FileTarget:
    path: str


@dataclass(frozen=True)
class NullTarget:
    pass


Target = Output | FileTarget | NullTarget


@dataclass
class Routing:
    stdin: InputStream
    targets: dict[int, Target] = field(default_factory=dict)

    def merged(self) -> bool:
        """Whether standard output and standard error go to the same place."""
        out, err = self.targets.get(1), self.targets.get(2)
        return out is err or (not isinstance(out, Output) and out == err)

    def deliver(self, fs: VirtualFS, fd: int, text: str) -> None:
        if not text:
            return
        target = self.targets.get(fd, NullTarget())
        if isinstance(target, Output):
            target.write(text)
        elif isinstance(target, FileTarget):
            try:
                fs.write_text(target.path, text, append=True)
            except FsError:
                return  # the file went away under the command: the output is lost, as on AIX


async def open_redirects(
    redirects: list[Redirect], streams: Streams, fs: VirtualFS, ctx: Context
) -> Routing:
    routing = Routing(streams.stdin, {0: NullTarget(), 1: streams.out, 2: streams.err})
    for redirect in redirects:
        if redirect.heredoc is not None:
            body = redirect.heredoc.body
            text = await expand_heredoc(body, ctx) if redirect.heredoc.expand else body
            routing.stdin = InputStream(text)
            continue
        target = await expand_string(redirect.target, ctx)
        if redirect.op in (">&", "<&"):
            _duplicate(routing, redirect, target)
        elif redirect.op == "<":
            routing.stdin = InputStream(_read(fs, target, ctx.cwd))
        else:
            routing.targets[redirect.fd] = _create(fs, target, ctx.cwd, redirect.op == ">>")
    return routing


def _duplicate(routing: Routing, redirect: Redirect, target: str) -> None:
    if target == "-":
        routing.targets[redirect.fd] = NullTarget()
    elif target.isdecimal() and int(target) in (1, 2):
        routing.targets[redirect.fd] = routing.targets[int(target)]
    elif target == "0":
        return
    else:
        raise RedirectError(f"{target}: bad file unit number")


def _read(fs: VirtualFS, path: str, cwd: str) -> str:
    where = VirtualFS.normalize(path, cwd)
    if where == DEV_NULL:
        return ""
    try:
        return fs.read_text(where)
    except FsError:
        raise RedirectError(f"{path}: 0403-016 Cannot find or open the file.") from None


def _create(fs: VirtualFS, path: str, cwd: str, append: bool) -> Target:
    where = VirtualFS.normalize(path, cwd)
    if where == DEV_NULL:
        return NullTarget()
    try:
        fs.write_text(where, "", append=append)
    except FsError:
        raise RedirectError(f"{path}: 0403-005 Cannot create the specified file.") from None
    return FileTarget(where)
