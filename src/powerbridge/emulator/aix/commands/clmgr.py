"""`clmgr [-c|-d C|-a ATTRS|-v] ACTION CLASS [NAME] [ATTR=value ...]`: the command line.

Actions and classes are case-insensitive, take IBM's aliases (`rm`, `ls`, `cl`, `rg`, `app`,
...) and any unambiguous abbreviation (`clmgr q cl`). Attribute names are case-insensitive
too. Every call is logged in /var/hacmp/log/clutils.log. Failures are `ERROR:` lines on
stderr and a non-zero status. The per-class work is in `clmgr_topology` and
`clmgr_resources`; the query output in `clmgr_output`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.powerha import logs

NOT_FOUND = 127
USAGE = 2

ACTIONS: dict[str, tuple[str, ...]] = {
    "add": ("create", "make", "mk"),
    "modify": ("change", "set", "ch"),
    "delete": ("remove", "erase", "rm"),
    "query": ("list", "show", "get", "ls"),
    "online": ("start", "on"),
    "offline": ("stop", "off"),
    "sync": ("synchronize",),
    "verify": ("validate",),
    "move": ("mv",),
    "replace": (),
}
CLASSES: dict[str, tuple[str, ...]] = {
    "cluster": ("cl",),
    "node": ("no",),
    "repository": ("rp",),
    "network": ("nw",),
    "service_ip": ("si",),
    "application_controller": ("ac", "app"),
    "application_monitor": ("am", "mon"),
    "volume_group": ("vg",),
    "logical_volume": ("lv",),
    "file_system": ("fs",),
    "resource_group": ("rg",),
    "snapshot": ("sn", "ss"),
}


@dataclass
class Request:
    action: str
    cls: str
    name: str = ""
    attrs: dict[str, str] = field(default_factory=dict)
    select: list[str] = field(default_factory=list)  # -a
    delimiter: str = ""  # -c (":") or -d C
    verbose: bool = False


class UsageError(Exception):
    """A command line clmgr cannot read (its message is the ERROR line)."""


def canonical(word: str, table: dict[str, tuple[str, ...]], what: str) -> str:
    """The action or class a word names: an alias, a full name or an unambiguous prefix."""
    lowered = word.lower()
    for name, aliases in table.items():
        if lowered == name or lowered in aliases:
            return name
    matches = [name for name in table if name.startswith(lowered)]
    if len(matches) == 1:
        return matches[0]
    raise UsageError(f'"{word}" is not a valid {what}. Valid {what}s: {", ".join(table)}')


def _options(args: list[str], request: Request) -> list[str]:
    """Consume the flags before ACTION; return the rest."""
    rest = list(args)
    while rest and rest[0].startswith("-") and len(rest[0]) > 1:
        flag = rest.pop(0)
        if flag == "-c":
            request.delimiter = ":"
        elif flag == "-v":
            request.verbose = True
        elif flag[:2] in ("-a", "-d", "-T", "-l"):
            value = flag[2:] or (rest.pop(0) if rest else "")
            if not value:
                raise UsageError(f"the flag {flag} needs a value")
            if flag[:2] == "-a":
                request.select = [a.strip().upper() for a in value.split(",") if a.strip()]
            elif flag[:2] == "-d":
                request.delimiter = value
        elif flag == "-x":
            continue  # XML-like output: answered as ATTR="VALUE" lines
        else:
            raise UsageError(f'"{flag}" is not a valid flag')
    return rest


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse(args: list[str]) -> Request:
    request = Request("", "")
    rest = _options(args, request)
    if len(rest) < 2:
        if rest and canonical(rest[0], ACTIONS, "action") in ("sync", "verify"):
            rest.append("cluster")  # `clmgr sync` alone means the cluster
        else:
            raise UsageError(
                "usage: clmgr [-c|-d C|-a ATTRS|-v] ACTION CLASS [NAME] [ATTR=value ...]"
            )
    request.action = canonical(rest[0], ACTIONS, "action")
    request.cls = canonical(rest[1], CLASSES, "class")
    words = list(rest[2:])
    while words:
        word = words.pop(0)
        if word in ("-v", "-c") or (word[:2] in ("-a", "-d") and len(word) >= 2):
            words = _options([word, *words], request)  # flags after the class, as users type
            continue
        key, eq, value = word.partition("=")
        if eq and key:
            request.attrs[key.upper()] = unquote(value)
        elif not request.name:
            request.name = unquote(word)
        else:
            raise UsageError(f'"{word}" is not an ATTR=value pair')
    return request


Handler = Callable[[Invocation, Request], int]


def handlers() -> dict[tuple[str, str], Handler]:
    from powerbridge.emulator.aix.commands import clmgr_resources, clmgr_topology, clmgr_vg_modify

    return {**clmgr_topology.HANDLERS, **clmgr_resources.HANDLERS, **clmgr_vg_modify.HANDLERS}


def clmgr(inv: Invocation) -> int:
    if not inv.node.has_powerha:
        inv.err.line(f"ksh: {inv.name}:  not found.")
        return NOT_FOUND
    status = _run(inv)
    logs.clmgr_call(inv.node, inv.world.now(), inv.argv, status, inv.err.text)
    inv.world.clusters.run_due()
    return status


def _run(inv: Invocation) -> int:
    try:
        request = parse(inv.args)
    except UsageError as error:
        inv.err.line(f"ERROR: {error}")
        return USAGE
    handler = handlers().get((request.action, request.cls))
    if handler is None:
        inv.err.line(f'ERROR: the action "{request.action}" does not apply to "{request.cls}".')
        return USAGE
    return handler(inv, request)


COMMANDS: dict[str, Command] = {"clmgr": clmgr}
