"""Nova quota sets: keys per microversion, defaults, overrides, usage, policy; and limits."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.backend.quotas import DEFAULTS
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import COMPUTE, provision

V236 = {"OpenStack-API-Version": "compute 2.36"}
V257 = {"OpenStack-API-Version": "compute 2.57"}
NETWORK_KEYS = {"floating_ips", "fixed_ips", "security_groups", "security_group_rules"}
FILE_KEYS = {"injected_files", "injected_file_content_bytes", "injected_file_path_bytes"}


def test_backend_layers_project_and_user_limits(emulator: Emulator) -> None:
    quotas = emulator.quotas
    quotas.update("p", None, {"instances": 50}, {})
    quotas.update("p", "u", {"instances": 5}, {})
    assert quotas.limits("p")["instances"] == 50
    assert quotas.limits("p", "u")["instances"] == 5
    assert quotas.limits("other")["instances"] == DEFAULTS["instances"]
    with pytest.raises(ApiError, match="less than or equal to 50"):
        quotas.update("p", "u", {"instances": 60}, {})
    with pytest.raises(ApiError, match="already used and reserved 3"):
        quotas.update("p", None, {"instances": 2}, {"instances": 3})
    quotas.update("p", None, {"instances": 2}, {"instances": 3}, force=True)
    quotas.reset("p")
    assert quotas.limits("p", "u") == DEFAULTS


def test_show_and_defaults_keys_follow_the_microversion(admin: TestClient, project_id: str) -> None:
    shown = admin.get(f"{COMPUTE}/os-quota-sets/{project_id}").json()["quota_set"]
    assert set(shown) == set(DEFAULTS) | {"id"}
    assert shown["id"] == project_id
    at_236 = admin.get(f"{COMPUTE}/os-quota-sets/{project_id}", headers=V236).json()["quota_set"]
    assert set(at_236) == (set(DEFAULTS) - NETWORK_KEYS) | {"id"}
    defaults = admin.get(f"{COMPUTE}/os-quota-sets/{project_id}/defaults", headers=V257)
    assert set(defaults.json()["quota_set"]) == (set(DEFAULTS) - NETWORK_KEYS - FILE_KEYS) | {"id"}


def test_update_detail_and_reset(admin: TestClient, project_id: str) -> None:
    url = f"{COMPUTE}/os-quota-sets/{project_id}"
    updated = admin.put(url, json={"quota_set": {"instances": 7, "cores": "9"}})
    assert updated.status_code == 200, updated.text
    body = updated.json()["quota_set"]
    assert "id" not in body
    assert (body["instances"], body["cores"]) == (7, 9)
    detail = admin.get(url + "/detail").json()["quota_set"]
    assert detail["instances"] == {"limit": 7, "in_use": 0, "reserved": 0}
    limits = admin.get(f"{COMPUTE}/limits").json()["limits"]["absolute"]
    assert (limits["maxTotalInstances"], limits["maxTotalCores"]) == (7, 9)
    assert admin.delete(url).status_code == 202
    assert admin.get(url).json()["quota_set"]["instances"] == DEFAULTS["instances"]


@pytest.mark.parametrize(
    "body",
    [
        {"quota_set": {"instances": "many"}},
        {"quota_set": {"unknown": 1}},
        {"quota_set": {"instances": -2}},
        {"quota_set": {"force": "yes"}},
        {"nothing": {}},
        [],
    ],
)
def test_bad_updates_are_400_in_nova_envelope(
    admin: TestClient, project_id: str, body: object
) -> None:
    response = admin.put(f"{COMPUTE}/os-quota-sets/{project_id}", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["badRequest"]["code"] == 400


def test_network_keys_are_refused_from_236(admin: TestClient, project_id: str) -> None:
    url = f"{COMPUTE}/os-quota-sets/{project_id}"
    assert admin.put(url, json={"quota_set": {"floating_ips": 3}}).status_code == 200
    refused = admin.put(url, json={"quota_set": {"floating_ips": 3}}, headers=V236)
    assert refused.status_code == 400


def test_members_read_their_own_project_only_and_cannot_update(
    client: TestClient, admin_token: str, project_id: str
) -> None:
    alice = provision(client, admin_token, "p1", "alice")
    own = client.get(f"{COMPUTE}/os-quota-sets/{alice.project_id}", headers=alice.headers)
    assert own.status_code == 200
    other = client.get(f"{COMPUTE}/os-quota-sets/{project_id}", headers=alice.headers)
    assert other.status_code == 403
    change = {"quota_set": {"instances": 1}}
    url = f"{COMPUTE}/os-quota-sets/{alice.project_id}"
    assert client.put(url, json=change, headers=alice.headers).status_code == 403
    assert client.delete(url, headers=alice.headers).status_code == 403


def test_key_pairs_quota_applies_per_user(
    client: TestClient, admin: TestClient, admin_token: str
) -> None:
    alice = provision(client, admin_token, "p1", "alice")
    url = f"{COMPUTE}/os-quota-sets/{alice.project_id}?user_id={alice.user_id}"
    assert admin.put(url, json={"quota_set": {"key_pairs": 1}}).status_code == 200
    keypairs = f"{COMPUTE}/os-keypairs"
    first = client.post(keypairs, json={"keypair": {"name": "a"}}, headers=alice.headers)
    assert first.status_code == 200
    second = client.post(keypairs, json={"keypair": {"name": "b"}}, headers=alice.headers)
    assert second.status_code == 403
    assert second.json()["forbidden"]["message"] == "Quota exceeded, too many key pairs."
