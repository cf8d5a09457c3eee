"""Small nova server sub-resources: `os-server-password` and `diagnostics`.

PowerVC's guests never post an encrypted password to nova's metadata service (there is none:
PowerVC activates from a config drive), so the password is always empty. The PowerVM driver
implements no diagnostics: after nova's policy and server checks the answer is nova's 501.
"""

from __future__ import annotations

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.errors import ApiError


def show_password(call: Call) -> Reply:
    call.emulator.compute.server(call.params["server_id"], call.auth)
    return Reply({"password": ""})


def clear_password(call: Call) -> Reply:
    call.emulator.compute.server(call.params["server_id"], call.auth)
    return Reply(status=204)


def diagnostics(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-server-diagnostics")
    call.emulator.compute.server(call.params["server_id"], call.auth)
    raise ApiError(
        "notImplemented",
        "Unable to get diagnostics, functionality not implemented",
        status=501,
    )
