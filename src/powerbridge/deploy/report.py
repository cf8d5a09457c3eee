"""What an apply (or a destroy) did: one row per server, volume and rule, and the job's status.

The summary table the CLI prints and the JSON `--report FILE.json` writes are the same data:
`Report.to_dict()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from powerbridge.jobs import JobStatus

__all__ = ["EXIT_PARTIAL", "Report", "ResourceResult"]

EXIT_PARTIAL = 3


@dataclass
class ResourceResult:
    """One server, volume or collocation rule of the deployment, as the run left it.

    `status`: ACTIVE / ERROR / TIMEOUT / NOT STARTED for servers, the volume's status, or
    `deleted` after a rollback or destroy. `changed` is True when this run created (or
    deleted) it, False when it was already there and left as it was."""

    kind: str
    name: str
    status: str
    id: str | None = None
    changed: bool = False
    host: str | None = None
    addresses: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    seconds: float | None = None
    fault: str | None = None
    request_id: str | None = None

    @property
    def failed(self) -> bool:
        # nova's DELETED: the server vanished while this run waited for it (a destroy, or
        # someone else); "deleted" (lower case) is what a rollback or destroy did on purpose
        ended_badly = {"ERROR", "TIMEOUT", "NOT STARTED", "FAILED"}
        return (
            self.status == "DELETED"
            or self.status.upper() in ended_badly
            or (self.status.lower().startswith("error"))
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "id": self.id,
            "status": self.status,
            "changed": self.changed,
            "host": self.host,
            "addresses": list(self.addresses),
            "volumes": list(self.volumes),
            "seconds": None if self.seconds is None else round(self.seconds, 2),
            "fault": self.fault,
            "request_id": self.request_id,
        }


@dataclass
class Report:
    deployment: str
    job_id: int | None
    status: JobStatus
    resources: list[ResourceResult] = field(default_factory=list)
    seconds: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)  # "create", "delete", "list" ...
    notes: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[ResourceResult]:
        return [item for item in self.resources if item.kind == kind]

    @property
    def servers(self) -> list[ResourceResult]:
        return self.of_kind("server")

    @property
    def failed(self) -> list[ResourceResult]:
        return [item for item in self.resources if item.failed]

    @property
    def exit_code(self) -> int:
        """0 when everything succeeded; 3 (partial failure) when anything failed."""
        return EXIT_PARTIAL if self.failed or self.status is not JobStatus.SUCCEEDED else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployment": self.deployment,
            "job": self.job_id,
            "status": self.status.value,
            "seconds": round(self.seconds, 2),
            "calls": dict(self.calls),
            "failed": [item.name for item in self.failed],
            "notes": list(self.notes),
            "resources": [item.to_dict() for item in self.resources],
        }
