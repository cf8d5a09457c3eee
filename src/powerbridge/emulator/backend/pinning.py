"""PowerVC's VM pinning, read from server metadata as PowerVC's own clients set it
(`pin_vm` and `move_pin_vm`, IBM's Ansible collection for PowerVC, `pin_vm` module):

- `pin_vm: true`, `move_pin_vm: false`: hard pinned, moved by nothing (live migration,
  maintenance evacuation and remote restart refuse it);
- `pin_vm: true`, `move_pin_vm: true` (or absent): soft pinned, moved only by an explicit admin
  action (live migration, maintenance, a remote restart asked for), never by the optimizer;
- `pin_vm` false or absent: not pinned.

`original_host` (which the collection also sets) is kept as the host a soft-pinned VM came from.
"""

from __future__ import annotations

from powerbridge.emulator.backend.server_records import Server
from powerbridge.emulator.errors import conflict

HARD, SOFT, NONE = "hard", "soft", "none"


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


def pin_of(server: Server) -> str:
    if not _true(server.metadata.get("pin_vm")):
        return NONE
    move = server.metadata.get("move_pin_vm")
    return SOFT if move is None or _true(move) else HARD


def refuse_if_hard_pinned(server: Server, action: str) -> None:
    """A 409 for any move of a hard-pinned VM."""
    if pin_of(server) == HARD:
        raise conflict(
            f"Cannot '{action}' instance {server.id}: it is hard pinned to host {server.host} "
            "(metadata pin_vm=true, move_pin_vm=false); set move_pin_vm=true to soft pin it."
        )


def automation_may_move(server: Server) -> bool:
    """The optimizer and other automatic movers leave pinned VMs, soft or hard, in place."""
    return pin_of(server) == NONE
