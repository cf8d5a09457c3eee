"""The inventory page (read-only): hosts with usage bars, images, compute and storage
templates, each list read with the user's own token, as the inventory API reads it."""

from __future__ import annotations

import html

from tests.portal.portal_lab import PortalLab, portal_fixture  # noqa: F401


def test_an_administrator_sees_every_list_with_usage_bars(portal: PortalLab) -> None:
    with portal.signed_in("root") as admin:
        page = admin.get("/inventory").text
        lists = {
            what: admin.get(f"/api/v1/inventory/{what}").json()[what]
            for what in ("hosts", "images", "templates", "storage-templates")
        }
    assert all(lists.values()), lists  # the emulator's estate has some of each
    for host in lists["hosts"]:
        assert f"<td>{html.escape(host['display_name'] or host['name'])}</td>" in page
        assert f'<meter min="0" max="{host["memory_mb"]}" value="{host["memory_mb_used"]}"' in page
    assert page.count('<tr class="host-row">') == len(lists["hosts"])
    for what in ("images", "templates", "storage-templates"):
        for record in lists[what]:
            assert f"<li>{html.escape(record['name'])}" in page
    assert 'role="alert"' not in page
    assert "<button" not in page.split("</header>")[1]  # read-only: nothing to press


def test_a_reader_sees_what_powervc_lets_them_and_why_not_the_rest(portal: PortalLab) -> None:
    with portal.signed_in("vera") as viewer:
        page = viewer.get("/inventory").text
        refused = viewer.get("/api/v1/inventory/hosts")
        images = viewer.get("/api/v1/inventory/images").json()["images"]
    assert refused.status_code == 403
    assert "os-hypervisors" in refused.json()["error"]["message"]
    hosts = page.split('id="hosts-title"')[1].split("</section>")[0]
    assert '<p class="error" role="alert">compute GET ' in hosts  # nova's refusal, beside them
    assert "os_compute_api:os-hypervisors to be performed" in hosts
    assert '<tr class="host-row">' not in page
    assert all(f"<li>{html.escape(i['name'])}" in page for i in images)
