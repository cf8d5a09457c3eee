"""Keystone's administration API in the wire scenario: domains (and their configuration),
groups, projects' tags and hierarchy, roles and inference rules, every grant shape, trusts,
credentials, policies, regions, endpoint groups, consumers, access rules and a password
change. Everything made is deleted again before the other parts run."""

from __future__ import annotations

from tests.support.wire_scene import IDENTITY, Scene, password_auth


def identity_admin_scenario(scene: Scene) -> None:
    domain = scene.post(f"{IDENTITY}/domains", {"domain": {"name": "wire-domain"}})["domain"]["id"]
    scene.ok(scene.send("PATCH", f"{IDENTITY}/domains/{domain}", {"domain": {"description": "d"}}))
    group = scene.post(f"{IDENTITY}/groups", {"group": {"name": "wire-group"}})["group"]["id"]
    user = scene.post(f"{IDENTITY}/users", {"user": {"name": "wire-admin", "password": "pw-1"}})
    user_id = user["user"]["id"]
    project = scene.post(f"{IDENTITY}/projects", {"project": {"name": "wire-root"}})["project"]
    _groups(scene, group, user_id)
    _tags_and_tree(scene, project["id"])
    role = _roles(scene, domain)
    _grants(scene, project["id"], domain, group, user_id, role)
    _trusts_and_rules(scene, project["id"], user_id, role)
    _credentials(scene, project["id"], user_id)
    _extensions(scene, domain)
    _regions(scene)
    body = {"user": {"original_password": "pw-1", "password": "pw-2"}}
    scene.send("POST", f"{IDENTITY}/users/{user_id}/password", body, token="")
    scene.delete(f"{IDENTITY}/roles/{role}")
    scene.delete(f"{IDENTITY}/groups/{group}")
    scene.delete(f"{IDENTITY}/users/{user_id}")
    scene.delete(f"{IDENTITY}/projects/{project['id']}")
    scene.send("DELETE", f"{IDENTITY}/domains/{domain}")  # enabled: 403
    scene.ok(scene.send("PATCH", f"{IDENTITY}/domains/{domain}", {"domain": {"enabled": False}}))
    scene.delete(f"{IDENTITY}/domains/{domain}")


def _groups(scene: Scene, group: str, user: str) -> None:
    scene.get(f"{IDENTITY}/groups")
    scene.get(f"{IDENTITY}/groups/{group}")
    scene.ok(scene.send("PATCH", f"{IDENTITY}/groups/{group}", {"group": {"description": "g"}}))
    member = f"{IDENTITY}/groups/{group}/users/{user}"
    scene.put(member)
    scene.send("HEAD", member)
    scene.get(f"{IDENTITY}/groups/{group}/users")
    scene.get(f"{IDENTITY}/users/{user}/groups")
    scene.delete(member)
    scene.put(member)  # a member again, for the grants through the group


def _tags_and_tree(scene: Scene, project: str) -> None:
    tags = f"{IDENTITY}/projects/{project}/tags"
    scene.put(f"{tags}/red")
    scene.send("GET", f"{tags}/red")
    scene.put(tags, {"tags": ["a", "b"]})
    scene.get(tags)
    scene.delete(f"{tags}/a")
    scene.delete(tags)
    leaf = scene.post(
        f"{IDENTITY}/projects", {"project": {"name": "wire-leaf", "parent_id": project}}
    )["project"]["id"]
    scene.get(f"{IDENTITY}/projects/{project}?subtree_as_ids")
    scene.get(f"{IDENTITY}/projects/{leaf}?parents_as_ids")
    scene.send("DELETE", f"{IDENTITY}/projects/{project}")  # not a leaf: 403
    scene.delete(f"{IDENTITY}/projects/{leaf}")


