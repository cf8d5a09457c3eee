"""A volume's LUN identity as PowerVC's storage drivers record it.

PowerVC's drivers put the LUN's WWN (the SCSI page 0x83 NAA identifier, SVC's `vdisk_UID`) in
the volume's metadata under `volume_wwn` once the driver has created the volume: 32 upper-case
hex digits, IBM's registered NAA 6 prefix `6005076` for SVC / Storwize / FlashSystem. The
emulator derives it from the volume id, so it is the same across restarts and for volumes
written by an older emulator.
"""

from __future__ import annotations

import hashlib

WWN_KEY = "volume_wwn"
SVC_NAA_PREFIX = "60050768"  # NAA 6 + IBM's OUI 005076 + SVC's vendor nibble


def volume_wwn(volume_id: str) -> str:
    """The LUN WWN of a volume: deterministic, 32 upper-case hex digits."""
    digest = hashlib.sha256(volume_id.encode()).hexdigest().upper()
    return SVC_NAA_PREFIX + digest[: 32 - len(SVC_NAA_PREFIX)]
