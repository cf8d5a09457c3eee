"""Keystone v3 over HTTP: discovery, tokens, the catalog (services, endpoints, regions),
domains, projects, users, roles, grants, application credentials. Payloads follow the
Identity API v3 reference exactly."""

from powerbridge.emulator.api.identity.routes import routes

__all__ = ["routes"]
