"""Signing in with PowerVC credentials: wrong password, project choice, cookie flags, a new
session id at each step, CSRF, sign-out revoking the token; through a portal on loopback."""

from __future__ import annotations

from pathlib import Path

from powerbridge.portal.auth import COOKIE
from powerbridge.portal.pages import SIGNIN_COOKIE
from powerbridge.portal.signin import WRONG_CREDENTIALS
from tests.portal.portal_lab import (  # noqa: F401
    FORM_CSRF,
    PASSWORDS,
    PortalLab,
    portal_fixture,
    portal_settings,
    serving,
)


def test_a_wrong_password_is_one_clear_message(portal: PortalLab) -> None:
    with portal.client() as browser:
        answer = portal.password_step(browser, "root", "not-the-password")
        assert answer.status_code == 401
        assert answer.text.count(WRONG_CREDENTIALS) == 1
        assert "Traceback" not in answer.text
        assert COOKIE not in browser.cookies
        assert browser.get("/api/v1/jobs").status_code == 401


def test_the_session_cookie_is_httponly_and_samesite(portal: PortalLab) -> None:
    with portal.client() as browser:
        answer = portal.password_step(browser, "root", PASSWORDS["root"])
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"  # root has one project: nothing to pick
        cookie = next(
            line for line in answer.headers.get_list("set-cookie") if line.startswith(COOKIE)
        )
        flags = {part.strip().lower() for part in cookie.split(";")}
        assert {"httponly", "samesite=lax", "path=/"} <= flags
        assert "secure" not in flags  # plain http here; --secure-cookies behind TLS
        max_age = next(int(f.split("=")[1]) for f in flags if f.startswith("max-age="))
        assert 0 < max_age <= 6 * 3600  # no longer than the token


def test_a_user_of_two_projects_picks_one(portal: PortalLab) -> None:
    with portal.client() as browser:
        answer = portal.password_step(browser, "pat", PASSWORDS["pat"])
        assert answer.headers["location"] == "/signin/project"
        assert browser.get("/api/v1/jobs").status_code == 401  # not signed in to a project yet
        page = browser.get("/signin/project").text
        assert "ibm-default" in page
        assert "lab2" in page
        assert portal.pick(browser, "lab2").headers["location"] == "/"
        dashboard = browser.get("/").text
        assert 'pat · lab2 · <span class="role">operator</span>' in dashboard


def test_each_sign_in_step_makes_a_new_session_id(portal: PortalLab) -> None:
    with portal.client() as browser:
        browser.cookies.set(COOKIE, "planted-by-someone-else", domain="127.0.0.1")
        portal.password_step(browser, "pat", PASSWORDS["pat"])
        unscoped = browser.cookies[COOKIE]
        assert unscoped != "planted-by-someone-else"
        portal.pick(browser, "ibm-default")
        scoped = browser.cookies[COOKIE]
        assert scoped != unscoped
        assert browser.get("/api/v1/jobs").status_code == 200
    with portal.client(cookies={COOKIE: unscoped}) as old:
        assert old.get("/api/v1/jobs").status_code == 401  # the step before is gone


def test_a_write_without_the_csrf_token_is_refused(portal: PortalLab) -> None:
    with portal.signed_in("root") as browser:
        answer = browser.post("/api/v1/clusters", content="name: x\n")
        assert answer.status_code == 403
        assert "CSRF token" in answer.json()["error"]["message"]
        wrong = browser.post("/api/v1/clusters", content="x", headers={"X-CSRF-Token": "no"})
        assert wrong.status_code == 403
        signout = browser.post("/signout")  # a form without its token signs nobody out
        assert signout.status_code == 403
        assert browser.get("/api/v1/jobs").status_code == 200


def test_sign_out_ends_the_session_and_revokes_the_token(portal: PortalLab) -> None:
    with portal.signed_in("otto") as browser:
        token = portal.session_token(browser)
        cookie = browser.cookies[COOKIE]
        answer = browser.post("/signout", data={"csrf_token": portal.csrf(browser)})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/signin"
    with portal.client(cookies={COOKIE: cookie}) as old:
        assert old.get("/api/v1/jobs").status_code == 401
    headers = {"X-Auth-Token": portal.keystone_token("root"), "X-Subject-Token": token}
    check = portal.aix.http.get(f"{portal.aix.running.auth_url}/auth/tokens", headers=headers)
    assert check.status_code == 404  # revoked at Keystone, not only forgotten


def test_pages_send_a_stranger_to_the_sign_in(portal: PortalLab) -> None:
    with portal.client() as browser:
        for page in ("/", "/clusters/new", "/jobs/1"):
            answer = browser.get(page)
            assert answer.status_code == 303
            assert answer.headers["location"] == "/signin"
        form = browser.get("/signin").text
        for field in ("user", "password", "domain"):
            assert f'<label for="{field}">' in form


def test_cookies_are_secure_when_served_behind_tls(portal: PortalLab, tmp_path: Path) -> None:
    settings = portal_settings(portal.aix, tmp_path, secure_cookies=True, run_worker=False)
    with serving(settings) as url:
        tls = PortalLab(portal.aix, url, tmp_path / "jobs.sqlite", settings.data_dir)
        with tls.client() as browser:
            form = browser.get("/signin")
            signin_cookie = form.cookies[SIGNIN_COOKIE]  # Secure: httpx keeps it off http://
            token = FORM_CSRF.search(form.text)
            assert token is not None
            body = {"user": "root", "password": PASSWORDS["root"], "csrf_token": token[1]}
            headers = {"Cookie": f"{SIGNIN_COOKIE}={signin_cookie}"}
            answer = browser.post("/signin", data=body, headers=headers)
    assert answer.status_code == 303
    cookies = answer.headers.get_list("set-cookie")
    session = next(line for line in cookies if line.startswith(COOKIE))
    assert "secure" in {part.strip().lower() for part in session.split(";")}
