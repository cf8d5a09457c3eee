"""powerbridge's async client SDK for PowerVC (OpenStack underneath), over HTTP only.

```python
from powerbridge.client import Cloud, wait_for_servers

async with Cloud.connect("powervc") as cloud:        # clouds.yaml, else OS_* variables
    template = await cloud.compute.find_template("powervm.small")
    print(template.powervm)                          # the parsed powervm:* partition profile
    servers = await cloud.compute.servers()
    outcomes = await wait_for_servers(cloud.compute, [s.id for s in servers], timeout=600)
```

- `Session` (auth, catalog, token renewal, retries, TLS, microversions) and `load_config`
  (clouds.yaml, secure.yaml, OS_* variables) are the core; `Cloud` holds one session and the
  services: `compute` (`Compute`: servers, compute templates, instance actions), `image`
  (`Images`), `network` (`Networking`: networks, subnets, ports), `volume` (`BlockStorage`:
  volumes, storage templates), `powervc` (`PowerVC`: hosts, host groups, collocation rules,
  storage connectivity groups).
- Records are frozen dataclasses (`Server`, `ComputeTemplate`, `Image`, `Network`, `Subnet`,
  `Port`, `Volume`, `StorageTemplate`, `StorageConnectivityGroup`, `Host`, `HostGroup`,
  `CollocationRule`...), each with `from_wire` (each field declared once, its wire key and
  conversion in its metadata: `_records`) and `to_dict()`.
- `find_*` methods take a name or an id; an ambiguous name is `AmbiguousName`.
- `wait_for_servers` / `wait_for_volumes`: one list call per tick for any number of them.
- `provision`: `resolve` a `ServerOrder` and `provision` it, all or nothing.
- `guarded_create` (with `server_lookup` / `volume_lookup`): a create sent again after a lost
  answer only once a lookup by name and client token shows nothing was made.
- `powerbridge.client.sync.connect()` is the blocking facade for scripts.
- HTTP tracing: the `powerbridge.client.http` logger (INFO: one line per call), secrets
  redacted.

Everything public is importable from here; the submodules are the implementation. Names are
loaded on first use (PEP 562), so a program that needs one service does not import them all.
The exception tree is drawn in `powerbridge.client.errors`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from powerbridge.client._guarded import Created, Lookup, guarded_create
    from powerbridge.client.cloud import Cloud
    from powerbridge.client.compute import (
        ActionEvent,
        Address,
        BlockDevice,
        Compute,
        ComputeTemplate,
        CreatedServer,
        Fault,
        InlineFlavor,
        InstanceAction,
        NetworkRequest,
        Server,
        ServerCreate,
        ServerFlavor,
        VolumeAttachment,
        server_lookup,
    )
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
        InvalidTemplate,
        NameNotFound,
        NotFound,
        OverLimit,
        ProvisionFailed,
        ServerError,
        ServiceUnavailable,
        TransportError,
        UnsupportedVersion,
        WaitTimeout,
        raise_for_response,
    )
    from powerbridge.client.image import Image, Images
    from powerbridge.client.keypairs import KeyPair
    from powerbridge.client.network import Network, Networking, Port, Subnet
    from powerbridge.client.powervc import (
        CollocationRule,
        Host,
        HostGroup,
        PowerVC,
        StorageConnectivityGroup,
    )
    from powerbridge.client.provisioning import (
        NewVolume,
        Provisioned,
        ResolvedOrder,
        ServerOrder,
        provision,
        resolve,
    )
    from powerbridge.client.session import Endpoint, RetryPolicy, Session, Token
    from powerbridge.client.volume import (
        Attachment,
        BlockStorage,
        StorageTemplate,
        Volume,
        VolumeCreate,
        volume_lookup,
    )
    from powerbridge.client.waiter import (
        Outcome,
        ServerSource,
        StateChange,
        VolumeSource,
        wait_for,
        wait_for_server_deletion,
        wait_for_servers,
        wait_for_volumes,
    )

# public name -> the submodule defining it
_EXPORTS = {
    "ActionEvent": "compute",
    "Address": "compute",
    "AmbiguousName": "errors",
    "Attachment": "volume",
    "AuthenticationFailed": "errors",
    "BadRequest": "errors",
    "BlockDevice": "compute",
    "BlockStorage": "volume",
    "ClientError": "errors",
    "Cloud": "cloud",
    "CloudConfig": "config",
    "CollocationRule": "powervc",
    "Compute": "compute",
    "ComputeTemplate": "compute",
    "ConfigError": "errors",
    "Conflict": "errors",
    "Created": "_guarded",
    "CreatedServer": "compute",
    "Endpoint": "session",
    "EndpointNotFound": "errors",
    "Fault": "compute",
    "Forbidden": "errors",
    "Host": "powervc",
    "HostGroup": "powervc",
    "HttpError": "errors",
    "Image": "image",
    "Images": "image",
    "InlineFlavor": "compute",
    "InstanceAction": "compute",
    "InvalidTemplate": "errors",
    "KeyPair": "keypairs",
    "Lookup": "_guarded",
    "NameNotFound": "errors",
    "Network": "network",
    "NetworkRequest": "compute",
    "Networking": "network",
    "NewVolume": "provisioning",
    "NotFound": "errors",
    "Outcome": "waiter",
    "OverLimit": "errors",
    "Port": "network",
    "PowerVC": "powervc",
    "ProvisionFailed": "errors",
    "Provisioned": "provisioning",
    "ResolvedOrder": "provisioning",
    "RetryPolicy": "session",
    "Server": "compute",
    "ServerCreate": "compute",
    "ServerError": "errors",
    "ServerFlavor": "compute",
    "ServerOrder": "provisioning",
    "ServerSource": "waiter",
    "ServiceUnavailable": "errors",
    "Session": "session",
    "StateChange": "waiter",
    "StorageConnectivityGroup": "powervc",
    "StorageTemplate": "volume",
    "Subnet": "network",
    "Token": "session",
    "TransportError": "errors",
    "UnsupportedVersion": "errors",
    "Volume": "volume",
    "VolumeAttachment": "compute",
    "VolumeCreate": "volume",
    "VolumeSource": "waiter",
    "WaitTimeout": "errors",
    "guarded_create": "_guarded",
    "load_config": "config",
    "provision": "provisioning",
    "raise_for_response": "errors",
    "resolve": "provisioning",
    "server_lookup": "compute",
    "volume_lookup": "volume",
    "wait_for": "waiter",
    "wait_for_server_deletion": "waiter",
    "wait_for_servers": "waiter",
    "wait_for_volumes": "waiter",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'powerbridge.client' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"powerbridge.client.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ActionEvent",
    "Address",
    "AmbiguousName",
    "Attachment",
    "AuthenticationFailed",
    "BadRequest",
    "BlockDevice",
    "BlockStorage",
    "ClientError",
    "Cloud",
    "CloudConfig",
    "CollocationRule",
    "Compute",
    "ComputeTemplate",
    "ConfigError",
    "Conflict",
    "Created",
    "CreatedServer",
    "Endpoint",
    "EndpointNotFound",
    "Fault",
    "Forbidden",
    "Host",
    "HostGroup",
    "HttpError",
    "Image",
    "Images",
    "InlineFlavor",
    "InstanceAction",
    "InvalidTemplate",
    "KeyPair",
    "Lookup",
    "NameNotFound",
    "Network",
    "NetworkRequest",
    "Networking",
    "NewVolume",
    "NotFound",
    "Outcome",
    "OverLimit",
    "Port",
    "PowerVC",
    "ProvisionFailed",
    "Provisioned",
    "ResolvedOrder",
    "RetryPolicy",
    "Server",
    "ServerCreate",
    "ServerError",
    "ServerFlavor",
    "ServerOrder",
    "ServerSource",
    "ServiceUnavailable",
    "Session",
    "StateChange",
    "StorageConnectivityGroup",
    "StorageTemplate",
    "Subnet",
    "Token",
    "TransportError",
    "UnsupportedVersion",
    "Volume",
    "VolumeAttachment",
    "VolumeCreate",
    "VolumeSource",
    "WaitTimeout",
    "guarded_create",
    "load_config",
    "provision",
    "raise_for_response",
    "resolve",
    "server_lookup",
    "volume_lookup",
    "wait_for",
    "wait_for_server_deletion",
    "wait_for_servers",
    "wait_for_volumes",
]
