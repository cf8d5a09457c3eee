"""Microversion parsing, negotiation and response headers."""

from __future__ import annotations

import re

import pytest
from starlette.datastructures import Headers

from powerbridge.emulator.api.microversions import (
    COMPUTE,
    VOLUME_V3,
    Microversion,
    MicroversionRange,
    parse_version,
)
from powerbridge.emulator.errors import ApiError


def _headers(**values: str) -> Headers:
    return Headers({k.replace("_", "-"): v for k, v in values.items()})


class TestMicroversions:
    def test_parse_version(self) -> None:
        assert parse_version("2.60") == Microversion(2, 60)
        assert parse_version(" 3.0 ") == Microversion(3, 0)
        assert str(Microversion(2, 1)) == "2.1"
        assert Microversion(2, 10) > Microversion(2, 9)  # numeric, not lexical
        assert Microversion(2, 53).at_least("2.47")
        assert not Microversion(2, 1).at_least("2.2")

    @pytest.mark.parametrize("text", ["2", "2.", ".1", "two.one", "2.1.3", "", "v2.1"])
    def test_parse_version_rejects_malformed(self, text: str) -> None:
        with pytest.raises(ValueError, match=re.escape(text) if text else None):
            parse_version(text)

    def test_no_header_means_the_minimum(self) -> None:
        assert COMPUTE.negotiate(Headers({})) == Microversion(2, 1)
        assert VOLUME_V3.negotiate(Headers({})) == Microversion(3, 0)

    @pytest.mark.parametrize("latest", ["latest", "LATEST", " Latest"])
    def test_latest_means_the_maximum(self, latest: str) -> None:
        headers = _headers(openstack_api_version=f"compute {latest}")
        assert COMPUTE.negotiate(headers) == COMPUTE.maximum == Microversion(2, 60)

    def test_combined_header_picks_this_service(self) -> None:
        headers = _headers(openstack_api_version="volume 3.44, compute 2.37")
        assert COMPUTE.negotiate(headers) == Microversion(2, 37)
        assert VOLUME_V3.negotiate(headers) == Microversion(3, 44)

    def test_header_for_another_service_means_the_minimum(self) -> None:
        assert VOLUME_V3.negotiate(_headers(openstack_api_version="compute 2.60")) == (3, 0)

    def test_legacy_nova_header(self) -> None:
        headers = _headers(x_openstack_nova_api_version="2.25")
        assert COMPUTE.negotiate(headers) == Microversion(2, 25)

    def test_new_header_wins_over_legacy(self) -> None:
        headers = _headers(
            openstack_api_version="compute 2.40", x_openstack_nova_api_version="2.10"
        )
        assert COMPUTE.negotiate(headers) == Microversion(2, 40)

    def test_header_names_are_case_insensitive(self) -> None:
        headers = Headers({"OpenStack-API-Version": "compute 2.11"})
        assert COMPUTE.negotiate(headers) == Microversion(2, 11)

    @pytest.mark.parametrize("version", ["2.0", "2.61", "3.1", "1.99"])
    def test_out_of_range_is_406(self, version: str) -> None:
        with pytest.raises(ApiError) as caught:
            COMPUTE.negotiate(_headers(openstack_api_version=f"compute {version}"))
        assert caught.value.status == 406
        assert "2.1" in caught.value.message
        assert "2.60" in caught.value.message

    @pytest.mark.parametrize("version", ["2", "abc", "2.x", "2.1.1"])
    def test_malformed_is_400(self, version: str) -> None:
        with pytest.raises(ApiError) as caught:
            COMPUTE.negotiate(_headers(openstack_api_version=f"compute {version}"))
        assert caught.value.status == 400
        assert version in caught.value.message

    def test_response_headers_echo_the_version_with_vary(self) -> None:
        headers = COMPUTE.response_headers(Microversion(2, 53))
        assert headers["openstack-api-version"] == "compute 2.53"
        assert headers["x-openstack-nova-api-version"] == "2.53"
        vary = {v.strip().lower() for v in headers["vary"].split(",")}
        assert vary == {"openstack-api-version", "x-openstack-nova-api-version"}

    def test_volume_response_headers(self) -> None:
        headers = VOLUME_V3.response_headers(Microversion(3, 59))
        assert headers == {"openstack-api-version": "volume 3.59", "vary": "OpenStack-API-Version"}

    def test_a_custom_range(self) -> None:
        versions = MicroversionRange("placement", Microversion(1, 0), Microversion(1, 39))
        assert versions.negotiate(_headers(openstack_api_version="placement 1.10")) == (1, 10)
        with pytest.raises(ApiError):
            versions.negotiate(_headers(openstack_api_version="placement 1.40"))
