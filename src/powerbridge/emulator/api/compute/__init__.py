"""Nova (compute v2.1) over HTTP, with PowerVC's extensions: one module per resource family,
all routed by `routes`."""

from powerbridge.emulator.api.compute.routes import routes

__all__ = ["routes"]
