"""The client environment of a running emulator: the `OS_*` variables the openstack CLI,
openstacksdk and keystoneauth read, and `<data>/powervcrc`, PowerVC's rc file that sets them."""

from __future__ import annotations

import shlex
from pathlib import Path

from powerbridge.emulator.config import DEFAULT_ADMIN_USER, DEFAULT_DOMAIN, DEFAULT_PROJECT
from powerbridge.emulator.files import write_atomically

__all__ = ["openstack_env", "powervcrc_text", "write_powervcrc"]


def openstack_env(
    auth_url: str,
    password: str,
    *,
    region: str,
    ca_path: Path | str | None = None,
    username: str = DEFAULT_ADMIN_USER,
    project: str = DEFAULT_PROJECT,
    domain: str = DEFAULT_DOMAIN,
) -> dict[str, str]:
    """The `OS_*` variables openstack, openstacksdk and keystoneauth read (PowerVC's
    powervcrc)."""
    env = {
        "OS_AUTH_URL": auth_url,
        "OS_USERNAME": username,
        "OS_PASSWORD": password,
        "OS_PROJECT_NAME": project,
        "OS_USER_DOMAIN_NAME": domain,
        "OS_PROJECT_DOMAIN_NAME": domain,
        "OS_REGION_NAME": region,
        "OS_IDENTITY_API_VERSION": "3",
        "OS_INTERFACE": "public",
    }
    if ca_path:
        env["OS_CACERT"] = str(ca_path)
    return env


def powervcrc_text(env: dict[str, str]) -> str:
    """PowerVC's /opt/ibm/powervc/powervcrc: `export OS_...` lines a shell sources."""
    lines = ["# PowerVC emulator: source this file, then run the openstack CLI"]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in env.items()]
    return "\n".join(lines) + "\n"


def write_powervcrc(path: Path, env: dict[str, str]) -> None:
    """Written at every start (the ports may change); 0600, as it holds root's password."""
    write_atomically(path, powervcrc_text(env).encode(), 0o600)