def _roles(scene: Scene, domain: str) -> str:
    role = scene.post(f"{IDENTITY}/roles", {"role": {"name": "wire-admin-role"}})["role"]["id"]
    scene.ok(scene.send("PATCH", f"{IDENTITY}/roles/{role}", {"role": {"description": "r"}}))
    reader = scene.get(f"{IDENTITY}/roles?name=reader")["roles"][0]["id"]
    implies = f"{IDENTITY}/roles/{role}/implies/{reader}"
    scene.put(implies)
    scene.get(implies)
    scene.send("HEAD", implies)
    scene.get(f"{IDENTITY}/roles/{role}/implies")
    scene.get(f"{IDENTITY}/role_inferences")
    scene.delete(implies)
    local = scene.post(f"{IDENTITY}/roles", {"role": {"name": "wire-local", "domain_id": domain}})
    scene.get(f"{IDENTITY}/roles?domain_id={domain}")
    scene.delete(f"{IDENTITY}/roles/{local['role']['id']}")
    return str(role)


def _grants(scene: Scene, project: str, domain: str, group: str, user: str, role: str) -> None:
    targets = {"projects": project, "domains": domain}
    for actor, actor_id in (("users", user), ("groups", group)):
        for target, target_id in targets.items():
            base = f"{IDENTITY}/{target}/{target_id}/{actor}/{actor_id}/roles"
            inherited = base.replace("/v3/", "/v3/OS-INHERIT/") + f"/{role}/inherited_to_projects"
            scene.put(f"{base}/{role}")
            scene.send("HEAD", f"{base}/{role}")
            scene.put(inherited)
            scene.send("HEAD", inherited)
            scene.get(base)
            if target == "domains":
                scene.get(inherited.rsplit("/", 2)[0] + "/inherited_to_projects")
        system = f"{IDENTITY}/system/{actor}/{actor_id}/roles"
        scene.put(f"{system}/{role}")
        scene.send("HEAD", f"{system}/{role}")
        scene.get(system)
    scene.get(f"{IDENTITY}/role_assignments?user.id={user}&effective&include_names")
    scene.get(f"{IDENTITY}/auth/system")
    scene.send("GET", f"{IDENTITY}/role_assignments?effective&group.id={group}")
    for actor, actor_id in (("users", user), ("groups", group)):
        for target, target_id in targets.items():
            base = f"{IDENTITY}/{target}/{target_id}/{actor}/{actor_id}/roles"
            inherited = base.replace("/v3/", "/v3/OS-INHERIT/") + f"/{role}/inherited_to_projects"
            scene.delete(f"{base}/{role}")
            scene.delete(inherited)
        scene.delete(f"{IDENTITY}/system/{actor}/{actor_id}/roles/{role}")


def _trusts_and_rules(scene: Scene, project: str, user: str, role: str) -> None:
    scene.put(f"{IDENTITY}/projects/{project}/users/{user}/roles/{role}")
    login = scene.send(
        "POST",
        f"{IDENTITY}/auth/tokens",
        password_auth("wire-admin", "pw-1", "wire-root"),
        token="",
    )
    token = login.headers["x-subject-token"]
    spec = {
        "trustor_user_id": user,
        "trustee_user_id": scene.user_id,
        "project_id": project,
        "roles": [{"id": role}],
    }
    trust = scene.post(f"{IDENTITY}/OS-TRUST/trusts", {"trust": spec}, token=token)["trust"]["id"]
    scene.get(f"{IDENTITY}/OS-TRUST/trusts?trustor_user_id={user}", token=token)
    scene.get(f"{IDENTITY}/OS-TRUST/trusts/{trust}", token=token)
    scene.get(f"{IDENTITY}/OS-TRUST/trusts/{trust}/roles", token=token)
    scene.get(f"{IDENTITY}/OS-TRUST/trusts/{trust}/roles/{role}", token=token)
    scene.delete(f"{IDENTITY}/OS-TRUST/trusts/{trust}", token=token)
    rule = {"service": "identity", "path": "/v3/auth/projects", "method": "GET"}
    body = {"application_credential": {"name": "wire-ruled", "access_rules": [rule]}}
    path = f"{IDENTITY}/users/{user}/application_credentials"
    cred = scene.post(path, body, token=token)["application_credential"]
    rules = scene.get(f"{IDENTITY}/users/{user}/access_rules", token=token)["access_rules"]
    one = f"{IDENTITY}/users/{user}/access_rules/{rules[0]['id']}"
    scene.get(one, token=token)
    scene.send("DELETE", one, token=token)  # in use: 403
    scene.delete(f"{path}/{cred['id']}", token=token)
    scene.delete(one, token=token)


