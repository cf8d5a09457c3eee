"""Run `powerbridge` in-process against an emulator, as a user's shell would.

`Shell(monkeypatch, capsys, env)` sets the environment (an `OS_*` powervcrc, or a clouds.yaml)
and runs commands through `powerbridge.cli.main.invoke`: the same error handling and exit
codes as the console script, without a process start per command.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from powerbridge.cli.main import invoke

OS_VARIABLES = (
    "OS_CLOUD",
    "OS_AUTH_URL",
    "OS_AUTH_TYPE",
    "OS_USERNAME",
    "OS_PASSWORD",
    "OS_PROJECT_NAME",
    "OS_PROJECT_ID",
    "OS_USER_DOMAIN_NAME",
    "OS_PROJECT_DOMAIN_NAME",
    "OS_REGION_NAME",
    "OS_INTERFACE",
    "OS_CACERT",
    "OS_IDENTITY_API_VERSION",
    "OS_APPLICATION_CREDENTIAL_ID",
    "OS_APPLICATION_CREDENTIAL_SECRET",
    "OS_CLIENT_CONFIG_FILE",
    "OS_CLIENT_SECURE_FILE",
    "POWERBRIDGE_DEBUG",
)


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error: ")]


class Shell:
    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        for name in OS_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        self.set(env or {})

    def set(self, env: Mapping[str, str]) -> None:
        for name, value in env.items():
            self.monkeypatch.setenv(name, value)

    def __call__(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = invoke(list(args))
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def ok(self, *args: str) -> Result:
        """Run and insist on exit 0 (the output is in the assertion message otherwise)."""
        result = self(*args)
        assert result.code == 0, f"exit {result.code}\n{result.out}\n{result.err}"
        return result

    def json(self, *args: str) -> Any:
        return self.ok(*args, "--format", "json").json()
