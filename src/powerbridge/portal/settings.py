"""How one portal runs: its clouds, the job store, its data dir, cookies, roles, the worker."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from powerbridge.client import CloudConfig
from powerbridge.portal.roles import DEFAULT_ROLE_MAP, Role
from powerbridge.portal.signin_limits import SigninLimits

__all__ = ["PortalSettings", "default_data_dir"]


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/powerbridge/portal`: the portal's SSH key lives there."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "powerbridge" / "portal"


@dataclass(frozen=True)
class PortalSettings:
    """`cloud` is the PowerVC users sign in to, the default one; `more_clouds` the others
    (one PowerVC per site, `--os-cloud` named again), each named by its clouds.yaml entry
    (clouds.py). Jobs run with application credentials of their users made on the job's
    cloud (run_as_user.py); a cloud's own credentials (clouds.yaml or OS_*), when it has
    them, only delete a job's credential there whose user has signed out."""

    cloud: CloudConfig
    more_clouds: tuple[CloudConfig, ...] = ()
    store_url: str | None = None  # None: the default job store
    data_dir: Path = field(default_factory=default_data_dir)
    ssh_configs: tuple[Path, ...] | None = None  # OpenSSH configs reaching the nodes
    secure_cookies: bool = False  # served over TLS (directly or behind a proxy)
    role_map: Mapping[str, Role] = field(default_factory=lambda: dict(DEFAULT_ROLE_MAP))
    run_worker: bool = True  # build submitted clusters in this process
    workers: int = 1  # job-running workers in this process (`--workers`)
    worker_poll_seconds: float = 1.0
    # a job's lease: a portal killed mid-job leaves its job to another after this long;
    # a cancel is seen within a third of it
    lease_seconds: float = 30.0
    default_domain: str = "Default"
    sse_wait_seconds: float = 1.0  # an SSE stream looks at its job at least this often
    cluster_cache_seconds: float = 3.0  # a cluster's state is at most this old when shown
    signin_limits: SigninLimits = field(default_factory=SigninLimits)  # failed sign-ins
