"""Filters over standard input or the node's files: grep/egrep/fgrep, head, tail, wc, sort,
uniq, cut, tr, tee, basename, dirname (sed and awk have their own modules)."""

from __future__ import annotations

import posixpath
import re

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.commands.fsutil import path_of, take_flags
from powerbridge.emulator.aix.commands.regex import RegexError, compile_posix
from powerbridge.emulator.aix.vfs import FsError


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def read_inputs(inv: Invocation, paths: list[str], complaint: str) -> list[tuple[str, str]] | None:
    """(name, text) for each operand (`-` or none: stdin); None after printing `complaint`
    (formatted with the path) for one that cannot be read."""
    if not paths:
        return [("(standard input)", inv.stdin)]
    inputs: list[tuple[str, str]] = []
    for path in paths:
        if path == "-":
            inputs.append(("(standard input)", inv.stdin))
            continue
        try:
            inputs.append((path, inv.node.fs.read_text(path_of(inv, path))))
        except FsError:
            if complaint:  # grep -s: no message, the status still says so
                inv.err.line(complaint.format(path=path))
            return None
    return inputs


def _grep_options(inv: Invocation) -> tuple[set[str], list[str], list[str]] | None:
    flags: set[str] = {"E"} if inv.name == "egrep" else {"F"} if inv.name == "fgrep" else set()
    patterns: list[str] = []
    args = list(inv.args)
    operands: list[str] = []
    while args:
        arg = args.pop(0)
        if arg == "--":
            operands.extend(args)
            break
        if not arg.startswith("-") or len(arg) == 1:
            operands.append(arg)
            continue
        letters = arg[1:]
        for position, letter in enumerate(letters):
            if letter in "ef":
                value = letters[position + 1 :] or (args.pop(0) if args else None)
                if value is None:
                    inv.err.line(f"{inv.name}: Flag -{letter} requires a parameter.")
                    return None
                patterns.extend(value.split("\n") if letter == "e" else [])
                break
            if letter not in "ivqwcElnxsFhy":
                inv.err.line(f"{inv.name}: Not a recognized flag: {letter}")
                return None
            flags.add("i" if letter == "y" else letter)
    if not patterns:
        if not operands:
            inv.err.line(
                f"Usage: {inv.name} [-E|-F] [-c|-l|-q] [-insvxbhwy] [-e pattern] [file...]"
            )
            return None
        patterns.append(operands.pop(0))
    return flags, patterns, operands


def _matcher(flags: set[str], patterns: list[str]) -> re.Pattern[str]:
    sources = []
    for pattern in patterns:
        if "F" in flags:
            sources.append(re.escape(pattern))
        else:
            sources.append(compile_posix(pattern, extended="E" in flags).pattern)
    joined = "|".join(f"(?:{source})" for source in sources)
    if "w" in flags:
        joined = rf"(?<![\w])(?:{joined})(?![\w])"
    if "x" in flags:
        joined = rf"^(?:{joined})$"
    return re.compile(joined, re.I if "i" in flags else 0)


def grep(inv: Invocation) -> int:
    options = _grep_options(inv)
    if options is None:
        return 2
    flags, patterns, paths = options
    try:
        matcher = _matcher(flags, patterns)
    except (RegexError, re.error):
        inv.err.line(f"{inv.name}: The regular expression is not valid.")
        return 2
    status, found = 0, False
    many = len(paths) > 1 and "h" not in flags
    complaint = "" if "s" in flags else f"{inv.name}: 0652-033 Cannot open {{path}}."
    for path in paths or ["-"]:
        inputs = read_inputs(inv, [path] if path != "-" else [], complaint)
        if inputs is None:
            status = 2
            continue
        name, text = inputs[0]
        hits = [
            (number, line)
            for number, line in enumerate(lines_of(text), 1)
            if (matcher.search(line) is not None) != ("v" in flags)
        ]
        found = found or bool(hits)
        if "q" in flags:
            continue
        _report(inv, flags, name if many else None, hits)
    if "q" in flags and found:
        return 0
    return status or (0 if found else 1)


def _report(
    inv: Invocation, flags: set[str], name: str | None, hits: list[tuple[int, str]]
) -> None:
    prefix = f"{name}:" if name else ""
    if "c" in flags:
        inv.out.line(f"{prefix}{len(hits)}")
    elif "l" in flags:
        if hits:
            inv.out.line(name or "(standard input)")
    else:
        for number, line in hits:
            inv.out.line(f"{prefix}{f'{number}:' if 'n' in flags else ''}{line}")


