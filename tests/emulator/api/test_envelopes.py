"""Error envelopes: each service's own fault body shape."""

from __future__ import annotations

import pytest

from powerbridge.emulator.api.envelopes import error_body
from powerbridge.emulator.errors import ApiError, conflict, not_found


class TestEnvelopes:
    def test_identity_uses_keystone_error_envelope(self) -> None:
        body = error_body("identity", conflict("Duplicate entry."))
        assert body == {"error": {"code": 409, "message": "Duplicate entry.", "title": "Conflict"}}

    @pytest.mark.parametrize("service", ["compute", "volume", "image", "network", "emulator"])
    def test_401_is_keystonemiddleware_envelope_on_every_service(self, service: str) -> None:
        body = error_body(service, ApiError("unauthorized", "Authentication required"))
        assert body == {
            "error": {"code": 401, "message": "Authentication required", "title": "Unauthorized"}
        }

    @pytest.mark.parametrize(
        ("status", "name"),
        [
            (400, "badRequest"),
            (403, "forbidden"),
            (404, "itemNotFound"),
            (405, "badMethod"),
            (409, "conflictingRequest"),
            (413, "overLimit"),
            (415, "badMediaType"),
            (503, "serviceUnavailable"),
            # nova's wsgi.Fault has no name for these: computeFault, as nova does
            (406, "computeFault"),
            (500, "computeFault"),
        ],
    )
    @pytest.mark.parametrize("service", ["compute", "volume"])
    def test_nova_and_cinder_name_the_fault_by_status(
        self, service: str, status: int, name: str
    ) -> None:
        body = error_body(service, ApiError("badRequest", "msg", status=status))
        assert body == {name: {"code": status, "message": "msg"}}

    def test_neutron_envelope_uses_the_given_exception_type(self) -> None:
        error = ApiError("conflict", "IP in use", neutron_type="IpAddressAlreadyAllocated")
        body = error_body("network", error)
        assert body == {
            "NeutronError": {
                "type": "IpAddressAlreadyAllocated",
                "message": "IP in use",
                "detail": "",
            }
        }

    @pytest.mark.parametrize(
        ("status", "kind"), [(400, "BadRequest"), (404, "NotFound"), (409, "Conflict")]
    )
    def test_neutron_envelope_defaults_the_type_by_status(self, status: int, kind: str) -> None:
        body = error_body("network", ApiError("badRequest", "m", status=status))
        assert body["NeutronError"]["type"] == kind
        assert set(body["NeutronError"]) == {"type", "message", "detail"}

    def test_glance_envelope(self) -> None:
        body = error_body("image", not_found("No image found with ID x"))
        assert body == {
            "code": "404 Not Found",
            "title": "Not Found",
            "message": "No image found with ID x",
        }
