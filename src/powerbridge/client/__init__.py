"""powerbridge's async client SDK for PowerVC (OpenStack underneath), over HTTP only.

```python
from powerbridge.client import Session, load_config

async with Session(load_config("powervc")) as session:
    response = await session.request("compute", "GET", "/flavors")
```

Everything public is importable from here; the submodules are the implementation.
The exception tree is drawn in `powerbridge.client.errors`.
"""

from powerbridge.client.config import CloudConfig, load_config
from powerbridge.client.errors import (
    AmbiguousName,
    AuthenticationFailed,
    BadRequest,
    ClientError,
    ConfigError,
    Conflict,
    EndpointNotFound,
    Forbidden,
    HttpError,
    NotFound,
    OverLimit,
    ServerError,
    ServiceUnavailable,
    TransportError,
    UnsupportedVersion,
    WaitTimeout,
    raise_for_response,
)
from powerbridge.client.session import Endpoint, RetryPolicy, Session, Token

__all__ = [
    "AmbiguousName",
    "AuthenticationFailed",
    "BadRequest",
    "ClientError",
    "CloudConfig",
    "ConfigError",
    "Conflict",
    "Endpoint",
    "EndpointNotFound",
    "Forbidden",
    "HttpError",
    "NotFound",
    "OverLimit",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailable",
    "Session",
    "Token",
    "TransportError",
    "UnsupportedVersion",
    "WaitTimeout",
    "load_config",
    "raise_for_response",
]