def _count_option(inv: Invocation, default: int) -> tuple[int, bool, list[str]] | None:
    """head/tail's `-n N`, `-N` or `+N` (tail: from line N): (count, from_start, operands)."""
    args, count, from_start = list(inv.args), default, False
    if args and (args[0] == "-n" or args[0].startswith("-n")):
        value = args[0][2:] or (args[1] if len(args) > 1 else "")
        args = args[1:] if args[0][2:] else args[2:]
    elif args and args[0][:1] in "-+" and args[0][1:].isdecimal():
        value = args.pop(0)
    else:
        return count, from_start, args
    from_start = value.startswith("+")
    digits = value.lstrip("+-")
    if not digits.isdecimal():
        inv.err.line(f"{inv.name}: {value}: 0403-009 The specified number is not valid.")
        return None
    return int(digits), from_start, args


def head(inv: Invocation) -> int:
    parsed = _count_option(inv, 10)
    if parsed is None:
        return 2
    count, _start, paths = parsed
    inputs = read_inputs(inv, paths, "head: 0652-050 Cannot open {path}.")
    if inputs is None:
        return 2
    for name, text in inputs:
        if len(inputs) > 1:
            inv.out.line(f"==> {name} <==")
        for line in lines_of(text)[:count]:
            inv.out.line(line)
    return 0


def tail(inv: Invocation) -> int:
    parsed = _count_option(inv, 10)
    if parsed is None:
        return 2
    count, from_start, paths = parsed
    inputs = read_inputs(inv, paths[:1], "tail: 0652-050 Cannot open {path}.")
    if inputs is None:
        return 2
    lines = lines_of(inputs[0][1])
    chosen = (
        lines[max(count - 1, 0) :]
        if from_start
        else lines[max(len(lines) - count, 0) :]
        if count
        else []
    )
    for line in chosen:
        inv.out.line(line)
    return 0


def wc(inv: Invocation) -> int:
    args = list(inv.args)
    wanted = take_flags(args)
    if wanted - set("lwcm"):
        inv.err.line(f"wc: Not a recognized flag: {''.join(sorted(wanted - set('lwcm')))}")
        return 2
    inputs = read_inputs(inv, args, "wc: 0652-755 Cannot open {path}.")
    if inputs is None:
        return 2
    wanted = wanted or {"l", "w", "c"}
    for name, text in inputs:
        counts = {
            "l": text.count("\n"),
            "w": len(text.split()),
            "c": len(text.encode()),
            "m": len(text),
        }
        shown = "".join(f"{counts[key]:>8}" for key in "lwmc" if key in wanted)
        inv.out.line(shown + (f" {name}" if args else ""))
    return 0


def _sort_key(
    line: str, key: tuple[int, int | None] | None, separator: str | None, numeric: bool
) -> tuple[float, str]:
    text = line
    if key is not None:
        fields = line.split(separator) if separator else line.split()
        first, last = key
        chosen = fields[first - 1 : last if last is not None else None]
        text = (separator or " ").join(chosen)
    if numeric:
        match = re.match(r"\s*(-?\d+(?:\.\d+)?)", text)
        return (float(match.group(1)) if match else 0.0, text)
    return (0.0, text)


def _sort_options(
    inv: Invocation,
) -> tuple[set[str], tuple[int, int | None] | None, str | None, list[str]] | None:
    flags: set[str] = set()
    key: tuple[int, int | None] | None = None
    separator: str | None = None
    args = list(inv.args)
    while args and args[0].startswith("-") and len(args[0]) > 1:
        arg = args.pop(0)
        if arg[1] in "kt":
            value = arg[2:] or (args.pop(0) if args else "")
            if arg[1] == "t":
                separator = value[:1] or None
                continue
            match = re.fullmatch(r"(\d+)(?:\.\d+)?[a-z]*(?:,(\d+)(?:\.\d+)?[a-z]*)?", value)
            if match is None or int(match.group(1)) < 1:
                inv.err.line(f"sort: 0653-069 The -k flag value {value} is not valid.")
                return None
            key = (int(match.group(1)), int(match.group(2)) if match.group(2) else None)
            flags |= set(re.sub(r"[\d.,]", "", value))
            continue
        unknown = set(arg[1:]) - set("nrufb")
        if unknown:
            inv.err.line(f"sort: Not a recognized flag: {''.join(sorted(unknown))}")
            return None
        flags |= set(arg[1:])
    return flags, key, separator, args


