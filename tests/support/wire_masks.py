"""The deterministic normaliser of recorded exchanges.

Values that differ from one run to the next (uuids and hex ids, request ids, tokens, secrets,
timestamps, the host id nova derives from a random project id) are replaced by placeholders.
An id becomes `<id-N>`, numbered in order of first appearance over the whole recording, so a
response that names an id another one returned still shows the same placeholder: references
stay checked. A timestamp of the run keeps its shape (`0000-00-00T00:00:00.000000Z`), so a
change of format is still seen; the emulator's fixed dates (version documents, extensions),
years older than any run, are kept as they are.
"""

from __future__ import annotations

import datetime
import functools
import re
from typing import Any

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# order matters: a request id holds a uuid, a 56-hex host id holds 32 hex digits
_PATTERNS = (
    ("req", re.compile(rf"req-{UUID}")),
    ("id", re.compile(rf"(?<![0-9a-f]){UUID}(?![0-9a-f])")),
    ("hash", re.compile(r"(?<![0-9a-f])[0-9a-f]{56}(?![0-9a-f])")),
    ("id", re.compile(r"(?<![0-9a-f-])[0-9a-f]{32}(?![0-9a-f-])")),
    ("reservation", re.compile(r"^r-[0-9a-f]{8}$")),
    ("mac", re.compile(r"fa:16:3e(?::[0-9a-f]{2}){3}")),
)
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")
# keys whose value is random by design (tokens, audit ids, generated secrets)
# (a transfer's auth_key; the audit log's period, last month's: kept when older than RUN_WINDOW)
SECRET_KEYS = frozenset(
    {
        "audit_ids",
        "secret",
        "adminPass",
        "x-subject-token",
        "private_key",
        "auth_key",
        "period_beginning",
        "period_ending",
    }
)
# md5 of content the scenario sent: deterministic, kept to check the digest itself
KEPT_KEYS = frozenset({"checksum", "content-md5"})
# POSIX-seconds floats of the emulator's clock (real time under the instant clock)
CLOCK_KEYS = frozenset({"now", "base"})


# a time at most this old is the run's (a manual clock advanced, a seeded image's age);
# older ones are the emulator's constants
RUN_WINDOW = datetime.timedelta(days=30)


class Normaliser:
    """One per recording: it remembers every placeholder it gave."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._run_since = (datetime.datetime.now(datetime.UTC) - RUN_WINDOW).date().isoformat()

    def value(self, value: Any, key: str = "") -> Any:
        if key in SECRET_KEYS and value not in (None, "", []):
            return "<secret>"
        if key == "allow" and isinstance(value, str):
            # starlette keeps a route's methods in a set: the order changes with the hash seed
            return ", ".join(sorted(value.split(", ")))
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(item, key) for item in value]
        if isinstance(value, str) and key not in KEPT_KEYS:
            return self.text(value)
        if key in CLOCK_KEYS and isinstance(value, float):
            return "<clock>"
        return value

    def text(self, text: str) -> str:
        text = TIMESTAMP.sub(self._time, text)
        for kind, pattern in _PATTERNS:
            text = pattern.sub(functools.partial(self._placeholder, kind), text)
        return text

    def _placeholder(self, kind: str, match: re.Match[str]) -> str:
        raw = match[0]
        if raw not in self._seen:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            self._seen[raw] = f"<{kind}-{self._counts[kind]}>"
        return self._seen[raw]

    def _time(self, match: re.Match[str]) -> str:
        stamp = match[0]
        return re.sub(r"\d", "0", stamp) if stamp[:10] >= self._run_since else stamp
