"""The emulator's admin API (health, clock, behaviours) and PowerVC's version document."""

from powerbridge.emulator.api.admin.routes import routes, version_routes

__all__ = ["routes", "version_routes"]