def sort(inv: Invocation) -> int:
    options = _sort_options(inv)
    if options is None:
        return 2
    flags, key, separator, paths = options
    inputs = read_inputs(inv, paths, "sort: 0653-650 Cannot open {path}.")
    if inputs is None:
        return 2
    lines = [line for _name, text in inputs for line in lines_of(text)]

    def ordering(line: str) -> tuple[float, str]:
        number, text = _sort_key(line, key, separator, "n" in flags)
        return number, text.lower() if "f" in flags else text

    lines.sort(key=ordering, reverse="r" in flags)
    seen: set[tuple[float, str]] = set()
    for line in lines:
        if "u" in flags:
            identity = ordering(line)
            if identity in seen:
                continue
            seen.add(identity)
        inv.out.line(line)
    return 0


def uniq(inv: Invocation) -> int:
    args = list(inv.args)
    flags = take_flags(args)
    inputs = read_inputs(inv, args[:1], "uniq: 0652-050 Cannot open {path}.")
    if inputs is None:
        return 2
    groups: list[list[str]] = []
    for line in lines_of(inputs[0][1]):
        if groups and groups[-1][0] == line:
            groups[-1].append(line)
        else:
            groups.append([line])
    for group in groups:
        if ("d" in flags and len(group) < 2) or ("u" in flags and len(group) > 1):
            continue
        inv.out.line(f"{len(group):>4} {group[0]}" if "c" in flags else group[0])
    return 0


def _ranges(spec: str) -> list[tuple[int, int]] | None:
    ranges = []
    for part in spec.split(","):
        match = re.fullmatch(r"(\d*)-?(\d*)", part)
        if not part or match is None or part == "-":
            return None
        start = int(match.group(1)) if match.group(1) else 1
        end = int(match.group(2)) if match.group(2) else (start if "-" not in part else 1 << 30)
        if start < 1 or end < start:
            return None
        ranges.append((start, end))
    return ranges


def cut(inv: Invocation) -> int:
    args = list(inv.args)
    delimiter, fields, chars, only_delimited = "\t", None, None, False
    while args and args[0].startswith("-") and len(args[0]) > 1:
        arg = args.pop(0)
        letter, value = arg[1], arg[2:]
        if letter in "dfc" and not value:
            value = args.pop(0) if args else ""
        if letter == "d":
            delimiter = value[:1] or "\t"
        elif letter == "f":
            fields = _ranges(value)
        elif letter == "c":
            chars = _ranges(value)
        elif letter == "s":
            only_delimited = True
        else:
            inv.err.line(f"cut: Not a recognized flag: {letter}")
            return 2
    chosen = fields if fields is not None else chars
    if chosen is None:
        inv.err.line("Usage: cut {-b List [-n] | -c List | -f List [-d Character] [-s]} [File...]")
        return 2
    inputs = read_inputs(inv, args, "cut: 0652-050 Cannot open {path}.")
    if inputs is None:
        return 2
    for _name, text in inputs:
        for line in lines_of(text):
            if fields is None:
                inv.out.line(
                    "".join(c for i, c in enumerate(line, 1) if any(a <= i <= b for a, b in chosen))
                )
            elif delimiter in line:
                parts = line.split(delimiter)
                picked = [p for i, p in enumerate(parts, 1) if any(a <= i <= b for a, b in chosen)]
                inv.out.line(delimiter.join(picked))
            elif not only_delimited:
                inv.out.line(line)
    return 0


def tee(inv: Invocation) -> int:
    args = list(inv.args)
    append = bool(args) and args[0] == "-a"
    if append:
        args.pop(0)
    inv.out.write(inv.stdin)
    status = 0
    for path in args:
        try:
            inv.node.fs.write_text(path_of(inv, path), inv.stdin, append=append)
        except FsError:
            inv.err.line(f"tee: Cannot open {path}.")
            status = 1
    return status


def basename(inv: Invocation) -> int:
    if not inv.args:
        inv.err.line("Usage: basename String [Suffix]")
        return 2
    name = posixpath.basename(inv.args[0].rstrip("/")) or "/"
    suffix = inv.args[1] if len(inv.args) > 1 else ""
    if suffix and name.endswith(suffix) and name != suffix:
        name = name[: -len(suffix)]
    inv.out.line(name)
    return 0


def dirname(inv: Invocation) -> int:
    if not inv.args:
        inv.err.line("Usage: dirname Path")
        return 2
    inv.out.line(
        posixpath.dirname(inv.args[0].rstrip("/")) or ("/" if inv.args[0].startswith("/") else ".")
    )
    return 0


COMMANDS: dict[str, Command] = {
    "grep": grep,
    "egrep": grep,
    "fgrep": grep,
    "head": head,
    "tail": tail,
    "wc": wc,
    "sort": sort,
    "uniq": uniq,
    "cut": cut,
    "tee": tee,
    "basename": basename,
    "dirname": dirname,
}
