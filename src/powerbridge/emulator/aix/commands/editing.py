"""sed (addresses N, $, /re/, ranges and `!`; commands s, d, p, q, y; `-n`, `-e`, `-f`) and
tr (ranges, [:class:], escapes, -d, -s, -c). AIX's sed has no `-i`, and neither has this one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.commands.fsutil import path_of, take_flags
from powerbridge.emulator.aix.commands.regex import (
    CLASSES,
    RegexError,
    compile_posix,
    replacement,
)
from powerbridge.emulator.aix.commands.text import read_inputs
from powerbridge.emulator.aix.vfs import FsError

Address = int | str | re.Pattern[str]  # a line number, "$" or a regular expression


class SedError(Exception):
    pass


@dataclass
class SedCommand:
    first: Address | None
    last: Address | None
    negate: bool
    name: str
    pattern: re.Pattern[str] | None = None
    template: str = ""
    count: int = 1  # 0: every match (g)
    print_after: bool = False
    translate_from: str = ""
    translate_to: str = ""
    in_range: bool = False


def _delimited(script: str, pos: int, delimiter: str) -> tuple[str, int]:
    """The text up to the next unescaped delimiter (an escaped delimiter becomes literal)."""
    out: list[str] = []
    while pos < len(script):
        char = script[pos]
        if char == "\\" and pos + 1 < len(script):
            following = script[pos + 1]
            out.append(following if following == delimiter else char + following)
            pos += 2
            continue
        if char == delimiter:
            return "".join(out), pos + 1
        out.append(char)
        pos += 1
    raise SedError(script)


def _address(script: str, pos: int) -> tuple[Address | None, int]:
    if pos < len(script) and script[pos].isdecimal():
        match = re.match(r"\d+", script[pos:])
        assert match is not None
        return int(match.group(0)), pos + len(match.group(0))
    if script[pos : pos + 1] == "$":
        return "$", pos + 1
    if script[pos : pos + 1] in ("/", "\\"):
        if script[pos] == "\\":
            pos += 1
        text, after = _delimited(script, pos + 1, script[pos])
        return _regex(text), after
    return None, pos


def _regex(text: str) -> re.Pattern[str]:
    try:
        return compile_posix(text, extended=False)
    except RegexError:
        raise SedError(text) from None


def _substitution(command: SedCommand, script: str, pos: int) -> int:
    delimiter = script[pos : pos + 1]
    if not delimiter or delimiter in "\\\n":
        raise SedError(script)
    pattern, pos = _delimited(script, pos + 1, delimiter)
    template, pos = _delimited(script, pos, delimiter)
    command.pattern, command.template = _regex(pattern), replacement(template)
    while pos < len(script) and script[pos] not in ";\n}":
        flag = script[pos]
        if flag == "g":
            command.count = 0
        elif flag == "p":
            command.print_after = True
        elif flag.isdecimal():
            command.count = int(flag)
        elif flag != " ":
            raise SedError(script)
        pos += 1
    return pos


def parse_sed(script: str) -> list[SedCommand]:
    commands: list[SedCommand] = []
    pos = 0
    while pos < len(script):
        if script[pos] in " \t\n;":
            pos += 1
            continue
        first, pos = _address(script, pos)
        last = None
        if first is not None and script[pos : pos + 1] == ",":
            last, pos = _address(script, pos + 1)
            if last is None:
                raise SedError(script)
        negate = script[pos : pos + 1] == "!"
        pos += 1 if negate else 0
        while script[pos : pos + 1] == " ":
            pos += 1
        name = script[pos : pos + 1]
        command = SedCommand(first, last, negate, name)
        pos += 1
        if name == "s":
            pos = _substitution(command, script, pos)
        elif name == "y":
            delimiter = script[pos : pos + 1]
            command.translate_from, pos = _delimited(script, pos + 1, delimiter)
            command.translate_to, pos = _delimited(script, pos, delimiter)
            if len(command.translate_from) != len(command.translate_to):
                raise SedError(script)
        elif name not in ("d", "p", "q", "="):
            raise SedError(script)
        commands.append(command)
    return commands


def _matches(address: Address, number: int, line: str, last_line: bool) -> bool:
    if isinstance(address, int):
        return number == address
    if address == "$":
        return last_line
    assert isinstance(address, re.Pattern)
    return address.search(line) is not None


def _selected(command: SedCommand, number: int, line: str, last_line: bool) -> bool:
    if command.first is None:
        chosen = True
    elif command.last is None:
        chosen = _matches(command.first, number, line, last_line)
    elif command.in_range:
        chosen = True
        if _matches(command.last, number, line, last_line) or (
            isinstance(command.last, int) and number >= command.last
        ):
            command.in_range = False
    else:
        chosen = _matches(command.first, number, line, last_line)
        ended = isinstance(command.last, int) and command.last <= number
        command.in_range = chosen and not ended
    return chosen != command.negate


def run_sed(commands: list[SedCommand], text: str, quiet: bool) -> str:
    out: list[str] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        last_line, deleted, quit_now = number == len(lines), False, False
        for command in commands:
            if not _selected(command, number, line, last_line):
                continue
            if command.name == "s" and command.pattern is not None:
                line, made = command.pattern.subn(command.template, line, count=command.count)
                if made and command.print_after:
                    out.append(line)
            elif command.name == "y":
                line = line.translate(str.maketrans(command.translate_from, command.translate_to))
            elif command.name == "p":
                out.append(line)
            elif command.name == "=":
                out.append(str(number))
            elif command.name == "d":
                deleted = True
                break
            elif command.name == "q":
                quit_now = True
                break
        if not deleted and not quiet:
            out.append(line)
        if quit_now:
            break
    return "".join(line + "\n" for line in out)


def sed(inv: Invocation) -> int:
    args, scripts, quiet = list(inv.args), [], False
    while args and args[0].startswith("-") and len(args[0]) > 1:
        flag = args.pop(0)
        if flag == "-n":
            quiet = True
        elif flag in ("-e", "-f") and args:
            value = args.pop(0)
            try:
                scripts.append(
                    inv.node.fs.read_text(path_of(inv, value)) if flag == "-f" else value
                )
            except FsError:
                inv.err.line(f"sed: 0602-410 Cannot open {value}.")
                return 2
        else:
            inv.err.line(f"sed: Not a recognized flag: {flag[1:]}")
            inv.err.line("Usage:\tsed [-n] [-u] Script [File ...]")
            return 2
    if not scripts:
        if not args:
            inv.err.line("Usage:\tsed [-n] [-u] Script [File ...]")
            return 2
        scripts.append(args.pop(0))
    script = "\n".join(scripts)
    inputs = read_inputs(inv, args, "sed: 0602-419 Cannot find or open file {path}.")
    try:
        commands = parse_sed(script)
        if inputs is None:
            return 2
        inv.out.write(run_sed(commands, "".join(text for _name, text in inputs), quiet))
    except (SedError, re.error):  # re.error: `\2` naming a group the expression lacks
        inv.err.line(f"sed: 0602-404 Function {script} cannot be parsed.")
        return 2
    return 0


TR_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "f": "\f", "v": "\v", "b": "\b"}


def tr_set(spec: str) -> str:
    """A tr operand as the characters it names, in order."""
    out: list[str] = []
    pos = 0
    while pos < len(spec):
        if spec.startswith("[:", pos) and ":]" in spec[pos:]:
            end = spec.index(":]", pos)
            name = spec[pos + 2 : end]
            if name in CLASSES:
                expanded = re.sub(
                    r"\\(.)", lambda m: TR_ESCAPES.get(m.group(1), m.group(1)), CLASSES[name]
                )
                out.extend(_expand_ranges(expanded))
                pos = end + 2
                continue
        char = spec[pos]
        if char == "\\" and pos + 1 < len(spec):
            octal = re.match(r"[0-7]{1,3}", spec[pos + 1 :])
            if octal:
                char = chr(int(octal.group(0), 8))
                pos += 1 + len(octal.group(0))
            else:
                char = TR_ESCAPES.get(spec[pos + 1], spec[pos + 1])
                pos += 2
        else:
            pos += 1
        if spec[pos : pos + 1] == "-" and pos + 1 < len(spec) and ord(spec[pos + 1]) >= ord(char):
            out.extend(chr(code) for code in range(ord(char), ord(spec[pos + 1]) + 1))
            pos += 2
        else:
            out.append(char)
    return "".join(out)


def _expand_ranges(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if pos + 2 < len(text) and text[pos + 1] == "-":
            out.extend(chr(code) for code in range(ord(text[pos]), ord(text[pos + 2]) + 1))
            pos += 3
        else:
            out.append(text[pos])
            pos += 1
    return out


def tr(inv: Invocation) -> int:
    args = list(inv.args)
    flags = take_flags(args)
    if flags - set("cdsC") or not args or (len(args) < 2 and "d" not in flags and "s" not in flags):
        inv.err.line("Usage: tr [ -c | -cds | -cs | -C | -Cds | -Cs | -ds | -s ] String1 String2")
        return 2
    first = tr_set(args[0])
    second = tr_set(args[1]) if len(args) > 1 else ""
    text = inv.stdin
    if flags & {"c", "C"}:
        present = set(first)
        first = "".join(sorted({char for char in text if char not in present}))
    if "d" in flags:
        text = text.translate({ord(char): None for char in first})
        squeeze = second
    else:
        if second:
            padded = second + second[-1] * max(len(first) - len(second), 0)
            text = text.translate(str.maketrans(first, padded[: len(first)]))
        squeeze = second or first
    if "s" in flags and squeeze:
        text = re.sub("([" + re.escape(squeeze) + "])\\1+", r"\1", text)
    inv.out.write(text)
    return 0


COMMANDS: dict[str, Command] = {"sed": sed, "tr": tr}
