"""Nova key pairs: the backend's rules and fingerprints, and the API per microversion."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.backend.keypairs import KeypairBackend, fingerprint_of, generate
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import COMPUTE, provision

V22 = {"OpenStack-API-Version": "compute 2.2"}
V210 = {"OpenStack-API-Version": "compute 2.10"}
V235 = {"OpenStack-API-Version": "compute 2.35"}


@pytest.fixture(scope="module")
def ssh_key() -> str:
    return generate("ssh", "someone")[1]


def md5_colon(public_key: str) -> str:
    digest = hashlib.md5(base64.b64decode(public_key.split()[1])).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


# -- backend ----------------------------------------------------------------------------------
def test_generated_ssh_pair_has_nova_format_and_fingerprint(emulator: Emulator) -> None:
    keypair, private = emulator.keypairs.create("u1", "k1")
    assert private is not None
    assert private.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert keypair.public_key.startswith("ssh-rsa ")
    assert keypair.public_key.endswith(" Generated-by-Nova")
    assert keypair.fingerprint == md5_colon(keypair.public_key)
    assert keypair.type == "ssh"


def test_x509_pair_is_a_certificate_with_sha1_fingerprint(emulator: Emulator) -> None:
    keypair, private = emulator.keypairs.create("u1", "cert", key_type="x509")
    assert private is not None
    assert keypair.public_key.startswith("-----BEGIN CERTIFICATE-----")
    assert len(keypair.fingerprint.split(":")) == 20  # SHA-1


def test_import_keeps_the_key_and_returns_no_private_key(emulator: Emulator, ssh_key: str) -> None:
    keypair, private = emulator.keypairs.create("u1", "imported", public_key=ssh_key)
    assert private is None
    assert keypair.public_key == ssh_key
    assert keypair.fingerprint == fingerprint_of("ssh", ssh_key)


@pytest.mark.parametrize(
    ("name", "key", "status", "text"),
    [
        ("bad/name", None, 400, "Keypair name contains unsafe characters"),
        ("x" * 256, None, 400, "between 1 and 255 characters"),
        ("k", "ssh-rsa not-base64!", 400, "failed to generate fingerprint"),
        ("k", "garbage", 400, "failed to generate fingerprint"),
    ],
)
def test_bad_names_and_keys_are_400(
    emulator: Emulator, name: str, key: str | None, status: int, text: str
) -> None:
    with pytest.raises(ApiError) as raised:
        emulator.keypairs.create("u1", name, public_key=key)
    assert raised.value.status == status
    assert text in raised.value.message


def test_names_are_unique_per_user_and_quota_is_enforced(emulator: Emulator, ssh_key: str) -> None:
    backend = emulator.keypairs
    backend.create("u1", "same", public_key=ssh_key)
    backend.create("u2", "same", public_key=ssh_key)  # another user: fine
    with pytest.raises(ApiError) as raised:
        backend.create("u1", "same", public_key=ssh_key)
    assert raised.value.status == 409
    backend.create("u3", "one", public_key=ssh_key, limit=1)
    with pytest.raises(ApiError) as over:
        backend.create("u3", "two", public_key=ssh_key, limit=1)
    assert (over.value.status, over.value.message) == (403, "Quota exceeded, too many key pairs.")


def test_key_pairs_survive_a_restart(tmp_path: Path, ssh_key: str) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "data")
    first = Emulator(config)
    first.keypairs.create("u1", "kept", public_key=ssh_key)
    first.keypairs.create("u1", "gone", public_key=ssh_key)
    first.keypairs.delete("u1", "gone")
    first.close()
    second = Emulator(config)
    try:
        assert [k.name for k in second.keypairs.list_keypairs("u1")] == ["kept"]
        assert second.keypairs.create("u1", "next", public_key=ssh_key)[0].id == 3
    finally:
        second.close()


def test_backend_without_keypairs_starts_empty(emulator: Emulator) -> None:
    assert isinstance(emulator.keypairs, KeypairBackend)
    assert emulator.keypairs.list_keypairs("nobody") == []


# -- API --------------------------------------------------------------------------------------
def test_v21_create_is_200_without_type_and_delete_202(admin: TestClient) -> None:
    response = admin.post(f"{COMPUTE}/os-keypairs", json={"keypair": {"name": "k21"}})
    assert response.status_code == 200, response.text
    keypair = response.json()["keypair"]
    assert set(keypair) == {"name", "public_key", "fingerprint", "user_id", "private_key"}
    listed = admin.get(f"{COMPUTE}/os-keypairs").json()["keypairs"]
    assert listed == [{"keypair": {k: keypair[k] for k in ("name", "public_key", "fingerprint")}}]
    assert admin.delete(f"{COMPUTE}/os-keypairs/k21").status_code == 202
    assert admin.get(f"{COMPUTE}/os-keypairs/k21").status_code == 404


def test_v22_type_and_statuses(admin: TestClient) -> None:
    body = {"keypair": {"name": "cert", "type": "x509"}}
    response = admin.post(f"{COMPUTE}/os-keypairs", json=body, headers=V22)
    assert response.status_code == 201, response.text
    assert response.json()["keypair"]["type"] == "x509"
    shown = admin.get(f"{COMPUTE}/os-keypairs/cert", headers=V22).json()["keypair"]
    assert shown["type"] == "x509"
    assert shown["deleted"] is False
    assert shown["deleted_at"] is None
    assert isinstance(shown["id"], int)
    assert admin.delete(f"{COMPUTE}/os-keypairs/cert", headers=V22).status_code == 204


def test_type_is_refused_before_22_and_unknown_type_after(admin: TestClient) -> None:
    body = {"keypair": {"name": "k", "type": "ssh"}}
    assert admin.post(f"{COMPUTE}/os-keypairs", json=body).status_code == 400
    body["keypair"]["type"] = "pgp"
    response = admin.post(f"{COMPUTE}/os-keypairs", json=body, headers=V22)
    assert response.status_code == 400
    assert "badRequest" in response.json()


def test_import_conflict_and_not_found_messages(admin: TestClient, ssh_key: str) -> None:
    body = {"keypair": {"name": "mine", "public_key": ssh_key}}
    created = admin.post(f"{COMPUTE}/os-keypairs", json=body)
    assert "private_key" not in created.json()["keypair"]
    again = admin.post(f"{COMPUTE}/os-keypairs", json=body)
    assert again.status_code == 409
    assert again.json()["conflictingRequest"]["message"] == "Key pair 'mine' already exists."
    missing = admin.get(f"{COMPUTE}/os-keypairs/nope")
    assert missing.status_code == 404
    assert missing.json()["itemNotFound"]["message"].startswith("Keypair nope not found for user")


def test_key_pairs_are_per_user_and_readers_cannot_create(
    client: TestClient, admin_token: str, ssh_key: str
) -> None:
    alice = provision(client, admin_token, "p1", "alice")
    bob = provision(client, admin_token, "p1", "bob")
    reader = provision(client, admin_token, "p1", "rita", role="reader")
    body = {"keypair": {"name": "shared-name", "public_key": ssh_key}}
    assert (
        client.post(f"{COMPUTE}/os-keypairs", json=body, headers=alice.headers).status_code == 200
    )
    assert client.get(f"{COMPUTE}/os-keypairs", headers=bob.headers).json()["keypairs"] == []
    assert client.get(f"{COMPUTE}/os-keypairs/shared-name", headers=bob.headers).status_code == 404
    refused = client.post(f"{COMPUTE}/os-keypairs", json=body, headers=reader.headers)
    assert refused.status_code == 403


def test_admin_acts_for_another_user_from_210(
    client: TestClient, admin: TestClient, admin_token: str, ssh_key: str
) -> None:
    alice = provision(client, admin_token, "p1", "alice")
    body = {"keypair": {"name": "for-alice", "public_key": ssh_key, "user_id": alice.user_id}}
    assert admin.post(f"{COMPUTE}/os-keypairs", json=body).status_code == 400  # 2.1: no user_id
    assert admin.post(f"{COMPUTE}/os-keypairs", json=body, headers=V210).status_code == 201
    listed = client.get(f"{COMPUTE}/os-keypairs", headers=alice.headers).json()["keypairs"]
    assert [k["keypair"]["name"] for k in listed] == ["for-alice"]
    url = f"{COMPUTE}/os-keypairs/for-alice?user_id={alice.user_id}"
    assert admin.get(url, headers=V210).status_code == 200


def test_paging_from_235(admin: TestClient, ssh_key: str) -> None:
    for name in ("c", "a", "b"):
        body = {"keypair": {"name": name, "public_key": ssh_key}}
        admin.post(f"{COMPUTE}/os-keypairs", json=body, headers=V235)
    page = admin.get(f"{COMPUTE}/os-keypairs?limit=2", headers=V235).json()
    assert [k["keypair"]["name"] for k in page["keypairs"]] == ["a", "b"]
    assert "marker=b" in page["keypairs_links"][0]["href"]
    rest = admin.get(f"{COMPUTE}/os-keypairs?limit=2&marker=b", headers=V235).json()
    assert [k["keypair"]["name"] for k in rest["keypairs"]] == ["c"]
    assert "keypairs_links" not in rest
    assert admin.get(f"{COMPUTE}/os-keypairs?marker=zz", headers=V235).status_code == 400
