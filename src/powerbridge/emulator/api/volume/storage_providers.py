"""PowerVC's storage provider views on the volume service: `/v3/<project>/storage-providers`
(ids and host names), `/detail` and `/<provider_id>` (state and capacity, from the volume
backend's live usage).
"""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import require_admin
from powerbridge.emulator.errors import not_found
from powerbridge.emulator.estate import StorageProviderSpec


def _providers(call: Call) -> list[tuple[int, StorageProviderSpec]]:
    caller = call.auth
    if call.params.get("project_id") != caller.project_id:
        require_admin(caller, "volume_extension:storage_providers")
    return list(enumerate(call.emulator.volumes.providers.values(), start=1))


def summary(number: int, provider: StorageProviderSpec) -> dict[str, Any]:
    return {"id": number, "storage_hostname": provider.name}


def detail(call: Call, number: int, provider: StorageProviderSpec) -> dict[str, Any]:
    volumes = call.emulator.volumes
    used, capacity = volumes.provider_usage().get(provider.name, (0, provider.capacity_gb))
    count = sum(1 for v in volumes.volumes.values() if v.provider == provider.name)
    pools = [p for p in volumes.pool_usage() if p.provider == provider.name]
    return {
        **summary(number, provider),
        "host_display_name": provider.name,
        "backend_type": provider.type.lower(),
        "backend_state": "running",
        "storage_pools": [p.pool for p in pools],
        "total_capacity_gb": float(capacity),
        "free_capacity_gb": float(max(0, capacity - used)),
        "used_capacity_gb": float(used),
        "volume_count": count,
        "compression_supported": "no",
        "health_status": {"health_value": "OK"},
        "service": {"host": f"{provider.name}@{provider.name}", "zone": "nova"},
    }


def list_storage_providers(call: Call) -> Reply:
    rows = [summary(n, p) for n, p in _providers(call)]
    return Reply({"storage_providers": rows})


def list_storage_providers_detail(call: Call) -> Reply:
    rows = [detail(call, n, p) for n, p in _providers(call)]
    return Reply({"storage_providers": rows})


def show_storage_provider(call: Call) -> Reply:
    ref = call.params["provider_id"]
    for number, provider in _providers(call):
        if ref in (str(number), provider.name):
            return Reply({"storage_provider": detail(call, number, provider)})
    raise not_found(f"Storage provider {ref} could not be found.")
