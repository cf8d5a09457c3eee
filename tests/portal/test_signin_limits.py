"""Sign-in rate limits, counted in the store per user and per client address: a user past
their failures is refused (429, when to retry) even with the right password; a success clears
the user's count; bad X-Auth-Tokens count against the address, and an address past its
limit gets 429 on the API and on the sign-in form. Small limits, one portal for the module."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from powerbridge.portal.signin_limits import SigninLimits
from tests.emulator.aix.ssh_support import lab, lab_config
from tests.portal.portal_lab import PASSWORDS, PortalLab, add_users, portal_settings, serving

LIMITS = SigninLimits(per_user=3, per_address=12, window_seconds=900)
RETRY = re.compile(r"try again after \d\d:\d\d:\d\d UTC \(in about 15 minutes\)")


@pytest.fixture(scope="module", name="portal")
def limited_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalLab]:
    directory = tmp_path_factory.mktemp("limits")
    with lab(lab_config(directory / "emulator", directory / "logs")) as aix:
        add_users(aix)
        settings = portal_settings(aix, directory, signin_limits=LIMITS, run_worker=False)
        with serving(settings) as url:
            yield PortalLab(aix, url, directory / "jobs.sqlite", settings.data_dir)


def sign_in(portal: PortalLab, user: str, password: str) -> int:
    with portal.client() as browser:
        return portal.password_step(browser, user, password).status_code


def test_a_success_clears_the_users_count(portal: PortalLab) -> None:
    assert [sign_in(portal, "pat", "wrong") for _ in range(2)] == [401, 401]
    assert sign_in(portal, "pat", PASSWORDS["pat"]) == 303
    assert [sign_in(portal, "pat", "wrong") for _ in range(2)] == [401, 401]
    assert sign_in(portal, "pat", PASSWORDS["pat"]) == 303  # 2 since the success: below 3


def test_a_user_past_the_limit_is_refused_with_when_to_retry(portal: PortalLab) -> None:
    assert [sign_in(portal, "vera", "wrong") for _ in range(3)] == [401] * 3
    with portal.client() as browser:
        answer = portal.password_step(browser, "vera", PASSWORDS["vera"])  # right, but too late
    assert answer.status_code == 429
    assert "too many failed sign-ins for user default/vera (3 in 15 minutes)" in answer.text
    assert RETRY.search(answer.text), answer.text
    assert 850 <= int(answer.headers["retry-after"]) <= 901
    assert "Traceback" not in answer.text
    assert sign_in(portal, "otto", PASSWORDS["otto"]) == 303  # another user is not held


def test_an_address_past_the_limit_gets_429_on_the_api(portal: PortalLab) -> None:
    good = portal.keystone_token("otto")
    with portal.client() as api:
        statuses = []
        for _ in range(LIMITS.per_address):
            answer = api.get("/api/v1/jobs", headers={"X-Auth-Token": "guessed-token"})
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                break
        assert statuses[-1] == 429
        assert set(statuses[:-1]) == {401}
        refused = api.get("/api/v1/jobs", headers={"X-Auth-Token": good})  # even a good one
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["message"].startswith("too many failed sign-ins for address 127.0.0.1")
        assert RETRY.search(error["message"])
        assert error["retry_after"] == int(refused.headers["retry-after"])
    assert sign_in(portal, "otto", PASSWORDS["otto"]) == 429  # the form, from that address
