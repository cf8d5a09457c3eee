"""Cinder v2 and v3 over HTTP: versions, volumes (with metadata and actions), volume types
(PowerVC storage templates) with extra specs, limits, pools, services, quotas, snapshots,
user messages, PowerVC's storage providers and the extension list.

Bodies are checked the way cinder's JSON schemas do (`schema`); lists share one engine
(`listing`); volumes and snapshots share one metadata sub-resource (`metadata`).
"""

from powerbridge.emulator.api.volume.routes import routes

__all__ = ["routes"]
