"""Nova (compute v2.1) over HTTP, with PowerVC's extensions.

Every resource route answers both with and without the project id in the path
(`/v2.1/<project_id>/servers` and `/v2.1/servers`), as nova does.
"""

from powerbridge.emulator.api.compute import (
    aggregates,
    availability_zones,
    flavors,
    hypervisors,
    images,
    keypairs,
    maintenance,
    misc,
    quotas,
    scgs,
    server_groups,
    servers,
)
from powerbridge.emulator.api.compute.common import SERVICE, routes

__all__ = ["SERVICE", "flavors", "images", "keypairs", "misc", "quotas", "routes", "servers"]
__all__ += [
    "aggregates",
    "availability_zones",
    "hypervisors",
    "maintenance",
    "scgs",
    "server_groups",
]
