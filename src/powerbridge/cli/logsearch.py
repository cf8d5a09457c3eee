"""Search PowerVC's service logs for request ids: PowerVC's troubleshooting method, automated.

PowerVC (like OpenStack) writes `[req-<id> <user> <project> - - -]` into every log line about
a request, in `nova/`, `cinder/`, `glance/`, `neutron/` and `keystone/` under its log
directory, rotated as `*.log.1` and gzipped as `*.log.2.gz`. `search(source, ids)` reads them
all (from a local directory, or over SSH), finds the lines with the ids plus the ids those
lines name beside them (one service working for another logs both), and keeps a few lines of
context around each. `diagnosis(result)` then names the service that logged the first error
and the likely cause.

A source is anything with `files()` (paths relative to the log root) and `read(path)`; see
`LocalLogs` here and `SshLogs` in `powerbridge.cli.remote`.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

SERVICES = ("nova", "cinder", "glance", "neutron", "keystone")
LOG_NAME = re.compile(r"\.log(\.\d+)?(\.gz)?$|\.gz$")
ROTATION = re.compile(r"\.log\.(\d+)(\.gz)?$")
REQUEST_ID = re.compile(
    r"req-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
LEVEL = re.compile(r"\b(CRITICAL|ERROR|WARNING|INFO|DEBUG|TRACE)\b")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?")
# oslo.log: `<date> <time> <pid> <LEVEL> <module> [<request context>] <message>`
CONTEXT = re.compile(r"^\S+ \S+ \d+ [A-Z]+ \S+ \[([^\]]*)\]")
ERROR_LEVELS = ("CRITICAL", "ERROR", "TRACE")
MAX_RELATED = 20  # request ids added from matched lines, at most


class LogSource(Protocol):
    """Where logs are: `files()` lists paths relative to the root, `read` returns bytes."""

    description: str

    async def files(self) -> list[str]: ...

    async def read(self, path: str) -> bytes: ...


@dataclass
class LocalLogs:
    """A local log directory (such as the emulator's): `nova/`, `cinder/`... beneath it."""

    root: Path
    description: str = ""

    def __post_init__(self) -> None:
        self.description = self.description or str(self.root)

    async def files(self) -> list[str]:
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root} is not a directory")
        found: list[str] = []
        tops = [self.root / s for s in SERVICES if (self.root / s).is_dir()] or [self.root]
        for top in tops:
            for directory, _, names in os.walk(top):
                for name in names:
                    if LOG_NAME.search(name):
                        found.append(str((Path(directory) / name).relative_to(self.root)))
        return found

    async def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()


@dataclass(frozen=True)
class LogLine:
    number: int  # 1-based
    text: str


@dataclass(frozen=True)
class Match:
    """A log line naming a request id, with the lines around it."""

    path: str
    line: LogLine
    before: tuple[LogLine, ...]
    after: tuple[LogLine, ...]
    request_ids: frozenset[str]

    @property
    def service(self) -> str:
        return service_of(self.path)

    @property
    def process(self) -> str:
        return process_of(self.path)

    @property
    def level(self) -> str | None:
        found = LEVEL.search(self.line.text[:80])
        return found.group(1) if found else None

    @property
    def timestamp(self) -> str:
        found = TIMESTAMP.match(self.line.text)
        return found.group(0) if found else ""

    @property
    def message(self) -> str:
        """The text after oslo.log's `[req-... - - -]` context."""
        head, sep, rest = self.line.text.partition("] ")
        return rest if sep and "[" in head else self.line.text


@dataclass
class SearchResult:
    request_ids: list[str]  # asked for
    related_ids: list[str]  # found beside them
    matches: list[Match] = field(default_factory=list)
    files_searched: int = 0
    unreadable: list[str] = field(default_factory=list)


def service_of(path: str) -> str:
    top = path.replace("\\", "/").split("/", 1)[0]
    return top if top in SERVICES else process_of(path).split("-", 1)[0]


