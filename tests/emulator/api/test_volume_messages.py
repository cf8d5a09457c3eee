"""Cinder user messages over HTTP: a volume larger than its storage provider's free capacity
goes to `error`, and the client can read why (`GET /v3/<project>/messages`, from 3.3), while the
reason stays in the cinder logs."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import VOLUME, Account, provision

V33 = {"OpenStack-API-Version": "volume 3.3"}
XIV = "xiv90 base template"
NO_BACKEND = "schedule allocate volume: Could not find any available weighted backend."


def too_big(client: TestClient, account: Account) -> tuple[str, str]:
    """Create a volume larger than the XIV's 20480 GB: (volume id, request id)."""
    response = client.post(
        f"{VOLUME}/{account.project_id}/volumes",
        json={"volume": {"size": 30000, "volume_type": XIV}},
        headers=account.headers,
    )
    assert response.status_code == 202, response.text
    return response.json()["volume"]["id"], response.headers["x-openstack-request-id"]


def messages(client: TestClient, account: Account, **headers: str) -> Any:
    return client.get(
        f"{VOLUME}/{account.project_id}/messages", headers={**account.headers, **headers}
    )


def test_capacity_failure_is_a_user_message(
    client: TestClient, admin_token: str, emulator: Emulator
) -> None:
    member = provision(client, admin_token, "storage-users", "alice")
    volume_id, request_id = too_big(client, member)
    shown = client.get(f"{VOLUME}/{member.project_id}/volumes/{volume_id}", headers=member.headers)
    assert shown.json()["volume"]["status"] == "error"
    listed = messages(client, member, **V33)
    assert listed.status_code == 200, listed.text
    (message,) = listed.json()["messages"]
    assert message["resource_uuid"] == volume_id
    assert message["resource_type"] == "VOLUME"
    assert message["user_message"] == NO_BACKEND
    assert message["event_id"] == "VOLUME_VOLUME_001_003"
    assert message["message_level"] == "ERROR"
    assert message["request_id"] == request_id
    assert message["created_at"] < message["guaranteed_until"]
    assert {link["rel"] for link in message["links"]} == {"self", "bookmark"}
    # the log line with the reason is still written, by the volume service of the provider
    log = (emulator.log_dir / "cinder" / "volume-10.30.0.1.log").read_text()
    failed = [line for line in log.splitlines() if f"Volume {volume_id}: create failed" in line]
    assert len(failed) == 1
    assert "insufficient free capacity on storage provider xiv90" in failed[0]
    assert request_id in failed[0]


def test_messages_show_delete_and_isolation(client: TestClient, admin_token: str) -> None:
    member = provision(client, admin_token, "storage-users", "bob")
    other = provision(client, admin_token, "other-users", "carol")
    volume_id, _ = too_big(client, member)
    (message,) = messages(client, member, **V33).json()["messages"]
    url = f"{VOLUME}/{member.project_id}/messages/{message['id']}"
    one = client.get(url, headers={**member.headers, **V33})
    assert one.status_code == 200, one.text
    assert one.json()["message"]["resource_uuid"] == volume_id
    assert messages(client, other, **V33).json() == {"messages": []}
    hidden = client.get(
        f"{VOLUME}/{other.project_id}/messages/{message['id']}",
        headers={**other.headers, **V33},
    )
    assert hidden.status_code == 404
    assert hidden.json()["itemNotFound"]["message"] == (
        f"Message {message['id']} could not be found."
    )
    assert client.delete(url, headers={**member.headers, **V33}).status_code == 204
    assert messages(client, member, **V33).json() == {"messages": []}
    assert client.get(url, headers={**member.headers, **V33}).status_code == 404


def test_messages_need_microversion_3_3(client: TestClient, admin_token: str) -> None:
    member = provision(client, admin_token, "storage-users", "dave")
    too_big(client, member)
    old = messages(client, member, **{"OpenStack-API-Version": "volume 3.2"})
    assert old.status_code == 404
    assert old.json()["itemNotFound"]["message"] == (
        "API version 3.2 is not supported on this method."
    )
    assert messages(client, member).status_code == 404  # no header: 3.0


def test_messages_page_from_3_5(client: TestClient, admin_token: str) -> None:
    member = provision(client, admin_token, "storage-users", "erin")
    first, _ = too_big(client, member)
    second, _ = too_big(client, member)
    v35 = {"OpenStack-API-Version": "volume 3.5"}
    page = client.get(
        f"{VOLUME}/{member.project_id}/messages?limit=1", headers={**member.headers, **v35}
    ).json()["messages"]
    assert [m["resource_uuid"] for m in page] == [first]
    rest = client.get(
        f"{VOLUME}/{member.project_id}/messages?marker={page[0]['id']}",
        headers={**member.headers, **v35},
    ).json()["messages"]
    assert [m["resource_uuid"] for m in rest] == [second]