def _credentials(scene: Scene, project: str, user: str) -> None:
    ec2 = f"{IDENTITY}/users/{user}/credentials/OS-EC2"
    access = scene.post(ec2, {"tenant_id": project})["credential"]["access"]
    scene.get(ec2)
    scene.get(f"{ec2}/{access}")
    scene.delete(f"{ec2}/{access}")  # before the listing below: its id is not a masked shape
    spec = {"user_id": user, "type": "cert", "blob": "wire-blob"}
    credential = scene.post(f"{IDENTITY}/credentials", {"credential": spec})["credential"]["id"]
    scene.get(f"{IDENTITY}/credentials")
    scene.get(f"{IDENTITY}/credentials/{credential}")
    patch = {"credential": {"blob": "wire-blob-2"}}
    scene.ok(scene.send("PATCH", f"{IDENTITY}/credentials/{credential}", patch))
    scene.delete(f"{IDENTITY}/credentials/{credential}")
    policy = {"policy": {"blob": "{}", "type": "application/json"}}
    made = scene.post(f"{IDENTITY}/policies", policy)["policy"]["id"]
    scene.get(f"{IDENTITY}/policies")
    scene.get(f"{IDENTITY}/policies/{made}")
    scene.ok(scene.send("PATCH", f"{IDENTITY}/policies/{made}", {"policy": {"blob": "{1}"}}))
    scene.delete(f"{IDENTITY}/policies/{made}")


def _extensions(scene: Scene, domain: str) -> None:
    groups = f"{IDENTITY}/OS-EP-FILTER/endpoint_groups"
    spec = {"endpoint_group": {"name": "wire-eg", "filters": {"interface": "public"}}}
    made = scene.post(groups, spec)["endpoint_group"]["id"]
    scene.get(groups)
    scene.get(f"{groups}/{made}")
    scene.ok(scene.send("PATCH", f"{groups}/{made}", {"endpoint_group": {"name": "wire-eg2"}}))
    scene.delete(f"{groups}/{made}")
    consumers = f"{IDENTITY}/OS-OAUTH1/consumers"
    consumer = scene.post(consumers, {"consumer": {"description": "c"}})["consumer"]["id"]
    scene.get(consumers)
    scene.get(f"{consumers}/{consumer}")
    scene.ok(scene.send("PATCH", f"{consumers}/{consumer}", {"consumer": {"description": "d"}}))
    scene.delete(f"{consumers}/{consumer}")
    config = f"{IDENTITY}/domains/{domain}/config"
    scene.put(config, {"config": {"identity": {"driver": "ldap", "list_limit": 5}}})
    scene.get(config)
    scene.get(f"{config}/identity")
    scene.get(f"{config}/identity/driver")
    scene.ok(scene.send("PATCH", config, {"config": {"identity": {"driver": "sql"}}}))
    scene.ok(scene.send("PATCH", f"{config}/identity", {"config": {"identity": {"driver": "x"}}}))
    scene.ok(scene.send("PATCH", f"{config}/identity/driver", {"config": {"driver": "y"}}))
    scene.delete(f"{config}/identity/driver")
    scene.delete(f"{config}/identity")
    scene.send("GET", config)  # nothing left: 404
    scene.put(config, {"config": {"identity": {"driver": "ldap"}}})
    scene.delete(config)
    scene.get(f"{IDENTITY}/domains/config/default")
    scene.get(f"{IDENTITY}/domains/config/identity/default")
    scene.get(f"{IDENTITY}/domains/config/identity/driver/default")


def _regions(scene: Scene) -> None:
    made = scene.post(f"{IDENTITY}/regions", {"region": {"id": "wire-east"}})["region"]["id"]
    scene.put(f"{IDENTITY}/regions/wire-east-1", {"region": {"parent_region_id": made}})
    scene.ok(scene.send("PATCH", f"{IDENTITY}/regions/{made}", {"region": {"description": "e"}}))
    scene.get(f"{IDENTITY}/regions?parent_region_id={made}")
    scene.delete(f"{IDENTITY}/regions/{made}")
