"""The identity (keystone v3) and emulator-admin parts of the wire scenario."""

from __future__ import annotations

from tests.support.wire_identity_admin import identity_admin_scenario
from tests.support.wire_scene import EMULATOR, IDENTITY, PROXY, Scene, password_auth


def login(scene: Scene) -> None:
    """The admin's token, then who the admin is (kept on the scene for the other parts)."""
    response = scene.send(
        "POST",
        f"{IDENTITY}/auth/tokens",
        password_auth("root", "passw0rd", "ibm-default"),
        token="",
    )
    token = scene.ok(response)["token"]
    scene.wire.token = response.headers["x-subject-token"]
    scene.project_id = token["project"]["id"]
    scene.user_id = token["user"]["id"]


def identity_scenario(scene: Scene) -> None:
    scene.get(f"{PROXY}/identity/", token="")
    scene.get(IDENTITY, token="")
    scene.get(f"{IDENTITY}/", token="")
    scene.send("HEAD", IDENTITY, token="")
    scene.post(
        f"{IDENTITY}/auth/tokens?nocatalog",
        password_auth("root", "passw0rd", "ibm-default"),
        token="",
    )
    scene.get(f"{IDENTITY}/auth/tokens", headers={"x-subject-token": scene.wire.token})
    scene.get(f"{IDENTITY}/auth/catalog")
    scene.get(f"{IDENTITY}/auth/projects")
    scene.get(f"{IDENTITY}/auth/domains")
    domains = scene.get(f"{IDENTITY}/domains")["domains"]
    scene.get(f"{IDENTITY}/domains/{domains[0]['id']}")
    project = _projects(scene)
    user = _users(scene, project)
    _grants(scene, project, user)
    _app_credentials(scene, user)
    scene.delete(f"{IDENTITY}/users/{user}")
    scene.delete(f"{IDENTITY}/projects/{project}")
    _identity_errors(scene)
    _catalog_records(scene)
    identity_admin_scenario(scene)


def _catalog_records(scene: Scene) -> None:
    """Services, endpoints and regions; what is created is gone again before the other parts
    (their tokens' catalogs stay the declared ones)."""
    scene.get(f"{IDENTITY}/services")
    nova = scene.get(f"{IDENTITY}/services?type=compute")["services"][0]["id"]
    scene.get(f"{IDENTITY}/services/{nova}")
    scene.get(f"{IDENTITY}/endpoints?service_id={nova}&interface=public")
    body = {"service": {"type": "orchestration", "name": "heat", "description": "golden"}}
    heat = scene.post(f"{IDENTITY}/services", body)["service"]["id"]
    scene.ok(scene.send("PATCH", f"{IDENTITY}/services/{heat}", {"service": {"enabled": True}}))
    url = "http://heat.test:8004/v1/$(project_id)s"
    spec = {"service_id": heat, "interface": "public", "region_id": "RegionOne", "url": url}
    endpoint = scene.post(f"{IDENTITY}/endpoints", {"endpoint": spec})["endpoint"]["id"]
    scene.get(f"{IDENTITY}/endpoints/{endpoint}")
    patch = {"endpoint": {"interface": "internal"}}
    scene.ok(scene.send("PATCH", f"{IDENTITY}/endpoints/{endpoint}", patch))
    scene.get(f"{IDENTITY}/endpoints")
    scene.get(f"{IDENTITY}/auth/catalog")
    scene.delete(f"{IDENTITY}/endpoints/{endpoint}")
    scene.delete(f"{IDENTITY}/services/{heat}")
    scene.get(f"{IDENTITY}/regions")
    scene.get(f"{IDENTITY}/regions/RegionOne")
    scene.send("POST", f"{IDENTITY}/endpoints", {"endpoint": {**spec, "service_id": "no-such"}})
    scene.send("POST", f"{IDENTITY}/services", {"service": {"name": "no-type"}})
    scene.send("GET", f"{IDENTITY}/services/{heat}")
    scene.send("GET", f"{IDENTITY}/regions/Nowhere")


def _projects(scene: Scene) -> str:
    scene.get(f"{IDENTITY}/projects")
    body = {"project": {"name": "wire-project", "description": "golden", "tags": ["wire"]}}
    project = str(scene.post(f"{IDENTITY}/projects", body)["project"]["id"])
    scene.get(f"{IDENTITY}/projects/{project}")
    patch = {"project": {"description": "golden recording"}}
    scene.ok(scene.send("PATCH", f"{IDENTITY}/projects/{project}", patch))
    scene.get(f"{IDENTITY}/projects?name=wire-project")
    scene.send("POST", f"{IDENTITY}/projects", body)
    return project


