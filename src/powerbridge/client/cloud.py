"""`Cloud`: one session and every service of one PowerVC, as one object.

```python
async with Cloud.connect("powervc") as cloud:          # clouds.yaml, else OS_* variables
    for template in await cloud.compute.templates():
        print(template.name, template.powervm)
```
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

from powerbridge.client.config import CloudConfig, load_config
from powerbridge.client.session import Session

if TYPE_CHECKING:
    from powerbridge.client.compute import Compute
    from powerbridge.client.image import Images
    from powerbridge.client.network import Networking
    from powerbridge.client.powervc import PowerVC
    from powerbridge.client.volume import BlockStorage


class Cloud:
    """The services of one cloud over one `Session` (closed with the cloud).

    Each service's module is imported when the service is first used, so a command that
    lists images does not load nova's records."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @cached_property
    def compute(self) -> Compute:
        from powerbridge.client.compute import Compute

        return Compute(self.session)

    @cached_property
    def image(self) -> Images:
        from powerbridge.client.image import Images

        return Images(self.session)

    @cached_property
    def network(self) -> Networking:
        from powerbridge.client.network import Networking

        return Networking(self.session)

    @cached_property
    def volume(self) -> BlockStorage:
        from powerbridge.client.volume import BlockStorage

        return BlockStorage(self.session)

    @cached_property
    def powervc(self) -> PowerVC:
        from powerbridge.client.powervc import PowerVC

        return PowerVC(self.session, self.compute)

    @classmethod
    def connect(
        cls,
        cloud: str | None = None,
        *,
        config: CloudConfig | None = None,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
        **session_options: Any,
    ) -> Cloud:
        """A cloud from `config`, else from `load_config(cloud, environ=, overrides=)`.

        `session_options` go to `Session` (transport, retry, sleep...). Nothing is sent
        until the first call."""
        settings = config or load_config(cloud, environ=environ, overrides=overrides)
        return cls(Session(settings, **session_options))

    async def __aenter__(self) -> Cloud:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.session.aclose()
