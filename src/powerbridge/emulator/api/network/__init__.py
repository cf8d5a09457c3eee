"""Neutron v2.0 over HTTP: networks, subnets, ports, their tags, extensions and discovery.

Request bodies go through neutron's attribute map (`attributes.Attr`): unknown attributes,
attributes not allowed in POST/PUT, missing required ones and invalid values are 400s with
neutron's own messages. Lists honour neutron's query language (`listing`).
"""

from powerbridge.emulator.api.network.routes import routes

__all__ = ["routes"]
