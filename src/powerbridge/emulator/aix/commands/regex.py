"""POSIX regular expressions (basic and extended, as grep and sed read them) in Python `re`."""

from __future__ import annotations

import re

CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": "!-/:-@\\[-`{-~",
    "xdigit": "0-9A-Fa-f",
    "print": " -~",
    "graph": "!-~",
    "cntrl": "\\x00-\\x1f\\x7f",
}
# BRE: these are literal unless escaped; ERE: special as in Python
BRE_SWAPPED = {"(", ")", "{", "}", "+", "?", "|"}


class RegexError(Exception):
    pass


def _bracket(pattern: str, start: int) -> tuple[str, int]:
    """A bracket expression from `[` at `start`: its Python form and the index after it."""
    index = start + 1
    out = ["["]
    if pattern[index : index + 1] == "^":
        out.append("^")
        index += 1
    if pattern[index : index + 1] == "]":
        out.append("\\]")
        index += 1
    while index < len(pattern) and pattern[index] != "]":
        if pattern.startswith("[:", index):
            end = pattern.find(":]", index)
            name = pattern[index + 2 : end] if end > 0 else ""
            if name not in CLASSES:
                raise RegexError(pattern)
            out.append(CLASSES[name])
            index = end + 2
            continue
        char = pattern[index]
        out.append("\\" + char if char in "\\[" else char)
        index += 1
    if index >= len(pattern):
        raise RegexError(pattern)
    out.append("]")
    return "".join(out), index + 1


def translate(pattern: str, *, extended: bool) -> str:
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "[":
            text, index = _bracket(pattern, index)
            out.append(text)
            continue
        if char == "\\" and index + 1 < len(pattern):
            following = pattern[index + 1]
            if following in "<>":
                out.append("\\b")
            elif not extended and following in BRE_SWAPPED:
                out.append(following)
            elif following in "0123456789wWsSbB":
                out.append("\\" + following)
            else:
                out.append(re.escape(following))
            index += 2
            continue
        at_start = not out or out[-1] in ("(", "|", "^")
        if char == "*" and at_start:
            out.append("\\*")
        elif not extended and char in BRE_SWAPPED:
            out.append("\\" + char)
        else:
            out.append(char)
        index += 1
    return "".join(out)


def compile_posix(pattern: str, *, extended: bool, ignore_case: bool = False) -> re.Pattern[str]:
    try:
        return re.compile(translate(pattern, extended=extended), re.I if ignore_case else 0)
    except (re.error, RegexError, OverflowError, RecursionError):
        raise RegexError(pattern) from None


def replacement(text: str) -> str:
    """A sed replacement (`&`, `\\1`, `\\n`) as a Python `re.sub` template."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following in "123456789":
                out.append(f"\\g<{following}>")
            elif following == "n":
                out.append("\n")
            else:
                out.append(following.replace("\\", "\\\\"))
            index += 2
            continue
        out.append("\\g<0>" if char == "&" else char.replace("\\", "\\\\"))
        index += 1
    return "".join(out)
