"""A hand-built CloudView shaped like the emulator's default estate, for planner tests."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from powerbridge.deploy.cloudview import (
    CloudView,
    CollocationRule,
    ComputeTemplate,
    Host,
    HostGroup,
    Image,
    Network,
    ProjectLimits,
    Server,
    StorageConnectivityGroup,
    StorageProvider,
    StorageTemplate,
    Volume,
)

SMALL_SPECS = {
    "powervm:min_mem": "2048",
    "powervm:max_mem": "8192",
    "powervm:min_vcpu": "1",
    "powervm:max_vcpu": "4",
    "powervm:proc_units": "0.5",
    "powervm:min_proc_units": "0.25",
    "powervm:max_proc_units": "1",
}

HOSTS = (
    Host("8286-42A_215A0BV", "p8-rack1-host1", 65536, Decimal(8)),
    Host("8286-42A_215A0CV", "p8-rack1-host2", 65536, Decimal(8)),
    Host("9009-42A_7838F0W", "p9-rack2-host1", 131072, Decimal(16)),
)


def estate() -> CloudView:
    return CloudView(
        templates=(
            ComputeTemplate("flavor-small", "powervm.small", 4096, 2, 20, SMALL_SPECS),
            ComputeTemplate("flavor-tiny", "powervm.tiny", 2048, 1, 20, {}),
        ),
        images=(
            Image("image-ha", "PowerHA713", 20),
            Image("image-aix", "AIX72", 20),
        ),
        networks=(
            Network("net-cmb", "cmbnet1", 200, ("192.168.100.0/24",)),
            Network("net-mgmt", "mgmtnet", 50, ("10.10.0.0/22",)),
        ),
        storage_templates=(
            StorageTemplate("vt-xiv", "xiv90 base template", "xiv90", is_default=True),
            StorageTemplate("vt-svc", "svc82 base template", "svc82"),
        ),
        storage_providers=(StorageProvider("xiv90", 20480), StorageProvider("svc82", 40960)),
        hosts=HOSTS,
        host_groups=(
            HostGroup("hg-p8", "rack1", "rack1-zone", (HOSTS[0].name, HOSTS[1].name)),
            HostGroup("hg-p9", "rack2", "rack2-zone", (HOSTS[2].display_name or "",)),
        ),
        storage_connectivity_groups=(
            StorageConnectivityGroup("scg-npiv", "rack1 NPIV", (HOSTS[0].name, HOSTS[1].name)),
        ),
        collocation_rules=(CollocationRule("rule-old", "old-apart", "anti-affinity"),),
        limits=ProjectLimits(),
    )


def with_(view: CloudView, **changes: Any) -> CloudView:
    return dataclasses.replace(view, **changes)


def server(name: str, deployment: str | None, **kw: Any) -> Server:
    metadata = {"powerbridge:deployment": deployment} if deployment else {}
    return Server(f"id-{name}", name, metadata=metadata, **kw)


def volume(name: str, deployment: str | None, size_gb: int = 3, **kw: Any) -> Volume:
    metadata = {"powerbridge:deployment": deployment} if deployment else {}
    return Volume(f"id-{name}", name, size_gb, metadata=metadata, **kw)
