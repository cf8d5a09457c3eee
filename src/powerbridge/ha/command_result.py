"""What one remote command did, as the job record keeps it: output redacted, times, status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["MASK", "CommandResult", "Redactor"]

MASK = "***"


@dataclass(frozen=True)
class Redactor:
    """Replaces every secret (a password, a token in a command line) by `***`."""

    secrets: tuple[str, ...] = ()

    @classmethod
    def of(cls, secrets: Sequence[str]) -> Redactor:
        # longest first, so a secret containing another is masked whole
        return cls(tuple(sorted({s for s in secrets if s}, key=len, reverse=True)))

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text


@dataclass(frozen=True)
class CommandResult:
    """One command run on one node. `started_at`/`ended_at` are `time.time()` seconds;
    `retried` says the connection was lost mid-command and the command ran again."""

    node: str
    command: str
    exit_status: int
    stdout: str
    stderr: str
    started_at: float
    ended_at: float
    retried: bool = False
    step: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    @property
    def error_line(self) -> str:
        """The line that says why it failed: PowerHA's first `ERROR:` line (stderr first),
        else the last non-empty stderr line, else the exit status."""
        for text in (self.stderr, self.stdout):
            for line in text.splitlines():
                if "ERROR:" in line:
                    return line.strip()
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else f"exit status {self.exit_status}"

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["ok"] = self.ok
        record["error_line"] = self.error_line
        return record
