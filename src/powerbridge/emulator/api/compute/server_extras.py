"""Small nova server sub-resources: `os-server-password`, `diagnostics`, and the external
events neutron and cinder send (`os-server-external-events`).

PowerVC's guests never post an encrypted password to nova's metadata service (there is none:
PowerVC activates from a config drive), so the password is always empty. The PowerVM driver
implements no diagnostics: after nova's policy and server checks the answer is nova's 501.
"""

from __future__ import annotations

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import require_policy_admin, require_writer
from powerbridge.emulator.errors import ApiError, bad_request, not_found


def show_password(call: Call) -> Reply:
    call.emulator.compute.server(call.params["server_id"], call.auth)
    return Reply({"password": ""})


def clear_password(call: Call) -> Reply:
    call.emulator.compute.server(call.params["server_id"], call.auth)  # another's: 404 first
    require_writer(call.auth, "os_compute_api:os-server-password:clear")
    return Reply(status=204)


def diagnostics(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-server-diagnostics")
    call.emulator.compute.server(call.params["server_id"], call.auth)
    raise ApiError(
        "notImplemented",
        "Unable to get diagnostics, functionality not implemented",
        status=501,
    )


# nova's event names per microversion (server_external_events schemas)
_EVENTS = {
    "network-changed": "2.1",
    "network-vif-plugged": "2.1",
    "network-vif-unplugged": "2.1",
    "network-vif-deleted": "2.1",
    "volume-extended": "2.51",
}


def external_events(call: Call) -> Reply:
    """`POST /os-server-external-events` (neutron and cinder tell nova what changed): each
    event answered with its code; 207 when some failed, 404 when no server was found."""
    require_policy_admin(call.auth, "os_compute_api:os-server-external-events:create")
    events = call.body.get("events") if isinstance(call.body, dict) else None
    if not isinstance(events, list) or not events:
        raise bad_request("Invalid input for field/attribute events.")
    answered = [_event(call, event) for event in events]
    codes = {event["code"] for event in answered}
    if codes == {404}:
        raise not_found("No instances found for any event")
    return Reply({"events": answered}, status=200 if codes == {200} else 207)


def _event(call: Call, event: object) -> dict[str, object]:
    if not isinstance(event, dict) or not isinstance(event.get("server_uuid"), str):
        raise bad_request("Invalid input for field/attribute events: give server_uuid.")
    name = event.get("name")
    since = _EVENTS.get(str(name))
    if since is None or not call.at_least(since):
        raise bad_request(f"Invalid input for field/attribute name. Value: {name}.")
    answer: dict[str, object] = {**event, "status": event.get("status", "completed")}
    try:
        call.emulator.compute.server(event["server_uuid"], call.auth)
        answer["code"] = 200
    except ApiError:
        answer.update(code=404, status="failed")
    return answer
