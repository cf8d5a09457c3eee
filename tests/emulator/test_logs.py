"""PowerVC-style service logs with request ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from powerbridge.emulator.logs import LogContext, ServiceLogs


class TestLogs:
    def test_line_format_and_file_layout(self, tmp_path: Path) -> None:
        logs = ServiceLogs(tmp_path)
        context = LogContext("req-1", "u1", "p1")
        logs.write("keystone", "INFO", "keystone.common.wsgi", "hello", context, when=0.5)
        logs.write("nova-compute-8286-42A_215A0BV", "ERROR", "nova.compute.manager", "boom")
        logs.write("cinder-volume-xiv90", "INFO", "cinder.volume.manager", "made")
        logs.close()
        line = (tmp_path / "keystone" / "keystone.log").read_text()
        assert re.match(
            r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.500 \d+ INFO keystone\.common\.wsgi "
            r"\[req-1 u1 p1 - - -\] hello\n$",
            line,
        )
        compute = (tmp_path / "nova" / "nova-compute-8286-42A_215A0BV.log").read_text()
        assert " ERROR nova.compute.manager [-] boom" in compute
        assert (tmp_path / "cinder" / "volume-xiv90.log").exists()

    def test_global_request_id_is_logged_first(self) -> None:
        context = LogContext("req-local", global_request_id="req-global")
        assert context.bracket() == "[req-global req-local - - - - -]"

    def test_unknown_process_is_rejected(self, tmp_path: Path) -> None:
        with pytest.raises(KeyError):
            ServiceLogs(tmp_path).path("httpd")
