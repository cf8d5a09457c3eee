"""A throwaway PostgreSQL cluster for tests: Debian's binaries, a temporary directory, a unix
socket in it and no TCP listener, run as an unprivileged user (initdb refuses root)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["find_binaries", "postgres_cluster"]

USER = "powerbridge"  # the cluster's superuser (a role, not a system account)


def find_binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


def _owner() -> str | None:
    """Root runs the cluster as the `postgres` system user the package creates."""
    if os.geteuid() != 0:
        return None
    pwd.getpwnam("postgres")
    return "postgres"


@contextmanager
def postgres_cluster(binaries: Path, *, durable: bool = False) -> Iterator[str]:
    """A running cluster; yields the URL of its `postgres` database. Not `durable` (for
    tests): commits skip fsync."""
    base = Path(tempfile.mkdtemp(prefix="pb-pg-"))
    owner = _owner()
    data, socket_dir = base / "data", base / "run"
    socket_dir.mkdir()
    if owner:
        shutil.chown(base, owner)
        shutil.chown(socket_dir, owner)
    run = {"check": True, "capture_output": True, "text": True}
    initdb = [str(binaries / "initdb"), "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8"]
    subprocess.run(_as_owner([*initdb, "--no-sync"], owner), **run)  # type: ignore[call-overload]
    server = [
        str(binaries / "postgres"),
        "-D",
        str(data),
        "-k",
        str(socket_dir),
        "-c",
        "listen_addresses=",
        "-c",
        f"fsync={'on' if durable else 'off'}",
        "-c",
        "max_connections=60",
    ]
    process = subprocess.Popen(
        _as_owner(server, owner), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_ready(socket_dir, process)
        yield f"postgresql://{USER}@/postgres?host={socket_dir}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)


def _wait_ready(socket_dir: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while not list(socket_dir.glob(".s.PGSQL.*")):
        if process.poll() is not None:
            assert process.stderr is not None
            raise RuntimeError(f"postgres did not start: {process.stderr.read()}")
        if time.monotonic() > deadline:
            raise RuntimeError("postgres did not open its socket within 30 s")
        time.sleep(0.05)
    time.sleep(0.2)  # the socket exists a moment before connections are accepted