def _users(scene: Scene, project: str) -> str:
    scene.get(f"{IDENTITY}/users")
    spec = {"name": "wire-user", "password": "wire-pw", "default_project_id": project}
    user = str(scene.post(f"{IDENTITY}/users", {"user": spec})["user"]["id"])
    scene.get(f"{IDENTITY}/users/{user}")
    patch = {"user": {"email": "wire@example.com"}}
    scene.ok(scene.send("PATCH", f"{IDENTITY}/users/{user}", patch))
    scene.get(f"{IDENTITY}/users?name=wire-user")
    return user


def _grants(scene: Scene, project: str, user: str) -> None:
    scene.get(f"{IDENTITY}/roles")
    member = scene.get(f"{IDENTITY}/roles?name=member")["roles"][0]["id"]
    role = scene.post(f"{IDENTITY}/roles", {"role": {"name": "wire-role"}})["role"]["id"]
    scene.get(f"{IDENTITY}/roles/{role}")
    for granted in (member, role):
        scene.put(f"{IDENTITY}/projects/{project}/users/{user}/roles/{granted}")
    grant = f"{IDENTITY}/projects/{project}/users/{user}/roles/{role}"
    scene.send("GET", grant)
    scene.send("HEAD", grant)
    scene.get(f"{IDENTITY}/projects/{project}/users/{user}/roles")
    scene.get(f"{IDENTITY}/role_assignments?user.id={user}")
    scene.get(f"{IDENTITY}/role_assignments?scope.project.id={project}&include_names")
    scene.delete(grant)
    scene.send("GET", grant)
    scene.delete(f"{IDENTITY}/roles/{role}")
    scene.get(f"{IDENTITY}/users/{user}/projects")


def _app_credentials(scene: Scene, user: str) -> None:
    login = scene.send(
        "POST",
        f"{IDENTITY}/auth/tokens",
        password_auth("wire-user", "wire-pw", "wire-project"),
        token="",
    )
    token = login.headers["x-subject-token"]
    path = f"{IDENTITY}/users/{user}/application_credentials"
    body = {"application_credential": {"name": "wire-cred", "secret": "wire-secret"}}
    cred = scene.post(path, body, token=token)["application_credential"]["id"]
    scene.get(path, token=token)
    scene.get(f"{path}/{cred}", token=token)
    method = {"id": cred, "secret": "wire-secret"}
    auth = {
        "auth": {
            "identity": {"methods": ["application_credential"], "application_credential": method}
        }
    }
    scene.post(f"{IDENTITY}/auth/tokens", auth, token="")
    scene.delete(f"{path}/{cred}", token=token)
    scene.send("POST", f"{IDENTITY}/auth/tokens", auth, token="")
    scene.delete(f"{IDENTITY}/auth/tokens", headers={"x-subject-token": token})
    scene.send("GET", f"{IDENTITY}/auth/tokens", headers={"x-subject-token": token})


def _identity_errors(scene: Scene) -> None:
    wrong = password_auth("root", "wrong", "ibm-default")
    scene.send("POST", f"{IDENTITY}/auth/tokens", wrong, token="")
    scene.send("GET", f"{IDENTITY}/users", token="")
    scene.send("GET", f"{IDENTITY}/users", token="not-a-token")
    scene.send("GET", f"{IDENTITY}/users/no-such-user")
    scene.send("PUT", f"{IDENTITY}/auth/catalog")
    scene.send("GET", f"{IDENTITY}/no-such-collection")
    scene.send(
        "POST",
        f"{IDENTITY}/projects",
        raw=b"{not json",
        headers={"content-type": "application/json"},
    )
    scene.send(
        "POST",
        f"{IDENTITY}/projects",
        raw=b"name=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def admin_scenario(scene: Scene) -> None:
    scene.get(f"{EMULATOR}/health", token="")
    scene.get("/powervc/version", token="")
    scene.get(f"{EMULATOR}/clock")
    scene.send("POST", f"{EMULATOR}/clock", {"advance": 10})
    scene.send("POST", f"{EMULATOR}/clock", {"advance": -1})
    scene.send("GET", f"{EMULATOR}/clock", token="")
    scene.get(f"{EMULATOR}/behaviours")
    rule = {"kind": "server", "mode": "stuck_in_build", "name_regex": "^wire-stuck$"}
    created = scene.post(f"{EMULATOR}/behaviours", {"behaviour": rule})["behaviour"]
    scene.post(f"{EMULATOR}/behaviours", {"behaviour": {**rule, "name_regex": "^wire-2$"}})
    scene.get(f"{EMULATOR}/behaviours")
    scene.delete(f"{EMULATOR}/behaviours/{created['id']}")
    scene.send("DELETE", f"{EMULATOR}/behaviours/{created['id']}")
    scene.send("POST", f"{EMULATOR}/behaviours", {"behaviour": {"kind": "nonsense"}})
    scene.delete(f"{EMULATOR}/behaviours")
    scene.get(f"{EMULATOR}/behaviours")
    scene.send("GET", f"{EMULATOR}/no-such-thing")
