"""nova's quota check at server create: instances, cores and ram against the project's (and
the user's) limits, refused with nova's 403 `Quota exceeded for ...` (TooManyInstances)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.quotas import QuotaBackend
from powerbridge.emulator.backend.server_records import Server, ServerRequest
from powerbridge.emulator.errors import ApiError

Usage = Callable[[str], dict[str, int]]  # project id -> {"instances", "cores", "ram"} in use


class ServerQuota:
    def __init__(self, quotas: QuotaBackend, usage: Usage) -> None:
        self.quotas = quotas
        self.usage = usage

    def check_resize(self, server: Server, new_flavor: dict[str, Any]) -> None:
        """nova's upsize check: a resize may not take the project past its cores or ram."""
        old = server.flavor
        wanted = {
            "cores": int(new_flavor["vcpus"]) - int(old["vcpus"]),
            "ram": int(new_flavor["ram"]) - int(old["ram"]),
        }
        self._refuse_overs(server.project_id, server.user_id, wanted)

    def check(self, caller: Caller, request: ServerRequest) -> None:
        if not caller.project_id:
            return
        self._check_metadata(caller, request)
        ram, vcpus = _size(request)
        count = request.max_count
        wanted = {"instances": count, "cores": vcpus * count, "ram": ram * count}
        self._refuse_overs(caller.project_id, caller.user_id, wanted)

    def _refuse_overs(self, project_id: str, user_id: str | None, wanted: dict[str, int]) -> None:
        limits = self.quotas.limits(project_id, user_id)
        used = self.usage(project_id)
        overs = [
            name
            for name, amount in wanted.items()
            if amount > 0
            and limits.get(name, -1) >= 0
            and used.get(name, 0) + amount > limits[name]
        ]
        if overs:
            names = ", ".join(overs)
            raise ApiError(
                "forbidden",
                f"Quota exceeded for {names}: Requested "
                f"{', '.join(str(wanted[o]) for o in overs)}, but already used "
                f"{', '.join(str(used.get(o, 0)) for o in overs)} of "
                f"{', '.join(str(limits[o]) for o in overs)} {names}",
            )

    def _check_metadata(self, caller: Caller, request: ServerRequest) -> None:
        allowed = self.quotas.limits(caller.project_id or "", caller.user_id)["metadata_items"]
        count = len(request.metadata)
        if allowed >= 0 and count > allowed:
            raise ApiError(
                "forbidden",
                f"Quota exceeded for metadata_items: Requested {count}, but already used 0 of "
                f"{allowed} metadata_items",
            )


def _size(request: ServerRequest) -> tuple[int, int]:
    if request.flavor is not None:
        return request.flavor.ram, request.flavor.vcpus
    inline = request.inline_flavor or {}
    return int(inline.get("ram", 0)), int(inline.get("vcpus", 0))
