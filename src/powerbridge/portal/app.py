"""`create_app(settings)`: the portal's ASGI application, its state built here, not global.

The lifespan opens the job store (upgrading its schema: the portal's SSH key is schema 5),
reads the portal's SSH key from it (the first portal on the store makes it, keys.py), and
runs the worker that builds submitted clusters; on shutdown it stops the worker and closes
the store.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from powerbridge import __version__
from powerbridge.jobs import JobStore
from powerbridge.portal.api import api_router
from powerbridge.portal.cipher import portal_cipher
from powerbridge.portal.clouds import Clouds
from powerbridge.portal.cluster_reads import ClusterReads
from powerbridge.portal.errors import install_handlers
from powerbridge.portal.event_hub import EventHub
from powerbridge.portal.keys import portal_identity
from powerbridge.portal.openapi_doc import install_openapi
from powerbridge.portal.pages import page_router
from powerbridge.portal.sessions import Sessions
from powerbridge.portal.settings import PortalSettings
from powerbridge.portal.state import PortalState
from powerbridge.portal.worker import running_worker

__all__ = ["create_app"]

DESCRIPTION = (
    "Self-service PowerHA clusters on PowerVC. Sign in at /signin (a session cookie; send "
    "its CSRF token as X-CSRF-Token on writes) or send a Keystone token of your project as "
    "X-Auth-Token. A portal serving several clouds (one PowerVC per site) takes the cloud from"
    " the session, or from the X-PowerBridge-Cloud header (default: its first cloud). Errors"
    ' are {"error": {"message", "hint"}}.'
)


def open_state(settings: PortalSettings) -> PortalState:
    store = JobStore.open(settings.store_url)
    try:
        cipher = portal_cipher(settings.data_dir)
        identity = portal_identity(store, cipher, settings.data_dir)
    except BaseException:
        store.close()
        raise
    reads = ClusterReads(settings.cluster_cache_seconds)
    hub = EventHub(store.engine)
    sessions = Sessions(store, cipher)
    return PortalState(settings, store, sessions, identity, cipher, reads, event_hub=hub)


def create_app(settings: PortalSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = open_state(settings)
        app.state.portal = state
        try:
            state.sessions.purge_expired()
            async with contextlib.AsyncExitStack() as stack:
                # the workers stop first, so none of them claims an action handed back
                if state.event_hub is not None:
                    stack.push_async_callback(state.event_hub.close)
                stack.push_async_callback(state.actions.close)
                if settings.run_worker and settings.workers > 0:
                    await stack.enter_async_context(running_worker(state))
                yield
        finally:
            state.store.close()

    app = FastAPI(
        title="powerbridge portal",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        lifespan=lifespan,
    )
    install_handlers(app)
    install_openapi(app, Clouds.of(settings).names)
    app.include_router(api_router())
    app.include_router(page_router())
    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app
