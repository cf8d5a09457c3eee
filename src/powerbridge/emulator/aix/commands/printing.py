"""echo (AIX's: escapes always interpreted, `\\c` ends the output, no `-n`), ksh's print
(`-n`, `-r`, `--`) and printf (formats with %s %d %i %u %x %X %o %c %b %%, widths, escapes)."""

from __future__ import annotations

import re
from collections.abc import Callable

from powerbridge.emulator.aix.commands.base import Command, Invocation

SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "r": "\r",
    "v": "\v",
}
MAX_WIDTH = 4096
FORMAT = re.compile(r"%([-+ #0]*)(\d+|\*)?(?:\.(\d+|\*))?([sdiuxXocb%])")


def escapes(text: str, *, octal_prefix: str = "0") -> tuple[str, bool]:
    """`text` with backslash escapes interpreted; True when `\\c` cut it short."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        following = text[index + 1 : index + 2]
        if char != "\\" or not following:
            out.append(char)
            index += 1
            continue
        if following == "c":
            return "".join(out), True
        if following in SIMPLE_ESCAPES:
            out.append(SIMPLE_ESCAPES[following])
            index += 2
            continue
        digits_start = index + 1 + (1 if octal_prefix and following == octal_prefix else 0)
        match = re.match(r"[0-7]{1,3}", text[digits_start:]) if following.isdecimal() else None
        if match:
            out.append(chr(int(match.group(0), 8)))
            index = digits_start + len(match.group(0))
            continue
        out.append(char)
        index += 1
    return "".join(out), False


def echo(inv: Invocation) -> int:
    text, cut = escapes(" ".join(inv.args))
    inv.out.write(text if cut else text + "\n")
    return 0


def print_(inv: Invocation) -> int:
    args, raw, newline = list(inv.args), False, True
    while args and args[0].startswith("-") and len(args[0]) > 1:
        flag = args.pop(0)
        if flag == "--":
            break
        raw = raw or "r" in flag
        newline = newline and "n" not in flag
    text = " ".join(args)
    cut = False
    if not raw:
        text, cut = escapes(text)
    inv.out.write(text + ("\n" if newline and not cut else ""))
    return 0


def _integer(text: str, complain: Callable[[str], None]) -> int:
    stripped = text.strip()
    if stripped[:1] in ("'", '"') and len(stripped) > 1:
        return ord(stripped[1])
    try:
        return int(stripped, 0) if stripped else 0
    except ValueError:
        complain(f"printf: {text}: 0403-009 The specified number is not valid for this command.")
        return 0


def _convert(spec: re.Match[str], value: str, complain: Callable[[str], None]) -> str:
    flags, width, precision, kind = spec.groups()
    # a width of a billion would build a gigabyte string: AIX fails with ENOMEM, this clamps
    width = str(min(int(width), MAX_WIDTH)) if width and width.isdecimal() else width
    precision = (
        str(min(int(precision), MAX_WIDTH)) if precision and precision.isdecimal() else precision
    )
    python_spec = f"%{flags}{width or ''}{'.' + precision if precision else ''}"
    if kind in "sb":
        text = escapes(value, octal_prefix="0")[0] if kind == "b" else value
        return (python_spec + "s") % text
    if kind == "c":
        return (python_spec + "s") % value[:1]
    number = _integer(value, complain)
    if kind in "diu":
        return (python_spec + "d") % number
    return (python_spec + kind) % number


def format_once(fmt: str, values: list[str], complain: Callable[[str], None]) -> tuple[str, int]:
    """`fmt` applied once: the text and how many values it used."""
    consumed = 0

    def substitute(spec: re.Match[str]) -> str:
        nonlocal consumed
        if spec.group(4) == "%":
            return "%"
        value = values[consumed] if consumed < len(values) else ""
        consumed += 1
        return _convert(spec, value, complain)

    return FORMAT.sub(substitute, fmt), consumed


def printf(inv: Invocation) -> int:
    """The format is reused while arguments remain, as POSIX printf does."""
    if not inv.args:
        inv.err.line("Usage: printf format [argument...]")
        return 1
    fmt, values = escapes(inv.args[0], octal_prefix="")[0].replace("*", ""), list(inv.args[1:])
    out: list[str] = []
    while True:
        text, consumed = format_once(fmt, values, inv.err.line)
        out.append(text)
        values = values[consumed:]
        if not values or not consumed:
            break
    inv.out.write("".join(out))
    return 0


COMMANDS: dict[str, Command] = {"echo": echo, "print": print_, "printf": printf}
