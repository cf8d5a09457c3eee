from __future__ import annotations

from collections.abc import Iterator

import pytest

from powerbridge.deploy.service import ApplyRun
from powerbridge.jobs import JobStore

APPLY = ["powerbridge", "deploy", "apply", "web.pipe", "--resume", "--yes"]


@pytest.fixture
def store() -> Iterator[JobStore]:
    opened = JobStore.open("sqlite:///:memory:")
    yield opened
    opened.close()


def test_the_resume_command_repeats_the_spec_the_name_and_a_store_given(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POWERBRIDGE_STORE", raising=False)
    run = ApplyRun(store, "web.pipe", name="web-2", store_url="/tmp/jobs.sqlite")
    assert run.resume_command() == [*APPLY, "--name", "web-2", "--store", "/tmp/jobs.sqlite"]
    assert ApplyRun(store, "web.pipe").resume_command() == APPLY


def test_a_store_from_the_environment_is_not_spelled_out(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERBRIDGE_STORE", "/tmp/jobs.sqlite")
    run = ApplyRun(store, "web.pipe", store_url="/tmp/jobs.sqlite")
    assert run.resume_command() == APPLY
    assert run.job is None  # no job until the run starts one