def process_of(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return LOG_NAME.sub("", name) or name


def _order(path: str) -> tuple[str, int]:
    """Oldest first: `x.log.3.gz`, `x.log.2`, `x.log.1`, `x.log`."""
    rotation = ROTATION.search(path)
    base = ROTATION.sub(".log", path) if rotation else path
    return base, -(int(rotation.group(1)) if rotation else 0)


def decode(path: str, data: bytes) -> str:
    if path.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return ""
    return data.decode("utf-8", errors="replace")


async def search(
    source: LogSource, request_ids: Iterable[str], *, context: int = 2
) -> SearchResult:
    """Every line naming one of `request_ids` (and the ids logged beside them)."""
    wanted = [r for r in dict.fromkeys(request_ids) if r]
    result = SearchResult(request_ids=wanted, related_ids=[])
    texts: dict[str, list[str]] = {}
    for path in sorted(await source.files(), key=_order):
        try:
            texts[path] = decode(path, await source.read(path)).splitlines()
        except OSError:
            result.unreadable.append(path)
    result.files_searched = len(texts)
    matches = _scan(texts, set(wanted), context)
    related = _related(matches, set(wanted))
    if related:
        result.related_ids = related
        matches = _scan(texts, set(wanted) | set(related), context)
    result.matches = sorted(matches, key=lambda m: (m.timestamp, _order(m.path), m.line.number))
    return result


def _scan(texts: dict[str, list[str]], wanted: set[str], context: int) -> list[Match]:
    matches = []
    for path, lines in texts.items():
        for index, text in enumerate(lines):
            if "req-" not in text:
                continue
            ids = request_ids_of(text)
            if not ids & wanted:
                continue
            before = [LogLine(i + 1, lines[i]) for i in range(max(0, index - context), index)]
            after_end = min(len(lines), index + 1 + context)
            after = [LogLine(i + 1, lines[i]) for i in range(index + 1, after_end)]
            matches.append(Match(path, LogLine(index + 1, text), tuple(before), tuple(after), ids))
    return matches


def request_ids_of(text: str) -> frozenset[str]:
    """The request ids a line is about: those of its oslo.log context (`[req-... user
    project - - -]`), not ids its message merely mentions (a URL, say); a line in another
    format is about every id in it."""
    context = CONTEXT.match(text)
    return frozenset(REQUEST_ID.findall(context.group(1) if context else text))


def _related(matches: Sequence[Match], wanted: set[str]) -> list[str]:
    related: dict[str, None] = {}
    for match in matches:
        for request_id in sorted(match.request_ids - wanted):
            related[request_id] = None
    return list(related)[:MAX_RELATED]


# -- diagnosis --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Diagnosis:
    service: str | None  # nova, cinder...
    process: str | None  # nova-conductor, nova-compute-<host>...
    cause: str
    evidence: str | None  # the line the cause was read from


CAUSES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), cause)
    for pattern, cause in (
        (
            r"'(Minimum|Desired|Maximum) Memory'",
            "the compute template breaks a PowerVM memory rule: ram must lie between "
            "powervm:min_mem and powervm:max_mem; fix the template (or the --set values)",
        ),
        (
            r"'(Minimum|Desired|Maximum) Virtual Processors'",
            "the compute template breaks a PowerVM processor rule: vcpus must lie between "
            "powervm:min_vcpu and powervm:max_vcpu",
        ),
        (
            r"Processing Units'",
            "the compute template breaks a PowerVM processing-unit rule (0.01 steps, 0.05 to "
            "1.0 per virtual processor, min <= desired <= max)",
        ),
        (r"Unknown PowerVM extra spec", "the compute template has an unknown powervm: key"),
        (
            r"Insufficient memory",
            "no host has enough free memory for the VM: free some, choose a smaller "
            "template, or add a host",
        ),
        (
            r"Insufficient processing units",
            "no host has enough free processing units for the VM",
        ),
        (
            r"No valid host",
            "the scheduler found no host for the VM: capacity, host state (maintenance), or a "
            "placement rule (host, host group, collocation rule, storage connectivity group) "
            "excluded every host",
        ),
        (r"Quota exceeded", "a project quota is used up"),
        (r"status must be", "a volume was not in a state that allows the operation"),
        (r"could not be found|not found", "something the request names does not exist"),
        (r"timed? ?out", "an operation timed out"),
    )
)


def diagnosis(result: SearchResult, fault: str | None = None) -> Diagnosis | None:
    """The service that logged the first error, and the likely cause (from it or the fault)."""
    errors = [m for m in result.matches if m.level in ERROR_LEVELS]
    first = errors[0] if errors else None
    texts = [m.message for m in errors] + ([fault] if fault else [])
    for text in texts:
        for pattern, cause in CAUSES:
            if pattern.search(text):
                return Diagnosis(
                    first.service if first else None,
                    first.process if first else None,
                    cause,
                    text,
                )
    if first is not None:
        return Diagnosis(first.service, first.process, f"see the error: {first.message}", None)
    if fault:
        return Diagnosis(None, None, f"see the fault: {fault}", None)
    return None
