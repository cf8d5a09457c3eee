"""The cloud-config user data a cluster's nodes are deployed with, when they get any.

Public keys besides the key pair's (the portal's own, so it reaches the nodes of a cluster
deployed with its user's key pair) go into `ssh_authorized_keys`, which cloud-init adds to
the login user's authorized keys at first boot. Without extra keys the nodes get no user
data, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml

__all__ = ["CLOUD_CONFIG_HEADER", "cloud_config"]

CLOUD_CONFIG_HEADER = "#cloud-config"  # cloud-init reads a document as cloud-config only so


def cloud_config(authorized_keys: Sequence[str]) -> str | None:
    """The `#cloud-config` document adding `authorized_keys` (None when there are none)."""
    keys = list(dict.fromkeys(key.strip() for key in authorized_keys if key.strip()))
    if not keys:
        return None
    body = yaml.safe_dump({"ssh_authorized_keys": keys}, default_flow_style=False, width=4096)
    return f"{CLOUD_CONFIG_HEADER}\n{body}"
