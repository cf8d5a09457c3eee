"""Root's authorized keys as cloud-init writes them on first boot: the key nova copied into the
server (`key_data`) and the `ssh_authorized_keys` of a `#cloud-config` user data document.

nova receives user data base64-encoded and hands it to the guest decoded; cloud-init reads it
as cloud-config only when it starts with `#cloud-config`. Anything else (a script, MIME
multipart, gzip, text that is not base64 or YAML) adds no key, as a cloud-config it cannot
read adds none on a real boot.
"""

from __future__ import annotations

import base64
import binascii

import yaml

CLOUD_CONFIG_HEADER = "#cloud-config"


def user_data_keys(user_data: str | None) -> list[str]:
    """The `ssh_authorized_keys` entries of base64 `user_data` (none when it has none)."""
    if not user_data:
        return []
    try:
        text = base64.b64decode(user_data, validate=False).decode("utf-8")
    except (binascii.Error, ValueError):
        return []
    if not text.lstrip().startswith(CLOUD_CONFIG_HEADER):
        return []
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    keys = document.get("ssh_authorized_keys") if isinstance(document, dict) else None
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, list):
        return []
    return [key.strip() for key in keys if isinstance(key, str) and key.strip()]


def authorized_keys(key_data: str | None, user_data: str | None) -> list[str]:
    """Root's keys in the order cloud-init writes them, each once."""
    keys = [key_data.strip()] if key_data and key_data.strip() else []
    keys += user_data_keys(user_data)
    return list(dict.fromkeys(keys))
