"""A server's SSH key, as nova keeps it: the key pair named by `key_name` must exist for the
calling user, and its public key is copied into the server (nova's `key_data`), so deleting the
pair later does not take the key away from the server (cloud-init already wrote it)."""

from __future__ import annotations

from powerbridge.emulator.backend.keypairs import KeypairBackend
from powerbridge.emulator.errors import ApiError, bad_request

INVALID_KEY_NAME = "Invalid key_name provided."


def key_data_for(keypairs: KeypairBackend, user_id: str, key_name: str | None) -> str | None:
    """The public key of the caller's pair `key_name` (None for no key); nova's 400 when the
    user has no such pair (nova looks pairs up by the calling user, not the server's owner)."""
    if key_name is None:
        return None
    try:
        return keypairs.get(user_id, key_name).public_key
    except ApiError:
        raise bad_request(INVALID_KEY_NAME) from None
