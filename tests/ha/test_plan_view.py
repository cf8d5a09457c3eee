"""The printed plan: a table naming what will be created and every finding; JSON as data."""

from __future__ import annotations

import io
import json

import pytest

from powerbridge.cli.ha_plan_view import show_plan
from powerbridge.cli.output import OutputFormat
from powerbridge.emulator.server import RunningEmulator
from powerbridge.ha.model import RepositorySpec
from tests.ha.plan_support import cloud_fixture, cluster, plan  # noqa: F401

pytestmark = pytest.mark.acceptance


def test_table_and_json(cloud: RunningEmulator) -> None:
    result = plan(cloud, cluster("shown", repository=RepositorySpec(size_gb=0)))
    out = io.StringIO()
    show_plan(result, OutputFormat.table, stream=out)
    text = " ".join(out.getvalue().split())
    assert "Plan for cluster shown (2 nodes)" in text
    assert "shown-anti-affinity" in text
    assert "shown_rg" in text
    assert "repository.size_gb is 0" in text
    data = io.StringIO()
    show_plan(result, OutputFormat.json, stream=data)
    parsed = json.loads(data.getvalue())
    assert parsed["ok"] is False
    assert [b["code"] for b in parsed["blocks"]] == ["repository_size"]
    assert parsed["blocks"][0]["line"] == 12
