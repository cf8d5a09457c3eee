"""A small blocking facade over the async SDK, for scripts.

```python
from powerbridge.client import sync

with sync.connect("powervc") as cloud:           # or sync.connect() with OS_* variables
    for image in cloud.image.images():
        print(image.name)
    server = cloud.compute.find_server("vm1")
    outcome = cloud.run(wait_for_servers(cloud.async_cloud.compute, [server.id]))
```

Each service attribute (`compute`, `image`, `network`, `volume`, `powervc`) mirrors the async
service: its coroutine methods become blocking calls with the same arguments and results.
Everything runs on one private event loop, so the session (and its token) is reused.
`run(awaitable)` runs anything else of the async SDK on that loop.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar

from powerbridge.client.cloud import Cloud
from powerbridge.client.config import CloudConfig

T = TypeVar("T")


class Blocking:
    """An async service whose coroutine methods are called to completion on `runner`."""

    def __init__(self, service: object, runner: asyncio.Runner) -> None:
        self._service = service
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._service, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        @functools.wraps(attribute)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._runner.run(attribute(*args, **kwargs))

        return call

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self._service)))


class SyncCloud:
    """Blocking access to one cloud. Close it (or use `with`) to end the session."""

    def __init__(self, make: Callable[[], Cloud]) -> None:
        self._runner = asyncio.Runner()
        self.async_cloud: Cloud = self._runner.run(_build(make))
        self.compute = Blocking(self.async_cloud.compute, self._runner)
        self.image = Blocking(self.async_cloud.image, self._runner)
        self.network = Blocking(self.async_cloud.network, self._runner)
        self.volume = Blocking(self.async_cloud.volume, self._runner)
        self.powervc = Blocking(self.async_cloud.powervc, self._runner)

    def run(self, awaitable: Awaitable[T]) -> T:
        """Run any coroutine of the async SDK on this cloud's event loop."""
        return self._runner.run(_awaited(awaitable))

    def close(self) -> None:
        try:
            self._runner.run(self.async_cloud.aclose())
        finally:
            self._runner.close()

    def __enter__(self) -> SyncCloud:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


async def _build(make: Callable[[], Cloud]) -> Cloud:
    return make()  # inside the loop: the session's client belongs to it


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


def connect(
    cloud: str | None = None,
    *,
    config: CloudConfig | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    **session_options: Any,
) -> SyncCloud:
    """A blocking cloud: `config`, else clouds.yaml's `cloud` (or OS_CLOUD), else OS_*."""
    return SyncCloud(
        lambda: Cloud.connect(
            cloud, config=config, environ=environ, overrides=overrides, **session_options
        )
    )
