"""HTTP tracing on the `powerbridge.client.http` logger, secrets redacted.

- INFO: one line per HTTP exchange: method, URL, status, request id, elapsed milliseconds;
  and one line per retry.
- DEBUG: the request and response headers and bodies as well, with tokens, passwords,
  secrets, `adminPass` and `user_data` replaced by `<redacted>` (`redact` on JSON, a fixed
  list of headers).

Nothing is formatted unless the level is enabled. The CLI's `-v` / `-vv` turn these on; an
SDK user calls `logging.getLogger("powerbridge.client.http").setLevel(logging.INFO)`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from powerbridge.client.errors import request_id

logger = logging.getLogger("powerbridge.client.http")

REDACTED = "<redacted>"
MAX_BODY = 16_384  # characters of a body shown at DEBUG
SECRET_HEADERS = frozenset(
    {
        "x-auth-token",
        "x-subject-token",
        "x-service-token",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    }
)
# user_data: cloud-init's base64 script, which often sets passwords
SECRET_WORDS = ("password", "secret", "passwd", "adminpass", "private_key", "user_data")
TOKEN_KEYS = frozenset({"token", "id_token", "access_token", "auth_token", "refresh_token"})


def redact(value: Any) -> Any:
    """A copy of JSON-like `value` with secret values replaced by `<redacted>`.

    A key is secret if its name contains password, secret, passwd, adminPass, private_key or
    user_data (nova's `user_data`, `OS-EXT-SRV-ATTR:user_data`), or is a token name holding a
    string (keystone's `{"token": {...}}` body is kept: it holds no secret, only the catalog and
    roles)."""
    if isinstance(value, Mapping):
        return {key: _redact_item(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def _redact_item(key: str, value: Any) -> Any:
    lowered = key.lower()
    secret_word = any(word in lowered for word in SECRET_WORDS)
    if secret_word and value is not None and not lowered.endswith("_at"):  # not timestamps
        return REDACTED
    if lowered in TOKEN_KEYS and isinstance(value, str):
        return REDACTED
    return redact(value)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name: REDACTED if name.lower() in SECRET_HEADERS else value
        for name, value in headers.items()
    }


def exchange(service: str, response: httpx.Response, elapsed: float) -> None:
    """Trace one request and its response (`elapsed` in seconds)."""
    if not logger.isEnabledFor(logging.INFO):
        return
    request = response.request
    logger.info(
        "%s %s %s -> %d %s (%s, %.0f ms)",
        service,
        request.method,
        request.url,
        response.status_code,
        response.reason_phrase,
        request_id(response) or "no request id",
        elapsed * 1000,
    )
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("request headers: %s", redact_headers(request.headers))
        logger.debug("request body: %s", _body(request.content, request.headers))
        logger.debug("response headers: %s", redact_headers(response.headers))
        logger.debug("response body: %s", _body(response.content, response.headers))


def failure(service: str, request: httpx.Request, error: Exception, elapsed: float) -> None:
    """Trace a request that got no response."""
    logger.info(
        "%s %s %s -> %s: %s (%.0f ms)",
        service,
        request.method,
        request.url,
        type(error).__name__,
        error,
        elapsed * 1000,
    )


def retry(request: httpx.Request, why: str, attempt: int, attempts: int, delay: float) -> None:
    logger.info(
        "retrying %s %s after %s (attempt %d of %d in %.2f s)",
        request.method,
        request.url,
        why,
        attempt + 1,
        attempts,
        delay,
    )


def _body(content: bytes, headers: Mapping[str, str]) -> str:
    if not content:
        return "(empty)"
    content_type = headers.get("content-type", "")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return f"({len(content)} bytes of {content_type or 'binary data'})"
    try:
        shown = json.dumps(redact(json.loads(text)), ensure_ascii=False)
    except ValueError:
        if "json" in content_type:
            return f"({len(content)} bytes of malformed JSON, not shown: it may hold secrets)"
        shown = text
    return shown if len(shown) <= MAX_BODY else shown[:MAX_BODY] + f"... ({len(shown)} chars)"
