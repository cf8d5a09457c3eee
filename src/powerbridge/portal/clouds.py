"""Cloud connections: a user's (their Keystone token, their project) and the portal's own.

A user's requests reach PowerVC with their token, as Keystone issued it (with its catalog,
kept in the session), so PowerVC itself enforces what the user may see; near its end the
client renews it with auth type v3token, a rescope, which cannot extend its life. The
worker still uses the portal's configured credentials (`settings.cloud`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from powerbridge.client import Cloud, CloudConfig
from powerbridge.client.signin import Keystone
from powerbridge.portal.settings import PortalSettings

if TYPE_CHECKING:
    from powerbridge.portal.auth import Principal

__all__ = ["keystone", "service_cloud", "user_cloud"]


def user_config(settings: PortalSettings, token: str, project_id: str) -> CloudConfig:
    """The portal's cloud (its URL, CA, region) with the user's token and none of the
    portal's own credentials."""
    return dataclasses.replace(
        settings.cloud,
        auth_type="v3token",
        token=token,
        project_id=project_id,
        project_name=None,
        username=None,
        password=None,
        user_id=None,
        application_credential_id=None,
        application_credential_name=None,
        application_credential_secret=None,
    )


def user_cloud(settings: PortalSettings, who: Principal) -> Cloud:
    config = user_config(settings, who.token, who.project_id)
    return Cloud.connect(config=config, token=who.token_record)


def service_cloud(settings: PortalSettings) -> Callable[[], AbstractAsyncContextManager[Cloud]]:
    """The worker's connection factory: the portal's own credentials."""
    return lambda: Cloud.connect(config=settings.cloud)


def keystone(settings: PortalSettings) -> Keystone:
    return Keystone(settings.cloud)
