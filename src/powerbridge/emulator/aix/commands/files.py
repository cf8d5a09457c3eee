"""File commands over the node's virtual file system: cat, cp, mv, rm, rmdir, mkdir, chmod,
chown, touch, ls. Messages follow AIX's (message numbers where known, AIX's errno texts)."""

from __future__ import annotations

import posixpath
import time

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.commands.fsutil import (
    mode_string,
    parse_mode,
    path_of,
    reason,
    split_flags,
    under,
)
from powerbridge.emulator.aix.vfs import FsError, VirtualFS

SIX_MONTHS = 182 * 24 * 3600


def cat(inv: Invocation) -> int:
    parsed = split_flags(inv, "usv")
    if parsed is None:
        return 2
    _flags, paths = parsed
    status = 0
    for path in paths or ["-"]:
        if path == "-":
            inv.out.write(inv.stdin)
            continue
        try:
            inv.out.write(inv.node.fs.read_text(path_of(inv, path)))
        except FsError:
            inv.err.line(f"cat: 0652-050 Cannot open {path}.")
            status = 2
    return status


def _copy_tree(fs: VirtualFS, source: str, target: str) -> None:
    for path in list(under(fs, source)):
        entry = fs.stat(path)
        assert entry is not None
        where = target + path[len(source) :]
        if entry.is_dir:
            fs.mkdir(where, parents=True, mode=entry.mode)
        else:
            fs.write_text(where, entry.data, mode=entry.mode)


def _destination(fs: VirtualFS, source: str, target: str, many: bool) -> str | None:
    if fs.is_dir(target):
        return posixpath.join(target, posixpath.basename(source))
    return None if many else target


def _copy_or_move(inv: Invocation, *, move: bool) -> int:
    parsed = split_flags(inv, "fiRrph" if not move else "fi")
    if parsed is None:
        return 2
    flags, operands = parsed
    name = inv.name
    if len(operands) < 2:
        usage = "mv [-f | -i] [-E{force|ignore|warn}] Source ... Target"
        inv.err.line(f"Usage: {usage if move else 'cp [-fhipHILPU] [-r|-R] Source ... Target'}")
        return 2
    fs, *sources, target = [inv.node.fs, *operands]
    target_path = path_of(inv, target)
    if len(sources) > 1 and not fs.is_dir(target_path):
        inv.err.line(f"{name}: {target}: {reason(FsError(target, 'Not a directory'))}")
        return 2
    status = 0
    for source in sources:
        source_path = path_of(inv, source)
        entry = fs.stat(source_path)
        destination = _destination(fs, source_path, target_path, len(sources) > 1)
        if entry is None:
            inv.err.line(
                f"{name}: {source}: {reason(FsError(source, 'No such file or directory'))}"
            )
            status = 1
            continue
        if destination is None or destination == source_path:
            inv.err.line(f"{name}: {source} and {target} are identical.")
            status = 1
            continue
        if destination.startswith(source_path + "/"):
            inv.err.line(f"{name}: 0653-433 Cannot move or copy {source} into itself.")
            status = 1
            continue
        if entry.is_dir and not move and not flags & {"r", "R"}:
            inv.err.line(f"{name}: {source}: 0653-440 is a directory; specify -r to copy it.")
            status = 1
            continue
        try:
            if entry.is_dir:
                _copy_tree(fs, source_path, destination)
            else:
                fs.write_text(destination, entry.data, mode=entry.mode)
            if move:
                fs.remove(source_path, recursive=True)
        except FsError as error:
            inv.err.line(f"{name}: {error.path}: {reason(error)}")
            status = 1
    return status


def cp(inv: Invocation) -> int:
    return _copy_or_move(inv, move=False)


def mv(inv: Invocation) -> int:
    return _copy_or_move(inv, move=True)


def rm(inv: Invocation) -> int:
    parsed = split_flags(inv, "fiRre")
    if parsed is None:
        return 2
    flags, paths = parsed
    if not paths and "f" not in flags:
        inv.err.line("Usage: rm [-firRe] [--] File...")
        return 2
    status = 0
    fs = inv.node.fs
    for path in paths:
        where = path_of(inv, path)
        entry = fs.stat(where)
        if entry is None:
            if "f" not in flags:
                inv.err.line(f"rm: {path}: {reason(FsError(path, 'No such file or directory'))}")
                status = 2
            continue
        if entry.is_dir and not flags & {"r", "R"}:
            inv.err.line(f"rm: 0653-603 Cannot remove directory {path}.")
            status = 2
            continue
        try:
            fs.remove(where, recursive=True)
        except FsError as error:
            inv.err.line(f"rm: {path}: {reason(error)}")
            status = 2
    return status


def rmdir(inv: Invocation) -> int:
    status = 0
    for path in inv.args:
        try:
            where = path_of(inv, path)
            if not inv.node.fs.is_dir(where) and inv.node.fs.exists(where):
                raise FsError(path, "Not a directory")
            inv.node.fs.remove(where)
        except FsError as error:
            inv.err.line(
                f"rmdir: 0653-611 Directory {path} is not empty."
                if error.reason == "Directory not empty"
                else f"rmdir: {path}: {reason(error)}"
            )
            status = 2
    return status


