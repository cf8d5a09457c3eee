"""The metadata sub-resource cinder gives volumes and snapshots alike:
`GET`/`POST` (merge)/`PUT` (replace) `<records>/<id>/metadata` and `GET`/`PUT`/`DELETE`
`<records>/<id>/metadata/<key>`. Each record type passes its lookup, backend and wording."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import path_caller
from powerbridge.emulator.api.volume.schema import body_object, string_map
from powerbridge.emulator.backend.identity_records import Caller, require_writer
from powerbridge.emulator.errors import bad_request, not_found


class HasMetadata(Protocol):
    @property
    def metadata(self) -> Mapping[str, str]: ...


class MetadataBackend(Protocol):
    def set_metadata(
        self, record_id: str, caller: Caller, items: Mapping[str, str], *, replace: bool
    ) -> dict[str, str]: ...

    def delete_metadata(self, record_id: str, caller: Caller, key: str) -> None: ...


@dataclass(frozen=True)
class MetadataResource:
    id_param: str  # the record's path parameter, e.g. volume_id
    find: Callable[[Call, str, Caller], HasMetadata]  # the record, or its 404
    backend: Callable[[Call], MetadataBackend]
    update_policy: str
    delete_policy: str
    missing_key: Callable[[str], str]  # the 404 message for an absent key

    def show(self, call: Call) -> Reply:
        record = self.find(call, call.params[self.id_param], path_caller(call))
        return Reply({"metadata": dict(record.metadata)})

    def merge(self, call: Call) -> Reply:
        return self._write(call, replace=False)

    def replace(self, call: Call) -> Reply:
        return self._write(call, replace=True)

    def show_item(self, call: Call) -> Reply:
        record = self.find(call, call.params[self.id_param], path_caller(call))
        key = call.params["key"]
        if key not in record.metadata:
            raise not_found(self.missing_key(key))
        return Reply({"meta": {key: record.metadata[key]}})

    def update_item(self, call: Call) -> Reply:
        caller = path_caller(call)
        require_writer(caller, self.update_policy)
        item = string_map(body_object(call.body, "meta"), "meta")
        key = call.params["key"]
        if key not in item:
            raise bad_request("Request body and URI mismatch")
        if len(item) > 1:
            raise bad_request("Request body contains too many items")
        self.backend(call).set_metadata(call.params[self.id_param], caller, item, replace=False)
        return Reply({"meta": item})

    def delete_item(self, call: Call) -> Reply:
        caller = path_caller(call)
        require_writer(caller, self.delete_policy)
        self.backend(call).delete_metadata(call.params[self.id_param], caller, call.params["key"])
        return Reply(status=200)

    def _write(self, call: Call, *, replace: bool) -> Reply:
        caller = path_caller(call)
        require_writer(caller, self.update_policy)
        items = string_map(body_object(call.body, "metadata"), "metadata")
        record_id = call.params[self.id_param]
        merged = self.backend(call).set_metadata(record_id, caller, items, replace=replace)
        return Reply({"metadata": merged})


VOLUME_METADATA = MetadataResource(
    "volume_id",
    lambda call, volume_id, caller: call.emulator.volumes.volume(volume_id, caller),
    lambda call: call.emulator.volumes,
    "volume:update_volume_metadata",
    "volume:delete_volume_metadata",
    lambda key: "Metadata item was not found",
)
SNAPSHOT_METADATA = MetadataResource(
    "snapshot_id",
    lambda call, snapshot_id, caller: call.emulator.volumes.snapshots.snapshot(snapshot_id, caller),
    lambda call: call.emulator.volumes.snapshots,
    "volume:update_snapshot_metadata",
    "volume:delete_snapshot_metadata",
    lambda key: f"Metadata item was not found: {key}",
)
