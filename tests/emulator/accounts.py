"""Test accounts: a project with a member (or reader) user, provisioned through Keystone."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.testclient import TestClient

from tests.emulator.conftest import IDENTITY, password_auth


@dataclass(frozen=True)
class Account:
    user_id: str
    project_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Auth-Token": self.token}


def provision(
    client: TestClient, admin_token: str, project: str, user: str, role: str = "member"
) -> Account:
    """Create `project` (if new) and `user` with `role` on it; log the user in."""
    admin = {"X-Auth-Token": admin_token}
    found = client.get(f"{IDENTITY}/projects?name={project}", headers=admin).json()["projects"]
    if found:
        project_id = found[0]["id"]
    else:
        created = client.post(
            f"{IDENTITY}/projects", json={"project": {"name": project}}, headers=admin
        )
        assert created.status_code == 201, created.text
        project_id = created.json()["project"]["id"]
    response = client.post(
        f"{IDENTITY}/users", json={"user": {"name": user, "password": "pw-" + user}}, headers=admin
    )
    assert response.status_code == 201, response.text
    user_id = response.json()["user"]["id"]
    role_id = client.get(f"{IDENTITY}/roles?name={role}", headers=admin).json()["roles"][0]["id"]
    granted = client.put(
        f"{IDENTITY}/projects/{project_id}/users/{user_id}/roles/{role_id}", headers=admin
    )
    assert granted.status_code == 204, granted.text
    login = client.post(f"{IDENTITY}/auth/tokens", json=password_auth(user, "pw-" + user, project))
    assert login.status_code == 201, login.text
    return Account(user_id, project_id, login.headers["x-subject-token"])