def mkdir(inv: Invocation) -> int:
    args = list(inv.args)
    parents, mode = False, 0o755
    while args and args[0].startswith("-") and len(args[0]) > 1:
        flag = args.pop(0)
        if flag == "-p":
            parents = True
        elif flag == "-m" and args:
            parsed_mode = parse_mode(args.pop(0), 0o777)
            if parsed_mode is None:
                inv.err.line("mkdir: invalid file mode")
                return 2
            mode = parsed_mode
        else:
            inv.err.line("Usage: mkdir [-p] [-m mode] Directory ...")
            return 2
    if not args:
        inv.err.line("Usage: mkdir [-p] [-m mode] Directory ...")
        return 2
    status = 0
    for path in args:
        try:
            inv.node.fs.mkdir(path_of(inv, path), parents=parents, mode=mode)
        except FsError as error:
            inv.err.line(f"mkdir: 0653-358 Cannot create {path}.")
            inv.err.line(f"{path}: {reason(error)}")
            status = 2
    return status


def chmod(inv: Invocation) -> int:
    args = list(inv.args)
    recursive = bool(args) and args[0] == "-R"
    if recursive:
        args.pop(0)
    if len(args) < 2:
        inv.err.line("Usage: chmod [-R] [-h] {u|g|o|a ...} {+|-|=} {r|w|x|X|s|t ...} File ...")
        return 2
    fs, status = inv.node.fs, 0
    for path in args[1:]:
        where = path_of(inv, path)
        entry = fs.stat(where)
        if entry is None:
            inv.err.line(f"chmod: {path}: {reason(FsError(path, 'No such file or directory'))}")
            status = 2
            continue
        for inner in list(under(fs, where)) if recursive else [where]:
            current = fs.stat(inner)
            mode = parse_mode(args[0], current.mode if current else 0)
            if mode is None:
                inv.err.line(f"chmod: 0650-069 The mode {args[0]} is not valid.")
                return 2
            fs.chmod(inner, mode)
    return status


def chown(inv: Invocation) -> int:
    args = list(inv.args)
    recursive = bool(args) and args[0] == "-R"
    if recursive:
        args.pop(0)
    if len(args) < 2:
        inv.err.line("Usage: chown [-f] [-h] [-R] Owner[:Group] {File ...|Directory ...}")
        return 2
    owner, _sep, group = args[0].replace(".", ":", 1).partition(":")
    fs, status = inv.node.fs, 0
    for path in args[1:]:
        where = path_of(inv, path)
        if not fs.exists(where):
            inv.err.line(f"chown: {path}: {reason(FsError(path, 'No such file or directory'))}")
            status = 2
            continue
        for inner in list(under(fs, where)) if recursive else [where]:
            fs.chown(inner, owner or fs.stat(inner).owner, group or None)  # type: ignore[union-attr]
    return status


def touch(inv: Invocation) -> int:
    status = 0
    for path in [arg for arg in inv.args if not arg.startswith("-")]:
        try:
            inv.node.fs.write_text(path_of(inv, path), "", append=True)
        except FsError:
            inv.err.line(f"touch: 0652-046 Cannot create {path}.")
            status = 1
    return status


def _when(mtime: float, now: float) -> str:
    moment = time.gmtime(mtime)
    if now - mtime > SIX_MONTHS or mtime - now > 3600:
        return time.strftime("%b %d %Y ", moment)  # the year where the time goes, as AIX
    return time.strftime("%b %d %H:%M", moment)


def _long_line(inv: Invocation, path: str, shown: str) -> str:
    entry = inv.node.fs.stat(path)
    assert entry is not None
    links = 2 if entry.is_dir else 1
    size = 512 if entry.is_dir else len(entry.data.encode())
    when = _when(entry.mtime, inv.world.now())
    mode = mode_string(entry.is_dir, entry.mode)
    return f"{mode} {links:>4} {entry.owner:<8} {entry.group:<8} {size:>10} {when} {shown}"


def _list_directory(inv: Invocation, where: str, flags: set[str]) -> None:
    names = inv.node.fs.listdir(where)
    if "a" in flags:
        names = [".", "..", *names]
    else:
        names = [name for name in names if not name.startswith(".")]
    if "l" in flags:
        inv.out.line(f"total {8 * len(names)}")
    for name in names:
        inner = VirtualFS.normalize(name, where)
        inv.out.line(_long_line(inv, inner, name) if "l" in flags else name)


def ls(inv: Invocation) -> int:
    parsed = split_flags(inv, "ladA1")
    if parsed is None:
        return 2
    flags, paths = parsed
    fs, status = inv.node.fs, 0
    targets = paths or ["."]
    existing: list[tuple[str, str]] = []
    for path in targets:
        where = path_of(inv, path)
        if not fs.exists(where):
            inv.err.line(f"ls: 0653-341 The file {path} does not exist.")
            status = 2
        else:
            existing.append((path, where))
    files = [(p, w) for p, w in existing if not fs.is_dir(w) or "d" in flags]
    directories = [(p, w) for p, w in existing if fs.is_dir(w) and "d" not in flags]
    for path, where in files:
        inv.out.line(_long_line(inv, where, path) if "l" in flags else path)
    for index, (path, where) in enumerate(directories):
        if len(existing) > 1:
            inv.out.line(f"{'' if index == 0 and not files else chr(10)}{path}:")
        _list_directory(inv, where, flags)
    return status


COMMANDS: dict[str, Command] = {
    "cat": cat,
    "cp": cp,
    "mv": mv,
    "rm": rm,
    "rmdir": rmdir,
    "mkdir": mkdir,
    "chmod": chmod,
    "chown": chown,
    "touch": touch,
    "ls": ls,
}
