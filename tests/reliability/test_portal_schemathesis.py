"""schemathesis against the portal's own OpenAPI (/api/openapi.json), signed in as an operator
(otto: the session cookie and its CSRF token): every operation with inputs that fit the
schema and with inputs that do not, then stateful sequences following the document's links
(a listed job or cluster to its routes, a submitted action to its job and events).

Every answer must be below 500, and every error JSON with a message (`error.message`, the
portal's Error schema). Seeded (hypothesis derandomized), bounded in count; the portal's
worker is off, so no cluster is built; the store holds a finished job and a cluster record
for the links to find. Prints how many cases ran.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.core.transport import Response

from powerbridge.jobs import JobStatus, JobStore
from powerbridge.portal.auth import COOKIE
from tests.emulator.aix.ssh_support import lab, lab_config
from tests.portal.portal_lab import PortalLab, add_users, portal_settings, serving

pytestmark = pytest.mark.reliability

CASES_PER_MODE = 100  # per operation and mode (positive, negative): 18 operations
STATEFUL_SCENARIOS = 40
STEPS_PER_SCENARIO = 6
AT_LEAST = 2_000
TIMEOUT = 15.0  # a request's; no route may hang past it
EXAMPLE = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
SETTINGS = hypothesis.settings(
    deadline=None,
    database=None,
    derandomize=True,  # seeded: the same cases every run
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],  # no shrinking: problems are collected
)


@dataclass
class Tally:
    """What ran and what broke the rules."""

    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    linked: int = 0
    problems: list[str] = field(default_factory=list)

    def record(self, kind: str, case: Any, response: Response | None) -> None:
        self.cases[kind] += 1
        where = f"{case.method} {case.formatted_path}"
        if response is None:
            self.problems.append(f"{where}: no answer within {TIMEOUT} s")
            return
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.problems.append(f"{where}: {response.status_code} {response.content[:200]!r}")
        elif response.status_code >= 400 and not _error_message(response):
            self.problems.append(f"{where}: {response.status_code} without a JSON message")


def _error_message(response: Response) -> str | None:
    kinds = {k.lower(): v for k, v in response.headers.items()}.get("content-type", [""])
    if not kinds[0].startswith("application/json"):
        return None
    try:
        message = json.loads(response.content)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return None
    return message if isinstance(message, str) and message else None


@dataclass
class Target:
    url: str
    cookies: dict[str, str]
    headers: dict[str, str]

    def call(self, case: Any) -> Response | None:
        try:
            response: Response = case.call(
                base_url=self.url, headers=self.headers, cookies=self.cookies, timeout=TIMEOUT
            )
        except requests.Timeout:
            return None
        return response


@pytest.fixture(scope="module", name="target")
def target_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    directory = tmp_path_factory.mktemp("schemathesis")
    with lab(lab_config(directory / "emulator", directory / "logs")) as aix:
        add_users(aix)
        settings = portal_settings(aix, directory, run_worker=False)
        with serving(settings) as url, contextlib.ExitStack() as stack:
            portal = PortalLab(aix, url, directory / "jobs.sqlite", settings.data_dir)
            projects = aix.http.get(f"{aix.running.auth_url}/projects").json()["projects"]
            project = next(p["id"] for p in projects if p["name"] == "ibm-default")
            with contextlib.closing(JobStore.open(str(portal.store_path))) as store:
                spec = {"text": EXAMPLE}
                job = store.create_job(
                    "cluster", "appha", action="create", spec=spec, project=project
                )
                store.event(job.id, "a create recorded for the links to find")
                store.finish(job.id, JobStatus.FAILED)
            browser = stack.enter_context(portal.signed_in("otto"))
            csrf = portal.csrf(browser)
            yield Target(url, {COOKIE: browser.cookies[COOKIE]}, {"X-CSRF-Token": csrf})


@pytest.fixture(scope="module", name="tally")
def tally_fixture() -> Tally:
    return Tally()


def run_operation(target: Target, tally: Tally, operation: Any, mode: GenerationMode) -> None:
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(SETTINGS, max_examples=CASES_PER_MODE)
    def each(case: Any) -> None:
        tally.record(mode.value, case, target.call(case))

    try:
        each()
    except hypothesis.errors.Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # no input to make wrong (no parameters)


def test_every_operation_with_fitting_and_unfitting_input(target: Target, tally: Tally) -> None:
    schema = schemathesis.openapi.from_url(f"{target.url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 16
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run_operation(target, tally, operation, mode)
    print(f"\nschemathesis: {dict(tally.cases)} cases over {len(operations)} operations")
    assert not tally.problems, "\n".join(tally.problems[:20])


def test_stateful_sequences_along_the_links(target: Target, tally: Tally) -> None:
    schema = schemathesis.openapi.from_url(f"{target.url}/api/openapi.json")
    machine = schema.as_state_machine()

    class Portal(machine):  # type: ignore[misc,valid-type]
        def step(self, input: Any) -> Any:
            if input.transition is not None:
                tally.linked += 1
            return super().step(input)

        def call(self, case: Any, **kwargs: Any) -> Any:
            response = target.call(case)
            tally.record("stateful", case, response)
            if response is None:
                raise AssertionError(f"{case.method} {case.formatted_path}: no answer")
            return response

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            return None  # recorded by call: the rules are checked once, at the end

    settings = hypothesis.settings(
        SETTINGS, max_examples=STATEFUL_SCENARIOS, stateful_step_count=STEPS_PER_SCENARIO
    )
    try:
        Portal.run(settings=settings)
    except hypothesis.errors.FlakyStrategyDefinition as replay:
        # the portal keeps what earlier sequences made (jobs, a 409 where a 202 was): a prefix
        # hypothesis replays can find other links open and it stops; what ran still counts
        print(f"\nschemathesis: stopped by hypothesis replaying a sequence: {replay}")
    total = sum(tally.cases.values())
    print(
        f"\nschemathesis: {total} cases ({dict(tally.cases)}), {tally.linked} steps along a"
        f" link; statuses {dict(sorted(tally.statuses.items()))}"
    )
    assert tally.cases["stateful"] > 0
    assert tally.linked > 0  # the links were followed
    assert total >= AT_LEAST
    assert not tally.problems, "\n".join(tally.problems[:20])
