"""cinder's volume transfers over HTTP: a refused accept leaves the volume where it was."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.emulator_http import VOLUME


def test_an_accept_on_the_new_path_below_3_55_moves_nothing(
    admin: TestClient, project_id: str
) -> None:
    base = f"{VOLUME}/{project_id}"
    volume = admin.post(f"{base}/volumes", json={"volume": {"size": 1}}).json()["volume"]
    offered = admin.post(
        f"{base}/os-volume-transfer", json={"transfer": {"volume_id": volume["id"]}}
    )
    assert offered.status_code == 202, offered.text
    transfer = offered.json()["transfer"]
    accept = {"accept": {"auth_key": transfer["auth_key"]}}
    old = {"OpenStack-API-Version": "volume 3.50"}
    url = f"{base}/volume-transfers/{transfer['id']}/accept"
    refused = admin.post(url, json=accept, headers=old)
    assert refused.status_code == 404, refused.text
    still = admin.get(f"{base}/volumes/{volume['id']}").json()["volume"]
    assert still["status"] == "awaiting-transfer"
    assert admin.get(f"{base}/os-volume-transfer/{transfer['id']}").status_code == 200
    taken = admin.post(url, json=accept, headers={"OpenStack-API-Version": "volume 3.55"})
    assert taken.status_code == 202, taken.text
    assert admin.get(f"{base}/volumes/{volume['id']}").json()["volume"]["status"] == "available"
