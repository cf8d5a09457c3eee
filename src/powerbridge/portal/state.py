"""What the app factory builds once and every request uses (no global state)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from powerbridge.ha.identity import Identity
from powerbridge.jobs import JobStore
from powerbridge.portal.actions import Actions
from powerbridge.portal.cipher import Cipher
from powerbridge.portal.cluster_reads import ClusterReads
from powerbridge.portal.event_hub import EventHub
from powerbridge.portal.sessions import Sessions
from powerbridge.portal.settings import PortalSettings

__all__ = ["PortalState", "portal_state"]


@dataclass(frozen=True)
class PortalState:
    settings: PortalSettings
    store: JobStore
    sessions: Sessions
    identity: Identity  # the portal's SSH key (keys.py)
    cipher: Cipher  # the portal's secret key (cipher.py): sessions' tokens, jobs' credentials
    cluster_reads: ClusterReads = field(default_factory=lambda: ClusterReads(3.0))
    actions: Actions = field(default_factory=Actions)  # the day-two actions running here
    event_hub: EventHub | None = None  # wakes the event streams (event_hub.py)


def portal_state(request: Request) -> PortalState:
    state: PortalState = request.app.state.portal
    return state
