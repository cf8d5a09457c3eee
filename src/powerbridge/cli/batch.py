"""Commands acting on several named resources: each one tried, the outcome told per item.

A failure on one item does not stop the others; when some succeeded and some failed the
command exits 3 (partial failure), naming each failure with its request id; when all failed,
exit 1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from powerbridge.cli.errors import CliError, PartialFailure
from powerbridge.cli.output import OutputFormat, tell

if TYPE_CHECKING:
    from powerbridge.client import ClientError

T = TypeVar("T")


class Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def id(self) -> str: ...


N = TypeVar("N", bound=Named)


@dataclass
class Batch(Generic[T]):
    """What `act` gave for each item that succeeded, and the error of each that failed."""

    done: list[T] = field(default_factory=list)
    failed: list[tuple[str, ClientError]] = field(default_factory=list)


async def for_each(items: Sequence[str], act: Callable[[str], Awaitable[T]]) -> Batch[T]:
    """`act(item)` for every item, in order; a client error is kept, the next item goes on.
    A single item's error is raised as it is (one item: one plain error)."""
    from powerbridge.client import ClientError

    batch: Batch[T] = Batch()
    for item in items:
        try:
            batch.done.append(await act(item))
        except ClientError as problem:
            if len(items) == 1:
                raise
            batch.failed.append((item, problem))
    return batch


def check(batch: Batch[T], verb: str) -> None:
    """Exit 3 naming every failure when some items failed and others did not ("1 of 2 not
    deleted: vm2: ..."); exit 1 when all failed."""
    if not batch.failed:
        return
    from powerbridge.cli.cloud import client_failure

    reasons = "; ".join(f"{item}: {client_failure(error).message}" for item, error in batch.failed)
    count = len(batch.failed) + len(batch.done)
    message = f"{len(batch.failed)} of {count} not {verb}: {reasons}"
    # exit 3 says some succeeded; when none did it is a plain failure
    raise PartialFailure(message) if batch.done else CliError(message)


def deleted(batch: Batch[N], kind: str, fmt: OutputFormat) -> None:
    """Say what a delete of several removed (a line each, or JSON/YAML rows), then `check`."""
    if batch.done:
        lines = "\n".join(f"Deleted {kind} {item.name} ({item.id})." for item in batch.done)
        rows = [{"name": item.name, "id": item.id, "status": "deleted"} for item in batch.done]
        tell(fmt, lines, rows)
    check(batch, "deleted")
