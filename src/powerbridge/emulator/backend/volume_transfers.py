"""cinder's volume transfers: a project offers an available volume (it waits in
`awaiting-transfer`), another project accepts it with the transfer's id and auth key, and the
volume (with its snapshots unless `no_snapshots`) becomes the acceptor's.

The auth key is shown once, at create; cinder keeps only its salted hash, and so does this.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import asdict, dataclass

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.errors import bad_request, not_found


@dataclass
class Transfer:
    id: str
    volume_id: str
    name: str | None
    salt: str
    key_hash: str
    created_at: float
    source_project_id: str
    no_snapshots: bool = False
    destination_project_id: str | None = None
    accepted: bool = False


def _hash(salt: str, key: str) -> str:
    return hashlib.sha256(f"{salt}{key}".encode()).hexdigest()


class VolumeTransfers:
    def __init__(self, ctx: BackendContext, volumes: VolumeBackend) -> None:
        self.ctx = ctx
        self.volumes = volumes
        self.transfers = {
            body["id"]: Transfer(**body) for body in ctx.store.load("volume_transfer")
        }

    def _save(self, transfer: Transfer) -> None:
        self.ctx.store.put("volume_transfer", transfer.id, asdict(transfer))

    def visible(self, caller: Caller, all_projects: bool = False) -> list[Transfer]:
        return [
            t
            for t in self.transfers.values()
            if not t.accepted
            and ((all_projects and caller.is_admin) or t.source_project_id == caller.project_id)
        ]

    def get(self, transfer_id: str, caller: Caller) -> Transfer:
        transfer = self.transfers.get(transfer_id)
        if transfer is None or transfer.accepted:
            raise not_found(f"Transfer {transfer_id} could not be found.")
        if not caller.is_admin and transfer.source_project_id != caller.project_id:
            raise not_found(f"Transfer {transfer_id} could not be found.")
        return transfer

    def create(
        self, caller: Caller, volume_id: str, name: str | None, no_snapshots: bool
    ) -> tuple[Transfer, str]:
        """The transfer and its auth key (shown only now)."""
        volume = self.volumes.volume(volume_id, caller)
        if volume.status != "available":
            raise bad_request("Invalid volume: status must be available")
        key = secrets.token_hex(8)
        salt = secrets.token_hex(8)
        transfer = Transfer(
            id=str(uuid.uuid4()),
            volume_id=volume.id,
            name=name,
            salt=salt,
            key_hash=_hash(salt, key),
            created_at=self.ctx.clock.now(),
            source_project_id=volume.project_id,
            no_snapshots=no_snapshots,
        )
        self.volumes.set_transfer_status(volume.id, awaiting=True)
        self.transfers[transfer.id] = transfer
        self._save(transfer)
        return transfer, key

    def delete(self, transfer_id: str, caller: Caller) -> None:
        transfer = self.get(transfer_id, caller)
        self.volumes.set_transfer_status(transfer.volume_id, awaiting=False)
        del self.transfers[transfer.id]
        self.ctx.store.delete("volume_transfer", transfer.id)

    def accept(self, transfer_id: str, caller: Caller, auth_key: str) -> Transfer:
        transfer = self.transfers.get(transfer_id)
        if transfer is None or transfer.accepted:
            raise not_found(f"Transfer {transfer_id} could not be found.")
        if not secrets.compare_digest(_hash(transfer.salt, auth_key), transfer.key_hash):
            raise bad_request(
                f"Invalid auth key: Attempt to transfer {transfer_id} with invalid auth key."
            )
        if not caller.project_id:
            raise bad_request("Accepting a transfer needs a project-scoped token.")
        self.volumes.give_to(
            transfer.volume_id,
            caller.project_id,
            caller.user_id,
            snapshots=not transfer.no_snapshots,
        )
        transfer.accepted = True
        transfer.destination_project_id = caller.project_id
        self._save(transfer)
        return transfer
