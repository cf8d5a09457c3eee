"""What the file commands share: AIX's wording of file errors, option parsing, file modes."""

from __future__ import annotations

from collections.abc import Iterable

from powerbridge.emulator.aix.commands.base import Invocation
from powerbridge.emulator.aix.vfs import FsError, VirtualFS

# the system error texts AIX prints (its strerror) for what the VFS reports in POSIX words
AIX_REASONS = {
    "No such file or directory": "A file or directory in the path name does not exist.",
    "Not a directory": "The specified path name is not a directory.",
    "Is a directory": "The specified path name is a directory.",
    "File exists": "Do not specify an existing file.",
    "Directory not empty": "The specified directory is not empty.",
    "Device busy": "The requested resource is busy.",
}


def reason(error: FsError) -> str:
    return AIX_REASONS.get(error.reason, error.reason)


def path_of(inv: Invocation, path: str) -> str:
    return VirtualFS.normalize(path, inv.cwd)


def take_flags(args: list[str]) -> set[str]:
    """Pop the leading flag words off `args` (`-lw`, `-l -w`) and return their letters, known
    or not: the command judges them."""
    flags: set[str] = set()
    while args and args[0].startswith("-") and len(args[0]) > 1:
        flags |= set(args.pop(0)[1:])
    return flags


def split_flags(inv: Invocation, allowed: str) -> tuple[set[str], list[str]] | None:
    """Single-letter flags (`-rf`, `-r -f`, up to `--`) and the operands after them; None
    (after printing AIX's usage complaint) for a flag the command does not take."""
    flags: set[str] = set()
    args = list(inv.args)
    while args and args[0].startswith("-") and len(args[0]) > 1:
        arg = args.pop(0)
        if arg == "--":
            break
        for letter in arg[1:]:
            if letter not in allowed:
                inv.err.line(f"{inv.name}: Not a recognized flag: {letter}")
                return None
            flags.add(letter)
    return flags, args


def mode_string(is_dir: bool, mode: int) -> str:
    kinds = "d" if is_dir else "-"
    bits = ""
    for shift in (6, 3, 0):
        part = (mode >> shift) & 7
        bits += ("r" if part & 4 else "-") + ("w" if part & 2 else "-") + ("x" if part & 1 else "-")
    chars = list(bits)
    for index, flag, letter in ((2, 0o4000, "s"), (5, 0o2000, "s"), (8, 0o1000, "t")):
        if mode & flag:
            chars[index] = letter if chars[index] == "x" else letter.upper()
    return kinds + "".join(chars)


SYMBOLIC_WHO = {"u": 0o4700, "g": 0o2070, "o": 0o1007, "a": 0o7777}
SYMBOLIC_PERM = {"r": 0o444, "w": 0o222, "x": 0o111, "s": 0o6000, "t": 0o1000}


def parse_mode(text: str, current: int) -> int | None:
    """An octal mode or a symbolic one (`u+x`, `go-w`, `a=rx,u+w`); None when invalid."""
    if text and all(char in "01234567" for char in text):
        return int(text, 8) if len(text) <= 4 else None
    mode = current
    for clause in text.split(","):
        who = ""
        while clause and clause[0] in "ugoa":
            who, clause = who + clause[0], clause[1:]
        if not clause or clause[0] not in "+-=" or any(c not in SYMBOLIC_PERM for c in clause[1:]):
            return None
        mask = 0
        for letter in who or "a":
            mask |= SYMBOLIC_WHO[letter]
        bits = 0
        for letter in clause[1:]:
            bits |= SYMBOLIC_PERM[letter]
        bits &= mask
        if clause[0] == "+":
            mode |= bits
        elif clause[0] == "-":
            mode &= ~bits
        else:
            mode = (mode & ~mask) | bits
    return mode


def under(fs: VirtualFS, root: str) -> Iterable[str]:
    """The path and everything below it, parents first."""
    prefix = root.rstrip("/") + "/"
    for path, _entry in fs.walk():
        if path == root or path.startswith(prefix):
            yield path
