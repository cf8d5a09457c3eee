"""Glance v2 over HTTP: version discovery, images (list, show, create, JSON-patch update,
delete), image data, tags, deactivate/reactivate, members and the JSON schemas."""

from powerbridge.emulator.api.image.routes import routes

__all__ = ["routes"]
