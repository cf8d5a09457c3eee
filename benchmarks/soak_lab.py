"""The emulator as its own process for benchmarks/soak.py and tests/reliability: start, stop,
SIGKILL and restart it, sign in, add behaviours and read what exists, all over its HTTP API.

Every address is loopback (`127.0.0.1`, port 0: a free port each start).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import yaml

DEPLOY_STEPS = ("scheduling", "block_device_mapping", "networking", "spawning")


def estate_file(folder: Path, hosts: int, per_host: int) -> Path:
    """The default estate with `hosts` large hosts running `per_host` deploys at once."""
    text = resources.files("powerbridge.emulator").joinpath("default_estate.yaml").read_text()
    estate = yaml.safe_load(text)
    estate["hosts"] = [
        {
            "name": f"9009-42A_SOAK{n:02d}",
            "display_name": f"soak-host{n}",
            "memory_mb": 4 * 1048576,
            "processors": 256,
            "vios": 2,
            "max_concurrent_deploys": per_host,
        }
        for n in range(1, hosts + 1)
    ]
    estate["storage_connectivity_groups"] = []  # they name the default estate's hosts
    estate["host_groups"] = []
    estate["unmanaged_lpars"] = []  # on a default host too; their volumes go with them
    estate["unmanaged_volumes"] = []
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "estate.yaml"
    path.write_text(yaml.safe_dump(estate))
    return path


@dataclass
class Lab:
    """One emulator data dir, run as `powerbridge emulator start --detach`."""

    folder: Path
    estate: Path
    speed: float = 30.0
    clock: str = "real"
    env: dict[str, str] = field(default_factory=dict)
    _token: str | None = None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "powerbridge", "emulator", *args, "--data", str(self.data)]
        return subprocess.run(
            command, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
        )

    def start(self) -> None:
        started = self._cli(
            "start", "--port", "0", "--estate", str(self.estate), "--clock", self.clock,
            "--speed", str(self.speed), "--detach",
        )  # fmt: skip
        if started.returncode:
            raise RuntimeError(f"the emulator did not start: {started.stderr.strip()}")
        env_text = self._cli("env").stdout
        self.env = {}
        for line in env_text.splitlines():
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").partition("=")
                self.env[key] = value.strip("'\"")
        self._token = None

    def stop(self) -> None:
        self._cli("stop")

    def pid(self) -> int:
        """The detached emulator's process id (the pid file `emulator start --detach` writes)."""
        return int((self.data / "emulator.pid").read_text().strip())

    def kill(self) -> None:
        """SIGKILL: no shutdown, no store close; what a power cut or the OOM killer does."""
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        for _ in range(200):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise RuntimeError(f"the emulator (pid {pid}) outlived SIGKILL")

    # -- its HTTP API ----------------------------------------------------------------------
    def sign_in(self) -> str:
        """A new token of its own (the catalog kept for `url`)."""
        self._token = None
        return self.token()

    def token(self) -> str:
        if self._token is None:
            body = {
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {
                            "user": {
                                "name": self.env["OS_USERNAME"],
                                "domain": {"name": "Default"},
                                "password": self.env["OS_PASSWORD"],
                            }
                        },
                    },
                    "scope": {
                        "project": {
                            "name": self.env["OS_PROJECT_NAME"],
                            "domain": {"name": "Default"},
                        }
                    },
                }
            }
            answer = httpx.post(self.auth_url + "/auth/tokens", json=body, timeout=30)
            answer.raise_for_status()
            self._token = answer.headers["x-subject-token"]
            self._catalog = {
                service["type"]: endpoint["url"]
                for service in answer.json()["token"]["catalog"]
                for endpoint in service["endpoints"]
                if endpoint["interface"] == "public"
            }
        return self._token

    @property
    def auth_url(self) -> str:
        return self.env["OS_AUTH_URL"].rstrip("/")

    @property
    def base_url(self) -> str:
        return self.auth_url.split("/powervc/")[0]

    def url(self, service_type: str) -> str:
        self.token()
        return self._catalog[service_type]

    def get(self, service_type: str, path: str) -> Any:
        answer = httpx.get(
            self.url(service_type) + path, headers={"X-Auth-Token": self.token()}, timeout=60
        )
        answer.raise_for_status()
        return answer.json()

    def add_behaviours(self, rules: list[dict[str, Any]]) -> None:
        url = self.base_url + "/powervc/emulator/v1/behaviours"
        for rule in rules:
            answer = httpx.post(
                url, json={"behaviour": rule}, headers={"X-Auth-Token": self.token()}, timeout=30
            )
            if answer.status_code != 201 and answer.status_code != 200:
                raise RuntimeError(f"behaviour {rule} refused: {answer.text}")

    def clear_behaviours(self) -> None:
        url = self.base_url + "/powervc/emulator/v1/behaviours"
        httpx.delete(url, headers={"X-Auth-Token": self.token()}, timeout=30)

    def servers(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.get("compute", "/servers/detail")["servers"]
        return rows

    def volumes(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.get("volumev3", "/volumes/detail")["volumes"]
        return rows


def duplicates(rows: list[dict[str, Any]], prefix: str) -> dict[str, int]:
    """Names starting with `prefix` that more than one row carries, and how many do."""
    counts: dict[str, int] = {}
    for row in rows:
        name = row.get("name") or ""
        if name.startswith(prefix):
            counts[name] = counts.get(name, 0) + 1
    return {name: count for name, count in counts.items() if count > 1}
