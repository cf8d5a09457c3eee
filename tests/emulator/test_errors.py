"""ApiError and its helpers: the emulator's errors as data."""

from __future__ import annotations

import pytest

from powerbridge.emulator.errors import ApiError, bad_request, conflict, forbidden, not_found


class TestApiError:
    def test_kind_gives_the_status(self) -> None:
        assert ApiError("itemNotFound", "gone").status == 404
        assert ApiError("conflict", "busy").status == 409
        assert ApiError("notAcceptable", "no").status == 406

    def test_explicit_status_overrides_the_kind(self) -> None:
        error = ApiError("badRequest", "too big", status=413)
        assert (error.kind, error.status, error.message) == ("badRequest", 413, "too big")

    def test_unknown_kind_without_status_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="unknown fault kind"):
            ApiError("noSuchKind", "x")

    def test_helpers(self) -> None:
        assert (bad_request("b").status, not_found("n").status) == (400, 404)
        assert (forbidden("f").status, conflict("c").status) == (403, 409)
        assert str(not_found("Server x could not be found.")) == "Server x could not be found."
