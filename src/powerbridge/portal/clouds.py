"""Cloud connections: a user's (their Keystone token, their project) and a cloud's own.

A portal serves one or several clouds (one PowerVC per site, `--os-cloud` named again),
each named by its clouds.yaml entry; the first is the default. clouds.yaml gives a cloud's
endpoint and CA; a session holds the cloud it signed in to, an API client names one with
the `X-PowerBridge-Cloud` header, and a job records its cloud, so its worker connects there.

A user's requests reach PowerVC with their token, as Keystone issued it (with its catalog,
kept in the session), so PowerVC itself enforces what the user may see; near its end the
client renews it with auth type v3token, a rescope, which cannot extend its life. Jobs run
as their users on their cloud (run_as_user.py); a cloud's own configured credentials only
delete there a job's credential no owner's token may.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from powerbridge.client import Cloud, CloudConfig
from powerbridge.client.signin import Keystone
from powerbridge.portal.errors import PortalError
from powerbridge.portal.settings import PortalSettings

if TYPE_CHECKING:
    from powerbridge.portal.auth import Principal

__all__ = [
    "CLOUD_HEADER",
    "DEFAULT_NAME",
    "Clouds",
    "cloud_name",
    "keystone",
    "service_cloud",
    "user_cloud",
]

CLOUD_HEADER = "X-PowerBridge-Cloud"
DEFAULT_NAME = "default"  # a cloud from OS_* variables (or the emulator's) has no entry name


def cloud_name(config: CloudConfig) -> str:
    return config.cloud_name or DEFAULT_NAME


@dataclasses.dataclass(frozen=True)
class Clouds:
    """The portal's clouds by name, the default first."""

    configs: tuple[CloudConfig, ...]

    @classmethod
    def of(cls, settings: PortalSettings) -> Clouds:
        return cls((settings.cloud, *settings.more_clouds))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(cloud_name(config) for config in self.configs)

    @property
    def default(self) -> str:
        return self.names[0]

    @property
    def several(self) -> bool:
        return len(self.configs) > 1

    def config(self, name: str) -> CloudConfig:
        for config in self.configs:
            if cloud_name(config) == name:
                return config
        raise self.unknown(name)

    def chosen(self, name: str | None) -> str:
        """A cloud a user or client named (None or empty: the default); 400 when unknown."""
        if not name:
            return self.default
        self.config(name)
        return name

    def home(self, recorded: str | None) -> str:
        """The cloud a job recorded as its own is; one of no cloud served here (the CLI's,
        a job from before several clouds) is the default's."""
        return recorded if recorded in self.names else self.default

    def unknown(self, name: str) -> PortalError:
        served = ", ".join(self.names)
        return PortalError(
            400,
            f"no cloud named {name!r} here (this portal serves: {served})",
            hint=f"name one of them (in {CLOUD_HEADER}, or the sign-in form's cloud), or none"
            f" for {self.default}",
        )


def user_config(settings: PortalSettings, who: Principal) -> CloudConfig:
    """The user's cloud (its URL, CA, region) with the user's token and none of the cloud's
    own credentials."""
    return dataclasses.replace(
        Clouds.of(settings).config(who.cloud),
        auth_type="v3token",
        token=who.token,
        project_id=who.project_id,
        project_name=None,
        username=None,
        password=None,
        user_id=None,
        application_credential_id=None,
        application_credential_name=None,
        application_credential_secret=None,
    )


def user_cloud(settings: PortalSettings, who: Principal) -> Cloud:
    return Cloud.connect(config=user_config(settings, who), token=who.token_record)


def service_cloud(
    settings: PortalSettings, name: str | None = None
) -> Callable[[], AbstractAsyncContextManager[Cloud]]:
    """A connection factory with cloud `name`'s own credentials (None: the default's)."""
    config = Clouds.of(settings).config(name or cloud_name(settings.cloud))
    return lambda: Cloud.connect(config=config)


def keystone(settings: PortalSettings, name: str | None = None) -> Keystone:
    """Cloud `name`'s Keystone (None: the default's)."""
    return Keystone(Clouds.of(settings).config(name or cloud_name(settings.cloud)))
